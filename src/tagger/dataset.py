"""Labelled paragraphs: reading, validating and fingerprinting ``data/labels/*.jsonl``.

One JSON object a line: ``{"text": ..., "labels": [...], "source": ...}``, optionally with
``"reviewed": true`` once a maintainer has confirmed the labels (``tagger check`` then stops
flagging the paragraph as a suspected label error). Every problem in every file is collected
and reported as ``file:line: what is wrong`` before anything trains.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tagger.errors import DataError, UsageError
from tagger.files import describe_kind
from tagger.labels import SCHEMA_FILE, LabelSchema, load_schema
from tagger.text import normalize


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    labels: tuple[str, ...]
    source: str
    file: str
    line: int
    reviewed: bool = False  # a maintainer confirmed the labels; see tagger.checks

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Dataset:
    examples: tuple[Example, ...]
    schema: LabelSchema
    warnings: tuple[str, ...]

    @property
    def texts(self) -> list[str]:
        return [e.text for e in self.examples]

    @property
    def label_lists(self) -> list[list[str]]:
        return [list(e.labels) for e in self.examples]

    @property
    def sha256(self) -> str:
        """A fingerprint of the content (texts and labels), independent of file layout."""
        lines = sorted(
            json.dumps([e.text, sorted(e.labels)], ensure_ascii=False) for e in self.examples
        )
        return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def data_files(paths: Sequence[str | Path]) -> list[Path]:
    """The JSONL files named, or found (sorted) in the directories named.

    Only regular files are taken from a directory: reading a FIFO or a device named
    ``*.jsonl`` could wait for ever, so one is a ``DataError`` saying what it is.
    """
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            odd = [p for p in found if not p.is_file()]
            if odd:
                raise DataError([f"{p}: {_not_regular(p)}; expected labelled JSONL" for p in odd])
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise DataError([f"{path}: no such file or directory; expected labelled JSONL data"])
    if not files:
        raise DataError([f"{', '.join(map(str, paths))}: no *.jsonl files with labelled data"])
    return files


def _not_regular(path: Path) -> str:
    try:
        return f"is {describe_kind(path.stat().st_mode)}, not a regular file"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"


# JSON lets these stand unescaped, but Python's str.splitlines and some JSON Lines readers end a
# line at them; escaped, one record stays on one line for every reader. Lone surrogates (how
# Python carries a file name that is not UTF-8) become \udcNN escapes: the line stays valid
# UTF-8, and json.loads gives back the same string, which os.fsencode turns into the bytes.
# (A regular expression finds them several times faster than str.translate would.)
_ESCAPED = re.compile("[\u0085\u2028\u2029\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(value: object, *, indent: int | None = None) -> str:
    """``value`` as JSON that every reader takes as it was meant: see ``_ESCAPED``."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, indent=indent)
    except ValueError:
        raise UsageError(
            "cannot write a value that is not a finite number (NaN or infinity) as JSON; "
            "check the model or the data it came from"
        ) from None
    return _ESCAPED.sub(_escape, text)


def json_line(value: object) -> str:
    """``value`` as one line of JSON Lines, newline included: every JSON Lines writer's."""
    return json_text(value) + "\n"


def split_lines(content: str) -> list[str]:
    """The lines of JSON Lines text: cut at ``\\n`` (and ``\\r\\n``) only, as the format says.

    ``str.splitlines`` would also cut at U+2028, U+2029 and U+0085, which JSON allows inside
    strings unescaped, and so split one record of another tool's output into two bad ones.
    """
    return [line.removesuffix("\r") for line in content.split("\n")]


def json_lines(
    path: Path, lines: Iterable[str], problems: list[str]
) -> Iterator[tuple[int, str, object]]:
    """Each non-blank line (see ``split_lines``) parsed as JSON: ``(number, "file:line", value)``.

    A line that is not JSON is reported in ``problems`` and skipped.
    """
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            yield number, where, json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: bad JSON ({exc.msg} at column {exc.colno})")
        except RecursionError:
            problems.append(f"{where}: bad JSON (nested too deeply to read)")
        except ValueError as exc:  # a number of more than 4300 digits, for one
            problems.append(f"{where}: bad JSON ({exc})")


def read_examples(path: Path, schema: LabelSchema | None) -> tuple[list[Example], list[str]]:
    """Parse one JSONL file; return its examples and the problems found, line by line."""
    examples: list[Example] = []
    problems: list[str] = []
    try:
        lines = split_lines(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"{path}: cannot read as UTF-8 text: {exc}"]
    for number, where, record in json_lines(path, lines, problems):
        if not isinstance(record, dict):
            problems.append(f"{where}: expected a JSON object, found {type(record).__name__}")
            continue
        text, labels = record.get("text"), record.get("labels")
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}: 'text' must be non-empty text, found {text!r}")
            continue
        if not isinstance(labels, list) or not all(isinstance(lb, str) for lb in labels):
            problems.append(f"{where}: 'labels' must be a list of label ids, found {labels!r}")
            continue
        unknown = [lb for lb in labels if schema is not None and lb not in schema]
        if unknown:
            known = ", ".join(schema.ids) if schema else ""
            problems.append(
                f"{where}: unknown label {', '.join(map(repr, unknown))}; expected one of: {known}"
            )
            continue
        if len(set(labels)) != len(labels):
            problems.append(f"{where}: a label is listed twice in {labels!r}")
            continue
        reviewed = record.get("reviewed", False)
        if not isinstance(reviewed, bool):
            problems.append(f"{where}: 'reviewed' must be true or false, found {reviewed!r}")
            continue
        source = record.get("source", "")
        examples.append(
            Example(text, tuple(sorted(labels)), str(source), str(path), number, reviewed)
        )
    return examples, problems


def check_duplicates(examples: Iterable[Example]) -> tuple[list[Example], list[str], list[str]]:
    """Drop repeated texts; a repeat with other labels is a problem, an exact repeat a warning.

    Texts compare after normalisation, so a copy that differs only in spacing or full-width
    forms is still caught: it would leak between cross-validation folds.
    """
    first: dict[str, Example] = {}
    kept: list[Example] = []
    problems: list[str] = []
    warnings: list[str] = []
    for example in examples:
        key = normalize(example.text)
        earlier = first.get(key)
        if earlier is None:
            first[key] = example
            kept.append(example)
        elif earlier.labels != example.labels:
            problems.append(
                f"{example.where}: same text as {earlier.where} but different labels "
                f"({list(example.labels)} vs {list(earlier.labels)}); keep one"
            )
        else:
            warnings.append(f"{example.where}: repeats {earlier.where}; the repeat is ignored")
    return kept, problems, warnings


def load_dataset(paths: Sequence[str | Path], schema: LabelSchema | None = None) -> Dataset:
    """Read and validate labelled data; raise ``DataError`` listing every problem found.

    Without an explicit ``schema``, the ``schema.json`` of the first directory named is used.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    if schema is None:
        directories = [Path(p) for p in paths if Path(p).is_dir()]
        if not directories:
            raise DataError([f"no label schema: pass a data directory holding {SCHEMA_FILE}"])
        schema = load_schema(directories[0])
    examples: list[Example] = []
    problems: list[str] = []
    for path in data_files(paths):
        found, trouble = read_examples(path, schema)
        examples.extend(found)
        problems.extend(trouble)
    kept, conflicts, warnings = check_duplicates(examples)
    problems.extend(conflicts)
    if problems:
        raise DataError(problems)
    return Dataset(tuple(kept), schema, tuple(warnings))
