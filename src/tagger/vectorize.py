"""Batch TF-IDF with numpy: the serving twin of ``features.analyze`` and ``features.tfidf_rows``.

A trained vocabulary is compiled once into integer codes: word tokens get ids (a bigram is a
pair of ids) and a character n-gram is its code points packed into one int64, found with a
hash index. A batch of units (clauses, sentences or whole paragraphs) is normalised as one
string, segmented in one call and looked up in numpy, which gives each unit's feature counts
once (``UnitCounts``). A window of consecutive units, such as a passage of two or three clauses,
is then scored from those counts (``window_sums``) instead of from its text. Tests check the
rows equal scikit-learn's and the window scores equal scoring each passage from scratch.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from tagger.features import FeatureSpec
from tagger.text import CLAUSE_MARKS, CLOSING, HAN, LETTER, NUMBER_TOKEN, segmenter

Rows = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]
Ints = NDArray[np.int64]
Floats = NDArray[np.float64]

_BASE = 1 << 21  # above every code point, so packed n-grams of up to 3 characters fit in int64
_MAX_CHARS = 3
_BMP = 1 << 16
_PACKED = 4  # characters of a token packed into one int64 (see _packed)

# Character kinds for the token rule of tagger.text.
_OTHER, _HAN_KIND, _LETTER_KIND, _DIGIT_KIND = 0, 1, 2, 3

# Placeholders in the string handed to the segmenter, and the ids they map to. Each is one
# character the segmenter returns as a token of its own; none can be part of a Chinese run.
_UNIT_END, _NUMBER, _WORD, _GAP = "\0", "\x01", "\x02", "\n"
_OOV, _GAP_ID, _UNIT_END_ID, _WORD_ID = -1, -2, -3, -4
_NO_TOKEN = -2  # first/last token of a unit that has none


def can_compile(spec: FeatureSpec) -> bool:
    words_ok = spec.word_ngrams is None or spec.word_ngrams[1] <= 2
    chars_ok = spec.char_ngrams is None or spec.char_ngrams[1] <= _MAX_CHARS
    return words_ok and chars_ok


def _pack(points: Sequence[int]) -> int:
    code = 0
    for point in points:
        code = code * _BASE + point + 1  # +1 keeps "a" and "\0a" apart
    return code


_Value = TypeVar("_Value", bound=np.generic)


class _PerCharacter(Generic[_Value]):
    """A property of characters as a table, each character's entry computed the first time it
    is seen (start-up pays only for the characters of its first batch). The table covers the
    Basic Multilingual Plane; rarer characters are computed each time."""

    def __init__(self, compute: Callable[[str], int], dtype: type[_Value]) -> None:
        self._compute = compute
        self._lock = threading.Lock()
        self._known = np.zeros(_BMP, dtype=bool)
        self._values = np.zeros(_BMP, dtype=dtype)

    def __call__(self, points: Ints) -> NDArray[_Value]:
        small = points < _BMP
        index = points if small.all() else np.where(small, points, 0)
        fresh = index[~self._known[index]]
        if len(fresh):
            with self._lock:
                for point in _distinct(fresh):
                    self._values[point] = self._compute(chr(point))
                    self._known[point] = True  # last, for readers that do not take the lock
        values = self._values[index]
        for point in _distinct(points[~small]):
            values[points == point] = self._compute(chr(point))
        return values


def _nfkc_of(char: str) -> int:
    form = unicodedata.normalize("NFKC", char)
    return ord(form) if len(form) == 1 else -1


# The token rule of tagger.text, one character at a time.
_KINDS = [
    (_DIGIT_KIND, re.compile("[0-9]")),
    (_HAN_KIND, re.compile(f"[{HAN}]")),
    (_LETTER_KIND, re.compile(LETTER)),
]


def _kind_of(char: str) -> int:
    for kind, pattern in _KINDS:
        if pattern.fullmatch(char):
            return kind
    return _OTHER


_NFKC = _PerCharacter(_nfkc_of, np.int32)  # NFKC of a character when one character, else -1
_KIND = _PerCharacter(_kind_of, np.uint8)
_SPACE = _PerCharacter(str.isspace, np.bool_)
_CLAUSE_MARK = _PerCharacter(lambda char: char in CLAUSE_MARKS, np.bool_)
_CLOSING = _PerCharacter(lambda char: char in CLOSING, np.bool_)


def _normalized(points: Ints) -> tuple[str, Ints]:
    """``text.normalize`` of the text of ``points`` but for the whitespace folding (which no
    feature sees): the text and its points.

    Replacing a character by its own NFKC form never changes the NFKC of the whole, so the text
    is mapped character by character with a table and then only checked; text that fails the
    check (with combining marks, say) goes through ``unicodedata.normalize``.
    """
    forms = _NFKC(points)
    if (forms < 0).any():  # a form of several characters, such as … for ...
        text = _text(points)
        for point in _distinct(points[forms < 0]):
            text = text.replace(chr(point), unicodedata.normalize("NFKC", chr(point)))
        points = _points(text)
        forms = _NFKC(points)  # the characters of an NFKC form are their own forms
    text = _text(forms.astype(np.int64))
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.lower()
    return text, _points(text)


def _distinct(points: Ints) -> list[int]:
    # not np.unique: its first call imports numpy.ma, tens of milliseconds of a cold start
    return sorted(set(points.tolist()))


def _points(text: str) -> Ints:
    # surrogatepass: a lone surrogate in the input is one more character, not an error
    raw = text.encode("utf-32-le", "surrogatepass")
    return np.frombuffer(raw, dtype=np.uint32).astype(np.int64)


def _text(points: Ints) -> str:
    return points.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


class _HashIndex:
    """Distinct int64 keys (not -1) to int32 values (columns, token ids) by open addressing.

    A batch lookup is a few numpy gathers, where a binary search (``searchsorted``) takes one
    random memory access per level; at most a quarter of the slots are used, so four keys in
    five are found, or known absent, at the first probe.
    """

    def __init__(self, keys: Ints, values: Ints) -> None:
        bits = max(4, (4 * len(keys)).bit_length())
        self._shift = np.uint64(64 - bits)
        self._mask = (1 << bits) - 1
        self._keys = np.full(1 << bits, -1, dtype=np.int64)
        self._values = np.full(1 << bits, -1, dtype=np.int32)  # columns and token ids fit
        claims = np.full(1 << bits, -1, dtype=np.int64)
        todo, slots = np.arange(len(keys)), self._home(keys)
        while len(todo):
            free = self._keys[slots] == -1
            claims[slots[free]] = todo[free]  # of several keys aiming at one slot, one wins
            won = np.zeros(len(todo), dtype=bool)
            won[free] = claims[slots[free]] == todo[free]
            self._keys[slots[won]] = keys[todo[won]]
            self._values[slots[won]] = values[todo[won]]
            # Linear probing: the others try the next slot, now taken in any case.
            todo, slots = todo[~won], (slots[~won] + 1) & self._mask

    def _home(self, keys: Ints) -> Ints:
        mixed = keys.astype(np.uint64)
        mixed *= np.uint64(0x9E3779B97F4A7C15)
        mixed >>= self._shift
        return mixed.view(np.int64)

    def get(self, keys: Ints) -> Ints:
        """The value of every key, or -1."""
        slots = self._home(keys)
        stored = self._keys[slots]
        hit = stored == keys
        found = np.where(hit, self._values[slots], -1).astype(np.int64)
        where = np.flatnonzero(~hit & (stored != -1))
        keys, slots = keys[where], slots[where]
        while len(where):
            slots = (slots + 1) & self._mask
            stored = self._keys[slots]
            hit = stored == keys
            found[where[hit]] = self._values[slots[hit]]
            probe = ~hit & (stored != -1)
            where, keys, slots = where[probe], keys[probe], slots[probe]
        return found


def _packed(tokens: Sequence[str], points: Ints | None = None) -> tuple[Ints, NDArray[np.bool_]]:
    """Each token of up to four Basic Plane characters packed into one int64, and which tokens
    that is; ``points`` are the tokens' characters run together, when already at hand.

    16 bits a character, each plus one so that no token is a longer one's prefix. Tokens with a
    character from U+FFFE on are left out, so no lane is all ones and no code is -1, the hash
    index's empty slot.
    """
    lengths = np.fromiter(map(len, tokens), np.int64, len(tokens))
    if points is None:
        points = _points("".join(tokens))
    assert lengths.sum() == len(points), "the tokens are not these characters"
    starts = np.cumsum(lengths) - lengths
    padded = np.append(points + 1, np.zeros(_PACKED, np.int64)).astype(np.uint64)
    code = padded[starts]
    packs = lengths <= _PACKED
    for k in range(1, _PACKED):
        lane = np.where(lengths > k, padded[starts + k], 0)
        packs &= lane < _BMP - 1
        code |= lane << np.uint64(16 * k)
    packs &= (padded[starts] < _BMP - 1) & (lengths > 0)
    return code.view(np.int64), packs


@dataclass(frozen=True, slots=True)
class _Lookups:
    chars: _HashIndex  # packed character n-gram -> column
    bigrams: _HashIndex  # first id * n_tokens + second id -> column
    tokens: dict[str, int]  # token -> id, placeholders included
    short_tokens: _HashIndex  # _packed(token) -> id, for the tokens it packs


@dataclass(frozen=True, slots=True)
class UnitCounts:
    """Feature counts of a batch of units, plus what passage scoring needs at unit boundaries.

    ``column``, ``unit`` and ``count``: each distinct (column, unit) pair, ordered by column and
    then unit, and how often the column occurs in the unit; ``keys`` is the same order as
    ``column << unit_bits | unit``. A unit's first and last word-token ids
    (``_OOV`` for a token outside the vocabulary, ``_NO_TOKEN`` for none) give the word bigram
    across a boundary; ``number_comma`` (the unit ends in a digit and a comma) and ``digit_first``
    mark a number such as 1,200 that the clause rule cut and the tokenizer reads as one.
    """

    n_units: int
    keys: Ints
    unit_bits: int
    column: Ints
    unit: Ints
    count: Ints
    first_token: Ints
    last_token: Ints
    number_comma: NDArray[np.bool_]
    digit_first: NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Windows:
    """Runs of consecutive units scored together: units ``start[i]`` to ``start[i] + size[i] - 1``.

    ``size`` is 1, 2 or 3, and a window never spans two paragraphs.
    """

    start: Ints
    size: Ints


class CompiledVocabulary:
    """A vocabulary and idf made ready for fast batch transforms."""

    def __init__(
        self,
        vocabulary: dict[str, int],
        idf: Floats,
        spec: FeatureSpec,
        *,
        sublinear_tf: bool,
    ) -> None:
        self.spec, self.idf, self.sublinear_tf = spec, idf, sublinear_tf
        self.n_columns = len(idf)
        self.token_ids: dict[str, int] = {}
        unigrams: dict[int, int] = {}
        bigrams: list[tuple[int, int, int]] = []
        chars: list[tuple[int, int]] = []
        for feature, column in vocabulary.items():
            body = feature[2:]
            if feature.startswith("w:"):
                ids = [self.token_ids.setdefault(t, len(self.token_ids)) for t in body.split(" ")]
                if len(ids) == 1:
                    unigrams[ids[0]] = column
                else:
                    bigrams.append((ids[0], ids[1], column))
            else:
                chars.append((_pack([ord(ch) for ch in body]), column))
        self.n_tokens = max(len(self.token_ids), 1)
        self.unigram_columns = np.full(self.n_tokens, -1, dtype=np.int64)
        for token_id, column in unigrams.items():
            self.unigram_columns[token_id] = column
        self.bigram_keys, self.bigram_columns = self._sorted(
            [(a * self.n_tokens + b, column) for a, b, column in bigrams]
        )
        self.char_keys, self.char_columns = self._sorted(chars)
        self._finish()

    def to_arrays(self) -> dict[str, NDArray[np.generic]]:
        """The compiled form as plain arrays, saved beside the model so loading skips compiling."""
        tokens = sorted(self.token_ids, key=self.token_ids.__getitem__)
        return {
            "tokens": np.array(tokens, dtype=str),
            "unigram_columns": self.unigram_columns,
            "bigram_keys": self.bigram_keys,
            "bigram_columns": self.bigram_columns,
            "char_keys": self.char_keys,
            "char_columns": self.char_columns,
        }

    @classmethod
    def from_arrays(
        cls,
        arrays: dict[str, NDArray[np.generic]],
        idf: Floats,
        spec: FeatureSpec,
        *,
        sublinear_tf: bool,
    ) -> CompiledVocabulary:
        compiled = cls.__new__(cls)
        compiled.spec, compiled.idf, compiled.sublinear_tf = spec, idf, sublinear_tf
        compiled.n_columns = len(idf)
        tokens = arrays["tokens"].tolist()
        compiled.token_ids = dict(zip(tokens, range(len(tokens)), strict=True))
        compiled.n_tokens = max(len(tokens), 1)
        compiled.unigram_columns = np.asarray(arrays["unigram_columns"], dtype=np.int64)
        compiled.bigram_keys = np.asarray(arrays["bigram_keys"], dtype=np.int64)
        compiled.bigram_columns = np.asarray(arrays["bigram_columns"], dtype=np.int64)
        compiled.char_keys = np.asarray(arrays["char_keys"], dtype=np.int64)
        compiled.char_columns = np.asarray(arrays["char_columns"], dtype=np.int64)
        compiled._finish()
        return compiled

    def _finish(self) -> None:
        self.bmp_columns = self._bmp_table()
        self._lock = threading.Lock()
        self._indexes: _Lookups | None = None
        self._nested = False  # see _nested
        number = self.token_ids.get(NUMBER_TOKEN, -1)
        self.number_column = int(self.unigram_columns[number]) if number >= 0 else -1

    def __getstate__(self) -> dict[str, object]:
        # A lock does not pickle; the indexes are rebuilt on first use, like after loading.
        state = dict(self.__dict__)
        del state["_lock"]
        state.update(_indexes=None, _nested=False)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _bmp_table(self) -> Ints | None:
        """Column of each single character of the Basic Multilingual Plane, or -1."""
        if self.spec.char_ngrams is None or self.spec.char_ngrams[0] > 1:
            return None
        table = np.full(_BMP, -1, dtype=np.int64)
        single = (self.char_keys > 0) & (self.char_keys <= _BMP)
        table[self.char_keys[single] - 1] = self.char_columns[single]
        return table

    def _lookups(self) -> _Lookups:
        """Hash indexes of n-grams and tokens, built on first use."""
        if self._indexes is None:
            with self._lock:
                if self._indexes is None:
                    tokens = dict(self.token_ids)
                    tokens.update({_GAP: _GAP_ID, _UNIT_END: _UNIT_END_ID, _WORD: _WORD_ID})
                    tokens[_NUMBER] = self.token_ids.get(NUMBER_TOKEN, _OOV)
                    codes, packs = _packed(list(tokens))
                    ids = np.fromiter(tokens.values(), np.int64, len(tokens))
                    chars = _HashIndex(self.char_keys, self.char_columns)
                    self._nested = _nested(chars, self.char_keys)
                    self._indexes = _Lookups(
                        chars=chars,
                        bigrams=_HashIndex(self.bigram_keys, self.bigram_columns),
                        tokens=tokens,
                        short_tokens=_HashIndex(codes[packs], ids[packs]),
                    )
        return self._indexes

    @staticmethod
    def _sorted(pairs: list[tuple[int, int]]) -> tuple[Ints, Ints]:
        pairs.sort()
        keys = np.array([k for k, _ in pairs], dtype=np.int64)
        columns = np.array([c for _, c in pairs], dtype=np.int64)
        return keys, columns

    # -- from text to counts ----------------------------------------------------------------

    def unit_counts(self, units: Sequence[str]) -> UnitCounts:
        """Count every feature of every unit, in one pass over the batch."""
        return self._counts(_points(_joined(units)), len(units))

    def clause_counts(self, texts: Sequence[str]) -> tuple[UnitCounts, Ints]:
        """``unit_counts`` of the clauses of each text (``text.split_clauses``), or of the text
        itself when it has fewer than two; and how many units each text has."""
        points, pieces = _clauses(texts)
        return self._counts(points, int(pieces.sum())), pieces

    def _counts(self, joined: Ints, n_units: int) -> UnitCounts:
        """Counts of the units in the code points ``joined``, each ended by a NUL but the last."""
        text, points = _normalized(joined)
        ends = np.flatnonzero(points == 0)
        starts = np.concatenate(([0], ends + 1))
        ends = np.concatenate((ends, [len(points)]))
        parts: list[tuple[Ints, Ints]] = []
        first = last = np.full(n_units, _NO_TOKEN, dtype=np.int64)
        if self.spec.word_ngrams:
            first, last = self._word_features(text, points, n_units, parts)
        if self.spec.char_ngrams:
            self._char_features(points, parts)
        number_comma, digit_first = _number_edges(points, starts, ends)
        return _counted(n_units, parts, self.n_columns, first, last, number_comma, digit_first)

    def _word_features(
        self, text: str, points: Ints, n_units: int, parts: list[tuple[Ints, Ints]]
    ) -> tuple[Ints, Ints]:
        """Word n-grams by the rule of ``tagger.text.tokenize``, with one segmenter call.

        The segmenter sees only the runs of Chinese characters, as ``tokenize`` sends them, with
        one placeholder character for each number, each word of other letters and each unit end
        between them; so one call gives every unit's tokens in order.
        """
        bigram_index = self._lookups().bigrams
        kind = _KIND(points)
        han = kind == _HAN_KIND
        digit = kind == _DIGIT_KIND
        letter = kind == _LETTER_KIND
        number = digit.copy()  # digits, and a single "." or "," between two digits
        number[1:-1] |= (
            ((points[1:-1] == ord(".")) | (points[1:-1] == ord(","))) & digit[:-2] & digit[2:]
        )
        number_start = number & ~np.concatenate(([False], number[:-1]))
        letter_start = letter & ~np.concatenate(([False], letter[:-1]))
        unit_end = points == 0
        marked = number_start | letter_start | unit_end
        after_han = np.concatenate(([False], han[:-1]))
        gap = after_han & ~han & ~marked  # keeps two Chinese runs apart
        code = np.where(han, points, ord(_GAP))
        code[number_start] = ord(_NUMBER)
        code[letter_start] = ord(_WORD)
        code[unit_end] = 0
        ids = self._token_ids(code[han | marked | gap])
        if letter_start.any():
            word_starts = np.flatnonzero(letter_start).tolist()
            word_ends = np.flatnonzero(letter & ~np.concatenate((letter[1:], [False]))) + 1
            words = [text[s:e] for s, e in zip(word_starts, word_ends.tolist(), strict=True)]
            placeholders = ids == _WORD_ID
            assert placeholders.sum() == len(words), "segmenter split a placeholder"
            ids[placeholders] = np.fromiter(map(self.token_ids.get, words, repeat(_OOV)), np.int64)
        owner = np.cumsum(ids == _UNIT_END_ID)
        assert len(ids) == 0 or owner[-1] == n_units - 1, "segmenter split a unit end"
        keep = ids >= _OOV
        ids, owner = ids[keep], owner[keep]

        low, high = self.spec.word_ngrams or (1, 1)
        if low <= 1 <= high:
            columns = np.where(ids >= 0, self.unigram_columns[np.maximum(ids, 0)], -1)
            found = columns >= 0
            parts.append((owner[found], columns[found]))
        if low <= 2 <= high and len(ids) > 1:
            pair = (owner[:-1] == owner[1:]) & (ids[:-1] >= 0) & (ids[1:] >= 0)
            columns = bigram_index.get(ids[:-1][pair] * self.n_tokens + ids[1:][pair])
            found = columns >= 0
            parts.append((owner[:-1][pair][found], columns[found]))
        per_unit = np.bincount(owner, minlength=n_units)
        has = per_unit > 0
        offsets = np.cumsum(per_unit) - per_unit
        first = np.full(n_units, _NO_TOKEN, dtype=np.int64)
        last = first.copy()
        first[has] = ids[offsets[has]]
        last[has] = ids[offsets[has] + per_unit[has] - 1]
        return first, last

    def _token_ids(self, segmented: Ints) -> Ints:
        """Segment the points in one call; the id of every token (placeholders' ids included).

        A token of up to four characters is found by its characters packed into one integer
        (``_packed``), read from ``segmented`` at its offset: no Python call per token but
        ``len``. Longer tokens are few and looked up by name.
        """
        lookups = self._lookups()
        stream = segmenter()(_text(segmented))
        code, packs = _packed(stream, segmented)
        ids = lookups.short_tokens.get(code)
        long = np.flatnonzero(~packs)
        if len(long):
            words = [stream[i] for i in long.tolist()]
            ids[long] = np.fromiter(map(lookups.tokens.get, words, repeat(_OOV)), np.int64)
        return ids

    def _char_features(self, points: Ints, parts: list[tuple[Ints, Ints]]) -> None:
        """Character n-grams inside runs of word characters, each run of digits folded to 0.

        Any n characters in a row are looked up: the vocabulary holds no n-gram with a character
        outside a run, so one that crosses punctuation or a unit end is not found. In a nested
        vocabulary only n-grams whose two (n-1)-grams were found can be there.
        """
        char_index = self._lookups().chars
        digit = (points >= ord("0")) & (points <= ord("9"))
        keep = np.ones(len(points), dtype=bool)
        keep[1:] = ~(digit[1:] & digit[:-1])
        points = points[keep]
        points[digit[keep]] = ord("0")
        owner = np.cumsum(points == 0)
        assert self.spec.char_ngrams is not None
        low, high = self.spec.char_ngrams
        code = np.zeros(len(points), dtype=np.int64)
        shorter: NDArray[np.bool_] | None = None  # where an (n-1)-gram was found
        for n in range(1, high + 1):
            code = code[: len(points) - n + 1] * _BASE + points[n - 1 :] + 1
            if n < low:
                continue
            if n == 1 and self.bmp_columns is not None:
                # Single characters: a direct table.
                columns = self.bmp_columns[np.minimum(points, _BMP - 1)]
                rare = np.flatnonzero(points >= _BMP - 1)
                columns[rare] = char_index.get(code[rare])
                where = np.flatnonzero(columns >= 0)
                columns = columns[where]
            else:
                where = (
                    np.flatnonzero(shorter[:-1] & shorter[1:])
                    if shorter is not None and self._nested
                    else np.arange(len(code))
                )
                columns = char_index.get(code[where])
                found = columns >= 0
                where, columns = where[found], columns[found]
            parts.append((owner[where], columns))
            shorter = np.zeros(len(code), dtype=bool)
            shorter[where] = True

    # -- from counts to TF-IDF --------------------------------------------------------------

    def tf(self, counts: Ints) -> Floats:
        """Term frequency as weighted: 1 + log(count) when sublinear, else the count; 0 for 0."""
        weighted = np.array(counts, dtype=np.float64)
        if self.sublinear_tf:
            many = weighted > 1  # 0 and 1 are their own weights
            weighted[many] = 1.0 + np.log(weighted[many])
        return weighted

    def rows(self, texts: Sequence[str]) -> Rows:
        """L2-normalised TF-IDF rows (indptr, indices, data), equal to scikit-learn's."""
        counts = self.unit_counts(texts)
        values = self.tf(counts.count) * self.idf[counts.column]
        norms = np.sqrt(np.bincount(counts.unit, weights=values * values, minlength=len(texts)))
        values /= np.where(norms > 0, norms, 1.0)[counts.unit]
        order = np.argsort(counts.unit, kind="stable")
        per_unit = np.bincount(counts.unit, minlength=len(texts))
        indptr = np.concatenate(([0], np.cumsum(per_unit)))
        return indptr.astype(np.int64), counts.column[order], values[order]

    def window_sums(
        self, counts: UnitCounts, windows: Windows, coef: Floats
    ) -> tuple[Floats, Floats]:
        """Each window's ``sum(coef * v)`` per label and ``sum(v * v)``, ``v`` its TF-IDF row.

        ``v`` is unnormalised: ``tf(count) * idf``, with the window's count of a feature being
        the sum over its units, plus the word bigram across each boundary between units (with a
        unit of no token in between: a 3-unit window's outer units), minus one number where the
        clause rule cut one (the bigram then is not there). The sums are taken per unit once,
        added up per window, and corrected where a feature occurs in more than one unit of the
        window or at a boundary: there ``tf`` of the sum is not the sum of ``tf``.
        """
        n_labels = len(coef)
        n = counts.n_units
        tf = self.tf(counts.count)
        # Rows 0 to n - 1 are the units; n + a, 2n + a and 3n + a what a run of units starting
        # at unit a adds beyond them (see _shared). One weighted bincount per label sums all.
        terms = _Terms()
        terms.add(counts.unit, counts.column, tf, tf * tf)
        multi = (windows.size > 1).any()
        if multi:
            self._shared(counts, tf, terms)
        sums = terms.sums(4 * n if multi else n, coef, self.idf)
        start, size = windows.start, windows.size
        totals = sums[start]
        two, three = size >= 2, size >= 3
        totals[two] += sums[start[two] + 1] + sums[n + start[two]]
        totals[three] += (
            sums[start[three] + 2]
            + sums[n + start[three] + 1]
            + sums[2 * n + start[three]]
            + sums[3 * n + start[three]]
        )
        if multi:
            terms = _Terms()
            self._boundaries(counts, windows, terms)
            totals += terms.sums(len(totals), coef, self.idf)
        return totals[:, :n_labels], totals[:, n_labels]

    def _shared(self, counts: UnitCounts, tf: Floats, terms: _Terms) -> None:
        """Features in two or three neighbouring units, where tf of the sum is not the sum of tf.

        Rows n + a: units a and a + 1 both have the feature; 2n + a: units a and a + 2, not
        a + 1; 3n + a: all three, beyond the two pairs already counted.
        """
        n = counts.n_units
        column, unit, t = counts.column, counts.unit, counts.count
        near = np.flatnonzero(column[1:] == column[:-1])  # entries i and i + 1: one column
        gap = unit[near + 1] - unit[near]
        one, two = near[gap == 1], near[gap == 2]
        adjacent = np.zeros(len(column) + 1, dtype=bool)
        adjacent[one] = True
        three = one[adjacent[one + 1]]
        for row, i in ((n, one), (2 * n, two)):
            joint = self.tf(t[i] + t[i + 1])
            terms.add(
                row + unit[i],
                column[i],
                joint - tf[i] - tf[i + 1],
                joint * joint - tf[i] * tf[i] - tf[i + 1] * tf[i + 1],
            )
        i, middle = three, tf[three + 1]
        joint, left, right = (
            self.tf(t[i] + t[i + 1] + t[i + 2]),
            self.tf(t[i] + t[i + 1]),
            self.tf(t[i + 1] + t[i + 2]),
        )
        terms.add(
            3 * n + unit[i],
            column[i],
            joint - left - right + middle,
            joint * joint - left * left - right * right + middle * middle,
        )

    def _boundaries(self, counts: UnitCounts, windows: Windows, terms: _Terms) -> None:
        """The word bigram across each boundary inside a window, and numbers the clause rule cut.

        Rows are windows: the tf of such a feature depends on the window's whole count of it.
        """
        pairs, triples = _window_tables(counts.n_units, windows)
        has = counts.first_token != _NO_TOKEN
        a = np.flatnonzero(pairs[: counts.n_units] >= 0)  # units a and a + 1 share windows
        cut = counts.number_comma[a] & counts.digit_first[a + 1]
        span_left, span_columns = self._bigrams(counts, a[has[a] & has[a + 1] & ~cut], 1)
        skips = np.flatnonzero(triples[: counts.n_units] >= 0)
        skips = skips[has[skips] & ~has[skips + 1] & has[skips + 2]]
        skip_left, skip_columns = self._bigrams(counts, skips, 2)
        cuts = a[cut] if self.number_column >= 0 else a[:0]
        left = np.concatenate((span_left, cuts))
        columns = np.concatenate((span_columns, np.full(len(cuts), self.number_column)))
        change = np.concatenate((np.ones(len(span_left), np.int64), np.full(len(cuts), -1)))
        # A boundary after unit a is in the 2-unit window at a and the 3-unit windows at a - 1
        # and a; a skip from a to a + 2 only in the 3-unit window at a.
        window = np.concatenate((pairs[left], triples[left - 1], triples[left], triples[skip_left]))
        column = np.concatenate((columns, columns, columns, skip_columns))
        change = np.concatenate((change, change, change, np.ones(len(skip_left), np.int64)))
        inside = window >= 0
        key = window[inside] * self.n_columns + column[inside]
        if not len(key):
            return
        order = np.argsort(key, kind="stable")
        key, change = key[order], change[inside][order]
        group = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
        key, change = key[group], np.add.reduceat(change, group)
        window, column = key // self.n_columns, key % self.n_columns
        before = np.zeros(len(key), dtype=np.int64)
        for step in range(3):
            inside = windows.size[window] > step
            units = windows.start[window[inside]] + step
            before[inside] += _count_of(counts, column[inside], units)
        old, new = self.tf(before), self.tf(before + change)
        terms.add(window, column, new - old, new * new - old * old)

    def _bigrams(self, counts: UnitCounts, left: Ints, step: int) -> tuple[Ints, Ints]:
        """The units in ``left`` whose last token and the first of ``step`` units on make a bigram
        of the vocabulary, and its column."""
        bigram_index = self._lookups().bigrams
        a, b = counts.last_token[left], counts.first_token[left + step]
        known = (a >= 0) & (b >= 0)
        columns = bigram_index.get(a[known] * self.n_tokens + b[known])
        hit = columns >= 0
        return left[known][hit], columns[hit]


class _Terms:
    """Weighted sums in the making: (row, column, tf factor, factor of the norm's square)."""

    def __init__(self) -> None:
        self.rows: list[Ints] = []
        self.columns: list[Ints] = []
        self.linear: list[Floats] = []
        self.square: list[Floats] = []

    def add(self, rows: Ints, columns: Ints, linear: Floats, square: Floats) -> None:
        self.rows.append(rows)
        self.columns.append(columns)
        self.linear.append(linear)
        self.square.append(square)

    def sums(self, n_rows: int, coef: Floats, idf: Floats) -> Floats:
        """Per row, for each label the sum of ``coef * idf * linear``, then of ``idf² * square``."""
        sums = np.zeros((n_rows, len(coef) + 1))
        for rows, columns, linear, square in zip(
            self.rows, self.columns, self.linear, self.square, strict=True
        ):
            weight = idf[columns]
            factor = weight * linear
            for j, label in enumerate(coef):
                sums[:, j] += np.bincount(rows, weights=label[columns] * factor, minlength=n_rows)
            factor = weight * weight * square
            sums[:, -1] += np.bincount(rows, weights=factor, minlength=n_rows)
        return sums


def _joined(texts: Sequence[str]) -> str:
    """The texts as one string, each ended by NUL (the last one not)."""
    joined = "\0".join(texts)
    if joined.count("\0") != len(texts) - 1:
        # A text holds NUL: another control character is the same to every feature and to the
        # clause rule (no word, no token, no whitespace, no clause mark).
        joined = "\0".join(text.replace("\0", "\x01") for text in texts)
    return joined


def _clauses(texts: Sequence[str]) -> tuple[Ints, Ints]:
    """``split_clauses`` of every text at once: the units' code points NUL-joined, and the
    number of units of each text.

    A clause ends after a run of clause marks and the closing quotes right after it; blank
    clauses are dropped, and a text of fewer than two clauses is one unit as it stands.
    """
    points = _points(_joined(texts))
    size = len(points)
    marks, closing = _CLAUSE_MARK(points), _CLOSING(points)
    run_ends = np.flatnonzero(marks & ~np.append(marks[1:], False)) + 1
    open_at = np.flatnonzero(~closing)  # a run of marks ends its clause at the next of these
    after = np.searchsorted(open_at, run_ends)
    cuts = np.append(open_at, size)[after]
    separators = np.flatnonzero(points == 0)
    # Pieces between cuts, separators (between texts) on their own; the first at 0.
    bounds = np.sort(np.concatenate(([0], cuts, separators, separators + 1, [size])))
    bounds = bounds[np.concatenate((bounds[1:] != bounds[:-1], [False]))]
    piece_end = np.append(bounds[1:], size)
    is_separator = np.zeros(len(bounds), dtype=bool)
    is_separator[np.searchsorted(bounds, separators)] = True
    solid = np.concatenate(([0], np.cumsum(~_SPACE(points))))
    kept = (solid[piece_end] > solid[bounds]) & ~is_separator  # not blank
    text_of = np.cumsum(is_separator) - is_separator  # a separator goes with the text before it
    per_text = np.bincount(text_of[kept], minlength=len(texts))
    whole = per_text < 2
    # Characters of kept clauses, of whole texts, and the separators between texts.
    unit = np.where(whole[text_of], ~is_separator, kept)
    keep = np.repeat(unit | is_separator, piece_end - bounds)
    # A NUL after each kept clause of a split text but its last.
    last_kept = np.zeros(len(bounds), dtype=bool)
    split_pieces = np.flatnonzero(kept & ~whole[text_of])
    last_kept[split_pieces] = np.append(
        text_of[split_pieces][1:] != text_of[split_pieces][:-1], True
    )
    ends = piece_end[split_pieces[~last_kept[split_pieces]]]
    offsets = np.concatenate(([0], np.cumsum(keep)))
    units = np.insert(points[keep], offsets[ends], 0)
    return units, np.where(whole, 1, per_text)


def _nested(index: _HashIndex, keys: Ints) -> bool:
    """Whether both (n-1)-grams of every character n-gram of the vocabulary are in it too.

    Pruning by document frequency alone keeps this: the characters of a feature in two
    documents are in those two documents as well.
    """
    length = 1 + (keys >= _BASE) + (keys >= _BASE * _BASE)
    for n in (2, 3):
        grams = keys[length == n]
        inner = [grams // _BASE, grams % _BASE ** (n - 1)]  # without the last, the first
        if any((index.get(part) < 0).any() for part in inner):
            return False
    return True


def _window_tables(n_units: int, windows: Windows) -> tuple[Ints, Ints]:
    """The 2-unit and the 3-unit window starting at each unit (-1: none), padded at both ends."""
    pairs = np.full(n_units + 3, -1, dtype=np.int64)
    triples = np.full(n_units + 3, -1, dtype=np.int64)
    for size, table in ((2, pairs), (3, triples)):
        which = np.flatnonzero(windows.size == size)
        table[windows.start[which]] = which
    return pairs, triples


def _count_of(counts: UnitCounts, columns: Ints, units: Ints) -> Ints:
    """How often each column occurs in each unit (0 when it does not)."""
    if not len(counts.keys):
        return np.zeros(len(columns), dtype=np.int64)
    keys = (columns << counts.unit_bits) | units
    where = np.minimum(np.searchsorted(counts.keys, keys), len(counts.keys) - 1)
    return np.where(counts.keys[where] == keys, counts.count[where], 0)


def _number_edges(
    points: Ints, starts: Ints, ends: Ints
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Units ending in a digit and a comma, and units starting with a digit."""
    padded = np.concatenate(([0, 0], points))  # so that empty units look at NULs
    last, before_last = padded[ends + 1], padded[ends]
    is_digit = (before_last >= ord("0")) & (before_last <= ord("9"))
    number_comma = (ends - starts >= 2) & (last == ord(",")) & is_digit
    head = padded[np.minimum(starts + 2, len(padded) - 1)]
    digit_first = (ends > starts) & (head >= ord("0")) & (head <= ord("9"))
    return number_comma, digit_first


def _counted(
    n_units: int,
    parts: list[tuple[Ints, Ints]],
    n_columns: int,
    first: Ints,
    last: Ints,
    number_comma: NDArray[np.bool_],
    digit_first: NDArray[np.bool_],
) -> UnitCounts:
    """Distinct (column, unit) pairs with counts: one sort of all occurrences."""
    unit_bits = max(1, n_units.bit_length())
    column = np.concatenate([c for _, c in parts] or [np.zeros(0, dtype=np.int64)])
    unit = np.concatenate([u for u, _ in parts] or [np.zeros(0, dtype=np.int64)])
    # Each part lists its occurrences in unit order, and a column belongs to one part only, so
    # a stable sort by column alone orders by (column, unit): a radix sort, 16 bits a pass.
    order = np.argsort((column & 0xFFFF).astype(np.uint16), kind="stable")
    for shift in range(16, max(1, n_columns - 1).bit_length(), 16):
        digit = ((column[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
    column, unit = column[order], unit[order]
    distinct = np.flatnonzero(
        np.concatenate(([True], (column[1:] != column[:-1]) | (unit[1:] != unit[:-1])))
    )[: len(column)]
    count = np.diff(np.concatenate((distinct, [len(column)])))
    column, unit = column[distinct], unit[distinct]
    return UnitCounts(
        n_units=n_units,
        keys=(column << unit_bits) | unit,
        unit_bits=unit_bits,
        column=column,
        unit=unit,
        count=count.astype(np.int64),
        first_token=first,
        last_token=last,
        number_comma=number_comma,
        digit_first=digit_first,
    )
