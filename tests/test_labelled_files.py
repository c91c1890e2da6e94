"""Labelled files: what one command writes, every other reads; nothing is replaced unasked
(issue 12)."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tagger.cli_loop  # noqa: F401  (registers suggest and import on the app)
from tagger.cli import app
from tagger.dataset import load_dataset
from tagger.labels import LabelSchema

from .support import CHECKPOINT, PUBLICITY, TINY

runner = CliRunner()
SEPARATORS = "\u2028\u2029\u0085"
# Paragraphs with a line or paragraph separator, or a NEL, inside: JSON may hold them raw, but
# str.splitlines() (and readers built on it) would cut a line there.
ODD = [
    "村口设立卡点，\u2028专人值守，查验健康码。",
    "居民排队做核酸检测，\u2029志愿者维持秩序。",
    "大喇叭每天播放防疫知识，\u0085引导群众不信谣。",
]


def invoke(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def test_every_writer_escapes_line_separators_and_every_reader_takes_the_files(
    saved_model: Path, tiny_data_dir: Path, tmp_path: Path
) -> None:
    page = tmp_path / "page.txt"
    page.write_text("标题\n\n" + "\n\n".join(ODD) + "\n", "utf-8")
    common = ["-m", saved_model, "--labelled", tiny_data_dir, "-n", 3]
    for form in ("jsonl", "doccano", "labelstudio"):
        tasks = tmp_path / f"{form}.out"
        result = invoke("suggest", page, "-o", tasks, "-f", form, *common)
        assert result.exit_code == 0, result.output
        raw = tasks.read_text("utf-8")
        assert not set(SEPARATORS) & set(raw), form
        if form == "labelstudio":  # an annotator accepts every prediction
            tasks.write_text(raw.replace('"predictions"', '"annotations"'), "utf-8")
        imported = tiny_data_dir / f"round-{form}.jsonl"
        result = invoke("import", tasks, "-o", imported, "--labelled", tiny_data_dir)
        assert result.exit_code == 0, result.output
        assert not set(SEPARATORS) & set(imported.read_text("utf-8"))
        texts = [json.loads(line)["text"] for line in imported.read_text("utf-8").splitlines()]
        assert sorted(texts) == sorted(ODD)
        imported.unlink()  # the next format imports the same paragraphs
    imported = tiny_data_dir / "round-1.jsonl"
    assert invoke("import", tasks, "-o", imported, "--labelled", tiny_data_dir).exit_code == 0
    assert len(load_dataset([tiny_data_dir]).examples) == len(TINY) + len(ODD)
    checked = invoke("check", tiny_data_dir, "-m", saved_model, "--cv", 2)
    assert "bad JSON" not in checked.output
    evaluated = invoke("evaluate", imported, "-m", saved_model)
    assert evaluated.exit_code == 0, evaluated.output


def test_readers_take_raw_line_separators_written_by_other_tools(tiny_data_dir: Path) -> None:
    with (tiny_data_dir / "other-tool.jsonl").open("w", encoding="utf-8") as out:
        for text in ODD:
            out.write(json.dumps({"text": text, "labels": []}, ensure_ascii=False) + "\n")
    assert set(SEPARATORS) <= set((tiny_data_dir / "other-tool.jsonl").read_text("utf-8"))
    examples = load_dataset([tiny_data_dir]).examples
    assert [e.text for e in examples if e.file.endswith("other-tool.jsonl")] == ODD


def _export(tmp_path: Path) -> Path:
    export = tmp_path / "export.jsonl"
    lines = [
        {"text": TINY[0][0], "labels": [PUBLICITY]},  # tiny.jsonl:1 says checkpoint_duty
        {"text": "新的一段：村口设卡，专人值守。", "labels": [CHECKPOINT]},
    ]
    export.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    return export


def test_import_never_replaces_a_labelled_file_unless_told(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    existing = tiny_data_dir / "tiny.jsonl"
    before = existing.read_bytes()
    args = ["import", _export(tmp_path), "-o", existing, "--labelled", tiny_data_dir]
    refused = invoke(*args)
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"Error: {existing}: exists already")
    assert "--replace" in refused.stderr
    assert existing.read_bytes() == before
    # Told to replace it, the import still checks its paragraphs against the file's own.
    conflict = invoke(*args, "--replace")
    assert conflict.exit_code == 1
    assert f"is labelled ['{CHECKPOINT}'] at {existing}:1" in conflict.stderr
    assert existing.read_bytes() == before
    forced = invoke(*args, "--replace", "--force", "import")
    assert forced.exit_code == 0, forced.output
    assert f"{existing}: {len(TINY) - 1} of the paragraphs it held are not in this import" in (
        forced.stderr
    )
    assert [json.loads(line)["labels"] for line in existing.read_text("utf-8").splitlines()] == [
        [PUBLICITY],
        [CHECKPOINT],
    ]


def _hostile_lines() -> list[object]:
    return [
        pytest.param('{"text": "卡点", "labels": [' + "1" * 5000 + "]}", id="5000-digit-number"),
        pytest.param(
            '{"text": "卡点", "labels": ' + "[" * 100_000 + "]" * 100_000 + "}", id="deep"
        ),
    ]


@pytest.mark.parametrize("line", _hostile_lines())
def test_deep_nesting_and_huge_numbers_in_labelled_data_are_one_error_line(
    line: str, saved_model: Path, tiny_data_dir: Path, tmp_path: Path
) -> None:
    bad = tiny_data_dir / "bad.jsonl"
    bad.write_text(line + "\n", "utf-8")
    commands = [
        ["train", tiny_data_dir, "-o", tmp_path / "model", "--cv", 2],
        ["check", tiny_data_dir, "-m", saved_model, "--cv", 2],
        ["evaluate", bad, "-m", saved_model],
        ["import", bad, "-o", tmp_path / "new.jsonl", "--labelled", tiny_data_dir, "-f", "jsonl"],
    ]
    for command in commands:
        result = invoke(*command)
        assert result.exit_code == 1, (command, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), command
        assert f"{bad}:1: bad JSON" in result.output, command
    (tiny_data_dir / "schema.json").write_text(line, "utf-8")
    result = invoke("train", tiny_data_dir, "-o", tmp_path / "model", "--cv", 2)
    assert result.exit_code == 1 and "cannot read the label schema" in result.stderr


def test_a_control_character_in_a_label_description_gives_valid_xml() -> None:
    from tagger.annotation import labelstudio_config

    schema = LabelSchema.from_json(
        [
            {"id": "checkpoint_duty", "name": "卡点\x01值守", "description": "bell \x07 and \x1b"},
            {"id": "publicity", "name": "宣传", "description": "fine"},
        ],
        "schema.json",
    )
    view = ET.fromstring(labelstudio_config(schema))
    choices = [dict(choice.attrib) for choice in view.iter("Choice")]
    assert choices[0] == {
        "value": "卡点\ufffd值守",
        "alias": "checkpoint_duty",
        "hint": "bell \ufffd and \ufffd",
    }


def test_a_fifo_among_the_labelled_files_is_reported_not_read(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    os.mkfifo(tiny_data_dir / "pipe.jsonl")  # nobody writes to it: reading it waits for ever
    run = subprocess.run(
        [sys.executable, "-m", "tagger", "train", str(tiny_data_dir), "-o", str(tmp_path / "m")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1
    assert f"{tiny_data_dir / 'pipe.jsonl'}: is a named pipe (FIFO), not a regular file" in (
        run.stderr
    )
