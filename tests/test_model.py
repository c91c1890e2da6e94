from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.base import clone

from tagger import DataError, Tagger, UsageError
from tagger.features import analyze


def test_fit_returns_self_and_learns_labels_in_sorted_order(trained: Tagger) -> None:
    assert trained.labels_ == sorted(trained.labels_)
    assert len(trained.labels_) == 5
    assert trained.coef_.shape == (5, len(trained.vocabulary_))
    assert trained.thresholds_.shape == (5,)


def test_fit_takes_the_label_order_it_is_given(
    tiny_texts: list[str], tiny_labels: list[list[str]]
) -> None:
    order = [
        "volunteer_service",
        "publicity",
        "checkpoint_duty",
        "nucleic_acid_testing",
        "property_management",
    ]
    model = Tagger(cv=2).fit(tiny_texts, tiny_labels, labels=order)
    assert model.labels_ == order
    assert model.predict_proba(["卡口值守"]).shape == (1, 5)


def test_fit_trains_on_any_label_set() -> None:
    texts = [f"{word}新闻{i}" for word in ("体育", "财经") for i in range(6)]
    labels = [["sports"]] * 6 + [["finance"]] * 6
    model = Tagger(cv=3).fit(texts, labels)
    assert model.labels_ == ["finance", "sports"]
    assert model.predict(["体育新闻"]) == [["sports"]]


def test_clone_gives_an_unfitted_copy_with_the_same_params(trained: Tagger) -> None:
    copy = clone(trained)
    assert copy.get_params() == trained.get_params()
    assert not hasattr(copy, "coef_")
    assert clone(Tagger(C=3.0)).C == 3.0


def test_set_params_rejects_unknown_names() -> None:
    assert Tagger().set_params(C=2.0).C == 2.0
    with pytest.raises(UsageError, match="unknown parameter 'c'"):
        Tagger().set_params(c=2.0)


def test_predictions_follow_scores_and_thresholds(trained: Tagger) -> None:
    texts = ["村口卡点值守，查验健康码", "居民排队做核酸检测", "今天天气晴朗"]
    proba = trained.predict_proba(texts)
    assert proba.shape == (3, 5)
    assert np.all((proba >= 0) & (proba <= 1))
    expected = [
        [lb for lb, p, t in zip(trained.labels_, row, trained.thresholds_, strict=True) if p >= t]
        for row in proba
    ]
    assert trained.predict(texts) == expected
    assert "checkpoint_duty" in expected[0]
    assert "nucleic_acid_testing" in expected[1]


MIXED = [
    "卡口志愿者送菜上门。居民排队做核酸检测！物业公司组织消杀",
    "",
    "ABC 123，COVID-19疫情。",
    "😀 emoji 与 控制字符\x07 和 NUL\x00 字符",
    "𠀀𠀁 rare characters outside the BMP 卡点",
    "２０２２年全员核酸检测第３轮",
]


def sklearn_scores(model: Tagger, texts: list[str]) -> np.ndarray:
    matrix = model.vectorizer_.transform([analyze(t, model.feature_spec) for t in texts])
    return np.column_stack([e.decision_function(matrix) for e in model.estimators_])


def test_numpy_rows_equal_scikit_learns(trained: Tagger, tiny_texts: list[str]) -> None:
    texts = [*tiny_texts, *MIXED]
    indptr, indices, data = trained._linear().rows(texts)
    ours = np.zeros((len(texts), len(trained.vocabulary_)))
    for i in range(len(texts)):
        ours[i, indices[indptr[i] : indptr[i + 1]]] = data[indptr[i] : indptr[i + 1]]
    expected = trained.vectorizer_.transform([analyze(t, trained.feature_spec) for t in texts])
    np.testing.assert_allclose(ours, expected.toarray(), rtol=0, atol=1e-12)


def test_a_paragraph_scores_as_its_best_passage(trained: Tagger) -> None:
    from tagger.text import split_passages

    for text in MIXED:
        best = sklearn_scores(trained, split_passages(text)).max(axis=0)
        np.testing.assert_allclose(trained.decision_function([text])[0], best, rtol=0, atol=1e-9)
    proba = trained.predict_proba(MIXED)
    np.testing.assert_allclose(
        proba, 1 / (1 + np.exp(-trained.decision_function(MIXED))), rtol=0, atol=1e-12
    )


def test_without_pooling_scores_equal_scikit_learns(
    tiny_texts: list[str], tiny_labels: list[list[str]]
) -> None:
    model = Tagger(cv=2, pooling=None).fit(tiny_texts, tiny_labels)
    np.testing.assert_allclose(
        model.decision_function(MIXED), sklearn_scores(model, MIXED), rtol=0, atol=1e-9
    )


def test_features_beyond_the_compiled_range_still_match(
    tiny_texts: list[str], tiny_labels: list[list[str]]
) -> None:
    model = Tagger(cv=2, char_ngram_range=(2, 5), word_ngram_range=(1, 3), pooling=None).fit(
        tiny_texts, tiny_labels
    )
    np.testing.assert_allclose(
        model.decision_function(MIXED), sklearn_scores(model, MIXED), rtol=0, atol=1e-9
    )


def test_empty_input_gives_empty_output(trained: Tagger) -> None:
    assert trained.predict([]) == []
    assert trained.predict_proba([]).shape == (0, 5)


@pytest.mark.parametrize("bad", ["一段文字", b"bytes", 42, None])
def test_predict_wants_a_list_of_strings(trained: Tagger, bad: object) -> None:
    with pytest.raises(UsageError, match="expected a list of strings"):
        trained.predict(bad)  # type: ignore[arg-type]


def test_predict_names_the_item_that_is_not_a_string(trained: Tagger) -> None:
    with pytest.raises(UsageError, match=r"texts\[1\]: expected a string, found int"):
        trained.predict(["卡点", 3])  # type: ignore[list-item]


def test_unfitted_tagger_says_what_to_do() -> None:
    with pytest.raises(UsageError, match="not trained yet"):
        Tagger().predict(["卡点"])


def test_a_label_with_too_few_examples_is_named_with_its_count(
    tiny_texts: list[str], tiny_labels: list[list[str]]
) -> None:
    labels = [*tiny_labels[:-1], ["rare"]]
    with pytest.raises(DataError, match=r"label 'rare' has 1 positive .* at least 5"):
        Tagger(cv=5).fit(tiny_texts, labels)


def test_mismatched_lengths_are_refused(tiny_texts: list[str]) -> None:
    with pytest.raises(UsageError, match="one label list per text: 26 texts, 1 label lists"):
        Tagger().fit(tiny_texts, [["publicity"]])


def test_fit_is_deterministic(
    tiny_texts: list[str], tiny_labels: list[list[str]], trained: Tagger
) -> None:
    again = Tagger(cv=2).fit(tiny_texts, tiny_labels)
    np.testing.assert_array_equal(again.coef_, trained.coef_)
    np.testing.assert_array_equal(again.thresholds_, trained.thresholds_)


def test_a_tagger_is_safe_to_share_between_threads(trained: Tagger) -> None:
    texts = [f"第{i}号卡口志愿者值守，居民排队核酸检测" for i in range(64)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda t: trained.predict([t])[0], texts))
    assert results == trained.predict(texts)


def test_without_cross_validation_thresholds_are_one_half(
    tiny_texts: list[str], tiny_labels: list[list[str]]
) -> None:
    model = Tagger(cv=None).fit(tiny_texts, tiny_labels)
    np.testing.assert_array_equal(model.thresholds_, np.full(5, 0.5))
    assert model.cv_metrics_ == {}
    with pytest.raises(DataError, match=r"label 'never' has 0 positive .* at least one of each"):
        Tagger(cv=None).fit(tiny_texts, tiny_labels, labels=[*model.labels_, "never"])
