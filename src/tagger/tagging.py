"""From a page to one result per block: the records that ``tagger tag`` writes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from tagger.page import Page, read_page

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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def tag_page(tagger: Tagger, page: Page | str, *, all_blocks: bool = False) -> list[TaggedBlock]:
    """Tag the body paragraphs and captions of ``page``; with ``all_blocks`` keep the rest too."""
    page = read_page(page)
    chosen = list(page.blocks() if all_blocks else page.taggable())
    taggable = [block.text for _, _, block in chosen if block.taggable]
    probabilities = tagger.predict_proba(taggable) if taggable else None
    results = []
    row = 0
    for article, index, block in chosen:
        labels: list[str] = []
        scores: dict[str, float] = {}
        if block.taggable and probabilities is not None:
            scores = {
                lb: round(float(p), 4)
                for lb, p in zip(tagger.labels_, probabilities[row], strict=True)
            }
            labels = [
                lb
                for lb, p, t in zip(
                    tagger.labels_, probabilities[row], tagger.thresholds_, strict=True
                )
                if p >= t
            ]
            row += 1
        results.append(
            TaggedBlock(
                page.source,
                article.title,
                index,
                block.kind,
                block.start,
                block.end,
                block.text,
                labels,
                scores,
            )
        )
    return results
