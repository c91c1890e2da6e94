"""Raw page text -> articles of typed blocks (body, caption, heading, byline, furniture).

Each non-blank line is typed on its own by :data:`RULES` (``tagger.page_lines``); the page's
layout (``tagger.layout``) says which line breaks are column breaks, and body lines cut there
are joined. A print page's articles start at its headings or plain-text titles; a web copy's
headline, captions, sections and tail are found by ``tagger.web_structure``. Saved HTML is
extracted first (``tagger.html_extract``). Each non-whitespace character lies in exactly one
block's span.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace

from tagger.decoding import decode_bytes, read_bytes
from tagger.errors import UsageError
from tagger.html_extract import HTML_SUFFIXES, extract_article, looks_like_html, no_article
from tagger.layout import LAYOUTS, PRINT, WEB, breaks_mid_sentence, detect_layout
from tagger.page_dates import find_published
from tagger.page_lines import (
    RULES,
    Line,
    Rule,
    classify_line,
    ends_sentence,
    mark_furniture_runs,
    split_lines,
    starts_continuation,
    title_shaped,
)
from tagger.web_structure import structure_web_page

__all__ = ["BLOCK_KINDS", "RULES", "TAGGABLE_KINDS", "Article", "Block", "Page", "Rule"]
__all__ += ["classify_line", "ends_sentence", "parse_html", "parse_page", "read_page"]

BLOCK_KINDS = ("body", "caption", "heading", "byline", "furniture")
TAGGABLE_KINDS = frozenset({"body", "caption"})


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph-like piece of a page; ``page.text[start:end]`` is its source span."""

    kind: str
    text: str
    start: int
    end: int
    level: int = 0

    @property
    def taggable(self) -> bool:
        return self.kind in TAGGABLE_KINDS


@dataclass(frozen=True, slots=True)
class Article:
    """One article: its title ("" before the first one), heading chain and blocks."""

    title: str
    headings: tuple[str, ...]
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Page:
    """A parsed page: its newline-normalised text, articles, and where it came from.

    A very large page is read in parts (see ``tagger.inputs``): a part's ``text`` starts at
    character ``offset`` of the whole page and its first block is block ``first_index``; block
    offsets stay relative to the part's own ``text``.

    ``layout`` is ``"print"`` or ``"web"`` (see ``tagger.layout``); ``published`` is the date
    the page states it was published, ISO 8601, or None.
    """

    text: str
    articles: tuple[Article, ...]
    source: str = "<string>"
    offset: int = 0
    first_index: int = 0
    layout: str = PRINT
    published: str | None = None

    def blocks(self) -> Iterator[tuple[Article, int, Block]]:
        """Every block in page order, with its article and its index within the page."""
        index = self.first_index
        for article in self.articles:
            for block in article.blocks:
                yield article, index, block
                index += 1

    def taggable(self) -> Iterator[tuple[Article, int, Block]]:
        """As :meth:`blocks`, only the blocks to tag (body and caption)."""
        return (item for item in self.blocks() if item[2].taggable)


def _followed_by_body(lines: list[Line], i: int, subtitle_allowed: bool) -> bool:
    # Bylines, and under a main title one subtitle, may come before the first paragraph.
    for nxt in lines[i + 1 : i + 6]:
        if nxt.kind == "byline":
            continue
        if nxt.kind != "body" or starts_continuation(nxt.text):
            return False
        if not title_shaped(nxt.text):
            return True
        if not subtitle_allowed:
            return False
        subtitle_allowed = False
    return False


def _detect_titles(lines: list[Line]) -> None:
    """Pages without markdown headings: short unpunctuated lines before body are titles."""
    for i, line in enumerate(lines):
        if line.kind != "body" or not title_shaped(line.text):
            continue
        prev = lines[i - 1] if i else None
        # After a body line that stops mid-sentence, a short line is the rest of that sentence.
        if prev is not None and prev.kind == "body" and not ends_sentence(prev.text):
            continue
        under_title = prev is not None and prev.kind == "heading"
        if under_title and prev is not None and prev.level > 2:
            continue
        if _followed_by_body(lines, i, subtitle_allowed=not under_title):
            line.kind, line.level = "heading", 3 if under_title else 2


def _join(parts: list[str]) -> str:
    out = [parts[0]]
    for left, right in itertools.pairwise(parts):
        # Latin words wrapped at a line end need their space back; Chinese needs none.
        if left[-1].isascii() and left[-1].isalpha() and right[0].isascii() and right[0].isalpha():
            out.append(" ")
        out.append(right)
    return "".join(out)


def _blocks(lines: list[Line], layout: str) -> list[Block]:
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        first = last = lines[i]
        if first.kind != "body":
            blocks.append(Block(first.kind, first.text, first.start, first.end, first.level))
            i += 1
            continue
        parts = [first.text]
        while (
            i + 1 < len(lines)
            and lines[i + 1].kind == "body"
            and breaks_mid_sentence(last, lines[i + 1], layout)
        ):
            i += 1
            last = lines[i]
            parts.append(last.text)
        blocks.append(Block("body", _join(parts), first.start, last.end))
        i += 1
    return blocks


def _article_level(blocks: list[Block]) -> int:
    counts = Counter(b.level for b in blocks if b.kind == "heading")
    repeated = [level for level, count in counts.items() if count > 1]
    if repeated:
        return min(repeated)
    levels = sorted(counts)
    # A lone "#" is the page's own title; the single article under it is the next level down.
    if len(levels) > 1 and levels[0] == 1:
        return levels[1]
    return levels[0] if levels else 0


def _articles(blocks: list[Block], article_level: int, web: bool) -> tuple[Article, ...]:
    """Group blocks into articles at headings of ``article_level`` or shallower.

    On a web page the site's furniture above the headline belongs to the headline's article, and
    an article without a title of its own (the lead before a page's first item) takes the
    headline's.
    """
    articles: list[Article] = []
    members: list[Block]
    chain: list[tuple[int, str]] = []  # open headings shallower than the article level
    title, members = "", []
    headings: tuple[str, ...] = ()
    settled = False  # the current article has a title or content, so a new heading ends it

    def close() -> None:
        named = title or (headings[-1] if web and headings else "")
        articles.append(Article(named, headings, tuple(members)))

    for block in blocks:
        if block.kind == "heading" and block.level <= article_level:
            if settled:
                close()
                title, members, settled = "", [], False
            if block.level < article_level:
                chain = [*(h for h in chain if h[0] < block.level), (block.level, block.text)]
                headings = tuple(text for _, text in chain)
            else:
                title, settled = block.text, True
                headings = (*(text for _, text in chain), block.text)
        elif not (web and block.kind == "furniture"):
            settled = True
        members.append(block)
    if members:
        close()
    return tuple(articles)


def parse_page(
    text: str,
    source: str = "<string>",
    *,
    offset: int = 0,
    first_index: int = 0,
    layout: str | None = None,
    title: str | None = None,
    published: str | None = None,
) -> Page:
    """Parse page text into articles and blocks. Never raises on a ``str``.

    Line endings are normalised to ``\\n`` (and a leading BOM dropped) first; block offsets
    refer to the normalised text, kept as ``Page.text``. ``layout`` (``"print"`` or ``"web"``)
    is detected when not given. ``title`` and ``published`` come from a page's metadata (HTML):
    ``title`` picks the headline among the lines, or titles the page when no line is one;
    ``published`` wins over a date found on the page.

    >>> page = parse_page("## 标题\\n\\n全县设立卡点\\n\\n396个,严防输入。")
    >>> [(b.kind, b.text) for _, _, b in page.blocks()]
    [('heading', '标题'), ('body', '全县设立卡点396个,严防输入。')]
    """
    if not isinstance(text, str):
        raise UsageError(
            f"parse_page expected the page text as str, got {type(text).__name__}; "
            "use read_page for files and bytes."
        )
    if layout is not None and layout not in LAYOUTS:
        raise UsageError(f"layout: expected one of {', '.join(LAYOUTS)}, found {layout!r}")
    text = text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")
    lines = split_lines(text)
    layout = layout or detect_layout(lines)
    has_headings = any(line.kind == "heading" for line in lines)
    if layout == WEB and not has_headings:
        structure = structure_web_page(lines, title)
        blocks = _blocks(lines, layout)
        articles = _articles(blocks, structure.article_level, web=True)
        if structure.headline is None and title and articles:
            articles = (replace(articles[0], title=title, headings=(title,)), *articles[1:])
    else:
        if not has_headings:
            _detect_titles(lines)
        mark_furniture_runs(lines, heading_ends_run=True)
        blocks = _blocks(lines, layout)
        articles = _articles(blocks, _article_level(blocks), web=False)
    return Page(
        text, articles, source, offset, first_index, layout, published or find_published(lines)
    )


def parse_html(data: bytes, source: str = "<bytes>") -> Page:
    """Parse a saved HTML page: its main article, read as a web copy (``tagger.html_extract``).

    ``Page.text`` is the extracted article text, which block offsets refer to; the title and
    date in the page's metadata are used when present. Raises ``InputError`` when the page has
    no article text: nothing was extracted, or only furniture (a redirect page's menu).
    """
    article = extract_article(data, source)
    page = parse_page(
        article.text, source, layout=WEB, title=article.title, published=article.published
    )
    if next(page.taggable(), None) is None:
        raise no_article(source)
    return page


def read_page(source: str | os.PathLike[str] | bytes | Page) -> Page:
    """Read a page from a file path, bytes, page text, or return a ``Page`` as is.

    - ``os.PathLike`` (e.g. ``pathlib.Path``): the file is read and its encoding detected; a
      ``.html`` or ``.htm`` file is read as HTML (see :func:`parse_html`).
    - ``bytes``: the contents of a page file, decoded the same way; HTML when they open as an
      HTML document does.
    - ``str``: **the page text itself, not a file name.** To read a file, pass
      ``pathlib.Path(name)``.
    - ``Page``: returned unchanged.
    """
    if isinstance(source, Page):
        return source
    if isinstance(source, str):
        return parse_page(source)
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        if looks_like_html(data):
            return parse_html(data, "<bytes>")
        return parse_page(decode_bytes(data, "<bytes>"), "<bytes>")
    if isinstance(source, os.PathLike):
        name = os.fsdecode(source)
        data = read_bytes(name)
        if os.path.splitext(name)[1].lower() in HTML_SUFFIXES:
            return parse_html(data, name)
        return parse_page(decode_bytes(data, name), name)
    raise UsageError(
        "read_page expected a pathlib.Path (a file to read), bytes (a file's contents), "
        f"str (the page text itself) or a Page; got {type(source).__name__}. "
        "To read a file named by a string, pass pathlib.Path(name)."
    )
