"""Decoding page files: every supported encoding and line ending, and refusing non-text."""

from __future__ import annotations

import codecs
import gzip
import io
import random
import re
import zipfile
from pathlib import Path

import pytest

from tagger.decoding import decode_bytes, read_text
from tagger.errors import InputError, TaggerError
from tagger.page import read_page

from .support import SEED_PAGE

SEED_TEXT = SEED_PAGE.read_text(encoding="utf-8")

ENCODERS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8-bom": lambda text: text.encode("utf-8-sig"),
    "utf-16-le-bom": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "utf-16-be-bom": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "gb18030": lambda text: text.encode("gb18030"),
    "gbk": lambda text: text.encode("gbk"),
}


def structure(source: Path | bytes | str) -> list[tuple[str, str, int, int, int]]:
    page = read_page(source)
    return [(b.kind, b.text, b.start, b.end, b.level) for _, _, b in page.blocks()]


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("encoding", sorted(ENCODERS))
def test_seed_page_in_every_encoding_gives_the_same_blocks(encoding: str, ending: str) -> None:
    data = ENCODERS[encoding](SEED_TEXT.replace("\n", ending))
    assert decode_bytes(data, "seed.txt") == SEED_TEXT
    assert structure(data) == structure(SEED_TEXT)


def test_read_text_reads_a_gbk_file_with_crlf(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    path.write_bytes(SEED_TEXT.replace("\n", "\r\n").encode("gbk"))
    assert read_text(path) == SEED_TEXT
    assert structure(path) == structure(SEED_TEXT)


def test_empty_input_is_empty_text() -> None:
    assert decode_bytes(b"", "empty.txt") == ""
    assert read_page(b"").articles == ()


def test_short_gbk_text_that_is_also_valid_utf8_reads_as_chinese() -> None:
    # "一业为之" in GBK is valid UTF-8 for Cyrillic and Arabic letters.
    assert decode_bytes("一业为之".encode("gbk"), "short.txt") == "一业为之"


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("page.txt", SEED_TEXT)
    return buffer.getvalue()


def random_bytes(nul: bool) -> bytes:
    data = random.Random(20210822).randbytes(4096)
    return data if nul else data.replace(b"\x00", b"\x01")


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"GIF89a\x01\x00", "GIF"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
        (zip_bytes(), "ZIP"),
        (gzip.compress(SEED_TEXT.encode()), "gzip"),
        (b"\x7fELF\x02\x01\x01", "ELF"),
        (random_bytes(nul=True), "NUL byte"),
        (random_bytes(nul=False), "valid in none"),
        ("疫情防控 2021".encode("utf-16-le"), "NUL byte"),  # UTF-16 without a BOM
        (codecs.BOM_UTF32_LE + "疫情".encode("utf-32-le"), "UTF-32"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8\x41", "UTF-16-LE byte-order mark"),
        (bytes(range(1, 32)) * 8, "control"),
        (b"\xaa\xa1" * 100, "private-use"),  # GBK user-defined area
        (b"\x81\x30\x81\x30 " * 50, "control"),  # GB18030 four-byte codes of C1 controls
    ],
    ids=lambda value: value if isinstance(value, str) else "data",
)
def test_non_text_is_refused_naming_the_file(data: bytes, found: str) -> None:
    with pytest.raises(InputError) as raised:
        decode_bytes(data, "archive/page-0001.txt")
    message = str(raised.value)
    assert message.startswith("archive/page-0001.txt: expected a text file")
    assert found in message and "UTF-8" in message


def test_read_page_bytes_refusal_names_bytes() -> None:
    with pytest.raises(TaggerError, match=r"^<bytes>: .*PDF"):
        read_page(b"%PDF-1.4")


def test_missing_file_and_directory_are_input_errors(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(InputError, match=f"^{re.escape(str(missing))}: no such file"):
        read_text(missing)
    with pytest.raises(InputError, match=f"^{re.escape(str(tmp_path))}: is a directory"):
        read_page(tmp_path)


def test_unreadable_file_is_an_input_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulated: the tests may run as root, who can read a file whatever its mode.
    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    path = tmp_path / "locked.txt"
    with pytest.raises(InputError, match=f"^{re.escape(str(path))}: permission denied"):
        read_text(path)
