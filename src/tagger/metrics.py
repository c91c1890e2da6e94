"""Metrics, threshold tuning and fold assignment for multi-label tagging, with numpy alone."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def indicator(label_lists: Sequence[Sequence[str]], labels: Sequence[str]) -> NDArray[np.bool_]:
    """A (paragraphs, labels) boolean matrix: which paragraph carries which label."""
    column = {label: j for j, label in enumerate(labels)}
    matrix = np.zeros((len(label_lists), len(labels)), dtype=bool)
    for i, label_list in enumerate(label_lists):
        for label in label_list:
            if label in column:
                matrix[i, column[label]] = True
    return matrix


def scores_table(
    gold: NDArray[np.bool_], predicted: NDArray[np.bool_], labels: Sequence[str]
) -> dict[str, object]:
    """Per-label precision/recall/F1/support plus micro, macro and samples averages.

    The result is plain JSON-ready data; its keys are documented in the README.
    """
    per_label: dict[str, dict[str, float | int]] = {}
    for j, label in enumerate(labels):
        g, p = gold[:, j], predicted[:, j]
        tp, fp, fn = float(np.sum(g & p)), float(np.sum(~g & p)), float(np.sum(g & ~p))
        precision, recall, f1 = _prf(tp, fp, fn)
        per_label[label] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": int(g.sum()),
        }
    tp, fp, fn = (
        float(np.sum(gold & predicted)),
        float(np.sum(~gold & predicted)),
        float(np.sum(gold & ~predicted)),
    )
    micro = _prf(tp, fp, fn)
    macro = [
        float(np.mean([per_label[lb][k] for lb in labels])) for k in ("precision", "recall", "f1")
    ]
    samples = []
    for g, p in zip(gold, predicted, strict=True):
        if not g.any() and not p.any():
            samples.append((1.0, 1.0, 1.0))  # an empty answer to an empty gold set is right
        else:
            samples.append(_prf(float(np.sum(g & p)), float(np.sum(~g & p)), float(np.sum(g & ~p))))
    sample_means = np.mean(samples, axis=0) if samples else np.zeros(3)
    no_label = ~gold.any(axis=1)
    return {
        "n": len(gold),
        "labels": per_label,
        "micro": dict(zip(("precision", "recall", "f1"), micro, strict=True)),
        "macro": dict(zip(("precision", "recall", "f1"), macro, strict=True)),
        "samples": dict(zip(("precision", "recall", "f1"), map(float, sample_means), strict=True)),
        "exact_match": float(np.mean(np.all(gold == predicted, axis=1))) if len(gold) else 0.0,
        "no_label": int(no_label.sum()),
        "no_label_left_empty": int(np.sum(no_label & ~predicted.any(axis=1))),
    }


def best_threshold(gold: NDArray[np.bool_], scores: NDArray[np.float64]) -> float:
    """The score cut that maximises F1 on these (out-of-fold) scores.

    The cut sits halfway between the last score kept and the next one below it, so a new
    paragraph scoring between the two is not decided by an accident of the sample.
    """
    if not gold.any():
        return 0.5
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], gold[order].astype(np.float64)
    # Only positions where the score changes are possible cuts (ties go together).
    last_of_tie = np.append(ranked[1:] != ranked[:-1], True)
    tp = np.cumsum(hits)[last_of_tie]
    kept = (np.flatnonzero(last_of_tie) + 1).astype(np.float64)
    f1 = 2 * tp / (kept + gold.sum())
    best = int(np.argmax(f1))
    cut_at = np.flatnonzero(last_of_tie)[best]
    above = float(ranked[cut_at])
    below = float(ranked[cut_at + 1]) if cut_at + 1 < len(ranked) else 0.0
    return (above + below) / 2


def fold_ids(
    gold: NDArray[np.bool_], n_folds: int, seed: int | tuple[int, ...]
) -> NDArray[np.int64]:
    """Assign paragraphs to folds so that every label's positives spread evenly over them.

    Paragraphs are dealt out rarest label first (a simplified iterative stratification): each
    label's positives go round-robin over the folds, in a seeded random order.
    """
    rng = np.random.default_rng(seed)
    folds = np.full(len(gold), -1, dtype=np.int64)
    next_fold = 0
    for j in np.argsort(gold.sum(axis=0), kind="stable"):
        members = rng.permutation(np.flatnonzero(gold[:, j] & (folds < 0)))
        folds[members] = (np.arange(len(members)) + next_fold) % n_folds
        next_fold = (next_fold + len(members)) % n_folds
    rest = rng.permutation(np.flatnonzero(folds < 0))
    folds[rest] = (np.arange(len(rest)) + next_fold) % n_folds
    return folds


# Slopes tried for the pooled score's correction per log(number of scoring units).
SLOPES = np.round(np.arange(0.0, 1.51, 0.05), 2)


def tune_cut(
    gold: NDArray[np.bool_], scores: NDArray[np.float64], log_units: NDArray[np.float64]
) -> tuple[float, float]:
    """The slope and probability cut that maximise F1 for ``sigmoid(score - slope * log_units)``.

    A paragraph scores as the best of its units, and the best of many units is higher by chance
    alone: with one cut for all, long paragraphs are over-tagged and one-line captions missed.
    The slope takes that back; the smallest slope wins ties, so without pooling it stays 0.
    """
    best = (-1.0, 0.0, 0.5)
    for slope in SLOPES:
        probabilities = 0.5 * (1.0 + np.tanh(0.5 * (scores - slope * log_units)))
        cut = best_threshold(gold, probabilities)
        kept = probabilities >= cut
        f1 = 2 * float(np.sum(kept & gold)) / max(float(kept.sum() + gold.sum()), 1.0)
        if f1 > best[0] + 1e-12:
            best = (f1, float(slope), cut)
    return best[1], best[2]
