"""Checks of labelled data before it trains or scores anything: ``tagger check``.

Where ``load_dataset`` stops at the first file with problems, ``check_data`` collects them all
and looks further: near duplicates across files (which leak between training and evaluation),
paragraphs too short or too long to label well, label counts and co-occurrence, and suspected
label errors.

A suspected label error needs two witnesses against the label. A model that never saw the
paragraph must strongly disagree with it, and so must the paragraphs most like it in the data.
The model alone is not enough: clean data holds hard negatives on purpose (a flood post, a
checkpoint that was removed, property-fee news), and a linear model scores them high on their
words however well they are labelled. Their neighbours, the other hard negatives of the same
kind, carry the same verdict and clear them; a paragraph whose label was forgotten or slipped
disagrees with its neighbours too. A maintainer who has checked a flagged paragraph and kept
its labels adds ``"reviewed": true`` to its line, and it is not flagged again.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tagger.dataset import Example, check_duplicates, data_files, read_examples
from tagger.errors import UsageError
from tagger.evaluation import PathArg, cross_validated, find_schema, resolve_model
from tagger.explain import LabelExplanation, explain_many
from tagger.labels import Label, LabelSchema, load_schema
from tagger.metrics import indicator
from tagger.model import Tagger
from tagger.text import normalize

SHORT, LONG = 8, 1000  # characters, after normalisation
SHINGLE, NEAR = 5, 0.8  # near duplicates: Jaccard similarity of character 5-gram sets
LOW, HIGH = 0.1, 0.9  # out-of-fold probabilities this far from a label make it suspect
NEIGHBOURS = 10  # the most similar paragraphs asked about a suspect
AGREEING = 0.9  # the share of them that must disagree with its label too
WORDS_SHOWN, NEIGHBOURS_SHOWN = 4, 3  # evidence printed per suspect

# dataset.read_examples and check_duplicates report problems as "file:line: message" strings.
# The kind is read off the message's opening words; an unrecognised message stays an error of
# kind "format", so a reworded message costs a label, never a problem.
_KINDS = (
    ("bad JSON", "json"),
    ("expected a JSON object", "json"),
    ("'text' must be", "text"),
    ("'labels' must be", "labels"),
    ("a label is listed twice", "labels"),
    ("unknown label", "unknown_label"),
    ("cannot read", "file"),
    ("'reviewed' must be", "format"),
    ("same text as", "conflict"),
    ("repeats", "duplicate"),
)
_WHERE = re.compile(r"(.+?:\d+): (.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem (error) or a doubt (warning) about the data, located as ``file:line``."""

    kind: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "where": self.where, "message": self.message}

    @classmethod
    def parse(cls, problem: str) -> Issue:
        match = _WHERE.match(problem)
        where, message = (match.group(1), match.group(2)) if match else ("", problem)
        if not match and ": " in problem:  # a whole-file problem: "file: message"
            where, message = problem.split(": ", 1)
        kind = next((k for start, k in _KINDS if message.startswith(start)), "format")
        return cls(kind, where, message)


@dataclass(frozen=True, slots=True)
class Suspect:
    """A paragraph whose label ``label`` both a model that never saw it and the paragraphs
    most like it disagree with.

    ``gold`` says whether the paragraph carries the label; ``disagreement`` is ``1 - p`` for a
    label it carries and ``p`` for one it lacks. ``evidence`` is the explanation of that fold's
    model (trained without threshold tuning, so its threshold is 0.5). ``neighbour_share`` is
    the share of its ``NEIGHBOURS`` most similar paragraphs that decide the label the other
    way, and ``neighbours`` locates the most similar of those.
    """

    where: str
    text: str
    labels: tuple[str, ...]
    label: str
    gold: bool
    probability: float
    disagreement: float
    evidence: LabelExplanation
    neighbour_share: float
    neighbours: tuple[str, ...]

    @property
    def words(self) -> list[str]:
        """The stretches of the deciding passage that pushed the model against the label.

        Single characters are left out: a maintainer acts on words, and a lone 的 or 送 says
        little about why.
        """
        against = sorted(
            (
                (run.strip(), weight)
                for run, weight in self.evidence.highlights()
                if (weight < 0 if self.gold else weight > 0)
            ),
            key=lambda item: -abs(item[1]),
        )
        words: list[str] = []
        for run, _ in against:
            if sum(ch.isalnum() for ch in run) >= 2 and run not in words:
                words.append(run)
        return words[:WORDS_SHOWN]

    @property
    def reason(self) -> str:
        """The evidence in words, and what a maintainer can do about it."""
        label, p, words = self.label, self.probability, "、".join(f"“{w}”" for w in self.words)
        near = f"{round(self.neighbour_share * NEIGHBOURS)} of its {NEIGHBOURS} most similar"
        similar = ", ".join(self.neighbours)
        model = f"a model trained on the other paragraphs gives it p={p:.3f}"
        if self.gold:
            why = f", held down by {words}" if words else ", finding no words for it"
            return (
                f"labelled {label}, but {model}{why}; {near} paragraphs lack it ({similar}). "
                f"Remove {label} if the paragraph does not report it; if it does, add "
                '"reviewed": true to its line.'
            )
        why = f", on {words}" if words else ""
        return (
            f"not labelled {label}, but {model}{why}; {near} paragraphs carry it ({similar}). "
            f"Add {label} if the paragraph reports it; if it does not, add "
            '"reviewed": true to its line.'
        )

    def to_dict(self) -> dict[str, Any]:
        fields = {name: getattr(self, name) for name in self.__slots__}
        return {
            **fields,
            "labels": list(self.labels),
            "evidence": self.evidence.to_dict(),
            "neighbours": list(self.neighbours),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Everything ``check_data`` found. Errors must be fixed before training; warnings may be."""

    files: tuple[str, ...]
    schema: str | None  # the schema.json used, or None when the model's labels served
    cv: int | None
    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...]
    suspects: tuple[Suspect, ...]
    counts: dict[str, Any]

    @property
    def exit_code(self) -> int:
        """1 when there are errors; warnings and suspects alone do not fail a check."""
        return 1 if self.errors else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": list(self.files),
            "schema": self.schema,
            "cv": self.cv,
            "errors": [issue.to_dict() for issue in self.errors],
            "warnings": [issue.to_dict() for issue in self.warnings],
            "counts": self.counts,
            "suspects": [suspect.to_dict() for suspect in self.suspects],
        }


def check_data(
    paths: PathArg | Sequence[PathArg], model: Tagger | PathArg | None = None, *, cv: int | None = 5
) -> CheckReport:
    """Check labelled JSONL data; collect every problem rather than stop at the first.

    The label set is the ``schema.json`` of the data (in the first directory named, or beside
    the first file), else ``model``'s labels (default: the bundled model). ``model`` also gives
    the parameters of the ``cv``-fold models that look for suspected label errors; ``cv=None``
    skips that search, which is the only slow part.
    """
    if cv is not None and (isinstance(cv, bool) or not isinstance(cv, int) or cv < 2):
        raise UsageError(
            f"cv: expected a whole number of folds of at least 2 (or None), got {cv!r}"
        )
    path_list = [Path(paths)] if isinstance(paths, str | os.PathLike) else list(map(Path, paths))
    files = data_files(path_list)
    tagger = resolve_model(model)
    schema_path = find_schema(path_list)
    schema = load_schema(schema_path) if schema_path is not None else _model_schema(tagger)
    examples: list[Example] = []
    problems: list[str] = []
    for path in files:
        found, trouble = read_examples(path, schema)
        examples.extend(found)
        problems.extend(trouble)
    kept, conflicts, repeats = check_duplicates(examples)
    errors = [Issue.parse(problem) for problem in [*problems, *conflicts]]
    warnings = [Issue.parse(repeat) for repeat in repeats]
    warnings.extend(_length_warnings(kept))
    warnings.extend(near_duplicates(kept))
    labels = list(schema.ids)
    gold = indicator([e.labels for e in kept], labels)
    suspects: list[Suspect] = []
    if cv is not None:
        found_suspects, skipped = find_suspects(kept, gold, labels, tagger.get_params(), cv)
        suspects, warnings = found_suspects, [*warnings, *skipped]
    return CheckReport(
        files=tuple(map(str, files)),
        schema=str(schema_path) if schema_path is not None else None,
        cv=cv,
        errors=tuple(sorted(errors, key=_position)),
        warnings=tuple(sorted(warnings, key=_position)),
        suspects=tuple(suspects),
        counts={**label_counts(gold, labels), "reviewed": sum(e.reviewed for e in kept)},
    )


def _position(issue: Issue) -> tuple[str, int]:
    """File, then line: data-wide issues (no ``where``) sort first."""
    file, _, line = issue.where.rpartition(":")
    return (file, int(line)) if line.isdigit() else (issue.where, 0)


def _model_schema(tagger: Tagger) -> LabelSchema:
    return LabelSchema(
        tuple(Label(lb, tagger.label_names_.get(lb, ""), "") for lb in tagger.labels_)
    )


def _length_warnings(examples: Sequence[Example]) -> list[Issue]:
    warnings = []
    for example in examples:
        size = len(normalize(example.text))
        if size < SHORT:
            message = f"text is {size} characters; under {SHORT} is rarely a paragraph: check it"
            warnings.append(Issue("short", example.where, message))
        elif size > LONG:
            message = f"text is {size} characters; over {LONG} may be several paragraphs: split it"
            warnings.append(Issue("long", example.where, message))
    return warnings


def near_duplicates(examples: Sequence[Example], threshold: float = NEAR) -> list[Issue]:
    """Pairs of paragraphs in different files whose character 5-gram sets overlap >= threshold.

    Prefix filtering keeps this well below all-pairs: with the shingles of each paragraph sorted
    rarest first, two sets with Jaccard >= t must share one of the first |x| - ceil(t|x|) + 1
    shingles of each, so only paragraphs sharing such a (rare) shingle are ever compared.
    """
    sets = []
    for example in examples:
        text = normalize(example.text)
        sets.append(
            frozenset(text[i : i + SHINGLE] for i in range(max(len(text) - SHINGLE + 1, 1)))
        )
    frequency = Counter(shingle for shingles in sets for shingle in shingles)
    index: dict[str, list[int]] = defaultdict(list)
    issues = []
    for i, shingles in enumerate(sets):
        ranked = sorted(shingles, key=lambda s: (frequency[s], s))
        prefix = ranked[: len(ranked) - math.ceil(threshold * len(ranked) - 1e-9) + 1]
        candidates = {j for shingle in prefix for j in index[shingle]}
        for j in sorted(candidates):
            if examples[i].file == examples[j].file:
                continue
            similarity = len(shingles & sets[j]) / len(shingles | sets[j])
            if similarity >= threshold:
                first, second = examples[j], examples[i]
                differ = (
                    f"; the labels differ ({list(second.labels)} vs {list(first.labels)})"
                    if first.labels != second.labels
                    else ""
                )
                message = (
                    f"nearly the same text as {first.where} (Jaccard {similarity:.2f} on "
                    f"character {SHINGLE}-grams){differ}; a paragraph in two files leaks "
                    "between training and evaluation: keep one"
                )
                issues.append(Issue("near_duplicate", second.where, message))
        for shingle in prefix:
            index[shingle].append(i)
    return issues


def label_counts(gold: NDArray[np.bool_], labels: Sequence[str]) -> dict[str, Any]:
    """Paragraphs per label, paragraphs with none, and how often each pair of labels co-occurs."""
    pairs = gold.T.astype(np.int64) @ gold.astype(np.int64)
    return {
        "paragraphs": len(gold),
        "labels": {lb: int(gold[:, j].sum()) for j, lb in enumerate(labels)},
        "no_label": int((~gold.any(axis=1)).sum()),
        "co_occurrence": {
            a: {b: int(pairs[i, j]) for j, b in enumerate(labels)} for i, a in enumerate(labels)
        },
    }


def find_suspects(
    examples: Sequence[Example],
    gold: NDArray[np.bool_],
    labels: list[str],
    params: dict[str, Any],
    cv: int,
) -> tuple[list[Suspect], list[Issue]]:
    """Suspected label errors, strongest first, and warnings for labels not searched.

    Each paragraph is scored by the one of ``cv`` models (``Tagger(**params)``, fitted on the
    other folds) that never saw it. Thresholds are not tuned inside (``cv=None``): only the
    probabilities are used, and tuning would multiply the cost by the number of inner folds.
    Where that probability is below ``LOW`` for a label given, or above ``HIGH`` for one not
    given, the paragraph is a suspect if at least ``AGREEING`` of its ``NEIGHBOURS`` most
    similar paragraphs (cosine of their TF-IDF vectors) decide the label the other way too.
    Paragraphs marked ``reviewed`` are never suspects, but still train and advise the others.
    """
    warnings = []
    searched = []
    for j, label in enumerate(labels):
        positives = int(gold[:, j].sum())
        if min(positives, len(gold) - positives) < cv:
            warnings.append(
                Issue(
                    "too_few",
                    "",
                    f"label {label!r} has {positives} positive and {len(gold) - positives} "
                    f"negative paragraphs; the {cv}-fold search for label errors needs {cv} of "
                    "each, so this label was not searched: label more paragraphs or lower --cv",
                )
            )
        else:
            searched.append(j)
    if not searched:
        return [], warnings
    names = [labels[j] for j in searched]
    texts = [e.text for e in examples]
    positive = gold[:, searched]
    probabilities, _, models = cross_validated({**params, "cv": None}, texts, positive, names, cv)
    reviewed = np.array([e.reviewed for e in examples], dtype=bool)
    strong = (positive & (probabilities < LOW)) | (~positive & (probabilities > HIGH))
    candidates = np.argwhere(strong & ~reviewed[:, None])
    if not len(candidates):
        return [], warnings
    rows = np.unique(candidates[:, 0])
    nearest = dict(zip(rows, most_similar(texts, rows, params), strict=True))
    found = []
    for row, k in candidates:
        near = nearest[row]
        others = near[positive[near, k] != positive[row, k]]
        share = len(others) / len(near) if len(near) else 0.0
        if share >= AGREEING:
            found.append((int(row), int(k), share, others))
    suspects = []
    for held_out, fitted in models:
        mine = [item for item in found if held_out[item[0]]]
        if not mine:
            continue
        explained = explain_many(fitted, [texts[row] for row, *_ in mine])
        for (row, k, share, others), explanation in zip(mine, explained, strict=True):
            p = float(probabilities[row, k])
            suspects.append(
                Suspect(
                    where=examples[row].where,
                    text=examples[row].text,
                    labels=examples[row].labels,
                    label=names[k],
                    gold=bool(positive[row, k]),
                    probability=p,
                    disagreement=1.0 - p if positive[row, k] else p,
                    evidence=explanation[names[k]],
                    neighbour_share=share,
                    neighbours=tuple(examples[i].where for i in others[:NEIGHBOURS_SHOWN]),
                )
            )
    # The weaker witness ranks a suspect: both must be sure for it to come first.
    suspects.sort(key=lambda s: (-min(s.disagreement, s.neighbour_share), -s.disagreement))
    return suspects, warnings


def most_similar(
    texts: Sequence[str], rows: NDArray[np.intp], params: dict[str, Any]
) -> list[NDArray[np.intp]]:
    """For each of ``rows``, the ``NEIGHBOURS`` other texts most like it, most similar first.

    Similarity is the cosine of TF-IDF vectors over the model's own features (``params``).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    from tagger.features import analyze, identity

    spec = Tagger(**params).feature_spec
    vectorizer = TfidfVectorizer(
        analyzer=identity,
        lowercase=False,
        min_df=params["min_df"],
        sublinear_tf=params["sublinear_tf"],
    )
    vectors = vectorizer.fit_transform([analyze(text, spec) for text in texts])
    similarity = (vectors[rows] @ vectors.T).toarray()
    similarity[np.arange(len(rows)), rows] = -np.inf  # a paragraph is not its own neighbour
    k = min(NEIGHBOURS, len(texts) - 1)
    if k <= 0:
        return [np.array([], dtype=np.intp) for _ in rows]
    nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(similarity, nearest, axis=1), axis=1, kind="stable")
    return list(np.take_along_axis(nearest, order, axis=1))
