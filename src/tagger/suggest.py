"""Which unlabelled paragraphs to label next: the ones the model is least sure about.

A paragraph is informative when its score sits close to a label's threshold, because a human
answer there moves that label's decision boundary. Closeness is measured on the logit scale,
``|logit(p) - logit(threshold)|``, where a step means the same change in evidence anywhere on
the scale; on the probability scale the same step shrinks near 0 and 1. The ``diverse``
strategy also spreads the picks over labels and source files and refuses near-duplicates, so
an annotator's hour is not spent on fifty copies of one wire story.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tagger.dataset import Example, read_examples
from tagger.errors import UsageError
from tagger.inputs import Skipped, read_pages
from tagger.text import normalize

if TYPE_CHECKING:
    from tagger.model import Tagger

STRATEGIES = ("uncertainty", "diverse")
NEAR_DUPLICATE = 0.7  # character 5-gram Jaccard at or above this counts as the same paragraph
SHINGLE = 5
_BATCH = 4096  # paragraphs scored per numpy call, as in tagging
_POOL_PER_PICK = 20  # diverse picks from this many times n of the most uncertain paragraphs
_EDGE = 1e-12  # keeps logit(threshold) finite for a threshold tuned to 0 or 1


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One paragraph worth labelling, the model's verdict on it, and where it came from."""

    text: str
    labels: list[str]
    scores: dict[str, float]
    thresholds: dict[str, float]
    model_version: str
    source: str
    article: str
    block: int
    start: int
    end: int
    margin: float  # min over labels of |logit(score) - logit(threshold)|; small = informative
    focus: str  # the label whose threshold the score is closest to

    @property
    def confidence(self) -> float:
        """The margin mapped to [0, 1): 0 on a threshold, towards 1 far from every threshold."""
        return math.tanh(self.margin / 2)


def model_version(directory: str | os.PathLike[str] | None = None) -> str:
    """The sha256 of a model's ``manifest.json`` (the bundled model by default).

    The manifest holds the hash of every other model file, so this one hash names the model.
    """
    from tagger.store import MANIFEST, bundled_model_dir, read_manifest, sha256_file

    root = Path(directory) if directory is not None else bundled_model_dir()
    read_manifest(root)  # a missing or damaged model fails here with the store's own message
    return sha256_file(root / MANIFEST)


def suggest(
    paths: Sequence[str],
    model: str | os.PathLike[str] | None = None,
    *,
    n: int = 50,
    strategy: str = "uncertainty",
    labelled_dir: str | os.PathLike[str] | None = "data/labels",
    exclude_texts: Iterable[str] | None = None,
    on_skip: Callable[[Skipped], None] | None = None,
) -> list[Suggestion]:
    """Pick the ``n`` paragraphs of the pages under ``paths`` most worth labelling next.

    ``model`` is a model directory (None: the bundled model). Paragraphs whose normalised text
    is already in ``labelled_dir`` (any ``*.jsonl`` there) or in ``exclude_texts`` are never
    suggested, and a paragraph repeated across pages is suggested once. An input that cannot
    be read is passed to ``on_skip`` and the rest are still read. ``uncertainty`` returns the
    most informative first; ``diverse`` returns its picks in the order it made them.
    """
    if strategy not in STRATEGIES:
        raise UsageError(f"strategy: expected one of {', '.join(STRATEGIES)}, found {strategy!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise UsageError(f"n: expected a whole number of suggestions >= 1, found {n!r}")
    if model is not None and not isinstance(model, str | os.PathLike):
        raise UsageError(
            f"model: expected a model directory, found {type(model).__name__}; save the "
            "model first (tagger.train(..., output) or Tagger.save) so suggestions can name it"
        )
    from tagger.store import load

    version = model_version(model)
    tagger = load(model)
    seen = set(read_labelled(labelled_dir)) if labelled_dir is not None else set()
    seen.update(normalize(text) for text in exclude_texts or ())
    keep = n if strategy == "uncertainty" else n * _POOL_PER_PICK
    pool = _most_uncertain(_score(tagger, _paragraphs(paths, seen, on_skip), version), keep)
    if strategy == "uncertainty":
        return pool[:n]
    return spread(pool, n, tagger.labels_)


def read_labelled(
    directory: str | os.PathLike[str] | None, *, skip: Sequence[Path] = ()
) -> dict[str, Example]:
    """Paragraphs labelled already, by normalised text (first wins); none if no directory.

    Lenient: a line the dataset loader would refuse is left out here, since training will
    report it anyway. Files in ``skip`` are not read.
    """
    if directory is None or not Path(directory).is_dir():
        return {}
    skipped = {p.resolve() for p in skip}
    found: dict[str, Example] = {}
    for path in sorted(Path(directory).glob("*.jsonl")):
        if path.resolve() not in skipped:
            for example in read_examples(path, None)[0]:
                found.setdefault(normalize(example.text), example)
    return found


Paragraph = tuple[str, str, int, int, int, str]  # source, article, block, start, end, text


def _paragraphs(
    paths: Sequence[str], seen: set[str], on_skip: Callable[[Skipped], None] | None
) -> Iterator[Paragraph]:
    """Every taggable paragraph not labelled yet, first occurrence only, in page order."""
    for page in read_pages(paths):
        if isinstance(page, Skipped):
            if on_skip is not None:
                on_skip(page)
            continue
        for article, index, block in page.taggable():
            key = normalize(block.text)
            if key and key not in seen:
                seen.add(key)
                yield page.source, article.title, index, block.start, block.end, block.text


def _score(tagger: Tagger, paragraphs: Iterator[Paragraph], version: str) -> Iterator[Suggestion]:
    labels = tagger.labels_
    thresholds = np.clip(np.asarray(tagger.thresholds_, dtype=np.float64), _EDGE, 1 - _EDGE)
    cuts = np.log(thresholds / (1 - thresholds))
    by_label = dict(zip(labels, map(float, tagger.thresholds_), strict=True))
    while batch := list(itertools.islice(paragraphs, _BATCH)):
        # Decision values are logits already: p = sigmoid(value), so no round trip through p.
        values = tagger.decision_function([p[5] for p in batch])
        distance = np.abs(values - cuts)
        probabilities = 0.5 * (1.0 + np.tanh(0.5 * values))  # as Tagger.predict_proba
        decided = probabilities >= tagger.thresholds_  # as Tagger.predict and tagger tag
        for (source, article, block, start, end, text), row, near, prob in zip(
            batch, decided, distance, probabilities, strict=True
        ):
            j = int(np.argmin(near))
            yield Suggestion(
                text=text,
                labels=[lb for lb, on in zip(labels, row, strict=True) if on],
                scores={lb: round(float(p), 4) for lb, p in zip(labels, prob, strict=True)},
                thresholds=by_label,
                model_version=version,
                source=source,
                article=article,
                block=block,
                start=start,
                end=end,
                margin=float(near[j]),
                focus=labels[j],
            )


def _most_uncertain(suggestions: Iterator[Suggestion], keep: int) -> list[Suggestion]:
    """The ``keep`` smallest margins, smallest first; ties go to the earlier paragraph.

    A bounded heap, so memory holds ``keep`` suggestions however many pages are read.
    """
    heap: list[tuple[float, int, Suggestion]] = []
    for order, suggestion in enumerate(suggestions):
        item = (-suggestion.margin, -order, suggestion)
        if len(heap) < keep:
            heapq.heappush(heap, item)
        elif item[:2] > heap[0][:2]:
            heapq.heapreplace(heap, item)
    return [s for _, _, s in sorted(heap, key=lambda item: (-item[0], -item[1]))]


def shingles(text: str) -> frozenset[str]:
    """The character 5-grams of the normalised text (the whole text if it is shorter)."""
    key = normalize(text)
    if len(key) <= SHINGLE:
        return frozenset({key})
    return frozenset(key[i : i + SHINGLE] for i in range(len(key) - SHINGLE + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def spread(pool: Sequence[Suggestion], n: int, labels: Sequence[str]) -> list[Suggestion]:
    """Up to ``n`` of ``pool`` (most uncertain first): labels in turn, sources evened out.

    Each round visits the labels in order; a label contributes its most uncertain remaining
    paragraph from the source used least so far. A paragraph that is a near-duplicate of one
    already chosen is dropped. Fewer than ``n`` come back when the pool runs out.
    """
    queues: dict[str, list[Suggestion]] = {label: [] for label in labels}
    for suggestion in pool:
        queues.setdefault(suggestion.focus, []).append(suggestion)
    chosen: list[Suggestion] = []
    chosen_shingles: list[frozenset[str]] = []
    per_source: Counter[str] = Counter()
    while len(chosen) < n and any(queues.values()):
        for queue in queues.values():
            while queue and len(chosen) < n:
                fewest = min(per_source[s.source] for s in queue)
                pick = queue.pop(
                    next(i for i, s in enumerate(queue) if per_source[s.source] == fewest)
                )
                grams = shingles(pick.text)
                if any(jaccard(grams, other) >= NEAR_DUPLICATE for other in chosen_shingles):
                    continue  # a near-copy of a chosen paragraph: try this label's next one
                chosen.append(pick)
                chosen_shingles.append(grams)
                per_source[pick.source] += 1
                break
    return chosen
