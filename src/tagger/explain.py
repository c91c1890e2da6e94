"""Why a paragraph got its scores: each label's decision value split into feature contributions.

A paragraph scores as its best unit (a passage of two or three clauses, by default; see
``Tagger.pooling``), so for each label the explanation names that unit and splits its linear
score exactly: the intercept plus, for every feature of the unit, coefficient × tf-idf value.
It reads the serving arrays, as tagging does, and so never imports scikit-learn.

A passage has dozens of features, and their weight is spread thin: by default an explanation
lists the strongest ones until they carry ``COVERAGE`` of the passage's total absolute weight,
and says what share the rest carries.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tagger.errors import UsageError
from tagger.model import Tagger, _sigmoid, check_texts
from tagger.text import NUMBER_TOKEN, normalize

# Two thirds: most of the weight, and on the project's data a median of about twenty features
# a label; four fifths took thirty, too many to read for five labels.
COVERAGE = 2 / 3


@dataclass(frozen=True, slots=True)
class Contribution:
    """One feature of the explained passage: ``contribution == coef * value``."""

    feature: str  # "w:" word n-gram (tokens joined by a space) or "c:" character n-gram
    value: float  # its tf-idf weight in the passage
    coef: float  # the label's coefficient for it
    contribution: float

    def pattern(self) -> re.Pattern[str]:
        """Where the feature occurs in normalised text (numbers match as the features fold them)."""
        if self.feature.startswith("w:"):
            parts = [
                r"[0-9]+(?:[.,][0-9]+)*%?" if token == NUMBER_TOKEN else re.escape(token)
                for token in self.feature[2:].split(" ")
            ]
            return re.compile(r"\W*".join(parts))  # punctuation between tokens is dropped
        return re.compile(
            "".join("[0-9]+" if ch == "0" else re.escape(ch) for ch in self.feature[2:])
        )


@dataclass(frozen=True, slots=True)
class LabelExplanation:
    """One label's score for a paragraph, taken apart.

    ``intercept + sum(c.contribution for c in up + down) + rest + units_term ==
    decision_value`` (up to rounding): ``up`` and ``down`` are the ``top`` largest pushes each
    way, ``rest`` the sum of the ``n_features - len(up) - len(down)`` contributions not listed,
    ``rest_share`` their share of the passage's total absolute contribution (0 to 1), and
    ``units_term`` the pooling correction (``-unit_slope * log(number of passages)``).
    """

    label: str
    name: str
    probability: float
    threshold: float
    decided: bool
    decision_value: float
    passage_index: int
    passage: str
    intercept: float
    up: tuple[Contribution, ...]
    down: tuple[Contribution, ...]
    rest: float
    n_features: int
    units_term: float = 0.0
    rest_share: float = 0.0

    @property
    def listed(self) -> list[Contribution]:
        """The features listed, strongest first whichever way they push."""
        return sorted((*self.up, *self.down), key=lambda c: -abs(c.contribution))

    def highlights(self) -> list[tuple[str, float]]:
        """The normalised passage cut into runs, each with the weight of the listed features on it.

        A feature's contribution is spread evenly over the characters it covers, so a run's sign
        says whether its words pushed this label up or down. Runs below a tenth of the strongest
        character's weight get 0.0: they are not worth a colour.
        """
        text = normalize(self.passage)
        weights = np.zeros(len(text))
        for item in (*self.up, *self.down):
            spans = [m.span() for m in item.pattern().finditer(text) if m.end() > m.start()]
            for start, end in spans:
                weights[start:end] += item.contribution / ((end - start) * len(spans))
        cutoff = 0.1 * float(np.abs(weights).max()) if len(weights) else 0.0
        signs = np.where(np.abs(weights) > cutoff, np.sign(weights), 0.0)
        runs: list[tuple[str, float]] = []
        start = 0
        for i in range(1, len(text) + 1):
            if i == len(text) or signs[i] != signs[start]:
                weight = float(weights[start:i].sum()) if signs[start] else 0.0
                runs.append((text[start:i], weight))
                start = i
        return runs

    def to_dict(self) -> dict[str, Any]:
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields["up"] = [_contribution_dict(c) for c in self.up]
        fields["down"] = [_contribution_dict(c) for c in self.down]
        return fields

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelExplanation:
        return cls(
            **{
                **data,
                "up": tuple(Contribution(**c) for c in data["up"]),
                "down": tuple(Contribution(**c) for c in data["down"]),
            }
        )


def _contribution_dict(item: Contribution) -> dict[str, Any]:
    return {
        "feature": item.feature,
        "value": item.value,
        "coef": item.coef,
        "contribution": item.contribution,
    }


@dataclass(frozen=True, slots=True)
class Explanation:
    """A paragraph, its passages, and one ``LabelExplanation`` per label of the model."""

    text: str
    passages: tuple[str, ...]
    labels: tuple[LabelExplanation, ...]

    def __getitem__(self, label: str) -> LabelExplanation:
        for item in self.labels:
            if item.label == label:
                return item
        known = ", ".join(item.label for item in self.labels)
        raise KeyError(f"no label {label!r} in this explanation; it has {known}")

    @property
    def predicted(self) -> list[str]:
        return [item.label for item in self.labels if item.decided]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; ``Explanation.from_dict`` reads it back."""
        return {
            "text": self.text,
            "passages": list(self.passages),
            "labels": [item.to_dict() for item in self.labels],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Explanation:
        return cls(
            data["text"],
            tuple(data["passages"]),
            tuple(LabelExplanation.from_dict(item) for item in data["labels"]),
        )


# Feature names by column, built once per vocabulary: a loaded model parses its vocabulary only
# when first asked, and inverting ~70,000 names for every explanation would dominate the cost.
_NAMES: weakref.WeakKeyDictionary[Tagger, tuple[dict[str, int], list[str]]] = (
    weakref.WeakKeyDictionary()
)


def _feature_names(tagger: Tagger) -> list[str]:
    vocabulary = tagger.vocabulary_
    cached = _NAMES.get(tagger)
    if cached is None or cached[0] is not vocabulary:
        names = [""] * len(vocabulary)
        for name, column in vocabulary.items():
            names[column] = name
        cached = (vocabulary, names)
        _NAMES[tagger] = cached
    return cached[1]


def explain(tagger: Tagger, text: str, top: int | None = None) -> Explanation:
    """Explain ``tagger``'s scores for one paragraph; ``Tagger.explain`` calls this.

    Per label, the features listed are the strongest ones that together carry ``COVERAGE`` of
    the passage's absolute weight, or with ``top`` the ``top`` strongest each way (up and
    down); the rest are summed.
    """
    if not isinstance(text, str):
        raise UsageError(f"text: expected one paragraph as a string, found {type(text).__name__}")
    return explain_many(tagger, [text], top=top)[0]


def explain_many(tagger: Tagger, texts: Sequence[str], top: int | None = None) -> list[Explanation]:
    """``explain`` for several paragraphs, vectorised in one batch."""
    texts = check_texts(texts)
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 0):
        raise UsageError(
            f"top: expected a number of features to list (0 or more) or None, got {top!r}"
        )
    if not hasattr(tagger, "coef_"):
        raise UsageError("this Tagger is not trained yet: call fit() or use tagger.load()")
    linear = tagger._linear()
    split = [linear.units(t) for t in texts]
    # Pooled as tagging pools (LinearModel.best_units), then the winning passages' rows are
    # taken apart: each passage's linear score is the sum of its contributions.
    scores, best = linear.best_units(texts)
    slopes = linear.unit_slopes if linear.unit_slopes is not None else np.zeros(len(tagger.labels_))
    winners = sorted({(i, int(b)) for i, row in enumerate(best) for b in row})
    row_of = {winner: k for k, winner in enumerate(winners)}
    indptr, indices, data = linear.rows([split[i][b] for i, b in winners])
    names = _feature_names(tagger)
    explanations = []
    for i, (text, parts) in enumerate(zip(texts, split, strict=True)):
        labels = []
        for j, label in enumerate(tagger.labels_):
            passage = int(best[i, j])
            row = row_of[i, passage]
            cut = slice(indptr[row], indptr[row + 1])
            columns, values = indices[cut], data[cut]
            coefs = linear.coef[j, columns]
            contributions = coefs * values
            up, down = _strongest(contributions, top)
            weight = float(np.abs(contributions).sum())
            unlisted = weight - float(np.abs(contributions[up + down]).sum())
            listed = [
                Contribution(names[columns[k]], float(values[k]), float(coefs[k]), float(c))
                for k, c in zip(up + down, contributions[up + down], strict=True)
            ]
            threshold = float(tagger.thresholds_[j])
            units_term = -float(slopes[j]) * float(np.log(len(parts)))
            decision_value = float(scores[i, j])  # pooled, the correction included
            probability = float(_sigmoid(np.array(decision_value)))
            labels.append(
                LabelExplanation(
                    label=label,
                    name=tagger.label_names_.get(label, ""),
                    probability=probability,
                    threshold=threshold,
                    decided=probability >= threshold,
                    decision_value=decision_value,
                    passage_index=passage,
                    passage=parts[passage],
                    intercept=float(linear.intercept[j]),
                    up=tuple(listed[: len(up)]),
                    down=tuple(listed[len(up) :]),
                    rest=float(contributions.sum() - contributions[up + down].sum()),
                    n_features=len(columns),
                    units_term=units_term,
                    rest_share=max(unlisted, 0.0) / weight if weight else 0.0,
                )
            )
        explanations.append(Explanation(text, tuple(parts), tuple(labels)))
    return explanations


def _strongest(contributions: NDArray[np.float64], top: int | None) -> tuple[list[int], list[int]]:
    """Positions of the contributions to list: positive ones largest first, then negative ones.

    With ``top``, the ``top`` largest each way; without, the fewest, strongest first, whose
    absolute values add up to ``COVERAGE`` of the total.
    """
    if top is None:
        strength = np.abs(contributions)
        by_strength = np.argsort(-strength, kind="stable")
        covered = np.cumsum(strength[by_strength])
        needed = int(np.searchsorted(covered, COVERAGE * covered[-1])) + 1 if len(covered) else 0
        chosen = by_strength[:needed]
        up = sorted(
            (int(k) for k in chosen if contributions[k] > 0), key=lambda k: -contributions[k]
        )
        down = sorted(
            (int(k) for k in chosen if contributions[k] < 0), key=lambda k: contributions[k]
        )
        return up, down
    order = np.argsort(-contributions, kind="stable")
    up = [int(k) for k in order[:top] if contributions[k] > 0]
    down = [int(k) for k in order[::-1][:top] if contributions[k] < 0]
    return up, down
