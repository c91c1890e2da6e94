"""Writing tagged records: JSONL and CSV to any text stream, and files replaced atomically."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from tagger.tagging import TaggedBlock

CSV_COLUMNS = ("source", "article", "published", "index", "kind", "start", "end", "labels")


# JSON lets these stand unescaped, but Python's str.splitlines and some JSONL readers end a
# line at them; escaping keeps one record on one line for every reader.
_LINE_BREAKS = str.maketrans({"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def jsonl_line(record: TaggedBlock) -> str:
    """One record as one line of JSON, newline included."""
    return json.dumps(record.to_dict(), ensure_ascii=False).translate(_LINE_BREAKS) + "\n"


def write_jsonl(records: Iterable[TaggedBlock | str], out: TextIO) -> int:
    """Write records (or lines already made by ``jsonl_line``) as JSON Lines."""
    count = 0
    for record in records:
        out.write(record if isinstance(record, str) else jsonl_line(record))
        count += 1
    return count


def write_csv(
    records: Iterable[TaggedBlock], out: TextIO, labels: Sequence[str], *, bom: bool = False
) -> int:
    """One row per block: location, labels joined by ';', one score column per label, text.

    ``bom`` starts the text with a byte-order mark: without one, Excel and WPS read UTF-8 CSV
    as the local code page and show the Chinese as mojibake.
    """
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, *(f"score_{lb}" for lb in labels), "text"])
    count = 0
    for r in records:
        scores = [r.scores.get(lb, "") for lb in labels]
        writer.writerow(
            [
                r.source,
                r.article,
                r.published or "",
                r.index,
                r.kind,
                r.start,
                r.end,
                ";".join(r.labels),
                *scores,
                r.text,
            ]
        )
        count += 1
    return count


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[TextIO]:
    """Open ``path`` for writing so that readers see the old file or the whole new one."""
    target = Path(path)
    descriptor, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        # mkstemp creates the file private to its owner; an output file is for sharing.
        os.chmod(descriptor, 0o644)
        with open(descriptor, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
