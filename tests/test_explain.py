"""Explanations take each label's score apart exactly, without scikit-learn."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import tagger.cli_inspect  # noqa: F401  (registers evaluate, explain and check)
from tagger import Tagger, UsageError, load
from tagger.cli import app
from tagger.explain import Explanation, LabelExplanation, explain, explain_many

from .support import CHECKPOINT, TESTING

runner = CliRunner()

# Three passages: one about nothing, one about a checkpoint, one about testing.
PARAGRAPH = "今天天气晴朗，气温回升。村口设立卡点，专人值守，查验健康码。居民排队进行核酸检测。"


@pytest.mark.parametrize("top", [0, 3, 8, 10_000])
def test_intercept_plus_contributions_is_the_decision_value(trained: Tagger, top: int) -> None:
    explanation = explain(trained, PARAGRAPH, top=top)
    decision = trained.decision_function([PARAGRAPH])[0]
    probability = trained.predict_proba([PARAGRAPH])[0]
    assert [item.label for item in explanation.labels] == trained.labels_
    for j, item in enumerate(explanation.labels):
        listed = sum(c.contribution for c in (*item.up, *item.down))
        total = item.intercept + listed + item.rest + item.units_term
        assert total == pytest.approx(item.decision_value, abs=1e-9)
        assert item.decision_value == pytest.approx(decision[j], abs=1e-9)
        assert item.probability == pytest.approx(probability[j], abs=1e-12)
        assert item.decided == (probability[j] >= trained.thresholds_[j])
        assert len(item.up) <= top and len(item.down) <= top
        for c in (*item.up, *item.down):
            assert c.contribution == c.coef * c.value
            assert c.feature[:2] in ("w:", "c:")
        assert [c.contribution for c in item.up] == sorted(
            (c.contribution for c in item.up), reverse=True
        )
        assert [c.contribution for c in item.down] == sorted(c.contribution for c in item.down)
        assert all(c.contribution > 0 for c in item.up) and all(
            c.contribution < 0 for c in item.down
        )


def all_contributions(tagger: Tagger, item: LabelExplanation) -> np.ndarray:
    """Every feature contribution of the explained passage, worked out afresh."""
    linear = tagger._linear()
    _, columns, values = linear.rows([item.passage])
    return linear.coef[tagger.labels_.index(item.label), columns] * values


@pytest.mark.parametrize("text", [PARAGRAPH, "志愿者在卡口值守，查验行程码，为司机送上热水。"])
def test_by_default_the_listed_features_carry_two_thirds_of_the_weight(
    trained: Tagger, text: str
) -> None:
    items = [item for item in explain(trained, text).labels if item.n_features]
    assert items, "expected passages with features the model knows"
    for item in items:
        strength = np.sort(np.abs(all_contributions(trained, item)))[::-1]
        listed = [abs(c.contribution) for c in item.listed]
        assert listed == sorted(listed, reverse=True)  # strongest first, whichever the sign
        assert len(listed) == len(item.up) + len(item.down) <= item.n_features
        # Exactly the strongest ones, and no more of them than two thirds of the weight needs.
        np.testing.assert_allclose(listed, strength[: len(listed)], rtol=1e-12)
        assert sum(listed) >= (2 / 3) * strength.sum() - 1e-12
        assert sum(listed[:-1]) < (2 / 3) * strength.sum()
        assert item.rest_share == pytest.approx(1 - sum(listed) / strength.sum(), abs=1e-12)
        assert item.rest_share <= 1 / 3 + 1e-12


def test_rest_share_is_reported_with_a_fixed_top_too(trained: Tagger) -> None:
    items = [item for item in explain(trained, PARAGRAPH, top=2).labels if item.n_features > 4]
    assert items, "expected passages with more than four features"
    for item in items:
        strength = np.abs(all_contributions(trained, item)).sum()
        listed = sum(abs(c.contribution) for c in item.listed)
        assert item.rest_share == pytest.approx(1 - listed / strength, abs=1e-12)
        assert 0 < item.rest_share < 1


def test_the_explained_passage_is_the_best_scoring_one(trained: Tagger) -> None:
    from tagger.text import split_passages

    explanation = explain(trained, PARAGRAPH)
    assert explanation.passages == tuple(split_passages(PARAGRAPH))
    per_passage = trained._linear().unpooled_scores(list(explanation.passages))
    for j, item in enumerate(explanation.labels):
        assert item.passage_index == int(np.argmax(per_passage[:, j]))
        assert item.passage == explanation.passages[item.passage_index]
    assert "卡点" in explanation[CHECKPOINT].passage
    assert "核酸" in explanation[TESTING].passage
    assert {CHECKPOINT, TESTING} <= set(explanation.predicted)


def test_json_round_trip(trained: Tagger) -> None:
    explanation = explain(trained, PARAGRAPH, top=4)
    data = json.loads(json.dumps(explanation.to_dict(), ensure_ascii=False))
    assert Explanation.from_dict(data) == explanation
    assert set(data["labels"][0]) >= {"label", "probability", "threshold", "decided", "up", "rest"}


def test_a_loaded_model_explains_like_the_trained_one(trained: Tagger, saved_model: Path) -> None:
    fresh, loaded = explain(trained, PARAGRAPH), explain(load(saved_model), PARAGRAPH)
    for a, b in zip(fresh.labels, loaded.labels, strict=True):
        assert a.decision_value == pytest.approx(b.decision_value, abs=1e-9)
        assert [c.feature for c in a.up] == [c.feature for c in b.up]
        assert a.passage_index == b.passage_index


def test_a_batch_explains_each_paragraph_as_alone(trained: Tagger) -> None:
    texts = [PARAGRAPH, "青年志愿者为居家老人送菜送药。", ""]
    assert explain_many(trained, texts) == [explain(trained, t) for t in texts]


def test_highlights_cover_the_passage_and_mark_the_strongest_words(trained: Tagger) -> None:
    item = explain(trained, PARAGRAPH)[CHECKPOINT]
    runs = item.highlights()
    assert "".join(run for run, _ in runs) == "村口设立卡点,专人值守,查验健康码。"
    assert any(weight > 0 for _, weight in runs)


def test_bad_arguments_say_what_was_expected(trained: Tagger) -> None:
    with pytest.raises(UsageError, match="one paragraph as a string"):
        explain(trained, ["a list"])  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="top: expected"):
        explain(trained, PARAGRAPH, top=-1)
    with pytest.raises(UsageError, match="not trained yet"):
        explain(Tagger(), PARAGRAPH)


def test_explaining_does_not_import_scikit_learn() -> None:
    code = (
        "import sys, tagger\n"
        "from tagger.explain import explain\n"
        "explain(tagger.load(), '村口设立卡点，专人值守。')\n"
        "assert 'sklearn' not in sys.modules, 'explain imported scikit-learn'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cli_explain_prints_a_table_per_label(saved_model: Path) -> None:
    result = runner.invoke(app, ["explain", PARAGRAPH, "-m", str(saved_model), "--top", "3"])
    assert result.exit_code == 0, result.stderr
    for label in load(saved_model).labels_:
        assert label in result.stdout
    assert "decision value" in result.stdout and "(intercept)" in result.stdout
    assert re.search(r"\(\d+ other features, \d+% of the weight\)", result.stdout)
    assert "\x1b[" not in result.stdout  # no colour codes when not on a terminal
    assert result.stderr == ""


def test_cli_explain_reads_stdin_and_writes_json(saved_model: Path) -> None:
    result = runner.invoke(
        app, ["explain", "-", "-m", str(saved_model), "--format", "json"], input=PARAGRAPH + "\n"
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["text"] == PARAGRAPH
    assert Explanation.from_dict(data) == explain(load(saved_model), PARAGRAPH)


def test_cli_explain_refuses_empty_text(saved_model: Path) -> None:
    result = runner.invoke(app, ["explain", "-", "-m", str(saved_model)], input="  \n")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: expected a paragraph to explain")


@pytest.mark.parametrize("command", ["evaluate", "explain", "check"])
def test_every_inspect_command_has_help_with_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: tagger " + command in result.stdout


def test_without_passage_pooling_the_whole_paragraph_is_explained(
    tiny_texts: list[str], tiny_labels: list[list[str]]
) -> None:
    whole = Tagger(cv=None, pooling=None).fit(tiny_texts, tiny_labels)
    explanation = explain(whole, PARAGRAPH)
    assert explanation.passages == (PARAGRAPH,)
    for j, item in enumerate(explanation.labels):
        listed = sum(c.contribution for c in (*item.up, *item.down))
        total = item.intercept + listed + item.rest + item.units_term
        assert total == pytest.approx(item.decision_value, abs=1e-9)
        assert item.decision_value == pytest.approx(
            whole.decision_function([PARAGRAPH])[0, j], abs=1e-9
        )


def test_the_pooling_correction_is_part_of_the_score_and_the_explanation(trained: Tagger) -> None:
    import copy

    from tagger.text import split_passages

    flat, sloped = copy.deepcopy(trained), copy.deepcopy(trained)
    flat.set_params(), sloped.set_params()  # drop any cached serving arrays
    flat.unit_slopes_ = np.zeros(len(trained.labels_))
    sloped.unit_slopes_ = np.full(len(trained.labels_), 0.5)
    passages = len(split_passages(PARAGRAPH))
    np.testing.assert_allclose(
        sloped.decision_function([PARAGRAPH]),
        flat.decision_function([PARAGRAPH]) - 0.5 * np.log(passages),
        rtol=0,
        atol=1e-12,
    )
    for item in sloped.explain(PARAGRAPH).labels:
        assert item.units_term == pytest.approx(-0.5 * np.log(passages))
        listed = sum(c.contribution for c in item.up + item.down)
        total = item.intercept + listed + item.rest + item.units_term
        assert total == pytest.approx(item.decision_value, abs=1e-9)


def test_a_long_paragraph_is_explained_in_slices(
    trained: Tagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tagger.serving import LinearModel

    sizes: list[int] = []
    real_rows = LinearModel.rows

    def rows(self: LinearModel, texts: list[str]):  # type: ignore[no-untyped-def]
        sizes.append(len(texts))
        return real_rows(self, texts)

    monkeypatch.setattr(LinearModel, "rows", rows)
    # 3,000 clauses: about 6,000 passages, whose feature rows all at once would take many times
    # the paragraph's size (a 10-million-character paragraph reached 6.9 GB).
    paragraph = "今天天气晴朗，" * 2999 + "村口设立卡点，专人值守，查验健康码。"
    explanation = explain(trained, paragraph, top=3)
    # Feature rows are built only for the passages that win a label.
    assert max(sizes) <= len(trained.labels_)
    item = explanation[CHECKPOINT]
    assert "卡点" in item.passage
    rest = sum(c.contribution for c in item.up + item.down) + item.rest + item.units_term
    assert item.intercept + rest == pytest.approx(item.decision_value, abs=1e-9)
    assert item.decision_value == pytest.approx(
        trained.decision_function([paragraph])[0, 0], abs=1e-12
    )


def test_cli_explain_reads_stdin_as_pages_are_read_and_refuses_undecodable_text(
    saved_model: Path,
) -> None:
    gbk = "村口设立卡点，专人值守。".encode("gbk")
    decoded = runner.invoke(app, ["explain", "-", "-m", str(saved_model), "-f", "json"], input=gbk)
    assert decoded.exit_code == 0, decoded.output
    assert json.loads(decoded.stdout)["text"] == "村口设立卡点，专人值守。"
    for args, stdin in ((["-"], b"\x00\x01\xff\xfe" * 50), (["a\udcffb"], None)):
        result = runner.invoke(app, ["explain", *args, "-m", str(saved_model)], input=stdin)
        assert result.exit_code == 1
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
