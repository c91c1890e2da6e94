"""``tagger.evaluate`` and ``tagger evaluate``: metrics on labelled data."""

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from typer.testing import CliRunner

import tagger
import tagger.cli_inspect  # registers evaluate, explain and check
from tagger import DataError, Tagger, UsageError
from tagger.cli import app
from tagger.evaluation import evaluate_data

from .support import REPO, SHARED_DATA, TINY

runner = CliRunner()

TABLE_KEYS = {
    "n",
    "labels",
    "micro",
    "macro",
    "samples",
    "exact_match",
    "no_label",
    "no_label_left_empty",
}
KEYS = TABLE_KEYS | {
    *("data", "schema", "model", "cv", "baselines", "errors", "seen_in_training", "warnings")
}

# Gold labels and the fixed probabilities a stub model gives (thresholds 0.5).
HAND = [
    ("一", ["a"], [0.9, 0.1]),
    ("二", ["a", "b"], [0.8, 0.4]),  # misses b by 0.1
    ("三", ["b"], [0.95, 0.6]),  # wrongly a, by 0.45
    ("四", [], [0.2, 0.3]),
    ("五", [], [0.1, 0.7]),  # wrongly b, by 0.2
]


class Stub(Tagger):
    """A 'model' whose probabilities are written down, so the metrics can be worked by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.labels_ = ["a", "b"]
        self.thresholds_ = np.array([0.5, 0.5])

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        table = {text: p for text, _, p in HAND}
        return np.array([table[text] for text in texts])


def write_jsonl(path: Path, rows: Sequence[tuple[str, list[str]]]) -> Path:
    lines = [json.dumps({"text": t, "labels": lb}, ensure_ascii=False) for t, lb in rows]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.fixture()
def hand_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "hand.jsonl", [(text, gold) for text, gold, _ in HAND])


def test_metrics_match_a_hand_computation(hand_file: Path) -> None:
    result = evaluate_data(hand_file, Stub())
    # a: tp 2 (一, 二), fp 1 (三), fn 0 -> P 2/3, R 1, F1 0.8
    # b: tp 1 (三), fp 1 (五), fn 1 (二) -> P 1/2, R 1/2, F1 0.5
    assert result["labels"]["a"] == pytest.approx(
        {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2}
    )
    assert result["labels"]["b"] == pytest.approx(
        {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    )
    assert result["macro"]["f1"] == pytest.approx((0.8 + 0.5) / 2)
    # micro: tp 3, fp 2, fn 1 -> P 3/5, R 3/4, F1 2/3
    assert result["micro"] == pytest.approx({"precision": 0.6, "recall": 0.75, "f1": 2 / 3})
    assert result["exact_match"] == pytest.approx(2 / 5)  # 一 and 四
    assert (result["n"], result["no_label"], result["no_label_left_empty"]) == (5, 2, 1)
    assert result["schema"] is None  # no schema.json beside the file: the model's labels
    assert result["model"]["labels"] == ["a", "b"] and result["model"]["path"] is None


def test_the_worst_mistakes_come_first(hand_file: Path) -> None:
    mistakes = evaluate_data(hand_file, Stub(), errors=2)["errors"]
    assert [m["text"] for m in mistakes] == ["三", "五"]
    assert mistakes[0]["distance"] == pytest.approx(0.45)
    assert mistakes[0]["gold"] == ["b"] and mistakes[0]["predicted"] == ["a", "b"]
    assert mistakes[0]["wrong"] == ["a"] and mistakes[0]["where"].endswith("hand.jsonl:3")
    assert set(mistakes[0]) == {
        "where",
        "text",
        "gold",
        "predicted",
        "wrong",
        "distance",
        "scores",
        "thresholds",
    }
    assert len(evaluate_data(hand_file, Stub(), errors=10)["errors"]) == 3  # only 3 are wrong


def test_labels_the_model_does_not_know_are_refused(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [("一", ["a"]), ("二", ["c"])])
    with pytest.raises(DataError, match=r"d\.jsonl:2: label 'c' is not one the model predicts"):
        evaluate_data(data, Stub())


def test_bad_arguments_say_what_was_expected(hand_file: Path) -> None:
    with pytest.raises(UsageError, match="baseline: expected one of keywords"):
        evaluate_data(hand_file, Stub(), baseline="regex")
    with pytest.raises(UsageError, match="cv: expected"):
        evaluate_data(hand_file, Stub(), cv=1)


def test_cli_json_has_stable_keys_and_the_keyword_baseline(
    tiny_data_dir: Path, saved_model: Path
) -> None:
    result = runner.invoke(
        app,
        [
            *("evaluate", str(tiny_data_dir), "-m", str(saved_model)),
            *("--format", "json", "--baseline", "keywords", "--errors", "2"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == KEYS
    assert data["n"] == len(TINY) and data["cv"] is None
    # The tiny model was trained on exactly these paragraphs, and the output says so.
    assert data["seen_in_training"] == len(TINY)
    assert any("are in the model's training data" in w for w in data["warnings"])
    assert data["schema"] == str(tiny_data_dir / "schema.json")
    assert set(data["baselines"]) == {"keywords"}
    assert set(data["baselines"]["keywords"]) == TABLE_KEYS
    assert set(data["model"]) == {"path", "created", "labels", "params"}


def test_cli_errors_lists_the_two_worst(tmp_path: Path, saved_model: Path) -> None:
    # The tiny set with every label moved to the next one: the model gets most of it wrong.
    ids = ["checkpoint_duty", "nucleic_acid_testing", "publicity", "volunteer_service"]
    moved = [(t, [ids[(ids.index(lb) + 1) % 4] for lb in lbs if lb in ids]) for t, lbs in TINY]
    data = write_jsonl(tmp_path / "moved.jsonl", moved)
    result = runner.invoke(
        app, ["evaluate", str(data), "-m", str(saved_model), "-f", "json", "--errors", "2"]
    )
    assert result.exit_code == 0, result.stderr
    mistakes = json.loads(result.stdout)["errors"]
    assert len(mistakes) == 2
    for mistake in mistakes:
        wrong = mistake["wrong"]
        assert wrong and set(wrong) == set(mistake["gold"]) ^ set(mistake["predicted"])
        assert mistake["distance"] == pytest.approx(
            sum(abs(mistake["scores"][lb] - mistake["thresholds"][lb]) for lb in wrong)
        )
    assert mistakes[0]["distance"] >= mistakes[1]["distance"]
    table = runner.invoke(app, ["evaluate", str(data), "-m", str(saved_model), "--errors", "2"])
    assert "mistake 2:" in table.stdout and "mistake 3:" not in table.stdout


def test_cli_table_shows_the_baseline_side_by_side(tiny_data_dir: Path, saved_model: Path) -> None:
    result = runner.invoke(
        app, ["evaluate", str(tiny_data_dir), "-m", str(saved_model), "--baseline", "keywords"]
    )
    assert result.exit_code == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if "support" in line)
    assert "model P" in header and "keywords P" in header
    assert "macro avg" in result.stdout and "exact-set accuracy" in result.stdout


def test_cli_cross_validation_runs(tiny_data_dir: Path, saved_model: Path) -> None:
    result = runner.invoke(
        app, ["evaluate", str(tiny_data_dir), "-m", str(saved_model), "--cv", "2", "-f", "json"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["cv"] == 2 and data["n"] == len(TINY)
    assert 0.0 <= data["macro"]["f1"] <= 1.0
    assert "cross-validating over 2 folds" in result.stderr


def test_cross_validation_needs_enough_of_each_label(tmp_path: Path, saved_model: Path) -> None:
    data = write_jsonl(tmp_path / "few.jsonl", TINY[:6])  # two labels, four and two paragraphs
    result = runner.invoke(app, ["evaluate", str(data), "-m", str(saved_model), "--cv", "3"])
    assert result.exit_code == 1
    assert "use fewer folds or label more paragraphs" in result.stderr


DEV = SHARED_DATA / "real-news" / "dev.jsonl"


@pytest.mark.skipif(not DEV.is_file(), reason=f"{DEV} is absent")
def test_dev_macro_f1_equals_the_benchmark(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    from real_news import evaluate_on_dev  # type: ignore[import-not-found]

    rows = [json.loads(line) for line in DEV.read_text("utf-8").splitlines() if line.strip()]
    expected = evaluate_on_dev(tagger.load(), rows)
    result = runner.invoke(app, ["evaluate", str(DEV), "--baseline", "keywords", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["macro"]["f1"] == expected["model"]["macro"]["f1"]
    assert data["labels"] == expected["model"]["labels"]
    assert data["baselines"]["keywords"]["macro"] == expected["keywords"]["macro"]
    assert data["schema"] is None and data["n"] == len(rows)
