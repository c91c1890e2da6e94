"""Text normalisation and the tokenizer.

``tokenize`` is a module-level function at a stable import path: saved models name it, so
renaming or moving it is a model-format change.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from importlib import resources
from typing import Any

_WHITESPACE = re.compile(r"\s+")
_HAS_WORD = re.compile(r"\w")
_NUMBER = re.compile(r"^[0-9][0-9.,%]*$")
NUMBER_TOKEN = "<num>"

_segmenter: Any = None
_segmenter_lock = threading.Lock()


def normalize(text: str) -> str:
    """Fold full-width forms (NFKC), lower-case, and collapse every whitespace run to one space."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


def _load_segmenter() -> Any:
    """Build jieba's tokenizer once per process, with the domain dictionary, without chatter."""
    global _segmenter
    if _segmenter is None:
        with _segmenter_lock:
            if _segmenter is None:
                import jieba

                # jieba reports dictionary loading on stderr at DEBUG level; users asked for
                # labels, not for jieba's progress.
                jieba.setLogLevel(logging.WARNING)
                segmenter = jieba.Tokenizer()
                userdict = resources.files("tagger") / "resources" / "userdict.txt"
                # jieba leaves a file it opened itself unclosed; hand it an open one instead.
                with userdict.open("rb") as handle:
                    segmenter.load_userdict(handle)
                _segmenter = segmenter
    return _segmenter


def segment(normalized: str) -> list[str]:
    """Split already-normalised text into jieba words (punctuation and spaces included)."""
    if not normalized:
        return []
    return list(_load_segmenter().cut(normalized))


def tokenize(text: str) -> list[str]:
    """Normalise ``text`` and return its word tokens.

    Punctuation and whitespace are dropped; a number becomes ``<num>`` because the exact count
    of people or sampling points says nothing about which measure a paragraph reports.

    >>> tokenize("志愿者在卡口值守，查验行程码")
    ['志愿者', '在', '卡口', '值守', '查验', '行程码']
    """
    tokens = []
    for word in segment(normalize(text)):
        if _NUMBER.match(word):
            tokens.append(NUMBER_TOKEN)
        elif _HAS_WORD.search(word):
            tokens.append(word)
    return tokens


_SENTENCE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;\n]+[”’」』）)\"']*|$)")


def split_sentences(text: str) -> list[str]:
    """Split a paragraph after sentence-final punctuation; always at least one (maybe empty) part.

    A closing quote or bracket stays with the sentence it closes.

    >>> split_sentences("村口设卡点。志愿者说：“放心吧！”然后离开")
    ['村口设卡点。', '志愿者说：“放心吧！”', '然后离开']
    """
    sentences = [s for s in _SENTENCE.findall(text) if s.strip()]
    return sentences or [text]
