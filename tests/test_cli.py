import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagger import load
from tagger.cli import app

from .support import SEED_PAGE

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("tagger 0.")


@pytest.mark.parametrize("command", ["tag", "train", "info"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: tagger " + command in result.stdout


def test_tag_writes_one_jsonl_record_per_paragraph(saved_model: Path) -> None:
    result = runner.invoke(
        app, ["tag", str(SEED_PAGE), "--model", str(saved_model), "--format", "jsonl"]
    )
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records, "expected tagged paragraphs"
    for record in records:
        assert {
            "source",
            "article",
            "index",
            "kind",
            "start",
            "end",
            "text",
            "labels",
            "scores",
        } <= record.keys()
        assert record["kind"] in {"body", "caption"}
        assert set(record["scores"]) == set(load(saved_model).labels_)
    assert result.stderr == ""


def test_tag_reads_stdin_and_writes_csv(saved_model: Path) -> None:
    page = "村口卡点\n\n村口设立卡点，专人值守，查验健康码。\n\n居民排队做核酸检测。\n"
    result = runner.invoke(app, ["tag", "-", "-m", str(saved_model), "-f", "csv"], input=page)
    assert result.exit_code == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.startswith("source,article,published,index,kind,start,end,labels,score_")
    assert header.endswith(",text")
    assert len(rows) == 2
    assert rows[0].startswith("<stdin>,")


def test_tag_writes_the_output_file_atomically(saved_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n", "utf-8")
    result = runner.invoke(app, ["tag", str(SEED_PAGE), "-m", str(saved_model), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) > 10 and all(json.loads(line)["text"] for line in lines)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_tag_skips_what_it_cannot_read_and_says_so(saved_model: Path, tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("村口设立卡点，专人值守。\n", "utf-8")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    missing = tmp_path / "missing.txt"
    result = runner.invoke(
        app, ["tag", str(tmp_path), str(missing), "-m", str(saved_model), "-f", "jsonl"]
    )
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 1
    assert f"{missing}: no such file or directory" in result.stderr
    assert str(tmp_path / "image.txt") in result.stderr
    assert result.stderr.rstrip().endswith("Error: tagged 1 file, skipped 2")


def test_a_missing_model_is_one_clear_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tag", str(SEED_PAGE), "--model", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path / 'nope'}: no model directory here")
    assert "Traceback" not in result.output


def test_a_usage_error_exits_2() -> None:
    result = runner.invoke(app, ["tag", str(SEED_PAGE), "--format", "xml"])
    assert result.exit_code == 2


def test_train_reports_metrics_and_writes_a_model(tiny_data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    result = runner.invoke(app, ["train", str(tiny_data_dir), "-o", str(out), "--cv", "2"])
    assert result.exit_code == 0, result.stderr
    assert "2-fold cross-validated" in result.stdout
    assert "macro avg" in result.stdout
    assert load(out).labels_[0] == "checkpoint_duty"  # the schema's order


def test_train_with_bad_data_lists_problems_and_writes_nothing(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    (tiny_data_dir / "bad.jsonl").write_text('{"text": "x", "labels": ["nope"]}\n', "utf-8")
    out = tmp_path / "model"
    result = runner.invoke(app, ["train", str(tiny_data_dir), "-o", str(out), "--cv", "2"])
    assert result.exit_code == 1
    assert f"{tiny_data_dir / 'bad.jsonl'}:1: unknown label 'nope'" in result.stderr
    assert not out.exists()


def test_a_new_label_in_the_schema_is_trained_without_code_changes(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    schema = json.loads((tiny_data_dir / "schema.json").read_text("utf-8"))
    schema["labels"].append({"id": "disinfection", "name": "消杀", "description": "消毒消杀"})
    (tiny_data_dir / "schema.json").write_text(json.dumps(schema, ensure_ascii=False), "utf-8")
    lines = [
        json.dumps(
            {"text": f"工作人员对第{n}片区的楼道进行消杀", "labels": ["disinfection"]},
            ensure_ascii=False,
        )
        for n in "一二三四五"
    ]
    (tiny_data_dir / "new.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "model"
    result = runner.invoke(app, ["train", str(tiny_data_dir), "-o", str(out), "--cv", "2"])
    assert result.exit_code == 0, result.stderr
    model = load(out)
    assert model.labels_[-1] == "disinfection"
    assert "disinfection" in model.predict(["工作人员对第六片区的楼道进行消杀"])[0]


def test_info_shows_labels_and_thresholds(saved_model: Path) -> None:
    result = runner.invoke(app, ["info", "--model", str(saved_model)])
    assert result.exit_code == 0, result.stderr
    assert "checkpoint_duty" in result.stdout and "threshold" in result.stdout
    as_json = runner.invoke(app, ["info", "--model", str(saved_model), "--json"])
    assert json.loads(as_json.stdout)["format_version"] == 1


def test_the_installed_command_tags_the_example_page() -> None:
    command = shutil.which("tagger", path=os.path.dirname(sys.executable))
    if command is None:
        pytest.skip("the tagger command is not installed next to this Python (pip install .)")
    run = subprocess.run(
        [command, "tag", str(SEED_PAGE), "--format", "jsonl"],
        capture_output=True,
        text=True,
        check=False,
        cwd="/",
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert any("nucleic_acid_testing" in r["labels"] for r in records)


def test_python_dash_m_runs_the_cli() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tagger", "--version"], capture_output=True, text=True, check=True
    )
    assert run.stdout.startswith("tagger ")


def test_jobs_give_the_same_output_in_the_same_order(saved_model: Path, tmp_path: Path) -> None:
    for n, text in enumerate(
        ["村口设立卡点，专人值守。", "居民排队做核酸检测。", "志愿者送菜上门。"] * 3
    ):
        (tmp_path / f"page{n}.txt").write_text(
            f"标题{n}\n\n{text}\n\n第二段，今天天气晴。\n", "utf-8"
        )
    (tmp_path / "broken.txt").write_bytes(b"%PDF-1.7\n" + bytes(range(256)))
    args = ["tag", str(tmp_path), "-m", str(saved_model), "-f", "jsonl"]
    one = runner.invoke(app, args)
    two = runner.invoke(app, [*args, "--jobs", "2"])
    assert one.exit_code == two.exit_code == 1
    assert one.stdout == two.stdout
    assert len(one.stdout.splitlines()) == 18
    assert two.stderr.count("broken.txt") == 1
    assert two.stderr.rstrip().endswith("tagged 9 files, skipped 1")


def test_jobs_refuse_stdin(saved_model: Path) -> None:
    result = runner.invoke(app, ["tag", "-", "-m", str(saved_model), "--jobs", "2"], input="x")
    assert result.exit_code == 1
    assert "stdin (-) is read by one process" in result.stderr
