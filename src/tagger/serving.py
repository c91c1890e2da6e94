"""A trained linear TF-IDF model as plain arrays, and the numpy arithmetic that scores text."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tagger.features import FeatureSpec, analyze, linear_scores, tfidf_rows
from tagger.text import split_passages, split_sentences
from tagger.vectorize import CompiledVocabulary, Rows, can_compile

_SLICE = 2048  # texts scored per numpy pass


@dataclass
class LinearModel:
    """Vocabulary, idf, coefficients and intercepts: everything tagging needs, no pickle."""

    vocabulary: dict[str, int]
    idf: NDArray[np.float64]
    coef: NDArray[np.float64]
    intercept: NDArray[np.float64]
    spec: FeatureSpec
    sublinear_tf: bool
    pooling: str | None
    # Subtracted per log(number of units) from a paragraph's pooled score, one per label
    # (``Tagger.unit_slopes_``); None for models saved before it existed.
    unit_slopes: NDArray[np.float64] | None = None
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
        # In slices: the feature arrays of one slice are several times its text in bytes, and
        # a batch of long paragraphs cut into passages would otherwise hold them all at once.
        parts = [
            linear_scores(self.rows(texts[i : i + _SLICE]), self.coef, self.intercept)
            for i in range(0, len(texts), _SLICE)
        ]
        return np.concatenate(parts) if parts else np.zeros((0, len(self.intercept)))

    def units(self, text: str) -> list[str]:
        return scoring_units(text, self.pooling)

    def scores(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Decision values, shape (len(texts), labels): each text's best-scoring unit."""
        if self.pooling is None or not texts:
            return self.unpooled_scores(texts).reshape(len(texts), len(self.intercept))
        units: list[str] = []
        starts = np.zeros(len(texts), dtype=np.int64)
        for i, text in enumerate(texts):
            starts[i] = len(units)
            units.extend(self.units(text))
        pooled = np.maximum.reduceat(self.unpooled_scores(units), starts, axis=0)
        if self.unit_slopes is not None:
            counts = np.diff(np.append(starts, len(units)))
            pooled -= np.outer(np.log(counts), self.unit_slopes)
        return pooled


def scoring_units(text: str, pooling: str | None) -> list[str]:
    """The pieces a paragraph is scored by: its passages, its sentences, or itself."""
    if pooling == "passages":
        return split_passages(text)
    if pooling == "sentences":
        return split_sentences(text)
    return [text]
