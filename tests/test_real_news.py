"""The bundled model on real news nobody here wrote (read from ../shared, never copied).

Skipped cleanly when ../shared/data is absent.
"""

import json

import numpy as np
import pytest

import tagger
from tagger.features import analyze
from tagger.metrics import indicator, scores_table
from tagger.text import split_passages

from .support import SHARED_DATA

DEV = SHARED_DATA / "real-news" / "dev.jsonl"
# The goal is 0.87; the bundled model measures 0.779 today (benchmarks/README.md), below the
# 0.832 of the model trained on the first 2,907 paragraphs. This floor catches regressions from
# here; raise it whenever the model improves.
DEV_MACRO_F1_FLOOR = 0.76

pytestmark = pytest.mark.skipif(not DEV.is_file(), reason=f"{DEV} is absent")


@pytest.fixture(scope="module")
def dev_rows() -> list[dict]:
    return [json.loads(line) for line in DEV.read_text("utf-8").splitlines() if line.strip()]


def test_bundled_model_macro_f1_on_real_news(dev_rows: list[dict]) -> None:
    model = tagger.load()
    gold = indicator([row["labels"] for row in dev_rows], model.labels_)
    predicted = indicator(model.predict([row["text"] for row in dev_rows]), model.labels_)
    assert scores_table(gold, predicted, model.labels_)["macro"]["f1"] >= DEV_MACRO_F1_FLOOR


def test_numpy_serving_equals_scikit_learn_on_real_news(dev_rows: list[dict]) -> None:
    served = tagger.load()
    full = tagger.load_estimator()  # the bundled model is trusted by its pinned location
    texts = [row["text"] for row in dev_rows]
    expected = []
    for text in texts:
        passages = [analyze(s, full.feature_spec) for s in split_passages(text)]
        matrix = full.vectorizer_.transform(passages)
        scores = np.column_stack([e.decision_function(matrix) for e in full.estimators_])
        # The pooled score is lowered by the label's slope per log(number of passages).
        expected.append(scores.max(axis=0) - full.unit_slopes_ * np.log(len(passages)))
    np.testing.assert_allclose(
        served.decision_function(texts), np.array(expected), rtol=0, atol=1e-9
    )
