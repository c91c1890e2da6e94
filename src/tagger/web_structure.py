"""The parts of a web copy: headline, sub-headline, lead and body, captions, sections, tail.

Works on the lines of a page typed by the rule table (``tagger.page_lines``) and changes kinds
and heading levels where context decides them:

- **header**: the headline is the title-like line right above the last date, source or author
  line before the first paragraph of prose, else the last one above that paragraph; when the
  page's metadata gives a title (HTML), the line that matches it. Title-like lines above the
  headline are the site's name, channel and breadcrumbs: furniture. Title-like lines between
  the headline and the first paragraph are sub-headlines.
- **captions**: the line right under an image file name or image marker.
- **signature**: a notice's issuer, on the line above its closing date, is a byline.
- **sections**: in the body, a short unpunctuated line followed by prose is a section heading
  (numbered or not) of the same article, except on a digest (a headline such as 疫情防控简讯
  over two or more items titled like ``【城关镇】…`` or ``城关镇：…``), where each item is an
  article of its own.
- **tail**: from "相关推荐", "猜你喜欢" and the like below the first paragraph to the end,
  everything is furniture but a long finished paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tagger.layout import WEB, breaks_mid_sentence
from tagger.page_lines import (
    Line,
    ends_sentence,
    mark_furniture_runs,
    starts_continuation,
    title_shaped,
)

__all__ = ["HEADLINE_LEVEL", "ITEM_LEVEL", "SECTION_LEVEL", "WebStructure", "structure_web_page"]

HEADLINE_LEVEL, ITEM_LEVEL, SECTION_LEVEL = 1, 2, 3
_HEADLINE_MAX = 50
_EXCLAIMED_MAX = 30
_HINT_MIN = 6
_CAPTION_MAX = 60
_IMAGE_REASONS = frozenset({"image file name", "markdown image", "image marker"})
_ITEM = re.compile(r"^(?:【[^】]{1,12}】|[^\s:：，。、]{2,10}[:：])\S")
# Only a digest's headline says so; elsewhere "强化领导：压实责任" lines are sections.
_DIGEST = re.compile(r"简讯|快讯|速览|速递|动态|集锦|短讯|简报|播报|一览|汇总|综述|扫描|要闻")
_HEADLINE_MIN = 5
_DASH = ("—", "-", "－")
# A headline never ends mid-phrase, nor with a colon (that introduces what follows).
_NOT_HEADLINE_END = frozenset("的地得和与及或把被对从向将为是了在“‘「『（(《【，,、：:")
# "一、" "（二）" "3." before a section title: its 、 or dot is no sentence punctuation.
_NUMBER = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|\d{1,2}[.、．])"
)


@dataclass(frozen=True, slots=True)
class WebStructure:
    """What the header search found: the headline's line index (or None) and the article level.

    ``article_level`` is the heading level that starts an article: 1 (the headline) on a page
    with one article, 2 on a page of several short items.
    """

    headline: int | None
    article_level: int


def _headline_shaped(text: str) -> bool:
    # Headlines may carry commas ("某县：坚持三个到位，打好阻击战"), unlike plain-text titles,
    # and a short one may end in an exclamation or question ("战疫一线，他们逆行而上！").
    exclaims = len(text) <= _EXCLAIMED_MAX and text[-1] in "！？!?"
    return (
        2 <= len(text) <= _HEADLINE_MAX
        and "。" not in text
        and text[-1] not in _NOT_HEADLINE_END
        and (exclaims or not ends_sentence(text))
        and not starts_continuation(text)
    )


def _normalised(text: str) -> str:
    return "".join(text.split())


def _is_prose(line: Line) -> bool:
    return line.kind == "body" and not _headline_shaped(line.text)


def _followed_by_prose(lines: Sequence[Line], i: int) -> bool:
    for nxt in lines[i + 1 : i + 4]:
        if nxt.kind in ("byline", "caption") or nxt.meta:
            continue
        return _is_prose(nxt) and not starts_continuation(nxt.text)
    return False


def _item_headings(lines: Sequence[Line]) -> list[int]:
    return [
        i
        for i, line in enumerate(lines)
        if line.kind == "body"
        and _headline_shaped(line.text)
        and _ITEM.match(line.text)
        and _followed_by_prose(lines, i)
    ]


def _matches_hint(text: str, hint: str) -> bool:
    # The page's title may add a place or a kicker to the headline line, or leave one out.
    line, title = _normalised(text), _normalised(hint)
    return line == title or (len(line) >= _HINT_MIN and (line in title or title in line))


def _find_headline(lines: Sequence[Line], end: int, hint: str | None) -> int | None:
    candidates = [
        i
        for i in range(end)
        if lines[i].kind == "body"
        and _headline_shaped(lines[i].text)
        and not lines[i].text.startswith(_DASH)  # a sub-headline
        and not _under_image(lines, i)
    ]
    if hint:
        matching = [i for i in candidates if _matches_hint(lines[i].text, hint)]
        if matching:
            return matching[0]
    # The meta line nearest the article: a site's own date bar may sit above its name.
    metas = [i for i in range(end) if lines[i].meta]
    for stop in ([metas[-1]] if metas else []) + [end]:
        above = [i for i in candidates if i < stop]
        # Channel names (时政要闻) are shorter than headlines.
        long_enough = [i for i in above if len(lines[i].text) >= _HEADLINE_MIN]
        if long_enough or above:
            return (long_enough or above)[-1]
    return None


def _under_image(lines: Sequence[Line], i: int) -> bool:
    rule = lines[i - 1].rule if i else None
    return rule is not None and rule.reason in _IMAGE_REASONS and len(lines[i].text) <= _CAPTION_MAX


def _type_header(lines: Sequence[Line], headline: int | None, end: int, sub_level: int) -> None:
    for i in range(end):
        line = lines[i]
        if line.kind != "body":
            continue
        if _under_image(lines, i):
            line.kind = "caption"
        elif headline is None or i > headline:
            if _headline_shaped(line.text):
                line.kind, line.level = "heading", sub_level
        elif i == headline:
            line.kind, line.level = "heading", HEADLINE_LEVEL
        else:
            line.kind = "furniture"  # site name, channel, breadcrumb above the headline


def _type_body(lines: Sequence[Line], start: int, items: set[int]) -> None:
    for i in range(start, len(lines)):
        line, prev = lines[i], lines[i - 1] if i else None
        if line.kind != "body":
            continue
        if _under_image(lines, i):
            line.kind = "caption"
            continue
        if i in items:
            line.kind, line.level = "heading", ITEM_LEVEL
            continue
        # After prose cut mid-sentence, a short line is the rest of that sentence.
        cut = prev is not None and prev.kind == "body" and breaks_mid_sentence(prev, line, WEB)
        titled = title_shaped(_NUMBER.sub("", line.text))
        if not cut and titled and _followed_by_prose(lines, i):
            line.kind, line.level = "heading", SECTION_LEVEL
        elif titled and _signs(lines, i):
            line.kind = "byline"


def _signs(lines: Sequence[Line], i: int) -> bool:
    """A notice's signature: an issuer's name, then only its date and furniture to the end."""
    date = lines[i + 1] if i + 1 < len(lines) else None
    return (
        date is not None
        and date.rule is not None
        and date.rule.reason == "date line"
        and all(lines[j].kind == "furniture" for j in range(i + 2, len(lines)))
    )


def structure_web_page(lines: Sequence[Line], title_hint: str | None = None) -> WebStructure:
    """Type a web copy's header, captions, sections and tail in place (see the module's doc)."""
    lead = next((i for i, line in enumerate(lines) if _is_prose(line)), len(lines))
    # Above the first paragraph, "相关推荐" heads a sidebar, not the page's tail.
    mark_furniture_runs(lines[lead:], heading_ends_run=False)
    items = _item_headings(lines)
    several = False
    if len(items) >= 2:
        # Items start before the first paragraph: the headline is above the first of them.
        end = min(lead, items[0])
        headline = _find_headline(lines, end, title_hint)
        several = headline is not None and _DIGEST.search(lines[headline].text) is not None
    if not several:
        end = lead
        headline = _find_headline(lines, end, title_hint)
    article_level = ITEM_LEVEL if several else HEADLINE_LEVEL
    _type_header(lines, headline, end, article_level + 1)
    _type_body(lines, end, set(items) if several else set())
    return WebStructure(headline, article_level)
