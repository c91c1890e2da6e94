"""Raw page text -> articles of typed blocks (body, caption, heading, byline, furniture).

Each non-blank line is typed on its own by :data:`RULES`; body lines that stop mid-sentence
(a newspaper column break) are joined with the body line after them; blocks are grouped into
articles by heading level. Each non-whitespace character lies in exactly one block's span.
"""

from __future__ import annotations

import itertools
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from tagger.decoding import decode_bytes, read_text
from tagger.errors import UsageError

__all__ = ["BLOCK_KINDS", "RULES", "TAGGABLE_KINDS", "Article", "Block", "Page", "Rule"]
__all__ += ["classify_line", "ends_sentence", "parse_page", "read_page"]

BLOCK_KINDS = ("body", "caption", "heading", "byline", "furniture")
TAGGABLE_KINDS = frozenset({"body", "caption"})


class Rule(NamedTuple):
    kind: str
    pattern: re.Pattern[str]
    reason: str
    opens_run: bool = False  # the lines after it, up to the next heading, are furniture too


# A letter that is neither ASCII nor a digit: in practice a Chinese character. Spelled as a
# negated class because an explicit range of CJK code points makes every pattern that repeats
# it take milliseconds to compile, and these patterns compile on every start.
_HAN = r"[^\W\d_a-zA-Z]"
_NAME = f"(?:{_HAN}{{2,4}}|{_HAN}{{1,6}}·{_HAN}{{1,8}})"
_NAMES = f"{_NAME}(?:[\\s、,，]+{_NAME}){{0,4}}"
_ROLE = "(?:(?:本报|本刊|本台|新华社)?(?:特约|见习|实习|首席|摄影)?记者|通讯员|实习生)"
_CREDIT_PART = f"(?:{_ROLE}[\\s:：]*)?(?:{_NAME}|摄影?|报道|供图)"
_CREDIT = f"{_ROLE}[\\s:：]*{_NAME}(?:[\\s、,，:：]+{_CREDIT_PART}){{0,8}}"
_CONTACT = "(?:邮箱|信箱|网址|公众号|群名称|群号|QQ群|邮编|传真)"
_STAFF = "(?:责任编辑|责编|版式设计|版式|美术编辑|美编|校对|编辑|制图|审校|终审)"
# Credits are short. The look-ahead also caps the work a name-list pattern can do on a long line.
_SHORT = "(?=.{1,60}$)"
# "本版联办单位:" heads a run of contact lines, sponsors' names in bold and the like.
_OPENS_RUN = frozenset({"sponsors' notice"})

# Tried in order on each stripped non-blank line; the first match types it, else it is body.
# Bylines come before captions so that a line that is only "(张三 摄)" is a credit, while a
# caption ending in such a credit is still a caption.
RULES: tuple[Rule, ...] = tuple(
    Rule(kind, re.compile(pattern), reason, reason in _OPENS_RUN)
    for kind, pattern, reason in (
        ("heading", r"^#{1,6}(?:\s|$)", "markdown heading"),
        ("furniture", r"^[*_\s]*本版(?:联办|协办|主办|承办)?单位", "sponsors' notice"),
        ("furniture", f"^(?=.{{1,80}}$).{{0,30}}?{_CONTACT}\\s*[:：]", "contact line"),
        ("furniture", f"^(?=.{{1,80}}$)[*_\\s]*(?:本版)?{_STAFF}[\\s:：]", "staff credit"),
        ("furniture", r"^(?:https?://|www\.)\S+$", "bare web address"),
        ("furniture", r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$", "bare e-mail address"),
        ("furniture", r"^\d{4}年\d{1,2}月\d{1,2}日\s*(?:星期|周)[一二三四五六日天]", "dateline"),
        ("byline", f"^{_SHORT}[□■]", "□-marked byline"),
        ("byline", f"^{_SHORT}[(（]?{_CREDIT}\\s*[)）]?$", "reporter or correspondent credit"),
        ("byline", f"^{_SHORT}[(（]{_NAMES}(?:\\s*摄影?)?[)）]$", "parenthesised name list"),
        ("byline", f"^{_SHORT}{_NAMES}\\s*摄影?$", "photographer credit"),
        # Words such as 蓝图为/试图为 contain 图为 without describing a photo.
        ("caption", r"(?<![蓝试企力意地版构草略])图为", "图为 describes a photo"),
        ("caption", r"^[上下左右]{0,2}图\s*\d*\s*[:：]", "图: photo label"),
        ("caption", r"[(（][^()（）]{0,30}(?:摄|供图|资料图片?)[)）]", "photo credit"),
        ("caption", r"[。！？!?][^。！？!?]{2,40}\s摄影?$", "photo credit after text"),
    )
)

_FINAL = frozenset("。！？；…!?;．.")
# A closing quote or bracket ends a sentence only when what it closes did.
_CLOSERS = "”’」』）)》】\"'"
# "…目标。(张刚军)": an author credit glued to the end of a finished paragraph.
_GLUED_CREDIT = re.compile(r"[(（][^()（）]{1,12}[)）]$")
# Plain-text titles: what a title never contains, ends with, and what never opens a sentence.
_NOT_IN_TITLE = frozenset("，,、；;。")
_NOT_TITLE_END = frozenset("的地得和与及或把被对从向将为是了个在“‘「『（(《【")
_CONTINUATION = frozenset("，,、。；;：:）)”’」』》】…—们")
_TITLE_MAX = 30
# Past a furniture run's start, a long finished paragraph is prose again, not furniture.
_PROSE_MIN = 40


def ends_sentence(text: str) -> bool:
    """Whether ``text`` ends a sentence (so a column break cannot fall right after it)."""
    tail = text[-64:].rstrip()
    credit = _GLUED_CREDIT.search(tail)
    if credit is not None and credit.start() > 0:
        tail = tail[: credit.start()].rstrip()
    tail = tail.rstrip(_CLOSERS)
    return bool(tail) and tail[-1] in _FINAL


def classify_line(line: str) -> tuple[str, str]:
    """The kind the rules give one line on its own, and why: ``("byline", "□-marked byline")``.

    Context can still change a kind in :func:`parse_page` (furniture runs, plain-text titles).
    """
    rule = _match(line.strip())
    return (rule.kind, rule.reason) if rule is not None else ("body", "no rule matched")


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
    """

    text: str
    articles: tuple[Article, ...]
    source: str = "<string>"
    offset: int = 0
    first_index: int = 0

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


@dataclass(slots=True)
class _Line:
    start: int
    end: int
    text: str
    kind: str
    level: int = 0
    opens_run: bool = False


def _match(stripped: str) -> Rule | None:
    return next((rule for rule in RULES if rule.pattern.search(stripped)), None)


def _lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            start = pos + len(raw) - len(raw.lstrip())
            line = _Line(start, start + len(stripped), stripped, "body")
            rule = _match(stripped)
            if rule is not None:
                line.kind, line.opens_run = rule.kind, rule.opens_run
                if rule.kind == "heading":
                    line.level = len(stripped) - len(stripped.lstrip("#"))
                    line.text = stripped[line.level :].strip()
            lines.append(line)
        pos += len(raw) + 1
    return lines


def _title_shaped(text: str) -> bool:
    return (
        2 <= len(text) <= _TITLE_MAX
        and text[-1] not in _NOT_TITLE_END
        and text[0] not in _CONTINUATION
        and _NOT_IN_TITLE.isdisjoint(text)
        and not ends_sentence(text)
    )


def _followed_by_body(lines: list[_Line], i: int, subtitle_allowed: bool) -> bool:
    # Bylines, and under a main title one subtitle, may come before the first paragraph.
    for nxt in lines[i + 1 : i + 6]:
        if nxt.kind == "byline":
            continue
        if nxt.kind != "body" or nxt.text[0] in _CONTINUATION:
            return False
        if not _title_shaped(nxt.text):
            return True
        if not subtitle_allowed:
            return False
        subtitle_allowed = False
    return False


def _detect_titles(lines: list[_Line]) -> None:
    """Pages without markdown headings: short unpunctuated lines before body are titles."""
    for i, line in enumerate(lines):
        if line.kind != "body" or not _title_shaped(line.text):
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


def _mark_furniture_runs(lines: list[_Line]) -> None:
    in_run = False
    for line in lines:
        if line.kind == "heading":
            in_run = False
        elif line.opens_run:
            in_run = True
        elif in_run:
            if line.kind == "body" and len(line.text) >= _PROSE_MIN and ends_sentence(line.text):
                in_run = False
            else:
                line.kind = "furniture"


def _join(parts: list[str]) -> str:
    out = [parts[0]]
    for left, right in itertools.pairwise(parts):
        # Latin words wrapped at a line end need their space back; Chinese needs none.
        if left[-1].isascii() and left[-1].isalpha() and right[0].isascii() and right[0].isalpha():
            out.append(" ")
        out.append(right)
    return "".join(out)


def _blocks(lines: list[_Line]) -> list[Block]:
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        first = last = lines[i]
        if first.kind != "body":
            blocks.append(Block(first.kind, first.text, first.start, first.end, first.level))
            i += 1
            continue
        parts = [first.text]
        while i + 1 < len(lines) and lines[i + 1].kind == "body" and not ends_sentence(last.text):
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


def _articles(blocks: list[Block]) -> tuple[Article, ...]:
    article_level = _article_level(blocks)
    articles: list[Article] = []
    members: list[Block]
    chain: list[tuple[int, str]] = []  # open headings shallower than the article level
    title, members = "", []
    headings: tuple[str, ...] = ()
    settled = False  # the current article has a title or content, so a new heading ends it
    for block in blocks:
        if block.kind == "heading" and block.level <= article_level:
            if settled:
                articles.append(Article(title, headings, tuple(members)))
                title, members, settled = "", [], False
            if block.level < article_level:
                chain = [*(h for h in chain if h[0] < block.level), (block.level, block.text)]
                headings = tuple(text for _, text in chain)
            else:
                title, settled = block.text, True
                headings = (*(text for _, text in chain), block.text)
        else:
            settled = True
        members.append(block)
    if members:
        articles.append(Article(title, headings, tuple(members)))
    return tuple(articles)


def parse_page(
    text: str, source: str = "<string>", *, offset: int = 0, first_index: int = 0
) -> Page:
    """Parse page text into articles and blocks. Never raises on a ``str``.

    Line endings are normalised to ``\\n`` (and a leading BOM dropped) first; block offsets
    refer to the normalised text, kept as ``Page.text``.

    >>> page = parse_page("## 标题\\n\\n全县设立卡点\\n\\n396个,严防输入。")
    >>> [(b.kind, b.text) for _, _, b in page.blocks()]
    [('heading', '标题'), ('body', '全县设立卡点396个,严防输入。')]
    """
    if not isinstance(text, str):
        raise UsageError(
            f"parse_page expected the page text as str, got {type(text).__name__}; "
            "use read_page for files and bytes."
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")
    lines = _lines(text)
    if not any(line.kind == "heading" for line in lines):
        _detect_titles(lines)
    _mark_furniture_runs(lines)
    return Page(text, _articles(_blocks(lines)), source, offset, first_index)


def read_page(source: str | os.PathLike[str] | bytes | Page) -> Page:
    """Read a page from a file path, bytes, page text, or return a ``Page`` as is.

    - ``os.PathLike`` (e.g. ``pathlib.Path``): the file is read and its encoding detected.
    - ``bytes``: the contents of a page file, decoded the same way.
    - ``str``: **the page text itself, not a file name.** To read a file, pass
      ``pathlib.Path(name)``.
    - ``Page``: returned unchanged.
    """
    if isinstance(source, Page):
        return source
    if isinstance(source, str):
        return parse_page(source)
    if isinstance(source, (bytes, bytearray)):
        return parse_page(decode_bytes(bytes(source), "<bytes>"), "<bytes>")
    if isinstance(source, os.PathLike):
        name = os.fsdecode(source)
        return parse_page(read_text(name), name)
    raise UsageError(
        "read_page expected a pathlib.Path (a file to read), bytes (a file's contents), "
        f"str (the page text itself) or a Page; got {type(source).__name__}. "
        "To read a file named by a string, pass pathlib.Path(name)."
    )
