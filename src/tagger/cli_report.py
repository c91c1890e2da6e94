"""``tagger report``: an HTML evaluation report. Registered on ``tagger.cli.app`` on import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tagger.cli import ModelOption, app, handles_errors


@app.command()
@handles_errors
def report(
    data: Annotated[
        list[Path],
        typer.Argument(help="Labelled JSONL files ({text, labels} a line) or directories of them."),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="HTML file to write (atomically).")
    ],
    model: ModelOption = None,
    errors: Annotated[
        int, typer.Option("--errors", min=0, help="How many of the worst errors to list.")
    ] = 20,
) -> None:
    """Evaluate a model on labelled paragraphs and write a self-contained HTML report.

    Example: tagger report held-out.jsonl -o report.html
    """
    from tagger.files import open_output
    from tagger.inputs import check_output
    from tagger.report import make_report

    check_output(output, data, pages=False)
    built = make_report(data, model, errors=errors)
    for warning in built.warnings:
        typer.echo(f"warning: {warning}", err=True)
    with open_output(output) as out:
        out.write(built.html)
    typer.echo(f"wrote {output}", err=True)
