"""Tagged results in notebooks: the HTML table Jupyter shows, and DataFrames that round-trip."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tagger
from tagger import TaggedResults, Tagger, TaggerError
from tagger.cli import app
from tagger.notebook import COLUMNS, ROWS_SHOWN, html_table, tag_frame
from tagger.output import jsonl_line
from tagger.tagging import tag_page

from .support import CHECKPOINT, REPO, SEED_PAGE

pandas = pytest.importorskip("pandas")
runner = CliRunner()
WEB_COPY = REPO / "tests" / "fixtures" / "pages" / "county-web-copy.txt"  # states its date
NAMES = {CHECKPOINT: "卡点值守"}


def jsonl_records(results: list[tagger.TaggedBlock]) -> list[dict[str, object]]:
    return [json.loads(jsonl_line(r)) for r in results]


def test_tag_page_gives_a_list_that_knows_its_labels(trained: Tagger) -> None:
    results = trained.tag_page(SEED_PAGE.read_text("utf-8"))
    assert isinstance(results, TaggedResults) and isinstance(results, list)
    assert results == tag_page(trained, SEED_PAGE.read_text("utf-8"))
    assert results.labels == trained.labels_


@pytest.mark.parametrize("page", [SEED_PAGE, WEB_COPY])
def test_the_dataframe_round_trips_the_jsonl_records(trained: Tagger, page: Path) -> None:
    results = trained.tag_page(tagger.read_page(page), all_blocks=True)
    assert any(not r.scores for r in results) and any(r.scores for r in results)
    frame = results.to_pandas()
    scores = [f"score_{lb}" for lb in trained.labels_]
    assert list(frame.columns) == [*COLUMNS, *scores]
    assert len(frame) == len(results)
    assert all(str(frame[c].dtype) == "float64" for c in scores)
    back = TaggedResults.from_pandas(frame)
    assert back == results
    assert jsonl_records(back) == jsonl_records(results)
    assert back.labels == trained.labels_


def test_published_dates_survive_the_dataframe(trained: Tagger) -> None:
    results = trained.tag_page(tagger.read_page(WEB_COPY))
    frame = results.to_pandas()
    assert set(frame["published"]) == {"2022-03-05"}
    untagged = trained.tag_page(tagger.read_page(SEED_PAGE), all_blocks=True).to_pandas()
    heading = untagged[untagged["kind"] == "heading"].iloc[0]
    assert all(math.isnan(heading[f"score_{lb}"]) for lb in trained.labels_)


def test_tag_frame_holds_what_tagger_tag_prints(saved_model: Path, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.txt").write_text(SEED_PAGE.read_text("utf-8"), "utf-8")
    (pages / "b.txt").write_text(WEB_COPY.read_text("utf-8"), "utf-8")
    missing = tmp_path / "missing.txt"
    with pytest.warns(UserWarning, match=f"skipped {missing}: no such file"):
        frame = tag_frame([pages, missing], saved_model)
    printed = runner.invoke(app, ["tag", str(pages), "-m", str(saved_model), "-f", "jsonl"])
    assert printed.exit_code == 0, printed.stderr
    expected = [json.loads(line) for line in printed.stdout.splitlines()]
    assert jsonl_records(TaggedResults.from_pandas(frame)) == expected
    assert frame["source"].nunique() == 2


def test_jupyter_shows_a_table_with_label_chips(trained: Tagger) -> None:
    results = trained.tag_page(tagger.read_page(SEED_PAGE))
    results.label_names = NAMES
    shown = results._repr_html_()
    assert shown.startswith("<div><table") and shown.count("<tr>") == len(results) + 1
    tagged = next(r for r in results if CHECKPOINT in r.labels)
    assert tagged.text[:30] in shown
    assert "卡点值守<code style=" in shown and f">{CHECKPOINT}</code>" in shown
    assert "<style" not in shown  # styled inline: a notebook has not got the reading view's CSS
    assert "source</th>" not in shown  # one page: no source column


def test_the_table_escapes_text_names_sources_and_stops_at_a_limit(trained: Tagger) -> None:
    block = tagger.TaggedBlock(
        "a.txt", "<b>标题</b>", 0, "body", 0, 9, "<script>x</script>", [], {}
    )
    many = [block] * (ROWS_SHOWN + 5) + [
        tagger.TaggedBlock("b.txt", "", 0, "body", 0, 1, "y", [], {})
    ]
    shown = html_table(many, trained.labels_, {})
    assert "<script>" not in shown and "&lt;script&gt;" in shown and "<b>" not in shown
    assert shown.count("<tr>") == ROWS_SHOWN + 1
    assert "source</th>" in shown and f"{ROWS_SHOWN + 6} blocks from 2 sources" in shown
    assert f"the first {ROWS_SHOWN} are shown" in shown


def test_without_pandas_the_error_says_how_to_install_it(
    trained: Tagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(TaggerError, match=r'pip install "fangkong-tagger\[pandas\]"'):
        trained.tag_page("村口卡点\n\n村口设立卡点，专人值守。\n").to_pandas()


def test_tagging_and_the_html_table_do_not_import_pandas() -> None:
    code = (
        "import sys, tagger\n"
        "results = tagger.load().tag_page('村口卡点\\n\\n村口设立卡点，专人值守。\\n')\n"
        "results._repr_html_()\n"
        "assert 'pandas' not in sys.modules, 'tagging imported pandas'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
