"""Output that opens right in a spreadsheet: CSV with a byte-order mark, tables not cut short."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagger import load
from tagger.cli import app

from .support import SEED_PAGE

runner = CliRunner()
BOM = "\ufeff".encode()
# Written for this test: one long paragraph that no 80-column table could hold on one line.
LONG_PAGE = (
    "村口值守\n\n"
    + "入冬以来，柳湾镇在十八个村的主要路口设立卡点，组织党员志愿者轮流值守，"
    + "对进村车辆和人员逐一测温、查验健康码，" * 6
    + "确保疫情不输入。\n"
)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_into_a_file_starts_with_a_bom_and_has_a_column_per_score(
    saved_model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["tag", str(SEED_PAGE), "-m", str(saved_model), "-f", "csv", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(BOM)
    rows = read_csv(out)
    assert rows, "expected tagged paragraphs"
    labels = load(saved_model).labels_
    assert next(iter(rows[0])) == "source"  # the BOM is not glued to the first column's name
    assert [c for c in rows[0] if c.startswith("score_")] == [f"score_{lb}" for lb in labels]
    for row in rows:
        assert row["source"] == str(SEED_PAGE)
        scores = {lb: float(row[f"score_{lb}"]) for lb in labels}
        assert all(0.0 <= p <= 1.0 for p in scores.values())
        assert set(row["labels"].split(";")) - {""} <= set(labels)
    assert any("疫情" in row["text"] for row in rows)


def test_bom_flags_override_the_default(saved_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "plain.csv"
    base = ["tag", str(SEED_PAGE), "-m", str(saved_model), "-f", "csv"]
    assert runner.invoke(app, [*base, "--no-bom", "-o", str(out)]).exit_code == 0
    assert out.read_bytes().startswith(b"source,")
    piped = runner.invoke(app, base)
    assert piped.stdout.startswith("source,")
    marked = runner.invoke(app, [*base, "--bom"])
    assert marked.stdout.startswith("\ufeffsource,")


@pytest.mark.slow
def test_stdout_redirected_into_a_file_gets_a_bom_and_a_pipe_does_not(
    saved_model: Path, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "tagger", "tag", str(SEED_PAGE), "-m", str(saved_model)]
    command += ["-f", "csv"]
    redirected = tmp_path / "redirected.csv"
    with redirected.open("wb") as handle:
        subprocess.run(command, stdout=handle, check=True, timeout=120)
    assert redirected.read_bytes().startswith(BOM)
    piped = subprocess.run(command, capture_output=True, check=True, timeout=120)
    assert piped.stdout.startswith(b"source,")
    assert read_csv(redirected) == list(csv.DictReader(piped.stdout.decode().splitlines()))


def test_a_table_in_a_file_keeps_every_line_whole_and_names_each_file(
    saved_model: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text(LONG_PAGE, "utf-8")
    second.write_text("核酸采样\n\n居民在采样点有序排队，完成核酸检测。\n", "utf-8")
    out = tmp_path / "table.txt"
    args = ["tag", str(first), str(second), "-m", str(saved_model), "-f", "table", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    table = out.read_text("utf-8")
    paragraph = LONG_PAGE.split("\n\n")[1].strip()
    assert len(paragraph) > 100  # over 200 columns: Chinese characters are two wide
    assert paragraph in table  # on one line, not wrapped or cut with an ellipsis
    assert "…" not in table
    assert f"{first}: 村口值守" in table and f"{second}: 核酸采样" in table


def test_a_table_of_one_file_shows_article_titles_alone(saved_model: Path, tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(LONG_PAGE, "utf-8")
    result = runner.invoke(app, ["tag", str(page), "-m", str(saved_model), "-f", "table"])
    assert result.exit_code == 0, result.stderr
    assert "村口值守" in result.stdout and str(page) not in result.stdout
