"""Out-of-fold scores from counts computed once equal per-fold vectorizers and the served scores."""

from __future__ import annotations

import numpy as np
import pytest

from tagger import Tagger
from tagger.features import analyze
from tagger.metrics import fold_ids, indicator

from .support import TINY

LONGER = [
    ("各乡镇在主要路口设立卡点，安排专人值守，对过往车辆逐一登记，同时组织村医入户随访。", [0]),
    ("社区志愿者为居家老人送菜上门，又帮他们预约核酸采样，楼长在群里转发通知。", [1, 3]),
    ("县里召开会议部署春耕生产，要求各村做好农资供应，确保不误农时。", []),
    ("宣传车在集市上循环播放防疫知识，村干部挨家挨户发放明白纸，劝导群众少聚集。", [2]),
]


@pytest.mark.parametrize("pooling", ["passages", "sentences", None])
def test_out_of_fold_scores_equal_a_vectorizer_per_fold(pooling: str | None) -> None:
    labels = ["checkpoint_duty", "nucleic_acid_testing", "publicity", "volunteer_service"]
    texts = [t for t, _ in TINY] + [t for t, _ in LONGER]
    label_lists = [lb for _, lb in TINY] + [[labels[j] for j in js] for _, js in LONGER]
    model = Tagger(cv=2, cv_repeats=2, pooling=pooling, random_state=3)
    gold = indicator(label_lists, labels)
    documents = [analyze(text, model.feature_spec) for text in texts]

    fast = model._out_of_fold_scores(texts, documents, gold)

    expected = []
    for repeat in range(2):
        folds = fold_ids(gold, 2, (3, repeat))
        block = np.zeros(gold.shape)
        for fold in range(2):
            test = folds == fold
            linear, _, _ = model._fit_linear(
                [d for d, t in zip(documents, test, strict=True) if not t], gold[~test]
            )
            block[test] = linear.scores([x for x, t in zip(texts, test, strict=True) if t])
        expected.append(block)
    np.testing.assert_allclose(fast, np.vstack(expected), rtol=0, atol=1e-9)
