"""Tagger keeps scikit-learn's estimator contract, and refuses bad parameters in one place."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.utils import estimator_checks

from tagger import Tagger, TaggerError

# check_estimator itself runs only its cloneable check here: every other check feeds 2-D numeric
# arrays, and a Tagger reads text (its tags say string input), so scikit-learn skips them. These
# are the checks that need no numeric data, run one by one.
CHECKS_WITHOUT_NUMERIC_DATA = [
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_repr",
    "check_estimator_cloneable",
    "check_valid_tag_types",
]


def test_is_a_classifier_and_clones() -> None:
    tagger = Tagger(C=3.0, pooling="sentences")
    assert is_classifier(tagger)
    copy = clone(tagger)
    assert copy is not tagger
    assert copy.get_params() == tagger.get_params()


@pytest.mark.parametrize("name", CHECKS_WITHOUT_NUMERIC_DATA)
@pytest.mark.filterwarnings("ignore:.*occurred during set_params:UserWarning")
def test_scikit_learn_check(name: str) -> None:
    getattr(estimator_checks, name)("Tagger", Tagger())


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_check_estimator_passes_what_applies() -> None:
    results = estimator_checks.check_estimator(Tagger(), on_fail=None)
    assert [r["status"] for r in results if r["status"] != "skipped"] == ["passed"]


def test_classes_and_score(trained: Tagger, tiny_texts: list[str], tiny_labels: list) -> None:
    assert list(trained.classes_) == trained.labels_
    expected = np.mean(
        [set(p) == set(g) for p, g in zip(trained.predict(tiny_texts), tiny_labels, strict=True)]
    )
    assert trained.score(tiny_texts, tiny_labels) == pytest.approx(expected)
    assert trained.score(tiny_texts[:1], [["publicity"]]) == 0.0


def test_classes_before_fit_is_a_clear_error() -> None:
    with pytest.raises(TaggerError, match="not trained yet"):
        _ = Tagger().classes_


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"pooling": "passage"}, "'passages', 'sentences', None"),
        ({"class_weight": "auto"}, "'balanced', None"),
        ({"C": 0}, "a positive number"),
        ({"cv": 1}, "None or a whole number of folds >= 2"),
        ({"cv_repeats": 0}, "a whole number >= 1"),
        ({"char_ngram_range": (3, 1)}, "1 <= low <= high"),
        ({"word_ngram_range": None, "char_ngram_range": None}, "at least one must be set"),
    ],
)
def test_wrong_parameter_names_the_allowed_values(params: dict, names: str) -> None:
    with pytest.raises(TaggerError, match=names.replace("(", r"\(")):
        Tagger().set_params(**params)
    with pytest.raises(TaggerError, match=names.replace("(", r"\(")):
        Tagger(**params).fit(["村口设卡", "核酸采样"] * 4, [["a"], ["b"]] * 4)


def test_set_params_on_a_fitted_model_takes_effect(
    tiny_texts: list[str], tiny_labels: list
) -> None:
    text = ["全县开展全员核酸检测，设置采样点二百个。村口设立卡点，专人值守，查验健康码和行程码。"]
    model = Tagger(cv=2).fit(tiny_texts, tiny_labels)
    pooled = model.decision_function(text)
    model.set_params(pooling=None)
    unpooled = model.decision_function(text)
    assert not np.allclose(unpooled, pooled)
    assert np.allclose(
        unpooled, Tagger(cv=2, pooling=None).fit(tiny_texts, tiny_labels).decision_function(text)
    )
