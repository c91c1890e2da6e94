"""Annotation formats against their documented shapes, and the checks an import makes."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import tagger.cli_loop  # noqa: F401  (registers suggest and import on the app)
from tagger.annotation import (
    import_labels,
    labelstudio_config,
    labelstudio_task,
    read_annotations,
    write_suggestions,
)
from tagger.cli import app
from tagger.errors import DataError, OutputError
from tagger.labels import load_schema
from tagger.suggest import Suggestion

from .support import CHECKPOINT, PUBLICITY, REPO, TESTING, TINY, VOLUNTEER

SCHEMA = load_schema(REPO / "data" / "labels")
runner = CliRunner()


def suggestion(text: str, labels: list[str], block: int = 3) -> Suggestion:
    return Suggestion(
        text=text,
        labels=labels,
        scores={CHECKPOINT: 0.52},
        thresholds={CHECKPOINT: 0.46},
        model_version="ab" * 32,
        source="pages/county.txt",
        article="县里的新办法",
        block=block,
        start=10,
        end=10 + len(text),
        margin=0.25,
        focus=CHECKPOINT,
    )


def choices(*values: str, from_name: str = "labels") -> dict[str, Any]:
    return {
        "id": "x" + str(len(values)),
        "from_name": from_name,
        "to_name": "text",
        "type": "choices",
        "value": {"choices": list(values)},
        "origin": "manual",
    }


def annotation(number: int, result: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """An annotation as Label Studio exports it (JSON export, documented task format)."""
    stamp = fields.pop("at", "2024-05-01T10:00:00.000000Z")
    return {
        "id": number,
        "completed_by": 1,
        "result": result,
        "was_cancelled": False,
        "ground_truth": False,
        "created_at": stamp,
        "updated_at": stamp,
        "lead_time": 12.3,
        "prediction": {},
        "result_count": 0,
        "task": number // 10,
        **fields,
    }


def task(number: int, text: str, annotations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": number,
        "data": {"text": text, "source": "pages/county.txt", "block": number},
        "annotations": annotations,
        "predictions": [],
        "drafts": [],
        "meta": {},
        "created_at": "2024-05-01T09:00:00.000000Z",
        "updated_at": "2024-05-01T12:00:00.000000Z",
        "inner_id": number,
        "project": 7,
        "total_annotations": len(annotations),
        "cancelled_annotations": sum(a["was_cancelled"] for a in annotations),
    }


TEXTS = [
    "社区工作人员挨家挨户发放抗原试剂，指导居民自行采样。",
    "乡镇干部开着宣传车走村串户，青年志愿者随车分发明白纸。",
    "网格员守在楼栋入口，逐一查看出入证。",
    "这一条只被跳过了。",
    "这一条还没有人标注。",
    "该镇今年小麦喜获丰收，亩产比去年提高一成。",
]


def labelstudio_export() -> list[dict[str, Any]]:
    comment = {"from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": ["?"]}}
    return [
        task(101, TEXTS[0], [annotation(1011, [choices("核酸检测")])]),
        # Two annotators; the later one wins though it comes first in the list.
        task(
            102,
            TEXTS[1],
            [
                annotation(1022, [choices("宣传引导", "志愿服务"), comment], at="2024-05-02T08:00"),
                annotation(1021, [choices("publicity")], at="2024-05-01T10:00:00.000000Z"),
            ],
        ),
        # A cancelled (skipped) annotation is no answer; the other one is.
        task(
            103,
            TEXTS[2],
            [
                annotation(1031, [choices("卡点值守")]),
                annotation(1032, [], was_cancelled=True, at="2024-05-03T10:00:00Z"),
            ],
        ),
        task(104, TEXTS[3], [annotation(1041, [], was_cancelled=True)]),
        task(105, TEXTS[4], []),
        task(106, TEXTS[5], [annotation(1061, [])]),  # nothing ticked: none of the labels
    ]


def test_a_label_studio_export_imports_cleanly(tiny_data_dir: Path, tmp_path: Path) -> None:
    export = tmp_path / "project-7-at-2024-05-03.json"
    export.write_text(json.dumps(labelstudio_export(), ensure_ascii=False, indent=2), "utf-8")
    output = tiny_data_dir / "round-1.jsonl"
    report = import_labels(export, output=output, labelled_dir=tiny_data_dir)
    assert report.format == "labelstudio" and report.written == 4
    lines = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
    assert {line["text"]: line["labels"] for line in lines} == {
        TEXTS[0]: [TESTING],
        TEXTS[1]: [PUBLICITY, VOLUNTEER],
        TEXTS[2]: [CHECKPOINT],
        TEXTS[5]: [],
    }
    assert {line["source"] for line in lines} == {"import:project-7-at-2024-05-03.json"}
    skipped = [note for note in report.notes if "skipped" in note]
    assert len(skipped) == 2
    assert "task 4 (id 104): no annotation" in skipped[0]
    assert "task 5 (id 105)" in skipped[1]


def test_an_unknown_choice_names_the_task_and_nothing_is_written(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    tasks = labelstudio_export()
    tasks[1]["annotations"][0]["result"] = [choices("宣传引导", "消杀")]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), "utf-8")
    output = tiny_data_dir / "round-1.jsonl"
    with pytest.raises(DataError) as caught:
        import_labels(export, output=output, labelled_dir=tiny_data_dir)
    assert f"{export}: task 2 (id 102): unknown choice '消杀'" in str(caught.value)
    assert "checkpoint_duty (卡点值守)" in str(caught.value)
    assert not output.exists()


def test_the_labelling_config_matches_the_schema_and_the_predictions() -> None:
    config = ET.fromstring(labelstudio_config(SCHEMA))
    assert config.tag == "View"
    (text,) = config.iter("Text")
    (group,) = config.iter("Choices")
    assert group.get("choice") == "multiple" and group.get("toName") == text.get("name")
    options = list(group.iter("Choice"))
    # The id goes into results (alias); the annotator sees the Chinese name (value).
    assert [c.get("alias") for c in options] == list(SCHEMA.ids)
    assert [c.get("value") for c in options] == [label.name for label in SCHEMA]
    assert all(c.get("hint") for c in options)

    made = labelstudio_task(suggestion(TEXTS[2], [CHECKPOINT]))
    assert text.get("value") == "$" + next(iter(made["data"]))
    (prediction,) = made["predictions"]
    (result,) = prediction["result"]
    assert result["from_name"] == group.get("name") and result["to_name"] == text.get("name")
    assert result["type"] == "choices"
    assert set(result["value"]["choices"]) <= {c.get("alias") for c in options}
    assert prediction["model_version"] == "ab" * 32 and 0 <= prediction["score"] < 1
    assert made["data"]["article"] == "县里的新办法" and made["data"]["block"] == 3
    nothing = labelstudio_task(suggestion(TEXTS[5], []))
    assert nothing["predictions"][0]["result"] == []


def test_doccano_jsonl_round_trip(tmp_path: Path) -> None:
    picked = [
        suggestion(TEXTS[0], [TESTING], 1),
        suggestion(TEXTS[1], [PUBLICITY, VOLUNTEER], 2),
        suggestion(TEXTS[5], [], 3),
    ]
    out = io.StringIO()
    assert write_suggestions(picked, out, "doccano") == 3
    first = json.loads(out.getvalue().splitlines()[0])
    assert first["text"] == TEXTS[0] and first["label"] == [TESTING]
    path = tmp_path / "doccano.jsonl"
    path.write_text(out.getvalue(), "utf-8")
    records, warnings, found = read_annotations(path, SCHEMA)
    assert found == "doccano" and warnings == []
    assert [(r.text, list(r.labels)) for r in records] == [(s.text, s.labels) for s in picked]


def test_a_doccano_export_with_ids_and_names_imports(tiny_data_dir: Path, tmp_path: Path) -> None:
    lines = [
        {"id": 1, "text": TEXTS[0], "label": ["核酸检测"], "Comments": []},
        {"id": 2, "text": TEXTS[2], "label": [CHECKPOINT]},
        {"id": 3, "text": TEXTS[2] + " ", "label": ["卡点值守"]},  # a repeat: warned, dropped
    ]
    export = tmp_path / "admin.jsonl"
    export.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    output = tiny_data_dir / "doccano-1.jsonl"
    report = import_labels(export, output=output, labelled_dir=tiny_data_dir)
    assert report.format == "doccano" and report.written == 2
    assert any(f"{export}:3: repeats {export}:2" in note for note in report.notes)


def test_our_jsonl_is_read_and_problems_are_listed_together(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    rows = [
        {"text": TEXTS[0], "labels": [TESTING], "source": "me"},
        {"text": "  ", "labels": []},
        {"text": TEXTS[1], "labels": [PUBLICITY, "宣传引导"]},
        {"text": TEXTS[0], "labels": []},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    with pytest.raises(DataError) as caught:
        read_annotations(path, SCHEMA)
    message = str(caught.value)
    assert message.startswith("3 problems")
    assert f"{path}:2: the text must be non-empty" in message
    assert f"{path}:3: a label is listed twice" in message
    assert f"{path}:4: same text as {path}:1 but different labels" in message


def test_an_unknown_format_says_what_was_expected(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text('{"sentence": "x", "cats": {}}\n', "utf-8")
    with pytest.raises(DataError, match="cannot tell the format: expected a Label Studio"):
        read_annotations(path, SCHEMA)


def conflicting_export(tmp_path: Path) -> Path:
    # TINY[0] is labelled checkpoint_duty in tiny.jsonl line 1; the annotator now says publicity.
    lines = [
        {"text": TINY[0][0], "label": [PUBLICITY]},
        {"text": TINY[1][0], "label": [CHECKPOINT]},  # agrees with tiny.jsonl line 2
        {"text": TEXTS[0], "label": [TESTING]},
    ]
    export = tmp_path / "export.jsonl"
    export.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    return export


def test_conflicts_with_labelled_data_stop_the_import(tiny_data_dir: Path, tmp_path: Path) -> None:
    export, output = conflicting_export(tmp_path), tiny_data_dir / "round-2.jsonl"
    with pytest.raises(DataError) as caught:
        import_labels(export, output=output, labelled_dir=tiny_data_dir)
    existing = tiny_data_dir / "tiny.jsonl"
    assert f"{export}:1: labelled ['publicity'], but the same text is labelled" in str(caught.value)
    assert f"at {existing}:1; fix one side" in str(caught.value)
    assert "--force import" in str(caught.value)
    assert not output.exists()


@pytest.mark.parametrize("force", ["import", "existing"])
def test_force_says_which_side_wins(tiny_data_dir: Path, tmp_path: Path, force: str) -> None:
    existing = tiny_data_dir / "tiny.jsonl"
    before = existing.read_text("utf-8")
    export, output = conflicting_export(tmp_path), tiny_data_dir / "round-2.jsonl"
    report = import_labels(export, output=output, labelled_dir=tiny_data_dir, force=force)
    lines = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
    texts = [line["text"] for line in lines]
    assert TINY[1][0] not in texts  # already labelled the same: not repeated
    assert any(f"{export}:2: already labelled the same at {existing}:2" in n for n in report.notes)
    assert len(report.conflicts) == 1
    if force == "import":
        assert texts == [TINY[0][0], TEXTS[0]]
        assert lines[0]["labels"] == [PUBLICITY] and lines[0]["overrides"] == f"{existing}:1"
        assert any(f"overrides {existing}:1" in note for note in report.notes)
    else:
        assert texts == [TEXTS[0]]
        assert any(f"{existing}:1 keeps its labels" in note for note in report.notes)
    assert existing.read_text("utf-8") == before  # existing files are never edited


def test_reimporting_to_the_same_file_needs_replace_and_is_not_a_conflict_with_itself(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    export, output = conflicting_export(tmp_path), tiny_data_dir / "round-2.jsonl"
    import_labels(export, output=output, labelled_dir=tiny_data_dir, force="existing")
    before = output.read_bytes()
    with pytest.raises(OutputError, match="exists already"):
        import_labels(export, output=output, labelled_dir=tiny_data_dir, force="existing")
    assert output.read_bytes() == before
    again = import_labels(
        export, output=output, labelled_dir=tiny_data_dir, force="existing", replace=True
    )
    assert again.written == 1


def test_the_import_command_prints_problems_without_a_traceback(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    export = conflicting_export(tmp_path)
    args = ["import", str(export), "-o", str(tiny_data_dir / "r.jsonl")]
    result = runner.invoke(app, [*args, "--labelled", str(tiny_data_dir)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: 1 problem in the labelled data")
    assert "Traceback" not in result.output
    forced = runner.invoke(app, [*args, "--labelled", str(tiny_data_dir), "--force", "existing"])
    assert forced.exit_code == 0, forced.stderr
    assert f"imported 1 paragraph from {export} (doccano)" in forced.stderr
