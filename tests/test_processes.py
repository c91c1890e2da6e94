"""--jobs workers live and die with their parent, however it stops (issue 12)."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

pytestmark = pytest.mark.skipif(
    not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
    reason="finds worker processes through Linux's /proc",
)


def _pages(folder: Path, count: int = 6000) -> Path:
    folder.mkdir()
    for n in range(count):
        (folder / f"{n:04d}.txt").write_text(f"第{n}页\n\n村口设立卡点，专人值守。\n" * 20, "utf-8")
    return folder


def _workers(parent: int) -> list[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in children]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's bookkeeping is left


@pytest.fixture()
def stderr() -> Iterator[IO[bytes]]:
    # A file, not a pipe: workers that outlive their parent would hold a pipe open for ever.
    with tempfile.TemporaryFile() as file:
        yield file


def _start(
    saved_model: Path, tmp_path: Path, stderr: IO[bytes], **options: object
) -> subprocess.Popen[bytes]:
    folder = _pages(tmp_path / "pages")
    command = [sys.executable, "-m", "tagger", "tag", str(folder), "-m", str(saved_model)]
    child = subprocess.Popen(
        [*command, "--jobs", "2", "-o", str(tmp_path / "out.jsonl")],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        **options,  # type: ignore[call-overload]
    )
    deadline = time.monotonic() + 60
    while len(_workers(child.pid)) < 2 or not list(tmp_path.glob(".out.jsonl.*.tmp")):
        assert time.monotonic() < deadline and child.poll() is None, "tagging never started"
        time.sleep(0.05)
    return child


def _ended(child: subprocess.Popen[bytes], stderr: IO[bytes]) -> str:
    child.wait(30)
    stderr.seek(0)
    return stderr.read().decode("utf-8")


def _gone_soon(pids: list[int]) -> bool:
    deadline = time.monotonic() + 10
    while any(map(_alive, pids)):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_workers_exit_when_the_parent_is_killed(
    saved_model: Path, tmp_path: Path, stderr: IO[bytes]
) -> None:
    child = _start(saved_model, tmp_path, stderr)
    workers = _workers(child.pid)
    child.kill()
    _ended(child, stderr)
    assert _gone_soon(workers), "workers outlived their parent"


def test_sigterm_stops_the_workers_and_leaves_nothing_behind(
    saved_model: Path, tmp_path: Path, stderr: IO[bytes]
) -> None:
    child = _start(saved_model, tmp_path, stderr)
    workers = _workers(child.pid)
    child.send_signal(signal.SIGTERM)
    assert _ended(child, stderr) == "Error: terminated; nothing more was written\n"
    assert child.returncode == 128 + signal.SIGTERM
    assert _gone_soon(workers)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pages"]


def test_ctrl_c_in_a_terminal_stops_every_process_without_a_traceback(
    saved_model: Path, tmp_path: Path, stderr: IO[bytes]
) -> None:
    # A terminal sends Ctrl-C's SIGINT to the whole process group: parent and workers alike.
    child = _start(saved_model, tmp_path, stderr, start_new_session=True)
    workers = _workers(child.pid)
    os.killpg(child.pid, signal.SIGINT)
    assert _ended(child, stderr) == "Error: interrupted; nothing more was written\n"
    assert child.returncode == 128 + signal.SIGINT
    assert _gone_soon(workers)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pages"]
