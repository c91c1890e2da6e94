"""Writing tagged records as JSON Lines and CSV to any text stream.

Files are opened by ``tagger.files.open_output``, which never destroys what a path names.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import TextIO

from tagger.dataset import json_line
from tagger.files import shown_path
from tagger.tagging import TaggedBlock

CSV_COLUMNS = ("source", "article", "published", "index", "kind", "start", "end", "labels")
# A spreadsheet evaluates a cell that starts with one of these ("=HYPERLINK(...)", "@SUM(...)",
# "-2+3"); a leading apostrophe makes it text, as OWASP advises for CSV meant for spreadsheets.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def jsonl_line(record: TaggedBlock) -> str:
    """One record as one line of JSON, newline included."""
    return json_line(record.to_dict())


def csv_cell(text: str) -> str:
    """Text a spreadsheet shows as text: a would-be formula gets a leading apostrophe."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


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
                csv_cell(shown_path(r.source)),
                csv_cell(r.article),
                csv_cell(r.published or ""),
                r.index,
                csv_cell(r.kind),
                r.start,
                r.end,
                csv_cell(";".join(r.labels)),
                *scores,
                csv_cell(r.text),
            ]
        )
        count += 1
    return count
