"""The HTML reading view (tagger.html_view) and the evaluation report (tagger report)."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tagger.cli_report  # noqa: F401  (registers the report command on the app)
from tagger import Tagger, TaggerError
from tagger.batch import tag_inputs
from tagger.cli import app
from tagger.errors import DataError, UsageError
from tagger.html_view import write_html
from tagger.tagging import TaggedBlock

from .support import CHECKPOINT, TESTING, TINY

# Two articles, with a byline, furniture and text that must be escaped.
PAGE = """# 防疫专版

## 村口卡点严防守

□本报记者 张三 通讯员 李四

村口设立卡点，专人值守，查验健康码和行程码。<b>登记</b> & "测温" <script>alert(1)</script>。

居民在采样点有序排队，完成第二轮核酸检测。

## 志愿服务暖人心

青年志愿者为居家老人送菜送药。

本版联办单位：某某县委组织部
"""
NAMES = {CHECKPOINT: "卡点值守", TESTING: "核酸检测"}
PNG_KINDS = (
    "per-label precision, recall and F1",
    "precision-recall curve for",
    "score histogram for",
    "label co-occurrence heat map",
)

runner = CliRunner()


def render(trained: Tagger, records: list[TaggedBlock]) -> tuple[str, int]:
    out = io.StringIO()
    count = write_html(records, out, trained.labels_, NAMES)
    return out.getvalue(), count


def blocks(page: str) -> list[str]:
    """The markup of each block, in page order (each starts with its opening div)."""
    return page.split("<footer>")[0].split('<div class="block')[1:]


def chip_labels(block: str) -> list[str]:
    chips = re.search(r'<div class="chips">(.*?)</div>', block)
    return re.findall(r"<code>(.*?)</code>", chips.group(1)) if chips else []


def assert_self_contained(page: str) -> None:
    lowered = page.lower()
    assert "http://" not in lowered and "https://" not in lowered
    for reference in ("<script", "<link", "<iframe", "@import", "url(", "//fonts"):
        assert reference not in lowered, reference
    sources = re.findall(r'\bsrc="([^"]*)"', page)
    assert all(source.startswith("data:image/png;base64,") for source in sources), sources
    assert "Content-Security-Policy" in page


def test_view_escapes_every_paragraph_and_chips_its_labels(trained: Tagger) -> None:
    records = trained.tag_page(PAGE)
    page, count = render(trained, records)
    assert count == len(records) == 3
    assert "<b>登记</b>" not in page and "<script>alert" not in page
    parts = blocks(page)
    assert len(parts) == len(records)
    for record, part in zip(records, parts, strict=True):
        assert html.escape(record.text) in part
        assert chip_labels(part) == record.labels
        for label in record.labels:
            assert f"{NAMES.get(label, '')}<code>{label}</code>" in part
        if not record.labels:
            assert "no label" in part
    assert any(record.labels for record in records), "the tiny model should tag something"
    assert_self_contained(page)


def test_view_shows_every_score_on_hover(trained: Tagger) -> None:
    records = trained.tag_page(PAGE)
    page, _ = render(trained, records)
    for record, part in zip(records, blocks(page), strict=True):
        title = html.unescape(re.search(r'title="([^"]*)"', part).group(1))
        for label in trained.labels_:
            assert f"{label} {record.scores[label]:.3f}" in title
        assert part.count('class="tip"') == 1  # the CSS tooltip with the same scores


def test_view_groups_by_source_then_article(trained: Tagger) -> None:
    page, _ = render(trained, trained.tag_page(PAGE))
    assert page.count('<section class="source">') == 1
    titles = re.findall(r"<h3>(.*?)</h3>", page)
    assert titles == ["村口卡点严防守", "志愿服务暖人心"]
    assert page.count("<section") == page.count("</section>")


def test_view_with_all_blocks_greys_untagged_kinds(trained: Tagger) -> None:
    records = trained.tag_page(PAGE, all_blocks=True)
    page, count = render(trained, records)
    assert count == len(records)
    kinds = {record.kind for record in records}
    assert {"heading", "byline", "furniture"} <= kinds
    for record, part in zip(records, blocks(page), strict=True):
        untagged = record.kind not in ("body", "caption")
        assert part.startswith(' untagged"') == untagged
        if untagged:
            assert html.escape(record.text) in part
            assert "chip" not in part and "title=" not in part
    plain, _ = render(trained, trained.tag_page(PAGE))
    assert 'class="block untagged' not in plain


def test_view_streams_records_from_many_files(trained: Tagger, tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(PAGE, "utf-8")
    paths = [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]
    out = io.StringIO()
    count = write_html(tag_inputs(paths, trained), out, trained.labels_, {})
    page = out.getvalue()
    assert count == 6
    assert re.findall(r"<h2>(.*?)</h2>", page) == [html.escape(p) for p in paths]


def test_view_of_nothing_is_still_a_page(trained: Tagger) -> None:
    page, count = render(trained, [])
    assert count == 0
    assert page.rstrip().endswith("</html>") and "No blocks" in page


# -- the report ---------------------------------------------------------------------------


@pytest.fixture()
def labelled(tmp_path: Path) -> Path:
    """The tiny labelled set as a bare JSONL file, with no schema beside it (like dev.jsonl)."""
    path = tmp_path / "dev.jsonl"
    lines = [json.dumps({"text": t, "labels": lbs}, ensure_ascii=False) for t, lbs in TINY]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.fixture()
def matplotlib() -> None:
    pytest.importorskip("matplotlib")


def png_images(page: str) -> dict[str, int]:
    """How many embedded PNGs of each kind (told apart by alt text); each must decode."""
    kinds = dict.fromkeys(PNG_KINDS, 0)
    for data, alt in re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)">', page):
        assert base64.b64decode(data, validate=True).startswith(b"\x89PNG\r\n\x1a\n")
        kind = next(k for k in PNG_KINDS if alt.startswith(k))
        kinds[kind] += 1
    return kinds


@pytest.mark.usefixtures("matplotlib")
def test_report_has_metrics_plots_and_errors(saved_model: Path, labelled: Path) -> None:
    from tagger.report import build_report

    page = build_report([labelled], saved_model, errors=3)
    assert '<table class="metrics">' in page
    for row in ("micro average", "macro average", "Exact-set accuracy"):
        assert row in page
    labels = json.loads((saved_model / "manifest.json").read_text("utf-8"))["labels"]
    for entry in labels:
        assert f"<code>{entry['id']}</code>" in page
    n = len(labels)
    assert png_images(page) == dict(zip(PNG_KINDS, (1, n, n, 1), strict=True))
    assert re.search(r"<h2>The [0-3] worst errors</h2>", page)
    assert_self_contained(page)


@pytest.mark.usefixtures("matplotlib")
def test_report_lists_the_worst_errors_escaped(trained: Tagger, tmp_path: Path) -> None:
    from tagger.report import build_report

    path = tmp_path / "wrong.jsonl"
    text = "村口设立卡点，专人值守，<i>查验</i>健康码。"  # gold says nothing: an error for sure
    path.write_text(json.dumps({"text": text, "labels": []}, ensure_ascii=False) + "\n", "utf-8")
    page = build_report(path, trained, errors=5)
    assert "<h2>The 1 worst errors</h2>" in page
    assert html.escape(text) in page and "<i>查验</i>" not in page
    assert f"{path}:1" in page


@pytest.mark.usefixtures("matplotlib")
def test_report_refuses_bad_data_and_arguments(trained: Tagger, tmp_path: Path) -> None:
    from tagger.report import build_report

    path = tmp_path / "odd.jsonl"
    path.write_text('{"text": "居民做核酸", "labels": ["no_such_label"]}\n', "utf-8")
    with pytest.raises(DataError, match=r"odd\.jsonl:1: label 'no_such_label' is not one"):
        build_report([path], trained)
    path.write_text("".join(f'{{"text": "第{i}段"}}\n' for i in range(50)), "utf-8")
    with pytest.raises(DataError, match="50 problems") as caught:
        build_report([path], trained)
    assert len(str(caught.value).splitlines()) < 25  # capped, not one line per paragraph
    with pytest.raises(DataError, match="no such file"):
        build_report([tmp_path / "missing.jsonl"], trained)
    with pytest.raises(UsageError, match="errors"):
        build_report([path], trained, errors=-1)


def test_report_without_matplotlib_says_what_to_install(
    trained: Tagger, labelled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tagger.report import build_report

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # makes the import fail
    with pytest.raises(TaggerError, match=r'pip install "fangkong-tagger\[report\]"'):
        build_report([labelled], trained)


@pytest.mark.usefixtures("matplotlib")
def test_report_command_writes_the_file(saved_model: Path, labelled: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = runner.invoke(
        app, ["report", str(labelled), "--model", str(saved_model), "--errors", "2", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and f"wrote {out}" in result.stderr
    page = out.read_text("utf-8")
    assert '<table class="metrics">' in page and png_images(page)[PNG_KINDS[1]] > 0
    assert not list(tmp_path.glob(".report.html.*"))  # no temporary file left behind


def test_report_command_help_has_an_example() -> None:
    result = runner.invoke(app, ["report", "--help"])
    assert result.exit_code == 0
    assert "Example: tagger report" in result.stdout


@pytest.mark.usefixtures("matplotlib")
def test_report_command_reports_a_missing_file(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(tmp_path / "missing.jsonl"), "-o", str(out)])
    assert result.exit_code == 1
    assert "Error:" in result.stderr and "no such file" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.usefixtures("matplotlib")
def test_report_draws_label_ids_with_dollar_signs_as_text(tmp_path: Path) -> None:

    # matplotlib would read "$...$" as TeX, and fails outright on "$$".
    ids = {CHECKPOINT: "cost$$", TESTING: "a$b$c"}
    texts = [text for text, labels in TINY if labels and labels[0] in ids]
    label_lists = [[ids[labels[0]]] for text, labels in TINY if labels and labels[0] in ids]
    model = tmp_path / "model"
    Tagger(cv=2).fit(texts, label_lists).save(str(model))
    data = tmp_path / "dev.jsonl"
    lines = [
        json.dumps({"text": t, "labels": ls}) for t, ls in zip(texts, label_lists, strict=True)
    ]
    data.write_text("\n".join(lines) + "\n", "utf-8")
    result = runner.invoke(
        app, ["report", str(data), "-m", str(model), "-o", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text("utf-8")
    assert "<code>cost$$</code>" in page and "<code>a$b$c</code>" in page
