"""Any input: odd files are reported and skipped, odd text never breaks tagging."""

import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import tagger
from tagger import Tagger, UsageError
from tagger.cli import app
from tagger.output import write_jsonl
from tagger.text import tokenize

runner = CliRunner()
GOOD = "村口卡点\n\n村口设立卡点，专人值守，查验健康码。\n"


def test_a_messy_directory_tags_the_good_pages_and_reports_the_rest(
    saved_model: Path, tmp_path: Path
) -> None:
    root = tmp_path / "archive"
    (root / "sub").mkdir(parents=True)
    (root / "good.txt").write_text(GOOD, "utf-8")
    (root / "gbk.txt").write_bytes("居民排队做核酸检测。\n".encode("gbk"))
    (root / "sub" / "emoji.md").write_text("😀 志愿者送菜上门 \x07\n", "utf-8")
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.txt").write_text(" \n\t\n", "utf-8")
    (root / "english.txt").write_text("No Chinese here at all.\n", "utf-8")
    (root / "scan.pdf.txt").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + os.urandom(512))
    (root / "nul.txt").write_bytes("卡点\x00值守".encode())
    (root / "broken.txt").symlink_to(root / "missing.txt")
    (root / "sub" / "loop").symlink_to(root)  # a directory that contains itself through a link
    (root / "self.txt").symlink_to(root / "self.txt")  # a symlink loop
    result = runner.invoke(app, ["tag", str(root), "-m", str(saved_model), "-f", "jsonl"])
    assert result.exit_code == 1
    sources = {json.loads(line)["source"] for line in result.stdout.splitlines()}
    assert sources == {str(root / n) for n in ("good.txt", "gbk.txt", "english.txt")} | {
        str(root / "sub" / "emoji.md")
    }
    reported = [line for line in result.stderr.splitlines() if not line.startswith("Error: tagged")]
    for name in ("scan.pdf.txt", "nul.txt", "broken.txt", "self.txt"):
        assert sum(str(root / name) in line for line in reported) == 1, name
    assert result.stderr.rstrip().endswith("tagged 6 files, skipped 4")


def test_a_hundred_thousand_character_paragraph(trained: Tagger) -> None:
    text = "村口设立卡点，专人值守" * 10_000
    (labels,) = trained.predict([text])
    assert "checkpoint_duty" in labels


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: tagger.load(123), "expected a path"),
        (lambda: tagger.read_page(123), "expected"),
    ],
)
def test_wrong_argument_types_are_usage_errors(call: object, message: str) -> None:
    with pytest.raises(tagger.TaggerError, match=message):
        call()  # type: ignore[operator]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=300))
def test_any_text_tokenizes_tags_and_round_trips(trained: Tagger, text: str) -> None:
    tokens = tokenize(text)
    assert all(isinstance(t, str) and t and not any(c.isspace() for c in t) for t in tokens)
    (labels,) = trained.predict([text])
    assert set(labels) <= set(trained.labels_)
    records = trained.tag_page(text)
    page = tagger.read_page(text)
    assert [r.text for r in records] == [b.text for _, _, b in page.taggable()]
    out = io.StringIO()
    write_jsonl(records, out)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [
        r.to_dict() for r in records
    ]


def test_usage_error_is_a_tagger_error() -> None:
    assert issubclass(UsageError, tagger.TaggerError)


def test_a_huge_page_is_read_in_parts_with_the_same_records(
    trained: Tagger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tagger import inputs
    from tagger.tagging import tag_pages

    paragraphs = [
        f"第{n}段：村口设立卡点，专人值守，居民排队做核酸检测，志愿者送菜上门。" for n in range(300)
    ]
    page = tmp_path / "huge.txt"
    page.write_text("\n\n".join(paragraphs) + "\n", "utf-8")
    whole = [r.to_dict() for rs in tag_pages(trained, inputs.read_pages([str(page)])) for r in rs]
    monkeypatch.setattr(inputs, "LARGE_PAGE_BYTES", 1000)
    monkeypatch.setattr(inputs, "PART_BYTES", 2000)
    parts = list(inputs.read_pages([str(page)]))
    assert len(parts) > 10
    assert [r.to_dict() for rs in tag_pages(trained, parts) for r in rs] == whole
    assert [r["text"] for r in whole] == paragraphs


def test_workers_tag_a_huge_page_in_parts_like_one_process(
    saved_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tagger import inputs
    from tagger.batch import tag_inputs

    page = tmp_path / "huge.txt"
    page.write_text("\n\n".join(f"第{n}段：村口设立卡点，专人值守。" for n in range(200)), "utf-8")
    (tmp_path / "small.txt").write_text(GOOD, "utf-8")
    monkeypatch.setattr(inputs, "LARGE_PAGE_BYTES", 1000)  # workers are forked: they see it too
    monkeypatch.setattr(inputs, "PART_BYTES", 1500)
    one = [r.to_dict() for r in tag_inputs([str(tmp_path)], saved_model)]
    two = [r.to_dict() for r in tag_inputs([str(tmp_path)], saved_model, jobs=2)]
    assert len(one) == 201
    assert two == one
