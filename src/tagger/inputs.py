"""Turning the paths a user names into pages, reporting each one that cannot be read."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tagger.decoding import decode_bytes
from tagger.errors import InputError, UsageError
from tagger.html_extract import HTML_SUFFIXES
from tagger.page import Page, parse_html, parse_page, read_page

PAGE_SUFFIXES = frozenset({".txt", ".md"}) | HTML_SUFFIXES
INPUT_FORMATS = ("text", "html")  # how stdin is read; files are read by their suffix
# Pages larger than this are read in parts of about PART_BYTES, cut at blank lines.
LARGE_PAGE_BYTES = 32 << 20
PART_BYTES = 1 << 20
STDIN = "-"


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input that was not tagged, and why (shown to the user as ``path: reason``)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def expand(paths: Sequence[str]) -> Iterator[str | Skipped]:
    """Yield files to read, in a stable order: each named file, and each page under a directory.

    Directory trees are walked without following links to directories, so a link that points
    back up the tree cannot loop.
    """
    for name in paths:
        if name == STDIN or os.path.isfile(name):
            yield name
        elif os.path.isdir(name):
            for root, dirs, files in os.walk(name, onerror=None):
                dirs.sort()
                for file in sorted(files):
                    if Path(file).suffix.lower() in PAGE_SUFFIXES:
                        yield os.path.join(root, file)
        elif os.path.islink(name):
            yield Skipped(name, "broken symbolic link")
        else:
            yield Skipped(name, "no such file or directory")


def read_pages(paths: Sequence[str], stdin_format: str = "text") -> Iterator[Page | Skipped]:
    """Read every input as a page; an unreadable one becomes a ``Skipped`` and reading goes on.

    Files are read as HTML or text by their suffix; stdin (``-``) as ``stdin_format``.
    """
    if stdin_format not in INPUT_FORMATS:
        raise UsageError(
            f"stdin_format: expected one of {', '.join(INPUT_FORMATS)}, found {stdin_format!r}"
        )
    for item in expand(paths):
        if isinstance(item, Skipped):
            yield item
            continue
        try:
            if item == STDIN and stdin_format == "html":
                yield parse_html(sys.stdin.buffer.read(), "<stdin>")
            elif item == STDIN:
                yield parse_page(decode_bytes(sys.stdin.buffer.read(), "<stdin>"), "<stdin>")
            elif os.path.getsize(item) > LARGE_PAGE_BYTES and not _is_html(item):
                yield from read_large_page(Path(item))
            else:
                yield read_page(Path(item))
        except (InputError, OSError) as exc:
            yield Skipped(item, _reason(str(exc), item))


def read_large_page(path: Path, part_bytes: int | None = None) -> Iterator[Page]:
    """Read a huge page in parts cut at blank lines, so memory holds one part at a time.

    Each part is a ``Page`` whose ``offset`` and ``first_index`` place it in the whole page, so
    records carry the same offsets and indexes as if the page had been read at once. Headings
    are not carried across a cut: a part begins with the blocks before its first heading.
    """
    offset = first_index = 0
    first: Page | None = None  # later parts keep the first part's layout and date
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InputError(
                f"{path}: a UTF-16 page of more than {LARGE_PAGE_BYTES >> 20} MB; "
                "expected UTF-8 or GB18030 for pages this large. Re-save it as UTF-8"
            )
        pending = head
        while True:
            data = handle.read(part_bytes or PART_BYTES)
            pending += data
            if data:
                # "\n" is a single byte in UTF-8 and GB18030, never part of another character.
                cut = pending.rfind(b"\n\n") + 2
                if cut < 2:
                    cut = pending.rfind(b"\n") + 1
                if cut < 1:
                    continue  # no line break yet: keep reading
            else:
                cut = len(pending)
            piece, pending = pending[:cut], pending[cut:]
            page = parse_page(
                decode_bytes(piece, str(path)),
                str(path),
                offset=offset,
                first_index=first_index,
                layout=first.layout if first else None,
                published=first.published if first else None,
            )
            first = first or page
            yield page
            offset += len(page.text)
            first_index += sum(1 for _ in page.blocks())
            if not data:
                return


def _is_html(path: str) -> bool:
    # An HTML page is extracted whole: its article is small whatever the markup weighs.
    return Path(path).suffix.lower() in HTML_SUFFIXES


def _reason(message: str, path: str) -> str:
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message
