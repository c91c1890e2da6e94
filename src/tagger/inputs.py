"""Turning the paths a user names into pages, reporting each one that cannot be read.

Only regular files are read: a named pipe, a device or a socket (or a link to one) is reported
with what it is and skipped, so that a link to ``/dev/zero`` or a pipe nobody writes to cannot
stall a run. A page larger than ``LARGE_PAGE_BYTES`` is read in parts, after a first pass has
checked that every part decodes, so a page is tagged whole or skipped whole. Standard input is
copied in bounded chunks to a temporary file (in memory up to ``LARGE_PAGE_BYTES``), then read
as a file is.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tagger.decoding import decode_bytes
from tagger.errors import InputError, UsageError
from tagger.files import describe_kind, shown_path
from tagger.html_extract import HTML_SUFFIXES
from tagger.page import Page, parse_html, parse_page, read_page

PAGE_SUFFIXES = frozenset({".txt", ".md"}) | HTML_SUFFIXES
INPUT_FORMATS = ("text", "html")  # how stdin is read; files are read by their suffix
# Pages larger than this are read in parts of about PART_BYTES, cut at blank lines.
LARGE_PAGE_BYTES = 32 << 20
PART_BYTES = 1 << 20
STDIN = "-"
STDIN_NAME = "<stdin>"


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input that was not tagged, and why (shown to the user as ``path: reason``)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"

    @classmethod
    def of(cls, path: str, error: Exception) -> Skipped:
        """``path`` skipped for ``error``, whose message may begin with the path already."""
        return cls(path, _reason(str(error), path))


def expand(paths: Sequence[str]) -> Iterator[str | Skipped]:
    """Yield files to read, in a stable order: each named file, and each page under a directory.

    Directory trees are walked without following links to directories, so a link that points
    back up the tree cannot loop. What cannot be read is yielded as a ``Skipped`` saying why:
    a folder that cannot be listed, a path too long, anything but a regular file, and a folder
    with no pages in it.
    """
    for name in paths:
        if name == STDIN:
            yield name
            continue
        try:
            mode = os.stat(name).st_mode
        except OSError as exc:
            yield Skipped(name, _os_reason(exc, name))
            continue
        if stat.S_ISDIR(mode):
            yield from _walk(name)
        elif stat.S_ISREG(mode):
            yield name
        else:
            yield Skipped(name, _not_regular(mode))


def _walk(top: str) -> Iterator[str | Skipped]:
    errors: list[OSError] = []  # os.walk reports a folder it cannot list here, and goes on
    found = False
    for root, dirs, files in os.walk(top, onerror=errors.append):
        found = found or bool(errors)
        yield from _unlisted(errors)
        dirs.sort()
        for file in sorted(files):
            if Path(file).suffix.lower() not in PAGE_SUFFIXES:
                continue
            found = True
            path = os.path.join(root, file)
            try:
                mode = os.stat(path).st_mode
            except OSError as exc:
                yield Skipped(path, _os_reason(exc, path))
                continue
            yield path if stat.S_ISREG(mode) else Skipped(path, _not_regular(mode))
    found = found or bool(errors)
    yield from _unlisted(errors)
    if not found:
        suffixes = ", ".join(f"*{suffix}" for suffix in sorted(PAGE_SUFFIXES))
        yield Skipped(top, f"no pages ({suffixes}) in this folder or below it; expected pages")


def _unlisted(errors: list[OSError]) -> Iterator[Skipped]:
    for error in errors:
        name = os.fsdecode(error.filename) if error.filename is not None else "?"
        yield Skipped(name, _os_reason(error, name))
    errors.clear()


def _os_reason(exc: OSError, path: str) -> str:
    if isinstance(exc, FileNotFoundError):
        return "broken symbolic link" if os.path.islink(path) else "no such file or directory"
    return f"cannot be read ({exc.strerror or exc}); check the path and its permissions"


def _not_regular(mode: int) -> str:
    return (
        f"is {describe_kind(mode)}, not a regular file, so it was not read; expected a page "
        f"file. To tag what a pipe or device gives, send it to stdin and name {STDIN}"
    )


def check_output(
    output: str | os.PathLike[str], paths: Sequence[str | os.PathLike[str]], *, pages: bool = True
) -> None:
    """Refuse an output path that would overwrite an input, or be read as one by the next run.

    That is: a file also named as an input, or (with ``pages``, when the inputs are pages) a
    page file (``*.txt``, ``*.md``) inside a folder named as an input. Links are followed.
    """
    target = os.path.realpath(output)
    try:
        written: os.stat_result | None = os.stat(output)
    except OSError:
        written = None  # not there yet: only its place matters
    for name in paths:
        if name == STDIN:
            continue
        try:
            found = os.stat(name)
        except OSError:
            continue  # reported when the inputs are read
        if stat.S_ISDIR(found.st_mode) and pages:
            folder = os.path.realpath(name)
            suffix = Path(target).suffix.lower()
            if suffix in PAGE_SUFFIXES and os.path.commonpath([folder, target]) == folder:
                raise UsageError(
                    f"{shown_path(os.fspath(output))}: is a {suffix} file inside the input "
                    f"folder {shown_path(os.fspath(name))}, so it would be tagged as a page by "
                    "the next run; expected an output outside the inputs. Give it another "
                    "ending (.jsonl, .csv, .html) or write it elsewhere"
                )
        elif written is not None and os.path.samestat(found, written):
            raise UsageError(
                f"{shown_path(os.fspath(output))}: is the input {shown_path(os.fspath(name))}; "
                "writing there would destroy it. Expected a separate output file: write elsewhere"
            )


def read_pages(paths: Sequence[str], stdin_format: str = "text") -> Iterator[Page | Skipped]:
    """Read every input as a page; an unreadable one becomes a ``Skipped`` and reading goes on.

    Files are read as HTML or text by their suffix; stdin (``-``) as ``stdin_format``. A huge
    page comes as several ``Page`` parts (see ``read_large_page``).
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
            if item == STDIN:
                yield from _read_stdin(stdin_format)
            elif os.path.getsize(item) > LARGE_PAGE_BYTES and not _is_html(item):
                yield from read_large_page(Path(item))
            else:
                yield read_page(Path(item))
        except (InputError, OSError) as exc:
            yield Skipped.of(STDIN_NAME if item == STDIN else item, exc)


def _read_stdin(stdin_format: str = "text") -> Iterator[Page]:
    # Copied in parts, never read whole: a large page spills from memory to an unnamed file.
    with tempfile.SpooledTemporaryFile(max_size=LARGE_PAGE_BYTES) as spool:
        shutil.copyfileobj(sys.stdin.buffer, spool, PART_BYTES)
        size = spool.tell()
        spool.seek(0)
        if stdin_format == "html":
            yield parse_html(spool.read(), STDIN_NAME)
        elif size > LARGE_PAGE_BYTES:
            yield from _read_parts(spool, STDIN_NAME)
        else:
            yield parse_page(decode_bytes(spool.read(), STDIN_NAME), STDIN_NAME)


def read_large_page(path: Path, part_bytes: int | None = None) -> Iterator[Page]:
    """Read a huge page in parts cut at blank lines, so memory holds one part at a time.

    Each part is a ``Page`` whose ``offset`` and ``first_index`` place it in the whole page, so
    records carry the same offsets and indexes as if the page had been read at once. Headings
    are not carried across a cut: a part begins with the blocks before its first heading.
    Every part is decoded once before the first is yielded: a page with a bad byte anywhere
    raises ``InputError`` and yields nothing.
    """
    with path.open("rb") as handle:
        yield from _read_parts(handle, str(path), part_bytes)


def _read_parts(handle: IO[bytes], name: str, part_bytes: int | None = None) -> Iterator[Page]:
    offset = first_index = 0
    first: Page | None = None  # later parts keep the first part's layout and date
    for start, end in large_page_parts(handle, name, part_bytes):
        page = read_part(handle, name, start, end, offset=offset, first_index=first_index)
        if first is not None:
            page = parse_page(
                page.text,
                name,
                offset=offset,
                first_index=first_index,
                layout=first.layout,
                published=first.published,
            )
        first = first or page
        yield page
        offset += len(page.text)
        first_index += sum(1 for _ in page.blocks())


def large_page_parts(
    handle: IO[bytes], name: str, part_bytes: int | None = None
) -> list[tuple[int, int]]:
    """The byte ranges of a huge page's parts, each checked to decode; in page order.

    Raises ``InputError`` if any part does not decode, so that no part of such a page is tagged.
    """
    head = handle.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            f"{name}: a UTF-16 page of more than {LARGE_PAGE_BYTES >> 20} MB; "
            "expected UTF-8 or GB18030 for pages this large. Re-save it as UTF-8"
        )
    ranges = []
    start = 0
    pending = head  # the first part is cut from these 4 bytes and a full read after them
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
        decode_bytes(pending[:cut], name)  # raises on a part that is not text
        ranges.append((start, start + cut))
        start += cut
        pending = pending[cut:]
        if not data:
            return ranges


def read_part(
    handle: IO[bytes], name: str, start: int, end: int, *, offset: int = 0, first_index: int = 0
) -> Page:
    """Bytes ``start:end`` of a page (a range from ``large_page_parts``) as a ``Page`` part."""
    handle.seek(start)
    text = decode_bytes(handle.read(end - start), name)
    return parse_page(text, name, offset=offset, first_index=first_index)


def _is_html(path: str) -> bool:
    # An HTML page is extracted whole: its article is small whatever the markup weighs.
    return Path(path).suffix.lower() in HTML_SUFFIXES


def _reason(message: str, path: str) -> str:
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message
