"""The ``tagger`` command: parse arguments, call the library, print. Nothing else lives here."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import signal
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


# Control characters from pages or file names would reach the terminal as escape sequences
# (colours, titles, hyperlinks, cursor moves); they are shown as \xNN instead. A lone surrogate
# (an undecodable byte of a file name) cannot be printed as UTF-8, so it is escaped too.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` safe to print to a terminal: control characters shown as ``\\xNN`` escapes."""
    escaped = _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode(), text)
    return escaped if keep_newlines else escaped.replace("\n", "\\n")


def _error(message: str) -> None:
    typer.echo(f"Error: {printable(message, keep_newlines=True)}", err=True)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that it stops as cleanly as on Ctrl-C."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def _silence_stdout() -> None:
    """The reader of stdout went away (``tagger tag | head``). Python would report the failed
    flush of what is still buffered when it exits, so stdout is pointed at the null device."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):
        return  # a stand-in for stdout (a test runner's): nothing will be flushed to a pipe
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)


def _describe(exc: OSError) -> str:
    from tagger.files import shown_path

    name = exc.filename
    where = f"{shown_path(os.fsdecode(name))}: " if isinstance(name, str | bytes) else ""
    return (
        f"{where}{exc.strerror or exc}; the operating system refused. Check the path, the "
        "permissions and the free space, and run again"
    )


def handles_errors(command: F) -> F:
    """Turn a user's mistake into one message on stderr and exit status 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = command(*args, **kwargs)
            sys.stdout.flush()  # here, so that a reader gone away is met while it can be handled
            return result
        except TaggerError as exc:
            _error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt as exc:
            terminated = isinstance(exc, Terminated)
            _error(f"{'terminated' if terminated else 'interrupted'}; nothing more was written")
            raise typer.Exit(128 + (signal.SIGTERM if terminated else signal.SIGINT)) from None
        except BrokenPipeError:
            # Like other Unix tools, stop quietly when the reader has read all it wanted.
            _silence_stdout()
            raise typer.Exit(0) from None
        except OSError as exc:  # a full disk, a lost device: not a bug, so no traceback
            _error(_describe(exc))
            raise typer.Exit(1) from None

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
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write here: a file is replaced atomically; a device or pipe is written to.",
        ),
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
    from tagger.files import open_output
    from tagger.inputs import Skipped, check_output
    from tagger.output import jsonl_line, write_csv, write_jsonl
    from tagger.store import load

    if output is not None:
        check_output(output, paths)
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

    def write(out: TextIO) -> int:
        if fmt is Format.csv:
            to_file = output is not None or _is_regular_file(out)
            return write_csv(records, out, tagger.labels_, bom=to_file if bom is None else bom)
        if fmt is Format.table:
            return _print_table(list(records), out)
        if fmt is Format.html:
            from tagger.html_view import write_html

            return write_html(records, out, tagger.labels_, tagger.label_names_)
        return write_jsonl(records, out)

    # Closed on the way out, however it ends, so that --jobs workers stop with the command.
    with contextlib.closing(records):
        try:
            if output is None:
                written = write(sys.stdout)
            else:
                with open_output(output) as out:
                    written = write(out)
        finally:
            if advance is not None:
                advance(done=True)
    tagged = counts["tagged"]
    if counts["skipped"]:
        _error(f"tagged {tagged} file{'s' * (tagged != 1)}, skipped {counts['skipped']}")
        raise typer.Exit(1)
    if not written:
        _error(
            f"no paragraphs in the {tagged} file{'s' * (tagged != 1)} read: expected body text or "
            "captions, found empty pages or only headings and bylines (--all-blocks shows those)"
        )
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


def _print_table(records: list[Any], out: TextIO) -> int:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from tagger.files import shown_path

    # Page text goes in as Text, never as a string: Rich would read "[link=...]" or "[/x]" in a
    # paragraph as markup. Control characters are escaped first (see printable). A terminal gets
    # the table cut to its width; a file or a pipe gets every line whole.
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
            title = printable(r.article or r.source)
            if several:
                title = f"{printable(shown_path(r.source))}: {title}"
            table.add_row("", "", Text(title, style="bold"))
        labels = "\n".join(f"{printable(lb)} {r.scores[lb]:.2f}" for lb in r.labels) or "-"
        text = printable(r.text)
        untagged = r.kind not in ("body", "caption")
        cell = Text(f"({r.kind}) {text}", style="dim") if untagged else Text(text)
        table.add_row(str(r.index), Text(labels), cell)
    console = Console(
        file=out,
        markup=False,
        emoji=False,
        highlight=False,
        width=None if terminal else 1_000_000,
    )
    console.print(table)
    return len(records)


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
            f"{printable(label):<24}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1']:>10.3f}"
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
    from tagger.store import bundled_model_dir, verify_files

    manifest = verify_files(model)  # every file's sha256, as well as the manifest's fields
    if as_json:
        typer.echo(json.dumps(manifest, ensure_ascii=False, indent=2))
        return
    typer.echo(f"model        {printable(str(model or bundled_model_dir()))}")
    typer.echo(f"files        {len(manifest['files'])}, each matching its sha256 in the manifest")
    typer.echo(f"created      {printable(str(manifest.get('created')))}")
    versions = ", ".join(f"{k} {v}" for k, v in manifest["versions"].items())
    typer.echo(f"versions     {printable(versions)}")
    data = manifest.get("training_data", {})
    about = f"{data.get('n_paragraphs')} paragraphs, sha256 {data.get('sha256')}"
    typer.echo(f"trained on   {printable(about)}")
    typer.echo(f"features     {manifest.get('n_features')}")
    typer.echo("labels       id, name, threshold")
    for entry in manifest["labels"]:
        label, name = printable(entry["id"]), printable(entry.get("name", ""))
        typer.echo(f"  {label:<24}{name:<8}{manifest['thresholds'][entry['id']]:.3f}")
    if manifest.get("cv_metrics"):
        _print_metrics(manifest["cv_metrics"], "cross-validated metrics")


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except SystemExit as stop:
        if stop.code in (128 + signal.SIGINT, 128 + signal.SIGTERM):
            # Interrupted: outputs are cleaned up and the message is out. Exit now rather than
            # wait for --jobs workers to finish their tasks in hand; they exit as soon as they
            # see their parent gone (tagger.batch).
            with contextlib.suppress(OSError):  # a reader may be gone too: nothing to tell it
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(stop.code)
        raise


# Further commands live in their own modules; importing them registers them on ``app``.
from tagger import cli_inspect, cli_loop, cli_report  # noqa: E402, F401
