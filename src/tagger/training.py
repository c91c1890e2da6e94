"""``tagger train`` as a library call: validate the data, fit, save atomically."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tagger.dataset import load_dataset
from tagger.model import Tagger


def train(
    data: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] = "data/labels",
    output: str | os.PathLike[str] | None = None,
    **params: Any,
) -> Tagger:
    """Train a Tagger on labelled JSONL data and, given ``output``, save it there.

    Nothing is written unless every file validates and training succeeds.
    """
    paths = [data] if isinstance(data, str | os.PathLike) else list(data)
    dataset = load_dataset([Path(p) for p in paths])
    tagger = Tagger(**params).fit(dataset.texts, dataset.label_lists, labels=dataset.schema)
    if output is not None:
        tagger.save(
            str(output),
            training_data={"sha256": dataset.sha256, "n_paragraphs": len(dataset.examples)},
            label_descriptions={lb.id: lb.description for lb in dataset.schema},
        )
        _repin_if_bundled(Path(output))
    return tagger


def _repin_if_bundled(output: Path) -> None:
    """Retraining the source checkout's bundled model also updates the hash pinned for it."""
    from tagger.store import MANIFEST, sha256_file

    source = Path(__file__).resolve().parent
    if output.resolve() != source.parents[1] / "models" / "default":
        return
    pin = source / "_bundled.py"
    text = pin.read_text("utf-8")
    start = text.index('MANIFEST_SHA256 = "') + len('MANIFEST_SHA256 = "')
    pin.write_text(text[:start] + sha256_file(output / MANIFEST) + text[start + 64 :], "utf-8")
