"""From text to TF-IDF rows, without scikit-learn.

Training hands the feature lists made here to scikit-learn's ``TfidfVectorizer``; tagging
replays the same weighting with numpy on the exported vocabulary and idf, so both paths see
exactly the same features.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tagger.text import normalize, tokenize

_NON_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """Which n-grams make a paragraph's features. ``None`` switches a kind off."""

    word_ngrams: tuple[int, int] | None = (1, 2)
    char_ngrams: tuple[int, int] | None = (1, 3)


def analyze(text: str, spec: FeatureSpec) -> list[str]:
    """Return the paragraph's features: ``w:`` word n-grams and ``c:`` character n-grams.

    The prefixes keep a one-character word apart from the same character as a character n-gram.
    """
    features: list[str] = []
    if spec.word_ngrams:
        tokens = tokenize(text)
        low, high = spec.word_ngrams
        for n in range(low, high + 1):
            features.extend("w:" + " ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    if spec.char_ngrams:
        low, high = spec.char_ngrams
        # Character n-grams stay inside runs of word characters, so punctuation marks no
        # n-gram; digits fold to 0 for the same reason words fold numbers to <num>.
        for run in _NON_WORD.split(_DIGITS.sub("0", normalize(text))):
            for n in range(low, high + 1):
                features.extend("c:" + run[i : i + n] for i in range(len(run) - n + 1))
    return features


def identity(features: list[str]) -> list[str]:
    """The analyzer handed to scikit-learn: features are already made by ``analyze``."""
    return features


def tfidf_rows(
    documents: Iterable[Sequence[str]],
    vocabulary: dict[str, int],
    idf: NDArray[np.float64],
    *,
    sublinear_tf: bool,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """L2-normalised TF-IDF rows in CSR form (indptr, indices, data), like scikit-learn's."""
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for features in documents:
        counts = Counter(vocabulary[f] for f in features if f in vocabulary)
        columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if sublinear_tf:
            values = np.log(values) + 1.0
        values *= idf[columns]
        norm = np.sqrt(np.dot(values, values))
        if norm > 0:
            values /= norm
        indices.extend(columns.tolist())
        data.extend(values.tolist())
        indptr.append(len(indices))
    return (
        np.asarray(indptr, dtype=np.int64),
        np.asarray(indices, dtype=np.int64),
        np.asarray(data, dtype=np.float64),
    )


def linear_scores(
    rows: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]],
    coef: NDArray[np.float64],
    intercept: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``X @ coef.T + intercept`` for CSR rows, with numpy alone (no scipy on the hot path).

    One weighted ``bincount`` per label: no (features x labels) intermediate array is built.
    """
    indptr, indices, data = rows
    n_rows = len(indptr) - 1
    owner = np.repeat(np.arange(n_rows), np.diff(indptr))
    scores = np.empty((n_rows, len(intercept)))
    for j in range(len(intercept)):
        scores[:, j] = np.bincount(owner, weights=data * coef[j, indices], minlength=n_rows)
        scores[:, j] += intercept[j]
    return scores
