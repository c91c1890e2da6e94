"""Tagging many inputs: in batches in this process, or in worker processes, in input order."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from tagger.errors import UsageError
from tagger.inputs import STDIN, Skipped, expand, read_pages
from tagger.page import Page
from tagger.tagging import TaggedBlock, tag_pages

if TYPE_CHECKING:
    from tagger.model import Tagger

Result = list[Any] | Skipped  # a file's records (or their encodings), or why it was skipped
Encode = Callable[[TaggedBlock], Any]

_worker_model: Tagger | None = None
_worker_all_blocks = False
_worker_encode: Encode | None = None
_FILES_PER_TASK = 8


def tag_inputs(
    paths: Sequence[str],
    model: Tagger | str | os.PathLike[str] | None = None,
    *,
    all_blocks: bool = False,
    jobs: int = 1,
    on_result: Callable[[str, Result], None] | None = None,
    encode: Encode | None = None,
    stdin_format: str = "text",
) -> Iterator[Any]:
    """Tag every page named by ``paths`` (files, directories, ``-``) and yield the records.

    ``model`` is a loaded ``Tagger`` or a model directory (None: the bundled model). With
    ``jobs`` > 1 the files are shared out over that many processes; each loads the model and
    the segmenter once, receives only paths and sends back only results, and the output keeps
    the input order. ``on_result(path, result)`` is called once per input, after its records
    are yielded: a list of records, or a ``Skipped`` saying why it was not read.

    With ``encode`` (a module-level function, so that workers can receive it) each record is
    yielded as ``encode(record)``, worked out in the workers: the parent then only writes.
    ``stdin_format`` (``"text"`` or ``"html"``) says how to read ``-``.
    """
    if not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"jobs: expected a whole number of processes >= 1, found {jobs!r}")
    report = on_result or (lambda path, result: None)
    if jobs == 1:
        records = _tag_here(paths, _as_tagger(model), all_blocks, report, stdin_format)
        yield from records if encode is None else map(encode, records)
        return
    if STDIN in paths:
        raise UsageError("stdin (-) is read by one process: drop --jobs, or name files instead")
    if not isinstance(model, str | os.PathLike | None):
        raise UsageError("with jobs > 1, pass the model as a directory so workers can load it")
    from concurrent.futures import ProcessPoolExecutor

    names = list(expand(paths))
    start = (model, all_blocks, encode)
    with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=start) as pool:
        files = [n for n in names if not isinstance(n, Skipped)]
        # A few files per task: fewer messages, and one numpy batch for several small pages.
        chunks = [files[i : i + _FILES_PER_TASK] for i in range(0, len(files), _FILES_PER_TASK)]
        results = (result for chunk in pool.map(_tag_files, chunks) for result in chunk)
        for name in names:
            result = name if isinstance(name, Skipped) else next(results)
            if not isinstance(result, Skipped):
                yield from result
            report(name.path if isinstance(name, Skipped) else name, result)


def _as_tagger(model: Tagger | str | os.PathLike[str] | None) -> Tagger:
    from tagger.model import Tagger
    from tagger.store import load

    return model if isinstance(model, Tagger) else load(model)


def _tag_here(
    paths: Sequence[str],
    tagger: Tagger,
    all_blocks: bool,
    report: Callable[[str, Result], None],
    stdin_format: str = "text",
) -> Iterator[TaggedBlock]:
    pages: deque[Page] = deque()

    def readable() -> Iterator[Page]:
        for page in read_pages(paths, stdin_format):
            if isinstance(page, Skipped):
                report(page.path, page)
            else:
                pages.append(page)
                yield page

    for results in tag_pages(tagger, readable(), all_blocks=all_blocks):
        yield from results
        report(pages.popleft().source, results)


def _start_worker(
    model: str | os.PathLike[str] | None, all_blocks: bool, encode: Encode | None
) -> None:
    global _worker_model, _worker_all_blocks, _worker_encode
    _worker_model, _worker_all_blocks, _worker_encode = _as_tagger(model), all_blocks, encode


def _tag_files(paths: list[str]) -> list[Result]:
    """Runs in a worker: tag a few files in one batch; one result per file, in order."""
    assert _worker_model is not None, "worker started without a model"
    results: list[Result] = [[] for _ in paths]
    owners: deque[int] = deque()

    def pages() -> Iterator[Page]:
        for i, path in enumerate(paths):
            for page in read_pages([path]):  # a huge page comes in several parts
                if isinstance(page, Skipped):
                    results[i] = page
                else:
                    owners.append(i)
                    yield page

    for records in tag_pages(_worker_model, pages(), all_blocks=_worker_all_blocks):
        found = results[owners.popleft()]
        assert not isinstance(found, Skipped)
        found.extend(records if _worker_encode is None else map(_worker_encode, records))
    return results
