"""Out-of-fold scores for tuning thresholds, from feature counts computed once.

Each fold's model must not see its test paragraphs, so its vocabulary (``min_df``) and idf come
from its training paragraphs alone. Rather than re-reading the text for every fold and repeat,
every feature of every paragraph and of every scoring unit (passage) is counted once; a fold
then keeps the columns its training rows reach ``min_df`` in, weights them with its own idf, fits
and scores. The arithmetic is scikit-learn's ``TfidfVectorizer`` (smooth idf, sublinear tf, L2
rows) with the same sorted column order, so the fits are the ones a per-fold vectorizer gives.
Training only: imports scikit-learn and scipy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.feature_extraction.text import CountVectorizer

from tagger.features import identity
from tagger.metrics import fold_ids


def tfidf(counts: Any, idf: NDArray[np.float64], *, sublinear_tf: bool) -> Any:
    """L2-normalised TF-IDF rows from a CSR count matrix, as scikit-learn computes them."""
    matrix = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    if sublinear_tf:
        np.log(matrix.data, out=matrix.data)
        matrix.data += 1.0
    matrix = matrix @ sp.diags(idf)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)


def out_of_fold_scores(
    documents: list[list[str]],
    unit_documents: list[list[str]],
    unit_owner: NDArray[np.int64],
    gold: NDArray[np.bool_],
    *,
    fit: Callable[[Any, NDArray[np.bool_]], tuple[NDArray[np.float64], NDArray[np.float64]]],
    n_folds: int,
    seeds: Sequence[tuple[int, ...]],
    min_df: int,
    sublinear_tf: bool,
) -> NDArray[np.float64]:
    """Decision values of each paragraph by models that did not see it, one block per seed.

    ``documents`` are the paragraphs' features; ``unit_documents`` the features of the units a
    paragraph is scored by (its passages, sentences or itself), ``unit_owner`` the paragraph
    each unit belongs to, in order. ``fit(matrix, gold)`` returns (coef, intercept). A paragraph
    scores as its best unit. The result has shape (len(seeds) * paragraphs, labels).
    """
    counter = CountVectorizer(analyzer=identity, lowercase=False)
    counts = counter.fit_transform(documents).tocsr()
    unit_counts = counter.transform(unit_documents).tocsr()
    present = counts.copy()
    present.data[:] = 1
    unit_starts = np.searchsorted(unit_owner, np.arange(len(documents)))

    scores = np.zeros((len(seeds), *gold.shape))
    for block, seed in enumerate(seeds):
        folds = fold_ids(gold, n_folds, seed)
        for fold in range(n_folds):
            test = folds == fold
            train_rows = np.flatnonzero(~test)
            document_frequency = np.asarray(present[train_rows].sum(axis=0)).ravel()
            columns = np.flatnonzero(document_frequency >= min_df)
            idf = np.log((1 + len(train_rows)) / (1 + document_frequency[columns])) + 1.0
            matrix = tfidf(counts[train_rows][:, columns], idf, sublinear_tf=sublinear_tf)
            coef, intercept = fit(matrix, gold[train_rows])

            test_units = test[unit_owner]
            units = tfidf(unit_counts[test_units][:, columns], idf, sublinear_tf=sublinear_tf)
            unit_scores = np.asarray(units @ coef.T) + intercept
            # Units of one paragraph are consecutive, so each test paragraph's best unit is a
            # maximum over one run of rows.
            starts = np.searchsorted(np.flatnonzero(test_units), unit_starts[test])
            scores[block, test] = np.maximum.reduceat(unit_scores, starts, axis=0)
    return scores.reshape(-1, gold.shape[1])
