"""Tagged results where researchers work: a table with label chips in Jupyter, and DataFrames.

``Tagger.tag_page`` returns ``TaggedResults``, a list of ``TaggedBlock`` that Jupyter shows as
an HTML table, and that ``to_pandas()`` turns into a DataFrame; ``tag_frame`` tags files and
folders straight into one. pandas is an optional extra (``pip install
"fangkong-tagger[pandas]"``), imported only when a DataFrame is made or read.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from tagger.errors import TaggerError
from tagger.html_view import label_chip
from tagger.tagging import TaggedBlock

if TYPE_CHECKING:
    from pandas import DataFrame

    from tagger.model import Tagger

# The record fields, in the order of the JSONL; ``scores`` becomes one column per label.
COLUMNS = ("source", "article", "published", "index", "kind", "start", "end", "text", "labels")
SCORE_PREFIX = "score_"
ROWS_SHOWN = 100  # a notebook cell showing thousands of rows helps nobody and slows the page

_CELL = "padding:.2em .6em;border-bottom:1px solid #e5e5e5;vertical-align:top;text-align:left"


class TaggedResults(list[TaggedBlock]):
    """Tagged blocks in page order, with the label set of the model that tagged them.

    A plain list in every other way; in Jupyter it shows as a table with label chips.
    """

    def __init__(
        self,
        records: Iterable[TaggedBlock] = (),
        labels: Sequence[str] = (),
        label_names: dict[str, str] | None = None,
    ) -> None:
        super().__init__(records)
        self.labels = list(labels)
        self.label_names = dict(label_names or {})

    def _repr_html_(self) -> str:
        return html_table(self, self.labels, self.label_names)

    def to_pandas(self) -> DataFrame:
        """A DataFrame: a row per block, the record's fields, then a ``score_<label>`` column
        per label (NaN for blocks that are not tagged, such as headings)."""
        return to_frame(self, self.labels)

    @classmethod
    def from_pandas(cls, frame: DataFrame) -> TaggedResults:
        """The results back from a DataFrame made by ``to_pandas`` (or ``tag_frame``)."""
        labels = [str(c)[len(SCORE_PREFIX) :] for c in frame.columns if _is_score(c)]
        return cls((_record(row, labels) for row in frame.to_dict("records")), labels)


def html_table(
    records: Sequence[TaggedBlock], labels: Sequence[str], label_names: dict[str, str]
) -> str:
    """An HTML table of tagged blocks, styled inline, for a notebook's output cell."""
    several = len({r.source for r in records}) > 1
    head = ["source"] if several else []
    head += ["article", "#", "kind", "text", "labels"]
    rows = []
    for r in records[:ROWS_SHOWN]:
        cells = [r.source] if several else []
        cells += [r.article, str(r.index), r.kind, r.text]
        chips = "".join(label_chip(lb, labels, label_names, inline=True) for lb in r.labels)
        scores = ", ".join(f"{lb} {p:.3f}" for lb, p in r.scores.items())
        shown = chips or ('<span style="color:#999">-</span>' if r.scores else "")
        rows.append(
            "<tr>"
            + "".join(f'<td style="{_CELL}">{escape(cell)}</td>' for cell in cells)
            + f'<td style="{_CELL}" title="{escape(scores)}">{shown}</td></tr>'
        )
    header = "".join(f'<th style="{_CELL}">{name}</th>' for name in head)
    sources = len({r.source for r in records})
    note = (
        f"{len(records)} blocks from {sources} source{'s' * (sources != 1)}"
        + (
            f"; the first {ROWS_SHOWN} are shown, .to_pandas() has them all"
            if len(records) > ROWS_SHOWN
            else ""
        )
        + ". Hover over the labels for every score."
    )
    return (
        f'<div><table style="border-collapse:collapse"><thead><tr>{header}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table><p style="color:#888">{note}</p></div>'
    )


def to_frame(records: Iterable[TaggedBlock], labels: Sequence[str]) -> DataFrame:
    """A DataFrame of tagged blocks: see ``TaggedResults.to_pandas``."""
    pandas = _pandas()
    records = list(records)
    columns: dict[str, list[Any]] = {
        "source": [r.source for r in records],
        "article": [r.article for r in records],
        "published": [r.published for r in records],
        "index": [r.index for r in records],
        "kind": [r.kind for r in records],
        "start": [r.start for r in records],
        "end": [r.end for r in records],
        "text": [r.text for r in records],
        "labels": [list(r.labels) for r in records],
    }
    for label in labels:
        columns[SCORE_PREFIX + label] = [r.scores.get(label, math.nan) for r in records]
    frame = pandas.DataFrame(columns)
    return frame.astype({lb: "float64" for lb in columns if _is_score(lb)})


def tag_frame(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    model: Tagger | str | os.PathLike[str] | None = None,
    *,
    all_blocks: bool = False,
    jobs: int = 1,
) -> DataFrame:
    """Tag page files and folders (as ``tagger tag`` does) into one DataFrame.

    ``model`` is a loaded ``Tagger`` or a model directory (None: the bundled model). An input
    that cannot be read is skipped with a warning that says why.
    """
    from tagger.batch import tag_inputs
    from tagger.model import Tagger
    from tagger.store import load

    _pandas()  # say pandas is missing before any slow work
    named = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    tagger = model if isinstance(model, Tagger) else load(model)

    def on_result(path: str, result: Any) -> None:
        if not isinstance(result, list):
            warnings.warn(f"skipped {result}", stacklevel=2)

    records = tag_inputs(
        [os.fspath(p) for p in named],
        tagger if jobs == 1 else model,
        all_blocks=all_blocks,
        jobs=jobs,
        on_result=on_result,
    )
    return to_frame(records, tagger.labels_)


def _is_score(column: object) -> bool:
    return isinstance(column, str) and column.startswith(SCORE_PREFIX)


def _record(row: dict[str, Any], labels: Sequence[str]) -> TaggedBlock:
    scores = {lb: float(row[SCORE_PREFIX + lb]) for lb in labels}
    published = row["published"]
    return TaggedBlock(
        source=str(row["source"]),
        article=str(row["article"]),
        index=int(row["index"]),
        kind=str(row["kind"]),
        start=int(row["start"]),
        end=int(row["end"]),
        text=str(row["text"]),
        labels=[str(lb) for lb in row["labels"]],
        # An untagged block's scores are all NaN; a tagged one's are all numbers.
        scores={} if any(math.isnan(p) for p in scores.values()) else scores,
        published=None if _missing(published) else str(published),
    )


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise TaggerError(
            "DataFrames need pandas, which is not installed; install it with: "
            'pip install "fangkong-tagger[pandas]"'
        ) from None
    return pandas
