"""The ``tagger`` command: parse arguments, call the library, print. Nothing else lives here."""

from __future__ import annotations

import functools
import json
import os
import stat
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO, TypeVar

import typer

from tagger._version import __version__
from tagger.errors import TaggerError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    help="Tag paragraphs of Chinese news pages with the epidemic-prevention measures they report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Engine(StrEnum):
    local = "local"
    dask = "dask"


class InputFormat(StrEnum):
    text = "text"
    html = "html"


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    table = "table"
    html = "html"


def _error(message: str) -> None:
    typer.echo(f"Error: {message}", err=True)


def handles_errors(command: F) -> F:
    """Turn a user's mistake into one message on stderr and exit status 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except TaggerError as exc:
            _error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _error("interrupted; nothing more was written")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"tagger {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Tag paragraphs of Chinese news pages with the epidemic-prevention measures they report."""


ModelOption = Annotated[
    Path | None, typer.Option("--model", "-m", help="Model directory (default: the bundled model).")
]


@app.command()
@handles_errors
def tag(
    paths: Annotated[
        list[str],
        typer.Argument(help="Page files, directories of *.txt/*.md/*.html/*.htm, or - for stdin."),
    ],
    model: ModelOption = None,
    output_format: Annotated[
        Format | None,
        typer.Option(
            "--format", "-f", help="Output format (default: table on a terminal, else jsonl)."
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (atomically).")
    ] = None,
    all_blocks: Annotated[
        bool,
        typer.Option("--all-blocks", help="Also emit headings, bylines and furniture, untagged."),
    ] = False,
    jobs: Annotated[
        int,
        typer.Option("--jobs", "-j", min=1, help="Worker processes (output keeps input order)."),
    ] = 1,
    engine: Annotated[
        Engine,
        typer.Option("--engine", help="local, or dask: one JSONL part per partition in -o DIR."),
    ] = Engine.local,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address, tcp://HOST:8786.")
    ] = None,
    input_format: Annotated[
        InputFormat,
        typer.Option("--input-format", help="How to read stdin (-); files go by their suffix."),
    ] = InputFormat.text,
    bom: Annotated[
        bool | None,
        typer.Option(
            "--bom/--no-bom",
            help="Start CSV with a byte-order mark, which Excel needs to read UTF-8 "
            "(default: yes into a file, with -o or >; no into a pipe or a terminal).",
        ),
    ] = None,
) -> None:
    """Tag every body paragraph and caption of the pages given.

    Example: tagger tag data/pages/henan-rural-daily-party-building-page.txt --format jsonl
    """
    if engine is Engine.dask:
        _tag_on_dask(paths, output, scheduler, model, all_blocks)
        return
    from tagger.batch import tag_inputs
    from tagger.inputs import Skipped
    from tagger.output import atomic_output, jsonl_line, write_csv, write_jsonl
    from tagger.store import load

    tagger = load(model)
    fmt = output_format or (
        Format.table if output is None and sys.stdout.isatty() else Format.jsonl
    )
    counts = {"tagged": 0, "skipped": 0}
    advance = _progress(paths) if sys.stderr.isatty() else None

    def on_result(path: str, result: Any) -> None:
        if isinstance(result, Skipped):
            counts["skipped"] += 1
            _error(str(result))
        else:
            counts["tagged"] += 1
        if advance is not None:
            advance()

    records = tag_inputs(
        paths,
        tagger if jobs == 1 else model,
        all_blocks=all_blocks,
        jobs=jobs,
        on_result=on_result,
        encode=jsonl_line if fmt is Format.jsonl else None,  # workers encode, the parent writes
        stdin_format=input_format.value,
    )

    def write(out: TextIO) -> None:
        if fmt is Format.csv:
            to_file = output is not None or _is_regular_file(out)
            write_csv(records, out, tagger.labels_, bom=to_file if bom is None else bom)
        elif fmt is Format.table:
            _print_table(list(records), out)
        elif fmt is Format.html:
            from tagger.html_view import write_html

            write_html(records, out, tagger.labels_, tagger.label_names_)
        else:
            write_jsonl(records, out)

    try:
        if output is None:
            write(sys.stdout)
        else:
            with atomic_output(output) as out:
                write(out)
    finally:
        if advance is not None:
            advance(done=True)
    if counts["skipped"]:
        tagged = counts["tagged"]
        _error(f"tagged {tagged} file{'s' * (tagged != 1)}, skipped {counts['skipped']}")
        raise typer.Exit(1)


def _is_regular_file(stream: TextIO) -> bool:
    """Whether ``stream`` is a file on disk (stdout redirected with >), not a pipe or terminal."""
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError):  # no descriptor (a test's StringIO, a closed stream)
        return False


def _tag_on_dask(
    paths: list[str],
    output: Path | None,
    scheduler: str | None,
    model: Path | None,
    all_blocks: bool,
) -> None:
    from tagger.distributed import tag_files

    if output is None:
        raise TaggerError("--engine dask writes one JSONL file per partition: give -o DIRECTORY")
    result = tag_files(paths, output, scheduler=scheduler, model=model, all_blocks=all_blocks)
    for line in result.skipped:
        _error(line)
    typer.echo(f"wrote {len(result.parts)} parts to {output}", err=True)
    if result.skipped:
        _error(f"tagged {result.tagged_files} files, skipped {len(result.skipped)}")
        raise typer.Exit(1)


def _progress(paths: list[str]) -> Callable[..., None]:
    """A progress bar on stderr (only for a terminal), advanced once per input file."""
    from rich.progress import Progress

    from tagger.inputs import expand

    total = sum(1 for _ in expand(paths))
    bar = Progress(transient=True, disable=total < 20)  # a page or two needs no bar
    task = bar.add_task("tagging", total=total)
    bar.start()

    def advance(done: bool = False) -> None:
        if done:
            bar.stop()
        else:
            bar.advance(task)

    return advance


def _print_table(records: list[Any], out: TextIO) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    # A terminal gets the table cut to its width; a file or a pipe gets every line whole.
    terminal = out.isatty()
    table = Table(show_lines=False, expand=terminal)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("labels", no_wrap=True, max_width=28)
    table.add_column("text", ratio=1, no_wrap=True, overflow="ellipsis" if terminal else "ignore")
    several = len({r.source for r in records}) > 1
    article = None
    for r in records:
        if (r.source, r.article) != article:
            article = (r.source, r.article)
            table.add_section()
            title = f"[bold]{escape(r.article or r.source)}[/bold]"
            table.add_row("", "", f"{escape(r.source)}: {title}" if several else title)
        labels = "\n".join(f"{lb} {r.scores[lb]:.2f}" for lb in r.labels) or "-"
        text = escape(r.text)
        if r.kind not in ("body", "caption"):
            text = f"[dim]({r.kind}) {text}[/dim]"
        table.add_row(str(r.index), labels, text)
    Console(file=out, width=None if terminal else 1_000_000).print(table)


@app.command()
@handles_errors
def train(
    data: Annotated[
        Path, typer.Argument(help="Directory of labelled *.jsonl with schema.json.")
    ] = Path("data/labels"),
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Model directory to write.")
    ] = Path("models/default"),
    cv: Annotated[
        int, typer.Option("--cv", min=2, help="Folds for threshold tuning and metrics.")
    ] = 5,
) -> None:
    """Train a model on labelled paragraphs and write it atomically.

    Example: tagger train data/labels -o models/default
    """
    from tagger.training import train as train_model

    typer.echo(f"training on {data} ...", err=True)
    tagger = train_model(data, output, cv=cv)
    _print_metrics(
        tagger.cv_metrics_,
        f"{cv}-fold cross-validated, {tagger.cv_repeats} repeats pooled, at the tuned thresholds",
    )
    typer.echo(f"wrote {output}", err=True)


def _print_metrics(metrics: dict[str, Any], title: str) -> None:
    typer.echo(title)
    typer.echo(f"{'label':<24}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
    for label, row in metrics["labels"].items():
        typer.echo(
            f"{label:<24}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1']:>10.3f}"
            f"{row['support']:>9}"
        )
    for average in ("micro", "macro", "samples"):
        row = metrics[average]
        typer.echo(
            f"{average + ' avg':<24}{row['precision']:>10.3f}{row['recall']:>10.3f}"
            f"{row['f1']:>10.3f}"
        )
    typer.echo(f"exact-set accuracy {metrics['exact_match']:.3f} on {metrics['n']} paragraphs")


@app.command()
@handles_errors
def info(
    model: ModelOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole manifest as JSON.")
    ] = False,
) -> None:
    """Show what a model is: labels, thresholds, versions, training data and metrics.

    Example: tagger info --json
    """
    from tagger.store import bundled_model_dir, read_manifest

    manifest = read_manifest(model)
    if as_json:
        typer.echo(json.dumps(manifest, ensure_ascii=False, indent=2))
        return
    typer.echo(f"model        {model or bundled_model_dir()}")
    typer.echo(f"created      {manifest.get('created')}")
    typer.echo("versions     " + ", ".join(f"{k} {v}" for k, v in manifest["versions"].items()))
    data = manifest.get("training_data", {})
    typer.echo(f"trained on   {data.get('n_paragraphs')} paragraphs, sha256 {data.get('sha256')}")
    typer.echo(f"features     {manifest.get('n_features')}")
    typer.echo("labels       id, name, threshold")
    for entry in manifest["labels"]:
        threshold = manifest["thresholds"][entry["id"]]
        typer.echo(f"  {entry['id']:<24}{entry['name']:<8}{threshold:.3f}")
    if manifest.get("cv_metrics"):
        _print_metrics(manifest["cv_metrics"], "cross-validated metrics")


def main() -> None:
    app()


# Further commands live in their own modules; importing them registers them on ``app``.
from tagger import cli_inspect, cli_loop, cli_report  # noqa: E402, F401
