"""A trained linear TF-IDF model as plain arrays, and the numpy arithmetic that scores text."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tagger.features import FeatureSpec, analyze, linear_scores, tfidf_rows
from tagger.text import split_sentences
from tagger.vectorize import CompiledVocabulary, Rows, can_compile


@dataclass
class LinearModel:
    """Vocabulary, idf, coefficients and intercepts: everything tagging needs, no pickle."""

    vocabulary: dict[str, int]
    idf: NDArray[np.float64]
    coef: NDArray[np.float64]
    intercept: NDArray[np.float64]
    spec: FeatureSpec
    sublinear_tf: bool
    sentence_pooling: bool
    compiled: CompiledVocabulary | None = field(default=None, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def rows(self, texts: Sequence[str]) -> Rows:
        """TF-IDF rows of ``texts`` (CSR arrays), as scikit-learn's vectorizer would give."""
        if not can_compile(self.spec):
            documents = (analyze(text, self.spec) for text in texts)
            return tfidf_rows(documents, self.vocabulary, self.idf, sublinear_tf=self.sublinear_tf)
        if self.compiled is None:
            with self._lock:
                if self.compiled is None:
                    self.compiled = CompiledVocabulary(
                        self.vocabulary, self.idf, self.spec, sublinear_tf=self.sublinear_tf
                    )
        return self.compiled.rows(texts)

    def unpooled_scores(self, texts: Sequence[str]) -> NDArray[np.float64]:
        return linear_scores(self.rows(texts), self.coef, self.intercept)

    def scores(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Decision values, shape (len(texts), labels); with pooling, each text's best sentence."""
        if not self.sentence_pooling or not texts:
            return self.unpooled_scores(texts).reshape(len(texts), len(self.intercept))
        sentences: list[str] = []
        starts = np.zeros(len(texts), dtype=np.int64)
        for i, text in enumerate(texts):
            starts[i] = len(sentences)
            sentences.extend(split_sentences(text))
        return np.maximum.reduceat(self.unpooled_scores(sentences), starts, axis=0)
