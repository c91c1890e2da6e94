"""The label schema: which labels exist, with their Chinese names and descriptions.

The schema is data (``data/labels/schema.json``), so a maintainer adds a label by editing that
file, labelling paragraphs and retraining; no code names a label.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tagger.errors import DataError

SCHEMA_FILE = "schema.json"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Label:
    id: str
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class LabelSchema:
    """An ordered set of labels; the order is the column order of every score array."""

    labels: tuple[Label, ...]

    def __iter__(self) -> Iterator[Label]:
        return iter(self.labels)

    def __len__(self) -> int:
        return len(self.labels)

    def __contains__(self, label_id: object) -> bool:
        return label_id in self.ids

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(label.id for label in self.labels)

    def to_json(self) -> list[dict[str, str]]:
        return [{"id": lb.id, "name": lb.name, "description": lb.description} for lb in self]

    @classmethod
    def from_json(cls, value: object, where: str) -> LabelSchema:
        """Build a schema from its JSON form, reporting every problem against ``where``."""
        entries = value.get("labels") if isinstance(value, dict) else value
        if not isinstance(entries, list) or not entries:
            raise DataError([f"{where}: expected a non-empty list of labels under 'labels'"])
        problems: list[str] = []
        labels: list[Label] = []
        for n, entry in enumerate(entries, 1):
            if not isinstance(entry, dict):
                problems.append(f"{where}: label {n}: expected an object, found {entry!r}")
                continue
            label_id, name = entry.get("id"), entry.get("name", "")
            description = entry.get("description", "")
            if not isinstance(label_id, str) or not _ID.match(label_id):
                problems.append(
                    f"{where}: label {n}: 'id' must be lower_snake_case text, found {label_id!r}"
                )
            elif label_id in {lb.id for lb in labels}:
                problems.append(f"{where}: label {n}: duplicate id {label_id!r}")
            elif not isinstance(name, str) or not isinstance(description, str):
                problems.append(f"{where}: label {n}: 'name' and 'description' must be text")
            else:
                labels.append(Label(label_id, name, description))
        if problems:
            raise DataError(problems)
        return cls(tuple(labels))


def load_schema(path: str | Path) -> LabelSchema:
    """Read a schema file (or the ``schema.json`` inside a data directory)."""
    path = Path(path)
    if path.is_dir():
        path = path / SCHEMA_FILE
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(
            [
                f"{path}: no label schema here; create it listing each label's id, name and "
                "description (see data/labels/schema.json in the tagger repository)"
            ]
        ) from None
    except RecursionError:
        raise DataError([f"{path}: cannot read the label schema: nested too deeply"]) from None
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8, not JSON, a 5000-digit number
        raise DataError([f"{path}: cannot read the label schema: {exc}"]) from None
    return LabelSchema.from_json(value, str(path))
