"""Text normalisation, sentence splitting and the tokenizer.

``tokenize`` is a module-level function at a stable import path: saved models name it, so
renaming or moving it is a model-format change.

Segmentation: jieba's algorithm and dictionary are the reference. The engine that runs them is
rjieba (jieba-rs: the same algorithm and dictionary, about 17 times faster to segment and to
start); ``TAGGER_SEGMENTER=jieba`` switches to the Python original, and a test checks on real
news that both give the same tokens. Only runs of Chinese characters reach the engine: letters
and numbers are split by one rule here, because that is where the two implementations differ.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable
from importlib import resources

_WHITESPACE = re.compile(r"\s+")
# The token rule, shared with the batch tokenizer in tagger.vectorize: runs of these Chinese
# characters go to the segmenter; a number is digits joined by single "." or ","; a word of
# other letters is a run of LETTER characters.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
LETTER = r"[^\W\d_]"
_HAN_RUN = re.compile(f"([{HAN}]+)")
_OTHER_TOKEN = re.compile(f"[0-9]+(?:[.,][0-9]+)*%?|{LETTER}+")
NUMBER_TOKEN = "<num>"
ENGINES = ("rjieba", "jieba")

_cut: Callable[[str], list[str]] | None = None
_engine_lock = threading.Lock()


def normalize(text: str) -> str:
    """Fold full-width forms (NFKC), lower-case, and collapse every whitespace run to one space."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


def _user_words() -> list[tuple[str, int, str]]:
    userdict = resources.files("tagger") / "resources" / "userdict.txt"
    entries = []
    for line in userdict.read_text("utf-8").splitlines():
        if line.strip():
            word, freq, tag = line.split()
            entries.append((word, int(freq), tag))
    return entries


def _build_engine(name: str) -> Callable[[str], list[str]]:
    if name == "rjieba":
        import rjieba

        # rjieba builds its default segmenter on import; a second private one would cost another
        # 0.1 s of start-up, so the domain words go into the default one (a process-wide change).
        for word, freq, tag in _user_words():
            rjieba.add_word(word, freq, tag)
        return rjieba.cut
    import jieba

    # jieba reports dictionary loading on stderr at DEBUG level; users asked for labels.
    jieba.setLogLevel(logging.WARNING)
    reference = jieba.Tokenizer()
    for word, freq, tag in _user_words():
        reference.add_word(word, freq, tag)
    return lambda text: list(reference.cut(text))


def engine_name() -> str:
    name = os.environ.get("TAGGER_SEGMENTER", "rjieba")
    return name if name in ENGINES else "rjieba"


def segmenter() -> Callable[[str], list[str]]:
    """Build the segmenter once per process, lazily, safe to call from several threads."""
    global _cut
    if _cut is None:
        with _engine_lock:
            if _cut is None:
                _cut = _build_engine(engine_name())
    return _cut


def tokenize(text: str) -> list[str]:
    """Normalise ``text`` and return its word tokens.

    Punctuation and whitespace are dropped; a number becomes ``<num>`` because the exact count
    of people or sampling points says nothing about which measure a paragraph reports.

    >>> tokenize("志愿者在卡口值守，查验行程码")
    ['志愿者', '在', '卡口', '值守', '查验', '行程码']
    """
    return normalized_tokens(normalize(text))


def normalized_tokens(normalized: str) -> list[str]:
    """``tokenize`` for text that ``normalize`` has already been applied to."""
    cut = segmenter()
    tokens: list[str] = []
    for i, chunk in enumerate(_HAN_RUN.split(normalized)):
        if i % 2:  # odd chunks are the runs of Chinese characters captured by the split
            tokens.extend(cut(chunk))
        elif chunk:
            tokens.extend(
                NUMBER_TOKEN if word[0].isdigit() else word for word in _OTHER_TOKEN.findall(chunk)
            )
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


# A clause ends after a run of CLAUSE_MARKS and the CLOSING quotes or brackets right after it
# (tagger.vectorize splits batches by the same two sets).
CLAUSE_MARKS = "，,；;。！？!?\n"
CLOSING = "”’」』）)\"'"
_CLAUSE = re.compile(f"[^{CLAUSE_MARKS}]*(?:[{CLAUSE_MARKS}]+[{CLOSING}]*|$)")


def split_clauses(text: str) -> list[str]:
    """Split a paragraph after each comma, semicolon or sentence-final mark; drop blank parts.

    A closing quote or bracket stays with the clause it closes.

    >>> split_clauses("村口设卡点，专人值守。”好！")
    ['村口设卡点，', '专人值守。”', '好！']
    """
    return [c for c in _CLAUSE.findall(text) if c.strip()]


def split_passages(text: str) -> list[str]:
    """The passages a paragraph is scored by: every run of two and of three consecutive clauses.

    Clauses are cut by ``split_clauses``. A measure is often named in one clause of a long
    report ("……，高速路口实施全封闭管控。"); a window this short keeps it from being drowned by
    the rest, while the neighbouring clause keeps enough context to tell a checkpoint from a
    flood post. A paragraph of one clause is its own only passage.

    >>> split_passages("村口设卡点，专人值守，查验健康码。")
    ['村口设卡点，专人值守，', '专人值守，查验健康码。', '村口设卡点，专人值守，查验健康码。']
    """
    clauses = split_clauses(text)
    if len(clauses) < 2:
        return [text]
    pairs = [clauses[i] + clauses[i + 1] for i in range(len(clauses) - 1)]
    triples = [clauses[i] + clauses[i + 1] + clauses[i + 2] for i in range(len(clauses) - 2)]
    return pairs + triples
