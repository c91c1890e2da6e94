"""Bytes of a page file -> text: detect the encoding, refuse what is not text.

Supported: UTF-8 (with or without BOM), UTF-16 LE/BE with a BOM, and GB18030 (a superset of
GBK and GB2312, the encodings Chinese news archives are usually in). Line endings come out as
``\\n`` and the BOM is dropped, so offsets computed on the result are stable whatever the file
was saved with.
"""

from __future__ import annotations

import codecs
import os
import unicodedata
from pathlib import Path

from tagger.errors import InputError

__all__ = ["decode_bytes", "read_bytes", "read_text"]

SUPPORTED = "UTF-8, UTF-16 with a byte-order mark, or GB18030/GBK"

# Checked before any decoding: these formats can "decode" as GB18030 more often than one thinks.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF document"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"PK\x03\x04", "ZIP archive (or a .docx/.xlsx file)"),
    (b"PK\x05\x06", "ZIP archive"),
    (b"PK\x07\x08", "ZIP archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\x7fELF", "ELF executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Microsoft Office (.doc/.xls) file"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"\x00asm", "WebAssembly module"),
    (b"RIFF", "RIFF media file"),
)

# UTF-32 BOMs start like the UTF-16 ones, so they must be tested first.
_BOMS: tuple[tuple[bytes, str | None], ...] = (
    (codecs.BOM_UTF32_LE, None),
    (codecs.BOM_UTF32_BE, None),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Categories no real page is made of: controls, private use, unassigned, lone surrogates.
_BAD_CATEGORIES = frozenset({"Cc", "Co", "Cn", "Cs"})
_TEXT_CONTROLS = frozenset("\t\n\r\x0b\x0c")
# Real pages may carry a few odd characters (PUA glyphs for rare names); garbage carries many.
# Random bytes often decode as GB18030, so a GB18030 reading must be nearly clean; they almost
# never form valid UTF-8, so text that does is refused only when odd characters dominate it.
_MAX_BAD_SHARE = 0.01
_MAX_BAD_SHARE_UTF = 0.3


def _refuse(name: str, found: str, todo: str) -> InputError:
    return InputError(f"{name}: expected a text file ({SUPPORTED}); found {found}. {todo}")


def _bad_share(text: str) -> float:
    # Categorise each distinct character once: a 5 MB page has a few thousand of them at most.
    bad = {c for c in set(text) if unicodedata.category(c) in _BAD_CATEGORIES}
    bad -= _TEXT_CONTROLS
    if not bad:
        return 0.0
    kept = text.translate(dict.fromkeys(map(ord, bad)))
    return (len(text) - len(kept)) / len(text)


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF  # radicals, CJK punctuation, kana, ideographs
        or 0xF900 <= code <= 0xFAFF
        or 0xFE30 <= code <= 0xFE4F
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0x20000 <= code <= 0x3FFFF
    )


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _gb_reading_wins(utf8_text: str, data: bytes) -> bool:
    """Whether bytes valid as UTF-8 are more plausibly GBK Chinese.

    Pairs of GBK bytes are often valid two-byte UTF-8 sequences, so a short GBK page can decode
    as UTF-8 into Latin or Cyrillic letters. A UTF-8 Chinese page always has characters at or
    above U+0800; if the UTF-8 reading has none and the GB18030 reading is all Chinese, a
    Chinese-news tool should believe GB18030.
    """
    if utf8_text.isascii() or max(utf8_text) >= "\u0800":
        return False
    gb_text = _try(data, "gb18030")
    return gb_text is not None and all(_is_cjk(c) for c in set(gb_text) if not c.isascii())


def _decode_without_bom(data: bytes, name: str) -> str:
    utf8_text = _try(data, "utf-8")
    plausible = utf8_text is not None and _bad_share(utf8_text) <= _MAX_BAD_SHARE_UTF
    if plausible and utf8_text is not None and not _gb_reading_wins(utf8_text, data):
        return utf8_text
    gb_text = _try(data, "gb18030")
    if gb_text is None and utf8_text is None:
        raise _refuse(
            name,
            "bytes that are valid in none of these encodings",
            "Check that it is a text page, and re-save it as UTF-8.",
        )
    if gb_text is None or _bad_share(gb_text) > _MAX_BAD_SHARE:
        raise _refuse(
            name,
            "mostly control, private-use or unassigned characters after decoding",
            "Check that it is a text page, and re-save it as UTF-8.",
        )
    return gb_text


def _decode_with_bom(data: bytes, name: str) -> str | None:
    for bom, encoding in _BOMS:
        if not data.startswith(bom):
            continue
        if encoding is None:
            raise _refuse(name, "a UTF-32 byte-order mark", "Save the file as UTF-8.")
        try:
            return data[len(bom) :].decode(encoding)
        except UnicodeDecodeError as exc:
            label = encoding.upper()
            raise _refuse(
                name,
                f"a {label} byte-order mark but bytes that are not {label}"
                f" at offset {exc.start + len(bom)}",
                "Re-save the file as UTF-8, or check that it is not truncated.",
            ) from None
    return None


def decode_bytes(data: bytes, name: str) -> str:
    """Decode the bytes of a page file to text with ``\\n`` line endings and no BOM.

    ``name`` (a path or a label such as ``"<stdin>"``) is only used in error messages. Raises
    ``InputError`` for binary files, NUL bytes outside UTF-16, undecodable bytes, and bytes that
    decode to text made largely of control, private-use or unassigned characters.

    >>> decode_bytes("第一段\\r\\n第二段".encode("gbk"), "page.txt")
    '第一段\\n第二段'
    """
    if not data:
        return ""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise _refuse(
                name, f"a {kind}", "Extract the page's text first and save it as UTF-8 .txt."
            )
    text = _decode_with_bom(data, name)
    if text is None:
        nul = data.find(b"\x00")
        if nul >= 0:
            raise _refuse(
                name,
                f"a NUL byte at offset {nul}, so it is binary or UTF-16 without a byte-order mark",
                "Convert it to a text file saved as UTF-8.",
            )
        text = _decode_without_bom(data, name)
    elif _bad_share(text) > _MAX_BAD_SHARE_UTF:
        raise _refuse(
            name,
            "mostly control, private-use or unassigned characters after decoding",
            "Check that it is a text page, and re-save it as UTF-8.",
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a page file and decode it with :func:`decode_bytes`; OS errors become ``InputError``."""
    return decode_bytes(read_bytes(path), os.fspath(path))


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Read a page file's bytes; OS errors become ``InputError`` naming the file."""
    name = os.fspath(path)
    try:
        return Path(name).read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"{name}: no such file; expected a page text file. Check the path."
        ) from None
    except IsADirectoryError:
        raise InputError(
            f"{name}: is a directory; expected a page text file. Pass the files inside it."
        ) from None
    except PermissionError:
        raise InputError(
            f"{name}: permission denied; expected a readable page text file. "
            "Check the file's permissions."
        ) from None
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise InputError(
            f"{name}: {reason}; expected a readable page text file. Check the path."
        ) from None
