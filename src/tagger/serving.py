"""A trained linear TF-IDF model as plain arrays, and the numpy arithmetic that scores text."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tagger.features import FeatureSpec, analyze, linear_scores, tfidf_rows
from tagger.text import split_passages, split_sentences
from tagger.vectorize import CompiledVocabulary, Rows, Windows, can_compile

# A numpy pass takes texts until they hold this many characters: its arrays take about 200
# bytes a character, and larger passes were no faster.
_SLICE_CHARS = 1 << 15


def pool(
    scores: NDArray[np.float64], offsets: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Each text's best unit for each label: its score, and which of the text's units it is.

    ``scores`` has one row per unit, texts one after another; ``offsets[i]`` is the row of text
    ``i``'s first unit, and every text has at least one. On a tie the first unit wins.
    """
    if not len(offsets):
        return np.zeros((0, scores.shape[1])), np.zeros((0, scores.shape[1]), dtype=np.int64)
    best = np.maximum.reduceat(scores, offsets, axis=0)
    owner = np.repeat(np.arange(len(offsets)), np.diff(np.append(offsets, len(scores))))
    rows = np.arange(len(scores))[:, None]
    first = np.minimum.reduceat(np.where(scores == best[owner], rows, len(scores)), offsets, axis=0)
    return best, first - offsets[:, None]


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

    def _compiled(self) -> CompiledVocabulary | None:
        if not can_compile(self.spec):
            return None
        if self.compiled is None:
            with self._lock:
                if self.compiled is None:
                    self.compiled = CompiledVocabulary(
                        self.vocabulary, self.idf, self.spec, sublinear_tf=self.sublinear_tf
                    )
        return self.compiled

    def rows(self, texts: Sequence[str]) -> Rows:
        """TF-IDF rows of ``texts`` (CSR arrays), as scikit-learn's vectorizer would give."""
        compiled = self._compiled()
        if compiled is None:
            documents = (analyze(text, self.spec) for text in texts)
            return tfidf_rows(documents, self.vocabulary, self.idf, sublinear_tf=self.sublinear_tf)
        return compiled.rows(texts)

    def unpooled_scores(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Decision values of each text as a whole, from its own TF-IDF row."""
        parts = [
            linear_scores(self.rows(part), self.coef, self.intercept)
            for part in self._slices(texts)
        ]
        return np.concatenate(parts) if parts else np.zeros((0, len(self.intercept)))

    def units(self, text: str) -> list[str]:
        return scoring_units(text, self.pooling)

    def scores(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Decision values, shape (len(texts), labels): each text's best-scoring unit."""
        return self.best_units(texts)[0]

    def best_units(self, texts: Sequence[str]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """``pool`` over each text's units: the best score per label and the index in ``units``."""
        parts = [self._pool(*self._unit_scores(part)) for part in self._slices(texts)]
        if not parts:
            labels = len(self.intercept)
            return np.zeros((0, labels)), np.zeros((0, labels), dtype=np.int64)
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _pool(
        self, scores: NDArray[np.float64], offsets: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """``pool``, then each text's best score lowered by ``unit_slopes`` x log(its units)."""
        best, index = pool(scores, offsets)
        if self.unit_slopes is not None and len(offsets):
            counts = np.diff(np.append(offsets, len(scores)))
            best = best - np.outer(np.log(counts), self.unit_slopes)
        return best, index

    def _slices(self, texts: Sequence[str]) -> Iterator[Sequence[str]]:
        """The texts a slice at a time, so that memory holds one numpy pass."""
        start = chars = 0
        for i, text in enumerate(texts):
            if i > start and chars + len(text) > _SLICE_CHARS:
                yield texts[start:i]
                start, chars = i, 0
            chars += len(text)
        if start < len(texts):
            yield texts[start:]

    def _unit_scores(self, texts: Sequence[str]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Decision values of every unit of ``texts``, and the row of each text's first."""
        compiled = self._compiled()
        if compiled is None:
            # Features beyond what compiles: score every unit from its own text.
            units = [self.units(text) for text in texts]
            sizes = np.array([len(u) for u in units], dtype=np.int64)
            scores = self.unpooled_scores([unit for group in units for unit in group])
            return scores, np.cumsum(sizes) - sizes
        if self.pooling == "passages":
            counts, pieces = compiled.clause_counts(texts)
        else:
            units = [self.units(text) for text in texts]
            pieces = np.array([len(u) for u in units], dtype=np.int64)
            counts = compiled.unit_counts([unit for group in units for unit in group])
        windows, offsets = _windows(pieces, passages=self.pooling == "passages")
        linear, square = compiled.window_sums(counts, windows, self.coef)
        norms = np.sqrt(square)
        scores = linear / np.where(norms > 0, norms, 1.0)[:, None] + self.intercept
        return scores, offsets


def _windows(pieces: NDArray[np.int64], *, passages: bool) -> tuple[Windows, NDArray[np.int64]]:
    """The windows of each text over its pieces, in ``split_passages`` order; first window of each.

    With passages, a text of k >= 2 clauses has its k - 1 pairs, then its k - 2 triples; a
    text of one piece (and every piece, without passages) is a window of its own.
    """
    first_piece = np.cumsum(pieces) - pieces
    if passages:
        multi = pieces >= 2
        pairs = np.where(multi, pieces - 1, 0)
        triples = np.where(multi, np.maximum(pieces - 2, 0), 0)
        singles = np.where(multi, 0, pieces)
    else:
        pairs = triples = np.zeros_like(pieces)
        singles = pieces
    per_text = singles + pairs + triples
    offsets = np.cumsum(per_text) - per_text
    start = np.empty(int(per_text.sum()), dtype=np.int64)
    size = np.empty_like(start)
    before = np.zeros_like(pieces)
    for width, count in ((1, singles), (2, pairs), (3, triples)):
        text = np.repeat(np.arange(len(pieces)), count)
        step = np.arange(len(text)) - np.repeat(np.cumsum(count) - count, count)
        where = offsets[text] + before[text] + step
        start[where] = first_piece[text] + step
        size[where] = width
        before += count
    return Windows(start, size), offsets


def scoring_units(text: str, pooling: str | None) -> list[str]:
    """The pieces a paragraph is scored by: its passages, its sentences, or itself."""
    if pooling == "passages":
        return split_passages(text)
    if pooling == "sentences":
        return split_sentences(text)
    return [text]
