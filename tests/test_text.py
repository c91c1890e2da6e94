import json
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

import tagger.text
from tagger.features import FeatureSpec, analyze
from tagger.text import NUMBER_TOKEN, normalize, split_sentences, tokenize

from .support import REPO, SHARED_DATA


def test_normalize_folds_full_width_forms_and_whitespace() -> None:
    assert normalize("  ＡＢＣ　１２３，\n\t核酸  ") == "abc 123, 核酸"


def test_tokenize_keeps_domain_words_whole() -> None:
    tokens = tokenize("志愿者在卡口值守，查验行程码和健康码，红色物业参与全员核酸。")
    for word in ("志愿者", "卡口", "值守", "行程码", "健康码", "红色物业", "全员核酸"):
        assert word in tokens


def test_tokenize_drops_punctuation_and_folds_numbers() -> None:
    assert tokenize("设立396个卡点！") == ["设立", NUMBER_TOKEN, "个", "卡点"]
    assert tokenize("，。！？ ") == []
    assert tokenize("") == []


def test_analyze_prefixes_word_and_character_ngrams() -> None:
    features = analyze("卡口值守", FeatureSpec(word_ngrams=(1, 2), char_ngrams=(1, 2)))
    assert "w:卡口" in features and "w:卡口 值守" in features
    assert "c:卡" in features and "c:卡口" in features
    assert analyze("卡口值守", FeatureSpec(word_ngrams=None, char_ngrams=None)) == []


def test_the_segmenter_loads_silently_once_per_process() -> None:
    code = "from tagger.text import tokenize; tokenize('核酸检测'); tokenize('卡点')"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stderr == ""


def test_tokenize_is_safe_from_many_threads() -> None:
    texts = [f"第{i}个卡点的志愿者查验健康码" for i in range(200)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(tokenize, texts))
    assert results == [tokenize(text) for text in texts]


def test_letters_and_numbers_are_split_by_one_rule() -> None:
    assert tokenize("COVID-19疫情 0-24时 6.5万人 98%") == [
        "covid",
        NUMBER_TOKEN,
        "疫情",
        NUMBER_TOKEN,
        NUMBER_TOKEN,
        "时",
        NUMBER_TOKEN,
        "万人",
        NUMBER_TOKEN,
    ]


def test_split_sentences_keeps_closing_quotes_and_never_returns_nothing() -> None:
    assert split_sentences("村口设卡点。志愿者说：“放心吧！”然后离开") == [
        "村口设卡点。",
        "志愿者说：“放心吧！”",
        "然后离开",
    ]
    assert split_sentences("") == [""]
    assert split_sentences("没有句号") == ["没有句号"]


def tokens_with(engine: str, texts: list[str], monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    cut: Callable[[str], list[str]] = tagger.text._build_engine(engine)
    monkeypatch.setattr(tagger.text, "_cut", cut)
    return [tokenize(text) for text in texts]


def parity(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> float:
    reference = tokens_with("jieba", texts, monkeypatch)
    fast = tokens_with("rjieba", texts, monkeypatch)
    return sum(a == b for a, b in zip(reference, fast, strict=True)) / len(texts)


def test_rjieba_gives_jiebas_tokens_on_the_project_data(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        json.loads(line)["text"]
        for path in sorted((REPO / "data" / "labels").glob("*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
        if line.strip()
    ]
    assert parity(texts, monkeypatch) == 1.0


def test_rjieba_gives_jiebas_tokens_on_real_news(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = SHARED_DATA / "real-news" / "pool.jsonl"
    if not pool.is_file():
        pytest.skip(f"{pool} is absent (third-party text is read from ../shared, never copied)")
    texts = [json.loads(line)["text"] for line in pool.read_text("utf-8").splitlines()]
    assert parity(texts, monkeypatch) >= 0.999
