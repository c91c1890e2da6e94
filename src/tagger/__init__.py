"""tagger: which epidemic-prevention measures does each paragraph of a Chinese news page report?

>>> import tagger
>>> model = tagger.load()
>>> model.predict(["志愿者在卡口值守，查验行程码"])
[['checkpoint_duty', 'volunteer_service']]
"""

from tagger._version import __version__
from tagger.dataset import Dataset, load_dataset
from tagger.errors import DataError, InputError, ModelError, TaggerError, UsageError
from tagger.labels import Label, LabelSchema, load_schema
from tagger.model import Tagger
from tagger.page import Article, Block, Page, read_page
from tagger.store import bundled_model_dir, load, load_estimator, read_manifest
from tagger.tagging import TaggedBlock
from tagger.training import train

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
    "Tagger",
    "TaggerError",
    "UsageError",
    "__version__",
    "bundled_model_dir",
    "load",
    "load_dataset",
    "load_estimator",
    "load_schema",
    "read_manifest",
    "read_page",
    "train",
]
