"""What is read: only regular files, every unreadable input reported, huge pages and stdin in
bounded memory with the same records whatever --jobs (issue 12).

Special files are made inside tmp_path; a device file only as root, with /dev/null's numbers.
"""

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagger import inputs
from tagger.cli import app

runner = CliRunner()
GOOD = "村口卡点\n\n村口设立卡点，专人值守，查验健康码。\n"


def tag(model: Path, *args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["tag", "-m", str(model), "-f", "jsonl", *map(str, args)])


def test_special_files_in_a_folder_are_reported_and_skipped(
    saved_model: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, "utf-8")
    os.mkfifo(folder / "pipe.txt")  # nobody writes to it: reading it would wait for ever
    expected = {"pipe.txt": "is a named pipe (FIFO)"}
    try:
        os.mknod(tmp_path / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        (folder / "device.txt").symlink_to(tmp_path / "null")
        expected["device.txt"] = "is a character device"
    except PermissionError:
        pass  # not root: the FIFO alone
    # In a subprocess with a time limit, since reading a FIFO would block the test for ever.
    run = subprocess.run(
        [sys.executable, "-m", "tagger", "tag", str(folder), "-m", str(saved_model)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1
    assert [json.loads(line)["source"] for line in run.stdout.splitlines()] == [
        str(folder / "good.txt")
    ]
    for name, kind in expected.items():
        assert f"Error: {folder / name}: {kind}, not a regular file" in run.stderr
    assert run.stderr.endswith(f"tagged 1 file, skipped {len(expected)}\n")


def test_special_files_named_directly_are_reported_with_their_kind(
    saved_model: Path, tmp_path: Path
) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    result = tag(saved_model, tmp_path / "pipe.txt")
    assert result.exit_code == 1
    assert f"{tmp_path / 'pipe.txt'}: is a named pipe (FIFO), not a regular file" in result.stderr
    assert "send it to stdin" in result.stderr


def test_an_unreadable_subfolder_is_reported(
    saved_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "page.txt").write_text(GOOD, "utf-8")
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:
        if os.fspath(path) == str(locked):  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", str(locked))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)  # as root, chmod cannot lock a folder
    result = tag(saved_model, tmp_path)
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 1
    assert f"Error: {locked}: cannot be read (Permission denied)" in result.stderr
    assert result.stderr.endswith("tagged 1 file, skipped 1\n")


def test_a_path_too_long_to_open_is_reported(saved_model: Path, tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    descriptor = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(20):  # 20 folders of 250 characters: past PATH_MAX (4096)
            os.mkdir("d" * 250, dir_fd=descriptor)
            deeper = os.open("d" * 250, os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = deeper
        page = os.open("deep.txt", os.O_WRONLY | os.O_CREAT, dir_fd=descriptor)
        os.write(page, GOOD.encode("utf-8"))
        os.close(page)
    finally:
        os.close(descriptor)
    result = tag(saved_model, tmp_path)
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 1
    assert "File name too long" in result.stderr
    assert result.stderr.endswith("tagged 1 file, skipped 1\n")


def test_an_empty_folder_is_an_error(saved_model: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.doc").write_text("not a page", "utf-8")
    result = tag(saved_model, tmp_path)
    assert result.exit_code == 1
    expected = "no pages (*.htm, *.html, *.md, *.txt) in this folder"
    assert f"Error: {tmp_path}: {expected}" in result.stderr


def test_an_empty_page_is_an_error(saved_model: Path, tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    result = tag(saved_model, tmp_path / "empty.txt")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: no paragraphs in the 1 file read")
    empty_stdin = runner.invoke(app, ["tag", "-", "-m", str(saved_model)], input="")
    assert empty_stdin.exit_code == 1 and "no paragraphs" in empty_stdin.stderr


@pytest.fixture()
def huge_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a small page, a huge page, and a huge page with a bad byte near its end."""
    monkeypatch.setattr(inputs, "LARGE_PAGE_BYTES", 1000)  # forked workers see these too
    monkeypatch.setattr(inputs, "PART_BYTES", 1500)
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a-small.txt").write_text(GOOD, "utf-8")
    paragraphs = [f"第{n}段：村口设立卡点，专人值守。" for n in range(200)]
    (folder / "b-huge.txt").write_text("\n\n".join(paragraphs) + "\n", "utf-8")
    bad = "\n\n".join(paragraphs).encode("utf-8") + b"\n\n\x80\x80\n"  # GB18030 and UTF-8 refuse
    (folder / "c-huge-bad.txt").write_bytes(bad)
    return folder


def test_a_huge_page_with_a_bad_byte_late_is_skipped_whole_whatever_jobs(
    saved_model: Path, huge_pages: Path
) -> None:
    outputs = []
    for jobs in ("1", "2"):
        result = tag(saved_model, huge_pages, "--jobs", jobs)
        assert result.exit_code == 1
        records = [json.loads(line) for line in result.stdout.splitlines()]
        assert {r["source"] for r in records} == {
            str(huge_pages / "a-small.txt"),
            str(huge_pages / "b-huge.txt"),
        }
        assert len(records) == 201
        assert result.stderr.count("c-huge-bad.txt") == 1
        assert result.stderr.endswith("tagged 2 files, skipped 1\n")  # each file counted once
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]


def test_workers_take_a_few_tasks_at_a_time_and_a_huge_page_part_by_part(
    saved_model: Path, huge_pages: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from tagger.batch import tag_inputs

    for n in range(100):
        (huge_pages / f"d-{n:03d}.txt").write_text(GOOD, "utf-8")
    submitted: list[object] = []
    real_submit = ProcessPoolExecutor.submit

    def submit(self: ProcessPoolExecutor, *args: object, **kwargs: object) -> object:
        submitted.append(args)
        return real_submit(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ProcessPoolExecutor, "submit", submit)
    records = tag_inputs([str(huge_pages)], saved_model, jobs=2)
    next(records)
    assert len(submitted) <= 4  # not the whole archive queued at once
    rest = list(records)
    assert len(rest) == 1 + 200 - 1 + 100  # the small page, the huge one, d-000 to d-099
    # The huge page went out in parts, so no worker held all of its records at once.
    huge = str(huge_pages / "b-huge.txt")
    parts = (huge_pages / "b-huge.txt").stat().st_size // 1500
    assert sum(huge in repr(args) for args in submitted) >= parts > 3


class _Recorder(io.BytesIO):
    """A stdin that notes how much each read asks for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.sizes: list[int | None] = []

    def read(self, size: int | None = -1) -> bytes:
        self.sizes.append(size)
        return super().read(size)

    readinto = None  # type: ignore[assignment]  # force every read through read()


def test_stdin_is_read_in_parts_and_a_huge_page_like_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paragraphs = [f"第{n}段：村口设立卡点，专人值守。" for n in range(200)]
    data = ("\n\n".join(paragraphs) + "\n").encode("utf-8")
    (tmp_path / "page.txt").write_bytes(data)
    monkeypatch.setattr(inputs, "LARGE_PAGE_BYTES", 1000)
    monkeypatch.setattr(inputs, "PART_BYTES", 1500)
    stdin = _Recorder(data)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stdin, encoding="utf-8"))  # type: ignore[arg-type]
    from_stdin = list(inputs.read_pages(["-"]))
    assert stdin.sizes and all(size is not None and 0 < size <= 1500 for size in stdin.sizes)
    from_file = list(inputs.read_pages([str(tmp_path / "page.txt")]))
    assert len(from_stdin) == len(from_file) > 1
    for a, b in zip(from_stdin, from_file, strict=True):
        assert (a.text, a.offset, a.first_index) == (b.text, b.offset, b.first_index)
