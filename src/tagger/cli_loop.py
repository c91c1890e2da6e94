"""``tagger suggest`` and ``tagger import``: the labelling loop on the command line.

Registered on ``tagger.cli.app`` when ``tagger.cli`` imports this module. Like the rest of
the CLI it parses, calls the library and prints: data to the output file or stdout, messages
to stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from tagger.cli import ModelOption, app, handles_errors
from tagger.errors import UsageError

if TYPE_CHECKING:
    from tagger.labels import LabelSchema

STDOUT = "-"


class Strategy(StrEnum):
    uncertainty = "uncertainty"
    diverse = "diverse"


class ExportFormat(StrEnum):
    labelstudio = "labelstudio"
    doccano = "doccano"
    jsonl = "jsonl"


class ImportFormat(StrEnum):
    auto = "auto"
    labelstudio = "labelstudio"
    doccano = "doccano"
    jsonl = "jsonl"


class Force(StrEnum):
    import_ = "import"
    existing = "existing"


LabelledOption = Annotated[
    Path,
    typer.Option("--labelled", help="Labelled-data directory (*.jsonl and schema.json)."),
]


@app.command()
@handles_errors
def suggest(
    paths: Annotated[
        list[str], typer.Argument(help="Page files, directories of *.txt/*.md, or - for stdin.")
    ],
    output: Annotated[
        str, typer.Option("--output", "-o", help="File to write (atomically), or - for stdout.")
    ],
    n: Annotated[int, typer.Option("-n", min=1, help="How many paragraphs to suggest.")] = 50,
    strategy: Annotated[
        Strategy,
        typer.Option(
            "--strategy", help="uncertainty, or diverse: also spread over labels and sources."
        ),
    ] = Strategy.uncertainty,
    output_format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Format for the annotation tool.")
    ] = ExportFormat.labelstudio,
    model: ModelOption = None,
    labelled: LabelledOption = Path("data/labels"),
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Also write the Label Studio labelling config here."),
    ] = None,
) -> None:
    """Suggest the paragraphs most worth labelling next, for Label Studio or doccano.

    Paragraphs already in the labelled data are never suggested.

    Example: tagger suggest pages/ -n 50 --strategy diverse -o tasks.json --config config.xml
    """
    from tagger.annotation import labelstudio_config, write_suggestions
    from tagger.inputs import Skipped, check_output
    from tagger.suggest import suggest as pick

    if config is not None and output_format is not ExportFormat.labelstudio:
        raise UsageError("--config writes a Label Studio config: use it with --format labelstudio")
    for target in (output, config):
        if target is not None and target != STDOUT:
            check_output(target, paths)
    skipped: list[Skipped] = []

    def on_skip(item: Skipped) -> None:
        skipped.append(item)
        typer.echo(f"Error: {item}", err=True)

    suggestions = pick(
        paths, model, n=n, strategy=strategy.value, labelled_dir=labelled, on_skip=on_skip
    )
    _write(output, lambda out: write_suggestions(suggestions, out, output_format.value))
    if config is not None:
        schema = _config_schema(labelled, model)
        _write(str(config), lambda out: out.write(labelstudio_config(schema)))
    where = "stdout" if output == STDOUT else output
    typer.echo(f"wrote {len(suggestions)} suggestions to {where}", err=True)
    if skipped:
        typer.echo(f"Error: skipped {len(skipped)} unreadable inputs", err=True)
        raise typer.Exit(1)


def _write(target: str, write: Callable[[TextIO], object]) -> None:
    from tagger.files import open_output

    if target == STDOUT:
        write(sys.stdout)
        return
    with open_output(target) as out:
        write(out)


def _config_schema(labelled: Path, model: Path | None) -> LabelSchema:
    """The labelled data's schema (it may hold labels the model has not learned yet), or
    else the labels the model was trained on."""
    from tagger.labels import SCHEMA_FILE, LabelSchema, load_schema
    from tagger.store import read_manifest

    if (labelled / SCHEMA_FILE).is_file():
        return load_schema(labelled)
    manifest = read_manifest(model)
    descriptions = manifest.get("label_descriptions", {})
    entries = [{**e, "description": descriptions.get(e["id"], "")} for e in manifest["labels"]]
    return LabelSchema.from_json(entries, f"{model or 'the bundled model'}: manifest labels")


@app.command("import")
@handles_errors
def import_(
    file: Annotated[Path, typer.Argument(help="Export from Label Studio or doccano, or JSONL.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Labelled JSONL to write, in the labelled dir.")
    ],
    input_format: Annotated[
        ImportFormat, typer.Option("--format", "-f", help="Format of FILE (auto: by content).")
    ] = ImportFormat.auto,
    labelled: LabelledOption = Path("data/labels"),
    force: Annotated[
        Force | None,
        typer.Option(
            "--force",
            help="On a conflict with labelled data: import (these labels win) or existing.",
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Replace OUTPUT if it exists (checked for conflicts too)."),
    ] = False,
) -> None:
    """Check an annotation export and add it to the labelled data as JSONL.

    Nothing is written if a label is unknown, a text is empty, or a paragraph is labelled
    differently elsewhere (unless --force says which side wins). An existing OUTPUT is
    replaced only with --replace.

    Example: tagger import export.json -o data/labels/round-4.jsonl
    """
    from tagger.annotation import import_labels
    from tagger.inputs import check_output

    check_output(output, [file], pages=False)
    report = import_labels(
        file,
        format=input_format.value,
        output=output,
        labelled_dir=labelled,
        force=force.value if force is not None else None,
        replace=replace,
    )
    for note in report.notes:
        typer.echo(note, err=True)
    count = f"{report.written} paragraph{'s' * (report.written != 1)}"
    typer.echo(f"imported {count} from {file} ({report.format}) to {output}", err=True)
