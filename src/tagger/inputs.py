"""Turning the paths a user names into pages, reporting each one that cannot be read."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tagger.decoding import decode_bytes
from tagger.errors import InputError
from tagger.page import Page, parse_page, read_page

PAGE_SUFFIXES = frozenset({".txt", ".md"})
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


def read_pages(paths: Sequence[str]) -> Iterator[Page | Skipped]:
    """Read every input as a page; an unreadable one becomes a ``Skipped`` and reading goes on."""
    for item in expand(paths):
        if isinstance(item, Skipped):
            yield item
            continue
        try:
            if item == STDIN:
                yield parse_page(decode_bytes(sys.stdin.buffer.read(), "<stdin>"), "<stdin>")
            else:
                yield read_page(Path(item))
        except InputError as exc:
            yield Skipped(item, _reason(str(exc), item))


def _reason(message: str, path: str) -> str:
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message
