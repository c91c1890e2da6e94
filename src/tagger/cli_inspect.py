"""``tagger evaluate``, ``tagger explain`` and ``tagger check``: parse, call the library, print.

Importing this module registers the commands on ``tagger.cli.app``. Data goes to stdout (a
table or JSON), messages to stderr.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tagger.cli import ModelOption, app, handles_errors, printable
from tagger.errors import UsageError

if TYPE_CHECKING:
    from tagger.checks import CheckReport
    from tagger.explain import Explanation

SUSPECTS_SHOWN = 20  # the table's cut; --format json lists every suspect


class TableOrJson(StrEnum):
    table = "table"
    json = "json"


class Baseline(StrEnum):
    keywords = "keywords"


FormatOption = Annotated[
    TableOrJson, typer.Option("--format", "-f", help="table for reading, json for programs.")
]
DataArgument = Annotated[
    list[Path], typer.Argument(help="Labelled *.jsonl files, or directories of them.")
]


def _json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


@app.command("evaluate")
@handles_errors
def evaluate_command(
    data: DataArgument,
    model: ModelOption = None,
    output_format: FormatOption = TableOrJson.table,
    errors: Annotated[
        int, typer.Option("--errors", min=0, help="Also list the N worst mistakes.")
    ] = 0,
    baseline: Annotated[
        Baseline | None, typer.Option("--baseline", help="Score a baseline side by side.")
    ] = None,
    cv: Annotated[
        int | None,
        typer.Option(
            "--cv", min=2, help="Cross-validate a fresh model with the model's settings on DATA."
        ),
    ] = None,
) -> None:
    """Score a model on labelled paragraphs: precision, recall and F1 per label and on average.

    Example: tagger evaluate held-out.jsonl --baseline keywords --errors 5
    """
    from tagger.evaluation import evaluate_data

    if cv is not None:
        typer.echo(f"cross-validating over {cv} folds ...", err=True)
    result = evaluate_data(
        data, model, baseline=baseline.value if baseline else None, errors=errors, cv=cv
    )
    for warning in result["warnings"]:
        typer.echo(f"warning: {warning}", err=True)
    if output_format is TableOrJson.json:
        _json(result)
        return
    source = result["model"]["path"] or "a Tagger object"
    how = f"{cv}-fold cross-validated on the data" if cv else "as trained"
    typer.echo(f"model {source} (created {result['model']['created']}), {how}")
    seen = result["seen_in_training"]
    if cv:
        trained_on = ""
    elif seen is None:
        trained_on = (
            "; whether the model was trained on them is unknown (it was saved without a "
            "record of its training paragraphs: retrain it to have one)"
        )
    else:
        trained_on = f"; the model was trained on {seen} of them"
    typer.echo(f"{result['n']} paragraphs from {', '.join(result['data'])}{trained_on}")
    tables = {"model": result, **result["baselines"]}
    names = list(tables)
    typer.echo(
        f"{'':<24}{'support':>8}" + "".join(f"{n + ' P':>14}{'R':>7}{'F1':>7}" for n in names)
    )
    for label in result["model"]["labels"]:
        cells = "".join(_prf(t["labels"][label]) for t in tables.values())
        typer.echo(f"{label:<24}{result['labels'][label]['support']:>8}{cells}")
    for average in ("micro", "macro", "samples"):
        cells = "".join(_prf(t[average]) for t in tables.values())
        typer.echo(f"{average + ' avg':<32}{cells}")
    typer.echo(
        f"{'exact-set accuracy':<32}"
        + "".join(f"{'':>14}{'':>7}{t['exact_match']:>7.3f}" for t in tables.values())
    )
    typer.echo(
        f"no-label paragraphs: {result['no_label']}, left empty: "
        + ", ".join(f"{n} {t['no_label_left_empty']}" for n, t in tables.items())
    )
    for rank, mistake in enumerate(result["errors"], 1):
        where = printable(mistake["where"])
        typer.echo(f"\nmistake {rank}: {where} (distance {mistake['distance']:.3f})")
        typer.echo(f"  gold {mistake['gold']}, predicted {mistake['predicted']}")
        scores = ", ".join(
            f"{lb} {mistake['scores'][lb]:.2f}/{mistake['thresholds'][lb]:.2f}"
            for lb in mistake["wrong"]
        )
        typer.echo(f"  wrong: {scores} (probability/threshold)")
        typer.echo(f"  {printable(mistake['text'])}")


def _prf(row: dict[str, float]) -> str:
    return f"{row['precision']:>14.3f}{row['recall']:>7.3f}{row['f1']:>7.3f}"


@app.command("explain")
@handles_errors
def explain_command(
    text: Annotated[str, typer.Argument(help="The paragraph, or - to read it from stdin.")],
    model: ModelOption = None,
    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            min=0,
            help="Features to list each way, per label (default: the strongest, until they "
            "carry two thirds of the weight).",
        ),
    ] = None,
    output_format: FormatOption = TableOrJson.table,
) -> None:
    """Show why a paragraph gets each label: its deciding passage and strongest features.

    Example: tagger explain "村口设立卡点，专人值守。居民排队做核酸检测。" --top 5
    """
    from tagger.decoding import decode_bytes
    from tagger.explain import explain
    from tagger.store import load

    if text == "-":
        text = decode_bytes(sys.stdin.buffer.read(), "<stdin>")  # as a page is: UTF-8 or GB18030
    if any("\ud800" <= c <= "\udfff" for c in text):  # how Python carries bytes not UTF-8
        raise UsageError(
            "expected a paragraph of text, found bytes that are not UTF-8; pipe it in with - "
            "to have it decoded as a page is (UTF-8 or GB18030)"
        )
    if not text.strip():
        raise UsageError(
            "expected a paragraph to explain, found only whitespace; pass it as an argument "
            "or pipe it in with -"
        )
    explanation = explain(load(model), text.strip(), top=top)
    if output_format is TableOrJson.json:
        _json(explanation.to_dict())
    else:
        _print_explanation(explanation)


def _print_explanation(explanation: Explanation) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Rich colours only on a terminal; piped, the same calls print plain text. Text from pages
    # and models goes in as Text (never read as markup), control characters escaped.
    console = Console(file=sys.stdout, highlight=False, markup=False, emoji=False)
    total = len(explanation.passages)
    for item in explanation.labels:
        verdict = "yes" if item.decided else "no"
        relation = ">=" if item.decided else "<"
        console.print(
            Text(
                f"{printable(item.label)} {printable(item.name)}: p={item.probability:.3f} "
                f"{relation} threshold {item.threshold:.3f}, {verdict}",
                style="bold",
            )
        )
        table = Table()
        table.add_column("feature")
        table.add_column("tf-idf", justify="right")
        table.add_column("coef", justify="right")
        table.add_column("contribution", justify="right")
        for contribution in item.listed:
            style = "green" if contribution.contribution > 0 else "red"
            table.add_row(
                Text(printable(contribution.feature)),
                f"{contribution.value:.3f}",
                f"{contribution.coef:+.3f}",
                Text(f"{contribution.contribution:+.3f}", style=style),
            )
        shown = len(item.up) + len(item.down)
        table.add_row(
            Text(
                f"({item.n_features - shown} other features, {item.rest_share:.0%} of the weight)"
            ),
            "",
            "",
            f"{item.rest:+.3f}",
        )
        table.add_row(Text("(intercept)"), "", "", f"{item.intercept:+.3f}")
        if item.units_term:
            table.add_row(Text(f"(best of {total} passages)"), "", "", f"{item.units_term:+.3f}")
        console.print(table)
        console.print(
            f"decision value {item.decision_value:+.3f} = intercept {item.intercept:+.3f} "
            f"+ the {item.n_features} features of passage {item.passage_index + 1}/{total}"
            + (
                f" {item.units_term:+.3f} for the best of {total} passages"
                if item.units_term
                else ""
            )
            + ":",
            markup=False,
        )
        passage = Text()
        for run, weight in item.highlights():
            style = "bold green" if weight > 0 else "bold red" if weight < 0 else ""
            passage.append(printable(run), style=style)
        console.print(passage)
        console.print()


@app.command("check")
@handles_errors
def check_command(
    data: DataArgument,
    model: ModelOption = None,
    cv: Annotated[
        int, typer.Option("--cv", min=2, help="Folds of the search for suspected label errors.")
    ] = 5,
    output_format: FormatOption = TableOrJson.table,
) -> None:
    """Check labelled data: format errors, duplicates, counts and suspected label errors.

    Exits 1 when there are errors; warnings and suspects alone exit 0.

    Example: tagger check data/labels --cv 5
    """
    from tagger.checks import check_data

    typer.echo(f"checking (the search for label errors fits {cv} models) ...", err=True)
    report = check_data(data, model, cv=cv)
    if output_format is TableOrJson.json:
        _json(report.to_dict())
    else:
        _print_report(report)
    typer.echo(
        f"{len(report.errors)} errors, {len(report.warnings)} warnings, "
        f"{len(report.suspects)} suspected label errors",
        err=True,
    )
    raise typer.Exit(report.exit_code)


def _print_report(report: CheckReport) -> None:
    from tagger.checks import AGREEING, HIGH, LOW, NEIGHBOURS

    counts = report.counts
    typer.echo(f"{counts['paragraphs']} paragraphs in {len(report.files)} files")
    typer.echo(f"label set: {report.schema or 'the model labels (no schema.json found)'}")
    for title, issues in (("errors", report.errors), ("warnings", report.warnings)):
        typer.echo(f"\n{title} ({len(issues)})")
        for issue in issues:
            typer.echo(f"  {printable(str(issue))}")
    labels = list(counts["labels"])
    typer.echo("\nlabel counts and co-occurrence (paragraphs with both labels)")
    typer.echo(f"{'':<28}{'count':>7}" + "".join(f"{n:>7}" for n in range(1, len(labels) + 1)))
    for n, label in enumerate(labels, 1):
        row = "".join(f"{counts['co_occurrence'][label][other]:>7}" for other in labels)
        typer.echo(f"{n:>3} {label:<24}{counts['labels'][label]:>7}{row}")
    typer.echo(f"    {'(no label)':<24}{counts['no_label']:>7}")
    shown = report.suspects[:SUSPECTS_SHOWN]
    typer.echo(
        f"\nsuspected label errors ({len(report.suspects)}): a model that never saw the "
        f"paragraph (p < {LOW} for a label given, > {HIGH} for one not given) and at least "
        f"{round(AGREEING * NEIGHBOURS)} of the {NEIGHBOURS} paragraphs most like it disagree "
        "with its label"
    )
    if counts.get("reviewed"):
        typer.echo(f"  ({counts['reviewed']} paragraphs marked reviewed are not searched)")
    for rank, suspect in enumerate(shown, 1):
        typer.echo(f"{rank:>3}. {printable(suspect.where)}: labels {list(suspect.labels)}")
        typer.echo(f"     {printable(suspect.text)}")
        typer.echo(f"     {printable(suspect.reason)}")
    if len(report.suspects) > len(shown):
        typer.echo(f"  ... {len(report.suspects) - len(shown)} more: --format json lists all")
