"""Out-of-fold scores from counts computed once equal per-fold vectorizers and the served scores."""

from __future__ import annotations

import numpy as np
import pytest

from tagger import Tagger
from tagger.features import analyze
from tagger.metrics import fold_ids, indicator
from tagger.serving import scoring_units

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

    units = [scoring_units(text, pooling) for text in texts]
    fast = model._out_of_fold_scores(units, documents, gold)

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


def test_repeated_cross_validation_steadies_the_thresholds() -> None:
    """Thresholds from ten repeats move less between random_state values than from one."""
    texts = [t for t, _ in TINY]
    label_lists = [labels for _, labels in TINY]

    def spread(repeats: int) -> float:
        thresholds = [
            Tagger(cv=2, cv_repeats=repeats, random_state=seed).fit(texts, label_lists).thresholds_
            for seed in range(6)
        ]
        return float(np.ptp(np.array(thresholds), axis=0).max())

    assert spread(10) < 0.5 * spread(1)


def test_the_unit_slope_is_zero_without_pooling_and_learned_with_it() -> None:
    from tagger.metrics import tune_cut

    rng = np.random.default_rng(0)
    log_units = np.log(rng.integers(1, 20, size=400))
    gold = rng.random(400) < 0.3
    # Scores of the best of many units run high by chance: the slope should take that back.
    scores = np.where(gold, 1.0, -1.0) + 0.8 * log_units + rng.normal(0, 0.5, 400)
    slope, _ = tune_cut(gold, scores, log_units)
    assert 0.4 <= slope <= 1.2
    no_pooling_slope, _ = tune_cut(gold, scores, np.zeros(400))
    assert no_pooling_slope == 0.0
