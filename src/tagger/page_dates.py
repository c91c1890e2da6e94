"""The date a page was published, from the date lines written on it, as ISO 8601 (2022-03-05)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from tagger.page_lines import DATE, Line

__all__ = ["find_published", "iso_date"]

_DATE = re.compile(DATE)
_PARTS = re.compile(r"\d+")
# A page's own publication date is labelled so; other dates on a meta line may be an event's.
_LABELLED = re.compile(
    rf"(?:发布|发表|更新)(?:时间|日期|于)?\s*[:：]?\s*{DATE}|^\s*(?:时间|日期)\s*[:：]\s*{DATE}"
)


def iso_date(text: str) -> str | None:
    """The first real calendar date written in ``text`` with its year, as ISO 8601, or None.

    >>> iso_date("发布时间：2022年3月5日 10:23")
    '2022-03-05'
    """
    for found in _DATE.finditer(text):
        year, month, day = (int(part) for part in _PARTS.findall(found.group())[:3])
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            continue  # 2022-13-45 is no date: look further along the line
    return None


def find_published(lines: Sequence[Line]) -> str | None:
    """The publication date of a page: from a labelled date line (发布时间：…) if there is one,
    else from the first date, dateline or source line; None when the page states no date.

    Dates inside paragraphs are an event's, not the page's, and are never used.
    """
    meta = [line for line in lines if line.meta and line.kind != "body"]
    for line in meta:
        labelled = _LABELLED.search(line.text)
        if labelled is not None and (date := iso_date(labelled.group())) is not None:
            return date
    return next((date for line in meta if (date := iso_date(line.text)) is not None), None)
