"""Tagging many pages on a Dask cluster: one task per contiguous chunk, one part file per task.

Only path strings go to the workers and only counts and skip messages come back, so no record
passes through the scheduler. Workers read the pages, the model directory and the output
directory themselves: these must be on a filesystem every worker sees at the same path (the
bundled model is found in each worker's own installation of tagger).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tagger.errors import UsageError
from tagger.files import open_output
from tagger.inputs import STDIN, Skipped, expand, read_pages
from tagger.model import Tagger
from tagger.output import write_jsonl
from tagger.store import MANIFEST, bundled_model_dir, load
from tagger.tagging import TaggedBlock

_PART = "part-{:05d}.jsonl"
_PART_RE = re.compile(r"part-(\d{5})\.jsonl")

# One model per worker process and directory, shared by its threads and the tasks it runs, and
# kept while the directory's manifest (which holds the hash of every model file) is unchanged.
_MODELS: dict[Path, tuple[str, Tagger]] = {}
_MODELS_LOCK = threading.Lock()


@dataclass
class DistributedResult:
    parts: list[Path]
    tagged_files: int
    skipped: list[str]


def _model(directory: str | None) -> Tagger:
    root = (Path(directory) if directory is not None else bundled_model_dir()).resolve()
    try:
        version = hashlib.sha256((root / MANIFEST).read_bytes()).hexdigest()
    except OSError:
        version = ""  # no manifest to read: load() below says what is wrong
    with _MODELS_LOCK:
        cached = _MODELS.get(root)
        if cached is None or cached[0] != version:
            # A directory replaced by a new model (tagger train) is loaded afresh.
            cached = _MODELS[root] = (version, load(root))
        return cached[1]


def _tag_part(
    chunk: list[tuple[str, str]], target: str, model: str | None, all_blocks: bool
) -> tuple[int, list[str]]:
    """Runs on a worker: tag ``(name, absolute path)`` pairs into ``target``; return a summary."""
    tagger = _model(model)
    skipped: list[str] = []
    tagged = 0

    def records() -> Iterator[TaggedBlock]:
        nonlocal tagged
        for name, absolute in chunk:
            # The worker's working directory may differ from the client's, so it reads the
            # absolute path, while records and messages keep the name the user's run would show.
            failure = None
            for item in read_pages([absolute]):  # a huge page comes in several parts
                if isinstance(item, Skipped):
                    failure = str(Skipped(name, item.reason))
                    continue
                page = dataclasses.replace(item, source=name)
                yield from tagger.tag_page(page, all_blocks=all_blocks)
            if failure is None:
                tagged += 1
            else:
                skipped.append(failure)

    with open_output(target) as out:
        write_jsonl(records(), out)
    return tagged, skipped


def _client(dask: Any, scheduler: Any) -> tuple[Any, bool]:
    """The client to use, and whether this call created it (and so must close it)."""
    if scheduler is None:
        try:
            return dask.default_client(), False
        except ValueError:
            raise UsageError(
                "no Dask client is running: pass scheduler='tcp://HOST:8786' (the scheduler's "
                "address) or a distributed.Client"
            ) from None
    if isinstance(scheduler, str):
        return dask.Client(scheduler), True
    if isinstance(scheduler, dask.Client):
        return scheduler, False
    raise UsageError(
        f"scheduler must be None, an address string or a distributed.Client; "
        f"got {type(scheduler).__name__}"
    )


def tag_files(
    paths: Sequence[str],
    output_dir: str | os.PathLike[str],
    *,
    scheduler: Any = None,
    model: str | os.PathLike[str] | None = None,
    all_blocks: bool = False,
    partitions: int | None = None,
) -> DistributedResult:
    """Tag files and directories on a Dask cluster into ``output_dir/part-NNNNN.jsonl``.

    The parts, concatenated in order, hold the records ``tagger tag PATHS --format jsonl``
    writes. Part files left in ``output_dir`` by an earlier, larger run are removed.
    """
    try:
        # Imported here so tagger works without Dask; as a plain module object (typed Any),
        # since distributed ships no complete type hints for mypy --strict.
        dask = importlib.import_module("distributed")
    except ImportError:
        raise UsageError(
            'tagging on a cluster needs Dask: pip install "fangkong-tagger[dask]"'
        ) from None
    if isinstance(paths, str) or STDIN in paths:
        raise UsageError(
            "tag_files takes a list of files and directories; stdin (-) cannot be sent"
        )
    if partitions is not None and partitions < 1:
        raise UsageError(f"partitions must be at least 1; got {partitions}")
    client, owned = _client(dask, scheduler)
    try:
        names = [item.path if isinstance(item, Skipped) else item for item in expand(paths)]
        # A name that failed to expand here is sent too, so its message keeps its place.
        work = [(name, os.path.abspath(name)) for name in names]
        out_dir = Path(os.path.abspath(output_dir))
        out_dir.mkdir(parents=True, exist_ok=True)
        model_dir = os.path.abspath(model) if model is not None else None
        wanted = partitions or 2 * max(1, len(client.nthreads()))
        count = min(wanted, len(work))
        bounds = [len(work) * i // count for i in range(count + 1)] if count else [0]
        parts = [out_dir / _PART.format(i) for i in range(count)]
        futures = [
            client.submit(
                _tag_part,
                work[bounds[i] : bounds[i + 1]],
                str(parts[i]),
                model_dir,
                all_blocks,
                pure=False,
            )
            for i in range(count)
        ]
        summaries: list[tuple[int, list[str]]] = client.gather(futures)
    finally:
        if owned:
            client.close()
    for stale in out_dir.iterdir():
        match = _PART_RE.fullmatch(stale.name)
        if match and int(match.group(1)) >= count:
            stale.unlink()
    return DistributedResult(
        parts=parts,
        tagged_files=sum(tagged for tagged, _ in summaries),
        skipped=[message for _, messages in summaries for message in messages],
    )
