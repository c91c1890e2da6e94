"""An evaluation report as one self-contained HTML file: metrics, plots and the worst errors.

Plots are drawn with matplotlib's object-oriented API on an Agg canvas, never pyplot, so
building a report neither switches the caller's backend nor keeps figures alive. Chinese text
appears only in the HTML: the figures use label ids, which any default font can draw.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from tagger.dataset import Example, data_files
from tagger.errors import TaggerError, UsageError
from tagger.evaluation import count_seen, read_labelled
from tagger.fingerprint import overlap_warning
from tagger.html_view import REPORT_CSS, document, label_chip, label_colours
from tagger.metrics import indicator, scores_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from tagger.model import Tagger


@dataclass(frozen=True)
class _Run:
    """The model's verdicts on the labelled data: what every section of the report draws on."""

    examples: list[Example]
    labels: list[str]
    names: dict[str, str]
    gold: NDArray[np.bool_]
    proba: NDArray[np.float64]
    thresholds: NDArray[np.float64]

    @property
    def predicted(self) -> NDArray[np.bool_]:
        return self.proba >= self.thresholds

    def chip(self, label: str) -> str:
        return label_chip(label, self.labels, self.names)


@dataclass(frozen=True)
class Report:
    """A report page, and the warnings shown at its top (for a caller to print as well)."""

    html: str
    warnings: tuple[str, ...]


def build_report(
    data_paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    model: Tagger | str | os.PathLike[str] | None = None,
    *,
    errors: int = 20,
) -> str:
    """Evaluate ``model`` (a Tagger, a model directory, or the bundled model) on labelled data.

    ``data_paths`` are JSONL files or directories of them, one ``{"text", "labels"}`` object a
    line; a schema file is not needed. Returns the report as a self-contained HTML page.
    """
    return make_report(data_paths, model, errors=errors).html


def make_report(
    data_paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    model: Tagger | str | os.PathLike[str] | None = None,
    *,
    errors: int = 20,
) -> Report:
    """``build_report``, with the warnings the page shows: data the model was trained on."""
    if isinstance(errors, bool) or not isinstance(errors, int) or errors < 0:
        raise UsageError(f"errors: expected a whole number of 0 or more, found {errors!r}")
    figure_class = _figure_class()  # fail on a missing matplotlib before any slow work
    tagger, model_name = _resolve_model(model)
    labels = list(tagger.labels_)
    paths = [data_paths] if isinstance(data_paths, str | os.PathLike) else list(data_paths)
    files = data_files([Path(p) for p in paths])
    examples, _, _ = read_labelled(paths, labels)
    run = _Run(
        examples,
        labels,
        dict(getattr(tagger, "label_names_", {}) or {}),
        indicator([example.labels for example in examples], labels),
        tagger.predict_proba([example.text for example in examples]),
        np.asarray(tagger.thresholds_, dtype=np.float64),
    )
    metrics: dict[str, Any] = scores_table(run.gold, run.predicted, labels)
    seen = count_seen(tagger, [example.text for example in examples])
    warnings = (overlap_warning(seen, len(examples)),) if seen else ()
    body = [
        "<h1>Evaluation report</h1>",
        f"<p>Model: <code>{escape(model_name)}</code><br>Data: "
        + ", ".join(f"<code>{escape(str(f))}</code>" for f in files)
        + f"<br>{len(examples)} labelled paragraphs.</p>",
        *(f'<p class="warning">Warning: {escape(warning)}.</p>' for warning in warnings),
        "<h2>Metrics</h2>",
        _metrics_table(run, metrics),
        _metrics_chart(figure_class, run, metrics),
        "<h2>Per label</h2>",
        '<p class="muted">Left: precision against recall as the threshold moves, with the '
        "model's threshold marked. Right: scores of paragraphs that carry the label against "
        "those that do not (log scale), with the threshold line.</p>",
        '<div class="cards">',
        *(_label_card(figure_class, run, j) for j in range(len(labels))),
        "</div>",
        "<h2>Which labels occur together (gold)</h2>",
        '<p class="muted">Paragraphs carrying both labels; the diagonal is each label\'s '
        f"support. {int((~run.gold.any(axis=1)).sum())} paragraphs carry no label.</p>",
        _cooccurrence(figure_class, run.gold, labels),
        _worst_errors(run, errors),
    ]
    html = document("tagger: evaluation report", "\n".join(body) + "\n", labels, REPORT_CSS)
    return Report(html, warnings)


def _figure_class() -> type[Figure]:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise TaggerError(
            "the report draws its plots with matplotlib, which is not installed; "
            'install it with: pip install "fangkong-tagger[report]"'
        ) from None
    return Figure


def _resolve_model(model: Tagger | str | os.PathLike[str] | None) -> tuple[Tagger, str]:
    from tagger.model import Tagger
    from tagger.store import bundled_model_dir, load

    if isinstance(model, Tagger):
        return model, "a model given in memory"
    return load(model), str(model if model is not None else bundled_model_dir())


def _png(figure: Figure, alt: str) -> str:
    """The figure as an inline ``<img>``, so the report needs no files beside it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    # No "Software" metadata: the same data then gives the same bytes on every run.
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def _tick(label: str, j: int) -> str:
    # DejaVu Sans, matplotlib's default font, has no CJK glyphs: a non-ASCII id becomes its number.
    return label if label.isascii() and label.isprintable() else f"#{j + 1}"


def _plotted(text: str) -> str:
    # matplotlib reads text between dollar signs as TeX math, and fails on "$$": keep it literal.
    return text.replace("$", r"\$")


def _ticks(labels: Sequence[str]) -> list[str]:
    """Labels as plot text (see ``_tick``)."""
    return [_plotted(_tick(label, j)) for j, label in enumerate(labels)]


def _label_card(figure_class: type[Figure], run: _Run, j: int) -> str:
    """A label's precision-recall curve and score histogram, captioned in HTML."""
    label, colour = run.labels[j], label_colours(run.labels)[j]
    gold, scores, threshold = run.gold[:, j], run.proba[:, j], float(run.thresholds[j])
    positives = int(gold.sum())
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(gold[order])
    precision = hits / np.arange(1, len(scores) + 1)
    recall = hits / positives if positives else np.zeros(len(scores))
    # Average precision: the mean of the precision at the rank of every positive.
    ap = float(precision[gold[order]].mean()) if positives else 0.0
    chosen = scores >= threshold
    at_p = float(gold[chosen].mean()) if chosen.any() else 1.0
    at_r = float(gold[chosen].sum() / positives) if positives else 0.0

    curve = figure_class(figsize=(3.2, 2.8), layout="constrained")
    ax = curve.add_subplot()
    ax.step(np.r_[0.0, recall], np.r_[1.0, precision], where="post", color=colour)
    ax.plot([at_r], [at_p], "o", color="black", label=f"threshold {threshold:.2f}")
    ax.set(xlim=(0, 1.02), ylim=(0, 1.05), xlabel="recall", ylabel="precision")
    ax.set_title(_plotted(_tick(label, j)), fontsize=9)
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)

    histogram = figure_class(figsize=(3.2, 2.8), layout="constrained")
    ax = histogram.add_subplot()
    bins = np.linspace(0.0, 1.0, 21).tolist()
    for part, colour_, name in ((~gold, "#999999", "negatives"), (gold, colour, "positives")):
        if part.any():  # an empty series on a log axis only makes warnings
            ax.hist(scores[part], bins=bins, color=colour_, alpha=0.6, log=True, label=name)
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1, label="threshold")
    ax.set(xlim=(0, 1), xlabel="score", ylabel="paragraphs")
    ax.set_title(_plotted(_tick(label, j)), fontsize=9)
    ax.legend(fontsize=8)

    return (
        f'<div class="card"><div>{run.chip(label)}</div>'
        f"<p>threshold {threshold:.3f}; there: precision {at_p:.3f}, recall {at_r:.3f}; "
        f"average precision {ap:.3f}; {positives} of {len(scores)} paragraphs carry it</p>"
        f"{_png(curve, f'precision-recall curve for {label}')}"
        f"{_png(histogram, f'score histogram for {label}')}</div>"
    )


def _cooccurrence(figure_class: type[Figure], gold: NDArray[np.bool_], labels: list[str]) -> str:
    counts = gold.T.astype(np.int64) @ gold.astype(np.int64)
    size = 1.6 + 0.55 * len(labels)
    figure = figure_class(figsize=(size + 0.8, size), layout="constrained")
    ax = figure.add_subplot()
    image = ax.imshow(counts, cmap="Blues")
    ax.set_xticks(range(len(labels)), _ticks(labels), rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), _ticks(labels), fontsize=8)
    top = counts.max() if counts.size else 0
    for (row, column), value in np.ndenumerate(counts):
        dark = value > top / 2  # white on dark cells, black on light ones
        colour = "white" if dark else "black"
        ax.text(column, row, str(value), ha="center", va="center", fontsize=8, color=colour)
    figure.colorbar(image, ax=ax, shrink=0.8)
    key = "".join(
        f"<li>{escape(_tick(lb, j))}: {escape(lb)}</li>"
        for j, lb in enumerate(labels)
        if _tick(lb, j) != lb
    )
    return _png(figure, "label co-occurrence heat map") + (f"<ul>{key}</ul>" if key else "")


def _metrics_chart(figure_class: type[Figure], run: _Run, metrics: dict[str, Any]) -> str:
    """Precision, recall and F1 side by side for each label, to see the weak ones at once."""
    figure = figure_class(figsize=(1.6 + 0.9 * len(run.labels), 2.6), layout="constrained")
    ax = figure.add_subplot()
    x = np.arange(len(run.labels))
    # Greys, so the bars are not mistaken for the label colours used everywhere else.
    shades = {"precision": "#bbbbbb", "recall": "#777777", "f1": "#222222"}
    for k, (key, shade) in enumerate(shades.items()):
        values = [metrics["labels"][label][key] for label in run.labels]
        ax.bar(x + (k - 1) * 0.27, values, width=0.27, color=shade, label=key)
    ax.set_xticks(x, _ticks(run.labels), rotation=20, ha="right", fontsize=8)
    ax.set(ylim=(0, 1.25), yticks=np.linspace(0, 1, 6).tolist(), ylabel="score")
    ax.legend(fontsize=8, ncols=3, loc="upper center")
    ax.grid(axis="y", alpha=0.3)
    return _png(figure, "per-label precision, recall and F1")


def _metrics_table(run: _Run, metrics: dict[str, Any]) -> str:
    head = (
        "<tr><th>label</th><th>threshold</th><th>precision</th><th>recall</th><th>F1</th>"
        "<th>support</th><th>predicted</th></tr>"
    )
    rows = [head]
    given = run.predicted.sum(axis=0)
    for j, label in enumerate(run.labels):
        row = metrics["labels"][label]
        rows.append(
            f"<tr><td>{run.chip(label)}</td><td class=n>{run.thresholds[j]:.3f}</td>"
            + "".join(f"<td class=n>{row[k]:.3f}</td>" for k in ("precision", "recall", "f1"))
            + f"<td class=n>{row['support']}</td><td class=n>{given[j]}</td></tr>"
        )
    for average in ("micro", "macro", "samples"):
        row = metrics[average]
        rows.append(
            f'<tr class="avg"><td>{average} average</td><td></td>'
            + "".join(f"<td class=n>{row[k]:.3f}</td>" for k in ("precision", "recall", "f1"))
            + "<td></td><td></td></tr>"
        )
    return (
        f'<table class="metrics">{"".join(rows)}</table>\n<p>Exact-set accuracy '
        f"(every label of a paragraph right): <b>{metrics['exact_match']:.3f}</b> on "
        f"{metrics['n']} paragraphs. {metrics['no_label_left_empty']} of the "
        f"{metrics['no_label']} paragraphs with no gold label got none.</p>"
    )


def _worst_errors(run: _Run, limit: int) -> str:
    """The most confident mistakes: by how far past the threshold each wrong label fell."""
    gold, predicted, proba, thresholds = run.gold, run.predicted, run.proba, run.thresholds
    wrong = gold != predicted
    cost = (np.abs(proba - thresholds) * wrong).sum(axis=1)
    order = [int(i) for i in np.argsort(-cost, kind="stable") if wrong[i].any()][:limit]
    heading = f"<h2>The {len(order)} worst errors</h2>\n"
    if not order:
        return heading + "<p>No errors to show.</p>"
    rows = ["<tr><th>where</th><th>text</th><th>gold</th><th>predicted</th><th>scores</th></tr>"]
    for i in order:
        example = run.examples[i]
        gold_chips = "".join(map(run.chip, example.labels))
        predicted_chips = "".join(
            run.chip(lb) for lb, on in zip(run.labels, predicted[i], strict=True) if on
        )
        scores = "<br>".join(
            f'<span class="{"miss" if gold[i, j] else "extra"}">' * bool(wrong[i, j])
            + f"{escape(lb)} {proba[i, j]:.3f} / {thresholds[j]:.2f}"
            + "</span>" * bool(wrong[i, j])
            for j, lb in enumerate(run.labels)
        )
        rows.append(
            f'<tr><td class="where"><code>{escape(example.where)}</code></td>'
            f'<td class="text">{escape(example.text)}</td>'
            f"<td>{gold_chips or '-'}</td><td>{predicted_chips or '-'}</td>"
            f'<td class="scorelist">{scores}</td></tr>'
        )
    return heading + (
        '<p class="muted">Scores are shown as score / threshold; a dashed box marks a label '
        "missed, a solid box a label given wrongly.</p>"
        f'<table class="metrics errors">{"".join(rows)}</table>'
    )
