"""A saved HTML page -> its main article's text, title and date, extracted with trafilatura.

trafilatura (imported only when an HTML page is read: it takes a third of a second) drops the
page's navigation, scripts, styles and comments and keeps the article, one paragraph per line,
with each image as a Markdown image line (``![alt](src)``) so that the caption under it can be
recognised. What it keeps is the page text that offsets refer to; the page reader then types
the furniture it kept (source lines, editors, share bars, related links).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tagger.decoding import decode_bytes
from tagger.errors import InputError
from tagger.page_dates import iso_date

if TYPE_CHECKING:
    from configparser import ConfigParser

__all__ = ["HTML_SUFFIXES", "Extracted", "decode_html", "extract_article", "looks_like_html"]
__all__ += ["headline_of", "no_article"]

HTML_SUFFIXES = frozenset({".html", ".htm"})

_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head)\b", re.I | re.S
)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# A declared charset is believed only for the multi-byte Chinese encodings: pages that declare
# a Western one (ISO-8859-1, windows-1252) are nearly always mislabelled GBK or UTF-8, and any
# bytes decode as those, so the declaration could not be checked.
# (UTF-8 needs no declaration: valid UTF-8 is read as such first.)
_TRUSTED = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "big5": "big5hkscs"}
_TRUSTED |= {"big5hkscs": "big5hkscs"}
# "标题_青禾县融媒体中心", "标题 - 云岭日报", "标题|某某网": a page title ends with the site's name.
_SITE_SUFFIX = re.compile(r"\s*(?:_|\s[-–—－]\s|[|｜])\s*[^_|｜]{1,20}$")
_HEADLINE_MIN = 4


@dataclass(frozen=True, slots=True)
class Extracted:
    """The article text of an HTML page, and its title and ISO date from the page's metadata."""

    text: str
    title: str | None
    published: str | None


def looks_like_html(data: bytes) -> bool:
    """Whether page bytes are an HTML document: they open with a doctype, <html> or <head>."""
    return _HTML_START.match(data[:4096]) is not None


def _declared(data: bytes) -> str | None:
    found = _META_CHARSET.search(data[:8192])
    if found is None:
        return None
    try:
        name = codecs.lookup(found.group(1).decode("ascii")).name
    except LookupError:
        return None
    return _TRUSTED.get(name.replace("_", "-"))


def _decoded(data: bytes, encoding: str) -> str | None:
    """The bytes decoded, or None when they are not valid in ``encoding``."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def decode_html(data: bytes, name: str) -> str:
    """Decode HTML bytes: a byte-order mark or valid UTF-8 first, then the ``<meta charset>``
    (GBK and GB2312 are read as GB18030, their superset), else detection as for text pages.
    """
    text = None
    if not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decoded(data, "utf-8")
        declared = _declared(data) if text is None else None
        if declared is not None:
            text = _decoded(data, declared)  # None when mislabelled: then detection decides
    return decode_bytes(data, name) if text is None else text


def _config() -> ConfigParser:
    from trafilatura.settings import use_config

    config = use_config()
    # trafilatura falls back to coarser extractors (which keep comments and drop images) when
    # the main text is shorter than 250 characters, a limit set for alphabetic text; a short
    # Chinese article of two paragraphs says as much in 100.
    config.set("DEFAULT", "min_extracted_size", "100")
    # Date from the page's metadata (meta tags, <time>, structured data), not guessed from its
    # text: dates written in the text are read by the page reader, from its date lines.
    config.set("DEFAULT", "extensive_date_search", "off")
    return config


def headline_of(title: str) -> str:
    """A page title without the site's name after it: the article's headline.

    >>> headline_of("柳湾镇党员志愿者守好村口_青禾县融媒体中心")
    '柳湾镇党员志愿者守好村口'
    """
    headline = _SITE_SUFFIX.sub("", title)
    return headline if len(headline) >= _HEADLINE_MIN else title


def _field(document: Any, key: str) -> str | None:
    value = getattr(document, key, None)
    return (value.strip() or None) if isinstance(value, str) else None


def no_article(name: str) -> InputError:
    """The error for an HTML page without article text (none extracted, or only furniture)."""
    return InputError(
        f"{name}: no article text found; expected an HTML page with an article in it. "
        "If the page has one, copy its text into a .txt file and tag that."
    )


def extract_article(data: bytes, name: str) -> Extracted:
    """Extract the main article of an HTML page from its bytes.

    Raises ``InputError`` when the bytes are not text, or when no article text can be found
    (``"NAME: no article text found …"``).
    """
    html = decode_html(data, name)
    import trafilatura  # heavy, and only HTML pages need it

    document = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        # Old portals lay pages out in tables: extracted as tables, a whole article became one
        # row. Without table handling their cells' paragraphs come out one per line.
        include_tables=False,
        include_images=True,
        favor_recall=True,  # keep lists and short paragraphs; the reader types the furniture
        config=_config(),
    )
    text = _field(document, "text")
    if text is None:
        raise no_article(name)
    date, title = _field(document, "date"), _field(document, "title")
    return Extracted(text, headline_of(title) if title else None, iso_date(date) if date else None)
