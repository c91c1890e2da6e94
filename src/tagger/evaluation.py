"""``tagger evaluate`` as a library call: a model measured on labelled data.

tagger's own modules are imported inside the functions: tagging must not pay for data loading.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from tagger.metrics import fold_ids, indicator, scores_table

if TYPE_CHECKING:
    from tagger.dataset import Example
    from tagger.model import Tagger

PathArg = str | os.PathLike[str]
BASELINES = ("keywords",)


def _on(labels: Sequence[str], row: NDArray[np.bool_]) -> list[str]:
    return [lb for lb, on in zip(labels, row, strict=True) if on]


def find_schema(paths: Sequence[PathArg]) -> Path | None:
    """The ``schema.json`` in the first directory named, or beside the first file named."""
    from tagger.labels import SCHEMA_FILE

    for path in map(Path, paths):
        candidate = (path if path.is_dir() else path.parent) / SCHEMA_FILE
        if candidate.is_file():
            return candidate
    return None


def read_labelled(
    paths: Sequence[PathArg], labels: Sequence[str]
) -> tuple[list[Example], list[str], Path | None]:
    """Validated examples, warnings, and the schema.json used (``None``: ``labels`` served).

    Every label must be one of ``labels`` (the model's): a label the model cannot predict would
    count as a miss it never had a chance to get right.
    """
    from tagger.dataset import check_duplicates, data_files, read_examples
    from tagger.errors import DataError
    from tagger.labels import load_schema

    schema_path = find_schema(paths)
    schema = load_schema(schema_path) if schema_path is not None else None
    examples: list[Example] = []
    problems: list[str] = []
    for path in data_files([Path(p) for p in paths]):
        found, trouble = read_examples(path, schema)
        examples.extend(found)
        problems.extend(trouble)
    for example in examples:
        unknown = [lb for lb in example.labels if lb not in labels]
        if unknown:
            problems.append(
                f"{example.where}: label {', '.join(map(repr, unknown))} is not one the model "
                f"predicts ({', '.join(labels)}); evaluate with a model trained on these labels"
            )
    kept, conflicts, warnings = check_duplicates(examples)
    problems.extend(conflicts)
    if not problems and not kept:
        problems.append(f"{', '.join(map(str, paths))}: no labelled paragraphs to evaluate on")
    if problems:
        raise DataError(problems)
    return kept, warnings, schema_path


def resolve_model(model: Tagger | PathArg | None) -> Tagger:
    """A trained ``Tagger`` as given, or the model directory named (default: the bundled one)."""
    from tagger.model import Tagger
    from tagger.store import load

    return model if isinstance(model, Tagger) else load(model)


def evaluate_data(
    paths: PathArg | Sequence[PathArg],
    model: Tagger | PathArg | None = None,
    *,
    baseline: str | None = None,
    errors: int = 0,
    cv: int | None = None,
) -> dict[str, Any]:
    """Score a model on labelled JSONL data; the result is plain JSON-ready data.

    Keys: everything ``scores_table`` returns (``n``, ``labels`` with per-label precision,
    recall, f1 and support, ``micro``, ``macro``, ``samples``, ``exact_match``, ``no_label``,
    ``no_label_left_empty``), plus ``data`` (files read), ``schema`` (the schema.json used, or
    ``None`` when the model's labels served), ``model`` (``path``, ``created``, ``labels``,
    ``params``), ``cv`` (folds, or ``None``: the model as trained), ``baselines`` (name -> a
    table of the same shape), ``errors`` (see ``worst_mistakes``), ``seen_in_training`` (how
    many of the paragraphs the model was trained on; ``None`` with ``cv``, where no paragraph
    is scored by a model that saw it, or for a model saved without a record of its training
    paragraphs) and ``warnings`` (one of them says so when any paragraph was trained on).

    With ``cv=K`` the model itself is not used: a fresh ``Tagger`` with its parameters is fitted
    on each of K training parts of DATA (thresholds tuned inside the part, as ``Tagger.fit``
    does) and predicts the held-out part.
    """
    from tagger.dataset import data_files
    from tagger.errors import UsageError
    from tagger.fingerprint import overlap_warning
    from tagger.keywords import keyword_labels
    from tagger.store import bundled_model_dir

    path_list = [Path(paths)] if isinstance(paths, str | os.PathLike) else list(map(Path, paths))
    if isinstance(errors, bool) or not isinstance(errors, int) or errors < 0:
        raise UsageError(f"errors: expected a number of mistakes to list (>= 0), got {errors!r}")
    if baseline is not None and baseline not in BASELINES:
        raise UsageError(f"baseline: expected one of {', '.join(BASELINES)}, got {baseline!r}")
    if cv is not None and (isinstance(cv, bool) or not isinstance(cv, int) or cv < 2):
        raise UsageError(f"cv: expected a whole number of folds of at least 2, got {cv!r}")
    tagger = resolve_model(model)
    labels = list(tagger.labels_)
    examples, warnings, schema_path = read_labelled(path_list, labels)
    texts = [e.text for e in examples]
    gold = indicator([e.labels for e in examples], labels)
    seen = None
    if cv is None:
        probabilities = tagger.predict_proba(texts)
        thresholds = np.broadcast_to(tagger.thresholds_, probabilities.shape)
        seen = count_seen(tagger, texts)
        if seen:
            warnings = [*warnings, overlap_warning(seen, len(texts))]
    else:
        probabilities, thresholds, _ = cross_validated(tagger.get_params(), texts, gold, labels, cv)
    result: dict[str, Any] = scores_table(gold, probabilities >= thresholds, labels)
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in tagger.get_params().items()}
    where = bundled_model_dir() if model is None else model
    result.update(
        data=[str(p) for p in data_files(path_list)],
        schema=str(schema_path) if schema_path is not None else None,
        model={
            "path": None if where is tagger else str(where),  # a Tagger object has no directory
            "created": getattr(tagger, "manifest_", {}).get("created"),
            "labels": labels,
            "params": params,
        },
        cv=cv,
        baselines={},
        errors=worst_mistakes(examples, gold, probabilities, thresholds, labels, errors),
        seen_in_training=seen,
        warnings=warnings,
    )
    if baseline == "keywords":
        guessed = indicator(keyword_labels(texts, labels), labels)
        result["baselines"]["keywords"] = scores_table(gold, guessed, labels)
    return result


def count_seen(tagger: Tagger, texts: Sequence[str]) -> int | None:
    """How many of ``texts`` ``tagger`` was trained on; ``None`` when its model keeps no record."""
    from tagger.fingerprint import seen_in_training

    fingerprint = getattr(tagger, "training_hashes_", None)
    if fingerprint is None:
        return None
    return int(seen_in_training(fingerprint, texts).sum())


def cross_validated(
    params: dict[str, Any], texts: list[str], gold: NDArray[np.bool_], labels: list[str], cv: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[tuple[NDArray[np.bool_], Tagger]]]:
    """Out-of-fold probabilities, the thresholds that applied to each paragraph, and per fold
    the held-out mask with the ``Tagger(**params)`` fitted on the rest of the data."""
    from tagger.errors import DataError
    from tagger.model import Tagger

    folds = fold_ids(gold, cv, int(params.get("random_state", 0)))
    needed = params.get("cv") or 1  # each training part tunes its thresholds by its own CV
    problems = []
    for j, label in enumerate(labels):
        least = min(min(gold[folds != f, j].sum(), (~gold[folds != f, j]).sum()) for f in range(cv))
        if least < needed:
            task = f"tuning thresholds by {needed}-fold CV inside it" if needed > 1 else "a fit"
            problems.append(
                f"label {label!r}: a training part of the {cv}-fold split has only {least} "
                f"positive or negative paragraphs, and {task} needs {needed} of each; use "
                "fewer folds or label more paragraphs"
            )
    if problems:
        raise DataError(problems)
    probabilities, thresholds = np.zeros(gold.shape), np.zeros(gold.shape)
    models = []
    for fold in range(cv):
        test = folds == fold
        fitted = Tagger(**params).fit(
            [x for x, t in zip(texts, test, strict=True) if not t],
            [_on(labels, row) for row in gold[~test]],
            labels=labels,
        )
        probabilities[test] = fitted.predict_proba(
            [x for x, t in zip(texts, test, strict=True) if t]
        )
        thresholds[test] = fitted.thresholds_
        models.append((test, fitted))
    return probabilities, thresholds, models


def worst_mistakes(
    examples: Sequence[Example],
    gold: NDArray[np.bool_],
    probabilities: NDArray[np.float64],
    thresholds: NDArray[np.float64],
    labels: Sequence[str],
    n: int,
) -> list[dict[str, Any]]:
    """The ``n`` paragraphs the model got most confidently wrong.

    Badness is the total ``|probability - threshold|`` over the labels decided wrongly, so a
    paragraph missed by a hair ranks below one the model was sure about and got wrong. Each
    entry: ``where``, ``text``, ``gold``, ``predicted``, ``wrong`` (labels decided wrongly),
    ``distance`` (the badness), ``scores`` and ``thresholds`` (label -> value).
    """
    predicted = probabilities >= thresholds
    wrong = predicted != gold
    distance = np.where(wrong, np.abs(probabilities - thresholds), 0.0).sum(axis=1)
    order = [i for i in np.argsort(-distance, kind="stable") if wrong[i].any()][:n]
    return [
        {
            "where": examples[i].where,
            "text": examples[i].text,
            "gold": _on(labels, gold[i]),
            "predicted": _on(labels, predicted[i]),
            "wrong": _on(labels, wrong[i]),
            "distance": float(distance[i]),
            "scores": dict(zip(labels, map(float, probabilities[i]), strict=True)),
            "thresholds": dict(zip(labels, map(float, thresholds[i]), strict=True)),
        }
        for i in order
    ]
