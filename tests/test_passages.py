"""Passages scored from clause counts equal each passage scored from scratch.

The reference is the arithmetic training uses: ``features.analyze`` on the passage's own text,
``features.tfidf_rows`` and ``features.linear_scores``, the best passage per label. It runs on
whatever model is loaded, so these tests hold when the bundled model is retrained.
"""

import json
import re
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tagger
import tagger.text
from tagger import Tagger
from tagger.features import FeatureSpec, analyze, linear_scores, tfidf_rows
from tagger.text import split_clauses, split_passages, split_sentences, tokenize
from tagger.vectorize import CompiledVocabulary

from .support import REPO, SHARED_DATA

TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def bundled() -> Tagger:
    return tagger.load()


@pytest.fixture(scope="module")
def bigrams(bundled: Tagger) -> list[tuple[str, str]]:
    """Word bigrams of the model whose words stay whole when cut alone, strongest first: their
    words on both sides of a clause boundary make a feature only the boundary terms give."""
    found = []
    for feature, column in bundled.vocabulary_.items():
        words = feature[2:].split(" ")
        whole = all(re.fullmatch("[\u4e00-\u9fff]+", w) and tokenize(w) == [w] for w in words)
        if feature.startswith("w:") and len(words) == 2 and whole:
            found.append((float(np.abs(bundled.coef_[:, column]).max()), words[0], words[1]))
    return [(a, b) for _, a, b in sorted(found, reverse=True)[:30]]


def reference(model: Tagger, texts: list[str]) -> np.ndarray:
    """Each text's best unit, every unit vectorised from its own text (duplicates once), less
    the pooling correction: the label's slope times the log of the number of units."""
    split = {"passages": split_passages, "sentences": split_sentences}.get(
        str(model.pooling), lambda text: [text]
    )
    slopes = getattr(model, "unit_slopes_", np.zeros(len(model.labels_)))
    best = []
    for text in texts:
        correction = slopes * np.log(len(split(text)))
        units = list(dict.fromkeys(split(text)))
        rows = tfidf_rows(
            (analyze(unit, model.feature_spec) for unit in units),
            model.vocabulary_,
            model.idf_,
            sublinear_tf=model.sublinear_tf,
        )
        best.append(linear_scores(rows, model.coef_, model.intercept_).max(axis=0) - correction)
    return np.array(best).reshape(len(texts), len(model.labels_))


def assert_scores_match(model: Tagger, texts: list[str]) -> None:
    np.testing.assert_allclose(
        model.decision_function(texts), reference(model, texts), rtol=0, atol=TOLERANCE
    )


def real_news(name: str) -> list[str]:
    path = SHARED_DATA / "real-news" / name
    if not path.is_file():
        pytest.skip(f"{path} is absent (third-party text is read from ../shared, never copied)")
    return [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines()]


def test_clause_counts_score_like_each_passage_on_real_news_dev(bundled: Tagger) -> None:
    assert_scores_match(bundled, real_news("dev.jsonl"))


EDGES = [
    "",
    "   \n ",
    "，，，",
    "村口设卡点",  # one clause
    "村口设卡点。",
    "村口设卡点，专人值守",
    "，村口设卡点，，专人值守。\n\n查验健康码！",  # empty and blank clauses
    "核酸检测，……，采样点。",  # a middle clause without a token: the skip bigram
    "核酸检测，——，（），采样点，“”，志愿者",
    "全县共设卡点1,200个，检测2,300人。",  # numbers the clause rule cuts
    "检测1，200人，１，２００人，1,2,3,4人，1, 2人，1,\n2人，1,，2人",
    "x1,200%y，covid19，COVID-19疫情，0-24时，6.5万人，98%，3.14.15",
    "卡点\x00值守，NUL\x00，\x01\x02\x07控制字符，",
    "𠀀𠀁 非基本平面，卡点😀值守，㐀㐁扩展A，﨑﨔兼容",
    "ΑΣ，ΣΑΣ。İstanbul，ǅ，ﬁ，…，℃，㎡，①②，Ⅳ",
    "ｅ\u0301́，e\u0301，\u0301核酸，",
    "“放心吧！”然后离开。‘好’」』）)\"'，村口",
]


@pytest.mark.parametrize("text", EDGES)
def test_edge_cases_score_like_each_passage(bundled: Tagger, text: str) -> None:
    assert_scores_match(bundled, [text])


def test_bigrams_across_clause_boundaries_score_like_each_passage(
    bundled: Tagger, bigrams: list[tuple[str, str]]
) -> None:
    texts = []
    for a, b in bigrams:
        texts += [
            f"{a}，{b}",
            f"居民{a}，……，{b}采样",
            f"{a}，{b}，（），{a}，{b}{a}",
            f"{a}，，{b}",
        ]
    assert_scores_match(bundled, texts)


def test_a_batch_scores_each_paragraph_as_alone(bundled: Tagger) -> None:
    assert_scores_match(bundled, EDGES)
    alone = np.vstack([bundled.decision_function([text]) for text in EDGES])
    np.testing.assert_allclose(bundled.decision_function(EDGES), alone, rtol=0, atol=TOLERANCE)


def test_very_long_paragraphs_score_like_each_passage(bundled: Tagger) -> None:
    clauses = ["村口设立卡点，", "专人值守；", "查验健康码和行程码。", "1,", "200人", "……，"]
    many = "".join(clauses[i % len(clauses)] for i in range(40_000))  # more units than a slice
    one_clause = "居民排队做核酸检测" * 30_000  # no clause mark in 270,000 characters
    assert_scores_match(bundled, [many, one_clause, "卡点，值守"])


WORDS = ["卡点", "值守", "核酸", "检测", "志愿者", "物业", "宣传", "居民", "采样", "疫情", "的"]
PIECES = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(list("，,；;。！？!?\n”’」』）)\"'")),  # clause marks and closing quotes
    st.sampled_from(["，……，", "；（）；"]),  # a clause without a word token
    st.from_regex(r"[0-9０-９]{1,4}([,，.][0-9]{1,3}){0,3}%?", fullmatch=True),
    st.sampled_from(
        ["covid", "ＡＢＣ", "Σ", "…", "℃", "①", "\u0301", "\x00", "😀", "㐀", " ", "\u3000"]
    ),
    st.text(max_size=3),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_paragraphs_score_like_each_passage(
    bundled: Tagger, bigrams: list[tuple[str, str]], data: st.DataObject
) -> None:
    pieces = st.one_of(PIECES, st.sampled_from([w for pair in bigrams for w in pair]))
    paragraphs = st.lists(pieces, max_size=40).map("".join)
    assert_scores_match(bundled, data.draw(st.lists(paragraphs, min_size=1, max_size=6)))


@pytest.mark.parametrize("pooling", ["sentences", None])
def test_other_poolings_score_like_each_unit(
    tiny_texts: list[str], tiny_labels: list[list[str]], pooling: str | None
) -> None:
    model = Tagger(cv=None, pooling=pooling).fit(tiny_texts, tiny_labels)
    assert_scores_match(model, EDGES + tiny_texts)


def test_without_sublinear_tf_passages_still_match(
    tiny_texts: list[str], tiny_labels: list[list[str]]
) -> None:
    model = Tagger(cv=None, sublinear_tf=False).fit(tiny_texts, tiny_labels)
    assert_scores_match(model, [*EDGES, "卡点卡点，卡点值守，值守卡点卡点。卡点"])


def test_a_loaded_model_that_has_scored_still_pickles(bundled: Tagger) -> None:
    import pickle

    scores = bundled.decision_function(EDGES)
    again = pickle.loads(pickle.dumps(bundled))
    np.testing.assert_array_equal(again.decision_function(EDGES), scores)


def test_explain_and_tagging_pool_alike(bundled: Tagger) -> None:
    texts = real_news("dev.jsonl")[:40]
    scores, best = bundled._linear().best_units(texts)
    for text, row, index in zip(texts, scores, best, strict=True):
        explanation = bundled.explain(text)
        assert [item.decision_value for item in explanation.labels] == list(row)
        assert [item.passage_index for item in explanation.labels] == list(index)


WORDS_ONLY = FeatureSpec(word_ngrams=(1, 2), char_ngrams=None)


def word_counts_match(texts: list[str]) -> None:
    """Counts from one segmenter call for the batch equal ``tokenize`` text by text, with every
    word and bigram of the texts in the vocabulary (so no token can hide as unknown)."""
    expected = [Counter(analyze(text, WORDS_ONLY)) for text in texts]
    names = sorted(set().union(*expected))
    vocabulary = {name: column for column, name in enumerate(names)}
    compiled = CompiledVocabulary(vocabulary, np.ones(len(names)), WORDS_ONLY, sublinear_tf=False)
    counts = compiled.unit_counts(texts)
    found: list[Counter[str]] = [Counter() for _ in texts]
    for column, unit, count in zip(counts.column, counts.unit, counts.count, strict=True):
        found[unit][names[column]] = int(count)
    assert found == expected


def test_one_segmenter_call_gives_the_tokens_of_tokenize_on_real_news() -> None:
    word_counts_match(real_news("pool.jsonl") + EDGES)


def test_the_jieba_engine_gives_the_same_tokens_in_one_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cut: Callable[[str], list[str]] = tagger.text._build_engine("jieba")
    monkeypatch.setattr(tagger.text, "_cut", cut)
    texts = [
        json.loads(line)["text"]
        for line in (REPO / "data" / "labels" / "seed.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    word_counts_match(texts + EDGES)


def test_a_vocabulary_with_an_n_gram_but_not_its_parts_still_counts_it() -> None:
    # Not what min_df pruning gives (its vocabularies are nested), but a valid vocabulary.
    spec = FeatureSpec(word_ngrams=None, char_ngrams=(1, 3))
    names = ["c:卡点值", "c:守", "c:点值守"]
    vocabulary = {name: column for column, name in enumerate(names)}
    idf = np.array([1.5, 2.0, 1.0])
    compiled = CompiledVocabulary(vocabulary, idf, spec, sublinear_tf=True)
    texts = ["村口卡点值守，卡点值守", "点值守"]
    expected = tfidf_rows((analyze(t, spec) for t in texts), vocabulary, idf, sublinear_tf=True)
    np.testing.assert_allclose(
        dense(compiled.rows(texts), len(names)), dense(expected, len(names)), rtol=0, atol=1e-12
    )


def dense(rows: tuple[np.ndarray, np.ndarray, np.ndarray], n_columns: int) -> np.ndarray:
    indptr, indices, data = rows
    matrix = np.zeros((len(indptr) - 1, n_columns))
    for i in range(len(indptr) - 1):
        matrix[i, indices[indptr[i] : indptr[i + 1]]] = data[indptr[i] : indptr[i + 1]]
    return matrix


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(PIECES, max_size=30).map("".join), max_size=8))
def test_clauses_of_a_batch_are_split_clauses_of_each_text(texts: list[str]) -> None:
    from tagger.vectorize import _clauses

    units, pieces = [], []
    for text in texts:
        clauses = split_clauses(text)
        units += clauses if len(clauses) >= 2 else [text]
        pieces.append(len(clauses) if len(clauses) >= 2 else 1)
    points, counted = _clauses(texts)
    joined = points.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    assert joined == "\0".join(unit.replace("\0", "\x01") for unit in units)
    assert counted.tolist() == pieces
