"""tagger: which epidemic-prevention measures does each paragraph of a Chinese news page report?

>>> import tagger
>>> model = tagger.load()
>>> model.predict(["志愿者在卡口值守，查验行程码"])
[['checkpoint_duty', 'volunteer_service']]

Names are imported on first use, so ``import tagger`` (and the command line) starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tagger._version import __version__

if TYPE_CHECKING:
    from tagger.annotation import import_labels
    from tagger.checks import check_data as check
    from tagger.dataset import Dataset, load_dataset
    from tagger.errors import DataError, InputError, ModelError, TaggerError, UsageError
    from tagger.evaluation import evaluate_data as evaluate
    from tagger.labels import Label, LabelSchema, load_schema
    from tagger.model import Tagger
    from tagger.notebook import TaggedResults, tag_frame
    from tagger.page import Article, Block, Page, read_page
    from tagger.store import bundled_model_dir, load, load_estimator, read_manifest
    from tagger.suggest import suggest
    from tagger.tagging import TaggedBlock
    from tagger.training import train

_WHERE: dict[str, str | tuple[str, str]] = {
    "Dataset": "dataset",
    "load_dataset": "dataset",
    "DataError": "errors",
    "InputError": "errors",
    "ModelError": "errors",
    "TaggerError": "errors",
    "UsageError": "errors",
    "Label": "labels",
    "LabelSchema": "labels",
    "load_schema": "labels",
    "Tagger": "model",
    "TaggedResults": "notebook",
    "tag_frame": "notebook",
    "Article": "page",
    "Block": "page",
    "Page": "page",
    "read_page": "page",
    "bundled_model_dir": "store",
    "load": "store",
    "load_estimator": "store",
    "read_manifest": "store",
    "TaggedBlock": "tagging",
    "train": "training",
    "import_labels": "annotation",
    "check": ("checks", "check_data"),
    "evaluate": ("evaluation", "evaluate_data"),
    "suggest": "suggest",
}

__all__ = [
    "Article",
    "Block",
    "DataError",
    "Dataset",
    "InputError",
    "Label",
    "LabelSchema",
    "ModelError",
    "Page",
    "TaggedBlock",
    "TaggedResults",
    "Tagger",
    "TaggerError",
    "UsageError",
    "__version__",
    "bundled_model_dir",
    "check",
    "evaluate",
    "import_labels",
    "load",
    "load_dataset",
    "load_estimator",
    "load_schema",
    "read_manifest",
    "read_page",
    "suggest",
    "tag_frame",
    "train",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        where = _WHERE[name]
        module, attribute = where if isinstance(where, tuple) else (where, name)
        value = getattr(importlib.import_module(f"tagger.{module}"), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tagger' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
