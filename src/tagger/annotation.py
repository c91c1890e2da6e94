"""Suggestions out to an annotation tool, and labelled paragraphs back in.

Label Studio: tasks with the model's verdict as a prediction, plus a labelling config, go out;
the project's JSON export (verdicts under ``annotations``) comes back. doccano text
classification and tagger's own JSONL (the format of ``data/labels``) go both ways. Labels may
be ids or the schema's Chinese names. An import is checked as strictly as training data, and
against the paragraphs labelled already, before a line of it is written.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from tagger.dataset import Example, json_line, json_lines, json_text, read_examples, split_lines
from tagger.errors import DataError, OutputError, UsageError
from tagger.files import open_output
from tagger.labels import LabelSchema, load_schema
from tagger.suggest import Suggestion, read_labelled
from tagger.text import normalize

FORMATS = ("labelstudio", "doccano", "jsonl")
FORCE = ("import", "existing")
CHOICES_NAME = "labels"  # the Choices control: from_name in every result
TEXT_NAME = "text"  # the Text object: to_name in every result, and the task's data key
# Characters XML 1.0 cannot hold, not even escaped: a config with one is refused by XML parsers.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Annotated:
    """One paragraph as an annotator labelled it; ``where`` names it in the file read."""

    text: str
    labels: tuple[str, ...]
    where: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """An imported paragraph already labelled differently in the labelled-data directory."""

    imported: Annotated
    existing: Example

    def __str__(self) -> str:
        return (
            f"{self.imported.where}: labelled {list(self.imported.labels)}, but the same text "
            f"is labelled {list(self.existing.labels)} at {self.existing.where}"
        )


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What ``import_labels`` wrote, the conflicts it met, and a note per paragraph left out."""

    output: Path
    format: str
    written: int
    conflicts: tuple[Conflict, ...]
    notes: tuple[str, ...]  # what was skipped or overridden, one line each


# -- out: suggestions for annotators --------------------------------------------------------


def write_suggestions(suggestions: Iterable[Suggestion], out: TextIO, format: str) -> int:
    """Write suggestions in one of ``FORMATS``; return how many were written."""
    if format == "labelstudio":
        tasks = [labelstudio_task(s) for s in suggestions]
        out.write(json_text(tasks, indent=2) + "\n")
        return len(tasks)
    if format not in FORMATS:
        raise UsageError(f"format: expected one of {', '.join(FORMATS)}, found {format!r}")
    count = 0
    for s in suggestions:
        # doccano keeps keys other than text and label as the example's metadata.
        key = "label" if format == "doccano" else "labels"
        record = {"text": s.text, key: s.labels, "source": s.source, **_location(s)}
        out.write(json_line(record))
        count += 1
    return count


def _location(s: Suggestion) -> dict[str, Any]:
    return {"article": s.article, "block": s.block, "start": s.start, "end": s.end}


def labelstudio_task(s: Suggestion) -> dict[str, Any]:
    """A Label Studio task: the paragraph and its place under ``data``, the verdict as a
    prediction whose ``score`` is the model's confidence (Label Studio sorts by it)."""
    choices = {"type": "choices", "value": {"choices": list(s.labels)}}
    # No label predicted: an empty result, so nothing is preselected.
    result = [{"from_name": CHOICES_NAME, "to_name": TEXT_NAME, **choices}] if s.labels else []
    prediction = {"model_version": s.model_version, "score": round(s.confidence, 4)}
    return {
        "data": {TEXT_NAME: s.text, "source": s.source, **_location(s)},
        "predictions": [{**prediction, "result": result}],
    }


def labelstudio_config(schema: LabelSchema) -> str:
    """The labelling config: the paragraph, and one checkbox per schema label.

    Each choice shows the Chinese name and carries the label id as its ``alias``: Label Studio
    puts the alias, not the shown value, into results, so exports and the predictions above
    speak in ids. ``hint`` (the description) shows on hover only where Label Studio's hint
    feature flag is on, so nothing an annotator needs is kept there.
    """
    view = ET.Element("View")
    ET.SubElement(view, "Text", name=TEXT_NAME, value=f"${TEXT_NAME}")
    choices = ET.SubElement(view, "Choices", name=CHOICES_NAME, toName=TEXT_NAME, choice="multiple")
    shown = [label.name or label.id for label in schema]
    for label, value in zip(schema, shown, strict=True):
        if shown.count(value) > 1:  # two labels with one name would look like one box
            value = f"{value} {label.id}"
        attributes = {"value": _xml_text(value), "alias": _xml_text(label.id)}
        if label.description:
            attributes["hint"] = _xml_text(label.description)
        ET.SubElement(choices, "Choice", attributes)
    ET.indent(view)
    return ET.tostring(view, encoding="unicode") + "\n"


def _xml_text(text: str) -> str:
    """``text`` with what XML cannot hold shown as U+FFFD, the replacement character."""
    return _NOT_XML.sub("\ufffd", text)


# -- in: annotators' verdicts -----------------------------------------------------------------


def detect_format(path: Path, content: str) -> str:
    """Tell the format from the content: a JSON list is Label Studio; else the first line's keys."""
    stripped = content.lstrip()
    if stripped.startswith("["):
        return "labelstudio"
    try:
        keys = json.loads(stripped.split("\n", 1)[0]).keys()
    except (ValueError, RecursionError, AttributeError):  # not JSON, or not an object
        keys = set()
    if "label" in keys or "labels" in keys:
        return "doccano" if "label" in keys else "jsonl"
    expected = "a Label Studio JSON export (a list of tasks), doccano JSONL (a 'label' key a line)"
    message = f"{path}: cannot tell the format: expected {expected} or tagger JSONL (a 'labels' "
    raise DataError([message + "key a line). Pass the format (--format) if it is one of these"])


def read_annotations(
    path: str | os.PathLike[str], schema: LabelSchema, *, format: str = "auto"
) -> tuple[list[Annotated], list[str], str]:
    """Read and check labelled paragraphs; return them, warnings, and the format read.

    Every problem (bad JSON, empty text, an unknown or repeated label, one text with two
    different sets of labels) is collected and raised together as a ``DataError``.
    """
    path = Path(path)
    if format not in ("auto", *FORMATS):
        raise UsageError(f"format: expected auto or one of {', '.join(FORMATS)}, found {format!r}")
    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError([f"{path}: cannot read as UTF-8 text: {exc}"]) from None
    if format == "auto":
        format = detect_format(path, content)
    problems: list[str] = []
    warnings: list[str] = []
    if format == "labelstudio":
        raw = _labelstudio_records(path, content, problems, warnings)
    else:
        raw = _jsonl_records(path, content, "label" if format == "doccano" else "labels", problems)
    records: list[Annotated] = []
    for where, text, choices in raw:
        labels = _label_ids(where, text, choices, schema, problems)
        if labels is not None:
            records.append(Annotated(str(text), labels, where))
    kept = _drop_repeats(records, problems, warnings)
    if problems:
        raise DataError(problems)
    return kept, warnings, format


Raw = tuple[str, object, object]  # where, text, labels as found


def _labelstudio_records(
    path: Path, content: str, problems: list[str], warnings: list[str]
) -> list[Raw]:
    try:
        tasks = json.loads(content)
    except json.JSONDecodeError as exc:
        problems.append(f"{path}: bad JSON ({exc.msg} at line {exc.lineno} column {exc.colno})")
        return []
    except RecursionError:
        problems.append(f"{path}: bad JSON (nested too deeply to read)")
        return []
    except ValueError as exc:  # a number of more than 4300 digits, for one
        problems.append(f"{path}: bad JSON ({exc})")
        return []
    if not isinstance(tasks, list):
        problems.append(f"{path}: expected a Label Studio JSON export, a list of tasks")
        return []
    raw: list[Raw] = []
    for number, task in enumerate(tasks, 1):
        where = f"{path}: task {number}"
        if isinstance(task, dict) and "id" in task:
            where += f" (id {task['id']})"
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict):
            problems.append(f"{where}: expected an object with 'data' and 'annotations'")
            continue
        annotation = _latest(task.get("annotations"))
        if annotation is None:
            warnings.append(f"{where}: no annotation that was not cancelled; skipped")
            continue
        result = annotation.get("result")
        if not isinstance(result, list):
            problems.append(f"{where}: the annotation's 'result' must be a list, found {result!r}")
            continue
        # Only choices results are labels; an empty result is an answer: none of the labels.
        choices: list[object] = []
        for item in result:
            if isinstance(item, dict) and item.get("type") == "choices":
                value = item.get("value")
                found = value.get("choices") if isinstance(value, dict) else None
                choices.extend(found if isinstance(found, list) else [found])
        raw.append((where, data.get(TEXT_NAME), choices))
    return raw


def _latest(annotations: object) -> dict[str, Any] | None:
    """The newest annotation not cancelled (skipped); list order breaks ties and gaps."""
    if not isinstance(annotations, list):
        return None
    live = [(_when(a), i, a) for i, a in enumerate(annotations) if isinstance(a, dict)]
    live = [item for item in live if not item[2].get("was_cancelled")]
    return max(live, key=lambda item: item[:2])[2] if live else None


def _when(annotation: dict[str, Any]) -> datetime:
    stamp = annotation.get("updated_at") or annotation.get("created_at")
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _jsonl_records(path: Path, content: str, key: str, problems: list[str]) -> list[Raw]:
    raw: list[Raw] = []
    for _, where, record in json_lines(path, split_lines(content), problems):
        if not isinstance(record, dict) or key not in record:
            problems.append(f"{where}: expected a JSON object with 'text' and '{key}'")
            continue
        raw.append((where, record.get("text"), record[key]))
    return raw


def _label_ids(
    where: str, text: object, choices: object, schema: LabelSchema, problems: list[str]
) -> tuple[str, ...] | None:
    """Check one record; map Chinese names to ids. None (and a problem noted) if it is bad."""
    if not isinstance(text, str) or not text.strip():
        problems.append(f"{where}: the text must be non-empty, found {text!r}")
        return None
    if not isinstance(choices, list):
        problems.append(f"{where}: expected a list of labels, found {choices!r}")
        return None
    names = {label.name: label.id for label in schema if label.name}
    ids: list[str] = []
    for choice in choices:
        label = names.get(choice, choice) if isinstance(choice, str) else None
        if label not in schema:
            known = ", ".join(f"{lb.id} ({lb.name})" if lb.name else lb.id for lb in schema)
            problems.append(
                f"{where}: unknown choice {choice!r}; expected a label id or name from the "
                f"schema: {known}. Fix the choice, or add the label to schema.json"
            )
            return None
        ids.append(str(label))
    if len(set(ids)) != len(ids):
        problems.append(f"{where}: a label is listed twice in {choices!r}")
        return None
    return tuple(label for label in schema.ids if label in ids)  # schema order


def _drop_repeats(
    records: list[Annotated], problems: list[str], warnings: list[str]
) -> list[Annotated]:
    """One record per normalised text: a repeat with the same labels is dropped with a
    warning, one with other labels is a problem (as the dataset loader treats them)."""
    first: dict[str, Annotated] = {}
    for record in records:
        earlier = first.setdefault(normalize(record.text), record)
        if earlier is record:
            continue
        if earlier.labels != record.labels:
            problems.append(
                f"{record.where}: same text as {earlier.where} but different labels "
                f"({list(record.labels)} vs {list(earlier.labels)}); keep one"
            )
        else:
            warnings.append(f"{record.where}: repeats {earlier.where}; the repeat is ignored")
    return list(first.values())


def import_labels(
    path: str | os.PathLike[str],
    *,
    format: str = "auto",
    output: str | os.PathLike[str],
    labelled_dir: str | os.PathLike[str] = "data/labels",
    force: str | None = None,
    replace: bool = False,
) -> ImportReport:
    """Check an annotation tool's export and write it to ``output`` as tagger JSONL.

    Labels are checked against ``labelled_dir/schema.json``. A paragraph already labelled the
    same in ``labelled_dir`` is not repeated. One labelled differently is a conflict, and
    nothing is written unless ``force`` says who wins: ``"import"`` writes the imported labels
    (each line names the ``file:line`` it overrides; training refuses the pair until that
    line is deleted) and ``"existing"`` leaves the paragraph out. Existing files are never
    edited, and ``output`` must not exist unless ``replace`` is true. Then its paragraphs are
    checked like the rest (a paragraph it labels differently is a conflict; with ``"existing"``
    its labels are kept), a note counts those the import drops, and it is replaced atomically.
    """
    if force not in (None, *FORCE):
        raise UsageError(f"force: expected None, 'import' or 'existing', found {force!r}")
    source, target = Path(path), Path(output)
    if os.path.lexists(target) and not replace:
        raise OutputError(
            f"{target}: exists already, and an import never replaces labelled data unless told "
            "to; choose a new file name, or pass --replace (replace=True) to replace it"
        )
    schema = load_schema(Path(labelled_dir))
    records, notes, found_format = read_annotations(source, schema, format=format)
    existing = read_labelled(labelled_dir, skip=[target])
    replaced: dict[str, Example] = {}
    if replace and target.is_file():
        for example in read_examples(target, None)[0]:
            replaced.setdefault(normalize(example.text), example)
    lines: list[dict[str, Any]] = []
    conflicts: list[Conflict] = []
    for record in records:
        line: dict[str, Any] = {"text": record.text, "labels": list(record.labels)}
        line["source"] = f"import:{source.name}"
        key = normalize(record.text)
        old, prior = existing.get(key), replaced.pop(key, None)
        if old is not None and old.labels == tuple(sorted(record.labels)):
            notes.append(f"{record.where}: already labelled the same at {old.where}; not repeated")
            continue
        if old is not None:
            conflicts.append(Conflict(record, old))
            if force == "existing":
                notes.append(f"{record.where}: left out; {old.where} keeps its labels")
                continue
            line["overrides"] = old.where
            notes.append(f"{record.where}: overrides {old.where}; delete that line before training")
        if old is None and prior is not None and prior.labels != tuple(sorted(record.labels)):
            conflicts.append(Conflict(record, prior))
            if force == "existing":
                line["labels"] = [label for label in schema.ids if label in prior.labels]
                notes.append(f"{record.where}: keeps the labels of {prior.where}")
            else:
                notes.append(f"{record.where}: replaces the labels of {prior.where}")
        lines.append(line)
    if conflicts and force is None:
        raise DataError(
            [
                f"{conflict}; fix one side, or import again with --force import (these labels "
                "win) or --force existing (the labelled data wins)"
                for conflict in conflicts
            ]
        )
    if replaced:
        first = min(replaced.values(), key=lambda example: example.line)
        notes.append(
            f"{target}: {len(replaced)} of the paragraphs it held are not in this import and "
            f"are dropped with it, the first at {first.where}"
        )
    if target.suffix != ".jsonl":
        notes.append(f"{target}: training reads only *.jsonl files; give it that ending")
    with open_output(target, replace=replace) as out:
        for line in lines:
            out.write(json_line(line))
    return ImportReport(target, found_format, len(lines), tuple(conflicts), tuple(notes))
