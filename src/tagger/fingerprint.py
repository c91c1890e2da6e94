"""Which paragraphs a model was trained on: a short hash of each, kept with the model.

Figures measured on paragraphs a model was trained on overstate how it does on new text. A
fitted ``Tagger`` keeps the hashes of its training paragraphs (``training_hashes_``, saved as
``training_hashes.npy``), so that ``evaluate`` and ``report`` can say how many of the
paragraphs they score the model has seen. Texts are hashed after normalisation, as duplicates
are found, so a copy that differs only in spacing or full-width forms still counts as seen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from tagger.text import normalize


def paragraph_hashes(texts: Iterable[str]) -> NDArray[np.uint64]:
    """One 64-bit hash per text, in order.

    With 64 bits, two of ten thousand different paragraphs share a hash with a probability
    of about 3e-12; the array costs 8 bytes a paragraph.
    """
    digests = (
        hashlib.blake2b(normalize(text).encode("utf-8"), digest_size=8).digest() for text in texts
    )
    return np.array([int.from_bytes(d, "little") for d in digests], dtype=np.uint64)


def training_fingerprint(texts: Iterable[str]) -> NDArray[np.uint64]:
    """The sorted, distinct hashes of a model's training paragraphs."""
    return np.unique(paragraph_hashes(texts))


def seen_in_training(fingerprint: NDArray[np.uint64], texts: Iterable[str]) -> NDArray[np.bool_]:
    """For each text, whether a paragraph equal to it (after normalisation) was trained on."""
    return np.isin(paragraph_hashes(texts), fingerprint)


def overlap_warning(seen: int, total: int) -> str:
    """The sentence ``evaluate`` and ``report`` print when the data overlaps the training data."""
    share = "all" if seen == total else f"{seen / total:.0%}"
    return (
        f"{seen} of the {total} paragraphs evaluated ({share}) are in the model's training "
        "data, so these figures overstate how it does on new text; evaluate on paragraphs it "
        "was not trained on, or cross-validate with --cv"
    )
