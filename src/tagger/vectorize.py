"""Batch TF-IDF rows with numpy: the serving twin of ``features.analyze``.

A trained vocabulary is compiled once into integer codes: word tokens get ids (a bigram is a
pair of ids) and a character n-gram is its code points packed into one int64. A batch of texts
then becomes arrays of codes, looked up with one ``searchsorted`` per kind, so the per-feature
work runs in numpy rather than in a Python loop. Tests check the rows equal scikit-learn's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tagger.features import _DIGITS, FeatureSpec
from tagger.text import normalize, normalized_tokens

Rows = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]

_BASE = 1 << 21  # above every code point, so packed n-grams of up to 3 characters fit in int64
_MAX_CHARS = 3
_BMP_IS_WORD = np.array([chr(c).isalnum() for c in range(1 << 16)], dtype=bool)


def can_compile(spec: FeatureSpec) -> bool:
    words_ok = spec.word_ngrams is None or spec.word_ngrams[1] <= 2
    chars_ok = spec.char_ngrams is None or spec.char_ngrams[1] <= _MAX_CHARS
    return words_ok and chars_ok


def _pack(points: Sequence[int]) -> int:
    code = 0
    for point in points:
        code = code * _BASE + point + 1  # +1 keeps "a" and "\0a" apart
    return code


def _is_word(points: NDArray[np.int64]) -> NDArray[np.bool_]:
    """``str.isalnum`` per code point: the characters the ``[\\W_]`` split keeps."""
    result = np.zeros(len(points), dtype=bool)
    small = points < (1 << 16)
    result[small] = _BMP_IS_WORD[points[small]]
    if not small.all():
        for point in np.unique(points[~small]):
            result[points == point] = chr(int(point)).isalnum()
    return result


class CompiledVocabulary:
    """A vocabulary and idf made ready for fast batch transforms."""

    def __init__(
        self,
        vocabulary: dict[str, int],
        idf: NDArray[np.float64],
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
        self.bmp_columns = self._bmp_table()

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
        idf: NDArray[np.float64],
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
        compiled.bmp_columns = compiled._bmp_table()
        return compiled

    def _bmp_table(self) -> NDArray[np.int64] | None:
        """Column of each single character of the Basic Multilingual Plane, or -1."""
        if self.spec.char_ngrams is None or self.spec.char_ngrams[0] > 1:
            return None
        table = np.full(1 << 16, -1, dtype=np.int64)
        single = (self.char_keys > 0) & (self.char_keys <= (1 << 16))
        table[self.char_keys[single] - 1] = self.char_columns[single]
        return table

    @staticmethod
    def _sorted(pairs: list[tuple[int, int]]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        pairs.sort()
        keys = np.array([k for k, _ in pairs], dtype=np.int64)
        columns = np.array([c for _, c in pairs], dtype=np.int64)
        return keys, columns

    @staticmethod
    def _lookup(
        keys: NDArray[np.int64], columns: NDArray[np.int64], codes: NDArray[np.int64]
    ) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
        if not len(keys) or not len(codes):
            return np.zeros(len(codes), dtype=bool), np.zeros(0, dtype=np.int64)
        where = np.minimum(np.searchsorted(keys, codes), len(keys) - 1)
        hit = keys[where] == codes
        return hit, columns[where[hit]]

    def _word_features(self, normalized: list[str]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        get = self.token_ids.get
        ids: list[int] = []
        lengths: list[int] = []
        for text in normalized:
            tokens = normalized_tokens(text)
            ids.extend([get(t, -1) for t in tokens])
            lengths.append(len(tokens))
        token_ids = np.array(ids, dtype=np.int64)
        owner = np.repeat(np.arange(len(normalized), dtype=np.int64), lengths)
        docs, cols = [], []
        assert self.spec.word_ngrams is not None
        low, high = self.spec.word_ngrams
        if low <= 1 <= high:
            columns = np.where(token_ids >= 0, self.unigram_columns[np.maximum(token_ids, 0)], -1)
            keep = columns >= 0
            docs.append(owner[keep])
            cols.append(columns[keep])
        if low <= 2 <= high and len(token_ids) > 1:
            first, second = token_ids[:-1], token_ids[1:]
            pair = (owner[:-1] == owner[1:]) & (first >= 0) & (second >= 0)
            hit, columns = self._lookup(
                self.bigram_keys,
                self.bigram_columns,
                first[pair] * self.n_tokens + second[pair],
            )
            docs.append(owner[:-1][pair][hit])
            cols.append(columns)
        return _concat(docs), _concat(cols)

    def _char_features(self, normalized: list[str]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        folded = [_DIGITS.sub("0", text) for text in normalized]
        joined = "\0".join(folded)  # \0 is no word character, so no n-gram crosses texts
        points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        owner = np.repeat(np.arange(len(folded), dtype=np.int64), [len(t) + 1 for t in folded])
        owner = owner[: len(points)]
        word = _is_word(points)
        assert self.spec.char_ngrams is not None
        low, high = self.spec.char_ngrams
        docs, cols = [], []
        for n in range(low, high + 1):
            size = len(points) - n + 1
            if size <= 0:
                continue
            valid = word[:size].copy()
            for k in range(1, n):
                valid &= word[k : k + size]
            starts = np.flatnonzero(valid)
            if n == 1 and self.bmp_columns is not None:
                # Single characters: a direct table beats a binary search.
                small = points[starts] < len(self.bmp_columns)
                columns = np.full(len(starts), -1, dtype=np.int64)
                columns[small] = self.bmp_columns[points[starts[small]]]
                found = columns >= 0
                docs.append(owner[starts[found]])
                cols.append(columns[found])
                if small.all():
                    continue
                starts = starts[~small]
            code = points[starts] + 1
            for k in range(1, n):
                code = code * _BASE + points[starts + k] + 1
            hit, columns = self._lookup(self.char_keys, self.char_columns, code)
            docs.append(owner[starts[hit]])
            cols.append(columns)
        return _concat(docs), _concat(cols)

    def rows(self, texts: Sequence[str]) -> Rows:
        """L2-normalised TF-IDF rows (indptr, indices, data), equal to scikit-learn's."""
        normalized = [normalize(text) for text in texts]
        docs, cols = [], []
        if self.spec.word_ngrams:
            found = self._word_features(normalized)
            docs.append(found[0])
            cols.append(found[1])
        if self.spec.char_ngrams:
            found = self._char_features(normalized)
            docs.append(found[0])
            cols.append(found[1])
        keys, counts = np.unique(_concat(docs) * self.n_columns + _concat(cols), return_counts=True)
        owner, columns = keys // self.n_columns, keys % self.n_columns
        values = counts.astype(np.float64)
        if self.sublinear_tf:
            values = np.log(values) + 1.0
        values *= self.idf[columns]
        norms = np.sqrt(np.bincount(owner, weights=values * values, minlength=len(texts)))
        nonzero = norms[owner] > 0
        values[nonzero] /= norms[owner][nonzero]
        indptr = np.concatenate(([0], np.cumsum(np.bincount(owner, minlength=len(texts)))))
        return indptr.astype(np.int64), columns, values


def _concat(parts: list[NDArray[np.int64]]) -> NDArray[np.int64]:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
