"""``tagger train`` as a library call: validate the data, fit, save atomically."""

from __future__ import annotations

import os
import re
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

    Nothing is written unless every file validates and training succeeds, and ``output`` must
    be a place a model may go (see ``tagger.store.model_target``): that is checked first.
    """
    if output is not None:
        from tagger.store import model_target

        model_target(output)
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


_PIN = re.compile(r'^(MANIFEST_SHA256 = ")[0-9a-f]{64}(")$', re.MULTILINE)


def _repin_if_bundled(output: Path) -> None:
    """Retraining the source checkout's bundled model also updates the hash pinned for it.

    The pin file is replaced atomically (written beside it, then renamed over it), so a kill
    leaves the old pin or the new one, never an empty file that would stop every import of
    tagger. A kill after the model is swapped in but before the pin is leaves an old pin, which
    the next ``tagger train`` into the same place corrects.
    """
    from tagger.errors import ModelError
    from tagger.files import open_output
    from tagger.store import MANIFEST, sha256_file

    source = Path(__file__).resolve().parent
    if output.resolve() != source.parents[1] / "models" / "default":
        return
    pin = source / "_bundled.py"
    text, found = _PIN.subn(rf"\g<1>{sha256_file(output / MANIFEST)}\g<2>", pin.read_text("utf-8"))
    if found != 1:
        raise ModelError(f"{pin}: no MANIFEST_SHA256 line to update; restore it from git")
    with open_output(pin) as out:
        out.write(text)
