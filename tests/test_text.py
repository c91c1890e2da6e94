import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from tagger.features import FeatureSpec, analyze
from tagger.text import NUMBER_TOKEN, normalize, tokenize


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


def test_jieba_loads_silently_once_per_process() -> None:
    code = "from tagger.text import tokenize; tokenize('核酸检测'); tokenize('卡点')"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stderr == ""


def test_tokenize_is_safe_from_many_threads() -> None:
    texts = [f"第{i}个卡点的志愿者查验健康码" for i in range(200)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(tokenize, texts))
    assert results == [tokenize(text) for text in texts]
