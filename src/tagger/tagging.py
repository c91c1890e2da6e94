"""From a page to one result per block: the records that ``tagger tag`` writes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tagger.page import Article, Block, Page, read_page

if TYPE_CHECKING:
    from tagger.model import Tagger


@dataclass(frozen=True, slots=True)
class TaggedBlock:
    """One block of a page with the model's verdict (untagged kinds carry no labels or scores)."""

    source: str
    article: str
    index: int
    kind: str
    start: int
    end: int
    text: str
    labels: list[str]
    scores: dict[str, float]
    published: str | None = None  # the date the page states it was published, ISO 8601

    def to_dict(self) -> dict[str, Any]:
        # Spelled out: dataclasses.asdict deep-copies every field and was a fifth of tag time.
        return {
            "source": self.source,
            "article": self.article,
            "published": self.published,
            "index": self.index,
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "labels": list(self.labels),
            "scores": dict(self.scores),
        }


def tag_page(tagger: Tagger, page: Page | str, *, all_blocks: bool = False) -> list[TaggedBlock]:
    """Tag the body paragraphs and captions of ``page``; with ``all_blocks`` keep the rest too."""
    return next(tag_pages(tagger, [read_page(page)], all_blocks=all_blocks))


def tag_pages(
    tagger: Tagger, pages: Iterable[Page], *, all_blocks: bool = False, batch_blocks: int = 4096
) -> Iterator[list[TaggedBlock]]:
    """Yield each page's results in order, scoring many small pages in one numpy batch.

    Pages are taken lazily and released once written, so memory holds one batch at a time.
    """
    batch: list[tuple[Page, list[tuple[Article, int, Block]]]] = []
    waiting = 0
    for page in pages:
        chosen = list(page.blocks() if all_blocks else page.taggable())
        batch.append((page, chosen))
        waiting += len(chosen)
        if waiting >= batch_blocks:
            yield from _score(tagger, batch)
            batch, waiting = [], 0
    if batch:
        yield from _score(tagger, batch)


def _score(
    tagger: Tagger, batch: list[tuple[Page, list[tuple[Article, int, Block]]]]
) -> Iterator[list[TaggedBlock]]:
    texts = [block.text for _, chosen in batch for _, _, block in chosen if block.taggable]
    probabilities = tagger.predict_proba(texts)
    decided = probabilities >= tagger.thresholds_
    labels = tagger.labels_
    row = 0
    for page, chosen in batch:
        results = []
        for article, index, block in chosen:
            scores: dict[str, float] = {}
            found: list[str] = []
            if block.taggable:
                scores = {
                    lb: round(float(p), 4) for lb, p in zip(labels, probabilities[row], strict=True)
                }
                found = [lb for lb, on in zip(labels, decided[row], strict=True) if on]
                row += 1
            results.append(
                TaggedBlock(
                    page.source,
                    article.title,
                    index,
                    block.kind,
                    page.offset + block.start,
                    page.offset + block.end,
                    block.text,
                    found,
                    scores,
                    page.published,
                )
            )
        yield results
