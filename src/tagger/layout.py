"""Print or web layout: how a page breaks its lines, and so which line breaks are column breaks.

A print page (a newspaper page typed or converted to text, like the seed page) separates
paragraphs with blank lines and breaks lines where a column ended, often mid-sentence. A web
copy (text copied from a news site, or extracted from its HTML) has one paragraph per line and
no blank lines; its headline, site name, dateline and source lines have no final punctuation,
yet they are not cut sentences. A web copy may still carry a few wrapped lines (a paragraph
pasted from a PDF): those are joined too, when they look like cut prose.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from tagger.page_lines import Line, ends_sentence, starts_continuation, title_shaped

__all__ = ["LAYOUTS", "PRINT", "WEB", "breaks_mid_sentence", "detect_layout"]

PRINT, WEB = "print", "web"
LAYOUTS = (PRINT, WEB)

_LONG = 16
# Paragraphs are marked by blank lines when this share of line breaks has one, and by indents
# when some body lines are indented and others (wrapped continuations, titles) are not.
_BLANK_SHARE = 0.3
_INDENTED_MIN, _INDENTED_MAX = 0.1, 0.9
# A web page's date or source line sits within its first few lines.
_HEADER_LINES = 8
# A list item never continues the line above it, whatever that line ends with.
_LIST_ITEM = re.compile(
    r"^(?:[一二三四五六七八九十百]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|\d{1,3}[、.．](?!\d)"
    r"|[①-⑳]|第[一二三四五六七八九十\d]+[条项步章])"
)
# What a line cut at a column break often ends with, and a title never does.
_OPEN_END = frozenset("，,、的地得和与及或把被对从向将为是了在“‘「『（(《【")


def _prose_cut(line: Line, after: Line) -> bool:
    """A body line that is prose, not a title, and stops before its sentence ends."""
    return (
        line.kind == "body"
        and after.kind == "body"
        and not ends_sentence(line.text)
        and not title_shaped(line.text)
    )


def detect_layout(lines: Sequence[Line]) -> str:
    """``"print"`` or ``"web"`` for a page's typed lines (see the module's doc).

    Markdown headings mark a page written or converted by hand: print. So does a page that
    marks its paragraphs with blank lines or indents (a wrapped page has to), unless it breaks
    no prose mid-sentence and shows a web page's parts: a date or source line near the top, or
    lines only a web page has (site name, breadcrumb, share bar, related links).
    A page with neither blank lines nor indents can only mark paragraphs by line ends: web,
    whose few wrapped lines, if any, are joined as cut prose.
    """
    if len(lines) < 2 or any(line.kind == "heading" for line in lines):
        return PRINT
    pairs = list(itertools.pairwise(lines))
    cuts = sum(1 for a, b in pairs if len(a.text) >= _LONG and _prose_cut(a, b))
    body = [line for line in lines if line.kind == "body"]
    indented = sum(line.indented for line in body) / len(body) if body else 0.0
    marked = (
        sum(b.blank_before for _, b in pairs) / len(pairs) >= _BLANK_SHARE
        or _INDENTED_MIN <= indented <= _INDENTED_MAX
    )
    web_parts = any(line.meta for line in lines[:_HEADER_LINES]) or any(
        line.rule is not None and line.rule.web for line in lines
    )
    return PRINT if marked and (cuts or not web_parts) else WEB


def breaks_mid_sentence(line: Line, after: Line, layout: str) -> bool:
    """Whether ``after`` continues the sentence ``line`` left unfinished (both body lines).

    On a print page any unfinished line is continued by the next body line. On a web copy only
    cut prose is: a long or punctuated line that does not end a sentence, or one followed by a
    line that can only be the middle of a sentence. A line ending in a colon introduces what
    follows, and a list item starts afresh.
    """
    if ends_sentence(line.text):
        return False
    if layout == PRINT:
        return True
    if starts_continuation(after.text):
        return True
    if line.text[-1] in "：:" or _LIST_ITEM.match(after.text):
        return False
    return not title_shaped(line.text) and (len(line.text) >= _LONG or line.text[-1] in _OPEN_END)
