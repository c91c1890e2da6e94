"""Tagging many inputs: in batches in this process, or in worker processes, in input order.

Memory stays bounded however many and however large the files: pages are read lazily, a huge
page comes in parts (here) or as one task per part (in workers), and only a few tasks per
worker are in flight at a time. Each input is reported once, after its records. Workers leave
Ctrl-C to the parent, stop after their task in hand when the parent stops early, and exit by
themselves within half a second when the parent is gone, however it ended (SIGKILL too).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from tagger import inputs
from tagger.errors import InputError, TaggerError, UsageError
from tagger.inputs import STDIN, Skipped, expand, large_page_parts, read_pages, read_part
from tagger.page import Page
from tagger.tagging import TaggedBlock, tag_pages

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from tagger.model import Tagger

Result = list[Any] | Skipped  # a file's records (or their encodings), or why it was skipped
Encode = Callable[[TaggedBlock], Any]
# One task: ("skip", Skipped), ("files", [path, ...]) of small files, or ("part", path, start,
# end, last) for the bytes start:end of a huge page.
Task = tuple[Any, ...]

_worker_model: Tagger | None = None
_worker_all_blocks = False
_worker_encode: Encode | None = None
_FILES_PER_TASK = 8
_TASKS_PER_WORKER = 2  # in flight per worker: one running, one queued behind it
_PARENT_CHECK_SECONDS = 0.5


def tag_inputs(
    paths: Sequence[str],
    model: Tagger | str | os.PathLike[str] | None = None,
    *,
    all_blocks: bool = False,
    jobs: int = 1,
    on_result: Callable[[str, Result], None] | None = None,
    encode: Encode | None = None,
    stdin_format: str = "text",
) -> Generator[Any, None, None]:
    """Tag every page named by ``paths`` (files, directories, ``-``) and yield the records.

    ``model`` is a loaded ``Tagger`` or a model directory (None: the bundled model). With
    ``jobs`` > 1 the files are shared out over that many processes; each loads the model and
    the segmenter once, receives only paths and sends back only results, and the output keeps
    the input order. ``on_result(path, result)`` is called once per input, after its records
    are yielded: a ``Skipped`` saying why it was not read, or else its records (for a huge page,
    read in parts, those of its last part). A huge page with a bad byte anywhere is skipped
    whole, whatever ``jobs`` is. Close the generator to stop early: no task is started after.

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
    yield from _tag_in_workers(paths, model, all_blocks, jobs, report, encode)


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
    # In input order: every page (or part of one) read, and after a file's last one, the file
    # itself (its name, or a Skipped), to be reported once its records are out.
    queue: deque[Page | Skipped | str] = deque()
    last: list[TaggedBlock] = []  # the records of the latest page, read by settle()

    def pages() -> Iterator[Page]:
        for name in expand(paths):
            if isinstance(name, Skipped):
                queue.append(name)
                continue
            outcome: Skipped | str = name
            for item in read_pages([name], stdin_format):
                if isinstance(item, Skipped):
                    outcome = item
                else:
                    queue.append(item)
                    yield item
            queue.append(outcome)

    def settle() -> None:
        while queue and not isinstance(queue[0], Page):
            done = queue.popleft()
            if isinstance(done, Skipped):
                report(done.path, done)
            else:
                assert isinstance(done, str)
                report(done, last)

    for results in tag_pages(tagger, pages(), all_blocks=all_blocks):
        settle()
        queue.popleft()  # the page these results are of
        yield from results
        last = results
        settle()
    settle()


def _plan(paths: Sequence[str]) -> Iterator[Task]:
    """The work, in input order: small files a few to a task, a huge page a task per part."""
    files: list[str] = []
    size = 0
    for item in expand(paths):
        length = 0
        if isinstance(item, str):
            try:
                length = os.path.getsize(item)
            except OSError as exc:  # gone since the folder was listed
                item = Skipped(item, f"cannot be read ({exc.strerror})")
        if files and (isinstance(item, Skipped) or length > inputs.LARGE_PAGE_BYTES):
            yield ("files", files)
            files, size = [], 0
        if isinstance(item, Skipped):
            yield ("skip", item)
        elif length > inputs.LARGE_PAGE_BYTES:
            yield from _parts(item)
        else:
            files.append(item)
            size += length
            # A few files per task: fewer messages, one numpy batch for several small pages.
            if len(files) >= _FILES_PER_TASK or size >= inputs.PART_BYTES:
                yield ("files", files)
                files, size = [], 0
    if files:
        yield ("files", files)


def _parts(name: str) -> Iterator[Task]:
    """A huge page as one task per part, once every part is known to decode."""
    try:
        with open(name, "rb") as handle:
            ranges = large_page_parts(handle, name)
    except (InputError, OSError) as exc:
        yield ("skip", Skipped.of(name, exc))
        return
    for number, (start, end) in enumerate(ranges, 1):
        yield ("part", name, start, end, number == len(ranges))


def _tag_in_workers(
    paths: Sequence[str],
    model: str | os.PathLike[str] | None,
    all_blocks: bool,
    jobs: int,
    report: Callable[[str, Result], None],
    encode: Encode | None,
) -> Iterator[Any]:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    start = (model, all_blocks, encode, os.getpid())
    pool = ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=start)
    tasks = _plan(paths)
    pending: deque[tuple[Task, Future[Any] | None]] = deque()
    in_flight = 0
    offset = first_index = 0  # where the current part of a huge page starts in the page
    failed: str | None = None  # a huge page whose part could not be read: its rest is dropped
    finished = False
    try:
        while True:
            while in_flight < jobs * _TASKS_PER_WORKER:
                task = next(tasks, None)
                if task is None:
                    break
                work = pool.submit(_run_task, task) if task[0] != "skip" else None
                pending.append((task, work))
                in_flight += work is not None
            if not pending:
                break
            task, work = pending.popleft()
            result = work.result() if work is not None else task[1]
            in_flight -= work is not None
            if task[0] == "skip":
                report(result.path, result)
            elif task[0] == "files":
                for name, outcome in zip(task[1], result, strict=True):
                    if not isinstance(outcome, Skipped):
                        yield from outcome
                    report(name, outcome)
            else:
                _, name, begin, _, last = task
                if begin == 0:
                    offset = first_index = 0
                    failed = None
                if failed == name:
                    continue
                if isinstance(result, Skipped):
                    failed = name
                    report(name, result)
                    continue
                records, length, blocks = result
                moved = [
                    dataclasses.replace(
                        r, index=r.index + first_index, start=r.start + offset, end=r.end + offset
                    )
                    for r in records
                ]
                yield from moved if encode is None else map(encode, moved)
                offset, first_index = offset + length, first_index + blocks
                if last:
                    report(name, moved)
        finished = True
    except BrokenProcessPool:
        raise TaggerError(
            "a worker process died (killed, or out of memory?); nothing more was tagged. "
            "Run again with fewer --jobs"
        ) from None
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:
            _stop(pool)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop early: drop the tasks not started; each worker ends after the one in hand.

    Workers are not killed mid-task: one killed while sending its result would leave the pool's
    reader waiting for the rest of it for ever. A program that must end at once exits without
    waiting for them (see ``tagger.cli.main``), and they follow within half a second.
    """
    pool.shutdown(wait=False, cancel_futures=True)


def _start_worker(
    model: str | os.PathLike[str] | None, all_blocks: bool, encode: Encode | None, parent: int
) -> None:
    global _worker_model, _worker_all_blocks, _worker_encode
    # Ctrl-C reaches every process of the terminal's group: the parent handles it for all, and
    # ends a worker with SIGTERM, whose default action must not be the parent's clean-up.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    _worker_model, _worker_all_blocks, _worker_encode = _as_tagger(model), all_blocks, encode


def _exit_with_parent(parent: int) -> None:
    """Runs in a worker: exit as soon as the parent is gone, however it died."""
    while os.getppid() == parent:
        time.sleep(_PARENT_CHECK_SECONDS)
    os._exit(1)


def _run_task(task: Task) -> Any:
    """Runs in a worker: one task of ``_plan``."""
    assert _worker_model is not None, "worker started without a model"
    if task[0] == "files":
        return _tag_files(task[1])
    _, name, start, end, _ = task
    try:
        with open(name, "rb") as handle:
            page = read_part(handle, name, start, end)
    except (InputError, OSError) as exc:  # changed since it was checked
        return Skipped.of(name, exc)
    (records,) = tag_pages(_worker_model, [page], all_blocks=_worker_all_blocks)
    return records, len(page.text), sum(1 for _ in page.blocks())


def _tag_files(paths: list[str]) -> list[Result]:
    """Runs in a worker: tag a few small files in one batch; one result per file, in order."""
    assert _worker_model is not None, "worker started without a model"
    results: list[Result] = [[] for _ in paths]
    owners: deque[int] = deque()

    def pages() -> Iterator[Page]:
        for i, path in enumerate(paths):
            for page in read_pages([path]):
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
