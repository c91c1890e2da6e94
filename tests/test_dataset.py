import json
from pathlib import Path

import pytest

from tagger import DataError, load_dataset, load_schema


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_the_project_data_validates() -> None:
    data = Path(__file__).resolve().parents[1] / "data" / "labels"
    dataset = load_dataset([data])
    assert len(dataset.examples) >= 47
    assert dataset.schema.ids == (
        "checkpoint_duty",
        "nucleic_acid_testing",
        "publicity",
        "volunteer_service",
        "property_management",
    )


def test_every_problem_is_reported_with_file_and_line(tiny_data_dir: Path) -> None:
    bad = write_lines(
        tiny_data_dir / "bad.jsonl",
        [
            '{"text": "村口卡点值守", "labels": ["checkpoint_duty"]}',
            '{"text": "broken json", ',
            '{"labels": ["publicity"]}',
            '{"text": "   ", "labels": []}',
            '{"text": "有人送菜", "labels": ["delivery"]}',
            '{"text": "核酸", "labels": "nucleic_acid_testing"}',
            '["not", "an", "object"]',
            '{"text": "村口卡点值守", "labels": ["publicity"]}',
        ],
    )
    with pytest.raises(DataError) as caught:
        load_dataset([tiny_data_dir])
    problems = caught.value.problems
    assert problems == [
        f"{bad}:2: bad JSON (Expecting property name enclosed in double quotes at column 25)",
        f"{bad}:3: 'text' must be non-empty text, found None",
        f"{bad}:4: 'text' must be non-empty text, found '   '",
        f"{bad}:5: unknown label 'delivery'; expected one of: checkpoint_duty, "
        "nucleic_acid_testing, publicity, volunteer_service, property_management",
        f"{bad}:6: 'labels' must be a list of label ids, found 'nucleic_acid_testing'",
        f"{bad}:7: expected a JSON object, found list",
        f"{bad}:8: same text as {bad}:1 but different labels (['publicity'] vs "
        "['checkpoint_duty']); keep one",
    ]
    assert str(caught.value).startswith("7 problems in the labelled data; fix them and retry:")


def test_exact_repeats_are_dropped_with_a_warning(tiny_data_dir: Path) -> None:
    record = {"text": "村口卡点值守，查验健康码。", "labels": ["checkpoint_duty"]}
    path = write_lines(
        tiny_data_dir / "more.jsonl",
        [json.dumps(record, ensure_ascii=False), json.dumps(record, ensure_ascii=False)],
    )
    dataset = load_dataset([tiny_data_dir])
    assert dataset.texts.count(record["text"]) == 1
    assert dataset.warnings == (f"{path}:2: repeats {path}:1; the repeat is ignored",)


def test_fingerprint_depends_on_content_not_layout(tiny_data_dir: Path) -> None:
    before = load_dataset([tiny_data_dir]).sha256
    tiny = tiny_data_dir / "tiny.jsonl"
    lines = tiny.read_text("utf-8").splitlines()
    tiny.write_text("\n".join(reversed(lines)) + "\n\n", "utf-8")
    assert load_dataset([tiny_data_dir]).sha256 == before
    tiny.write_text("\n".join(lines[1:]) + "\n", "utf-8")
    assert load_dataset([tiny_data_dir]).sha256 != before


def test_a_missing_schema_says_what_to_create(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no label schema here"):
        load_schema(tmp_path)


def test_a_schema_entry_needs_a_proper_id(tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text('{"labels": [{"id": "Bad Id", "name": "x"}]}', "utf-8")
    with pytest.raises(DataError, match="'id' must be lower_snake_case text, found 'Bad Id'"):
        load_schema(tmp_path)


def test_adding_a_label_is_a_data_change(tiny_data_dir: Path) -> None:
    schema = json.loads((tiny_data_dir / "schema.json").read_text("utf-8"))
    schema["labels"].append({"id": "disinfection", "name": "消杀", "description": "消毒消杀"})
    (tiny_data_dir / "schema.json").write_text(json.dumps(schema, ensure_ascii=False), "utf-8")
    write_lines(
        tiny_data_dir / "new.jsonl",
        [
            json.dumps(
                {"text": f"工作人员对第{i}片区进行消杀", "labels": ["disinfection"]},
                ensure_ascii=False,
            )
            for i in range(5)
        ],
    )
    dataset = load_dataset([tiny_data_dir])
    assert "disinfection" in dataset.schema.ids


def test_the_project_data_has_enough_of_everything() -> None:
    dataset = load_dataset([Path(__file__).resolve().parents[1] / "data" / "labels"])
    written = [e for e in dataset.examples if e.source.startswith("written:")]
    assert len(written) >= 800
    for label in dataset.schema.ids:
        assert sum(label in e.labels for e in dataset.examples) >= 120, label
    assert sum(not e.labels for e in dataset.examples) >= 300
