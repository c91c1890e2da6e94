"""Where output goes: what -o names is written to or through, never destroyed (issue 12).

Every special file here is made inside tmp_path: FIFOs, links, and a character device with
/dev/null's numbers (only as root; skipped otherwise). No test writes to the system's /dev.
"""

import csv
import errno
import io
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagger.cli import app

runner = CliRunner()
TAG = [sys.executable, "-m", "tagger", "tag"]
PAGE = "村口卡点\n\n村口设立卡点，专人值守，查验健康码。\n\n居民排队做核酸检测。\n"


@pytest.fixture()
def page(tmp_path: Path) -> Path:
    path = tmp_path / "page.txt"
    path.write_text(PAGE, "utf-8")
    return path


def tag(model: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["tag", "-m", str(model), *map(str, args)], **kwargs)  # type: ignore[arg-type]


def one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    """The run ended in one 'Error: ...' line and exit status 1, not in a traceback."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def fake_null_device(path: Path) -> Path:
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # /dev/null's numbers
    except PermissionError:
        pytest.skip("making a device file needs root")
    return path


def test_a_character_device_stays_a_device(saved_model: Path, page: Path, tmp_path: Path) -> None:
    device = fake_null_device(tmp_path / "null")
    result = tag(saved_model, page, "-o", device)
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null", "page.txt"]


def test_a_fifo_is_written_through(saved_model: Path, page: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = tag(saved_model, page, "-o", fifo)
    reader.join(10)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    records = [json.loads(line) for line in received[0].decode("utf-8").splitlines()]
    assert [r["text"] for r in records] == [
        "村口设立卡点，专人值守，查验健康码。",
        "居民排队做核酸检测。",
    ]


def test_a_link_is_followed_and_stays_a_link(saved_model: Path, page: Path, tmp_path: Path) -> None:
    real, link = tmp_path / "real.jsonl", tmp_path / "link.jsonl"
    real.write_text("old\n", "utf-8")
    link.symlink_to(real.name)
    dangling, named = tmp_path / "dangling.jsonl", tmp_path / "named.jsonl"
    dangling.symlink_to(named.name)
    assert tag(saved_model, page, "-o", link).exit_code == 0
    assert tag(saved_model, page, "-o", dangling).exit_code == 0
    for path, target in ((link, real), (dangling, named)):
        assert path.is_symlink() and os.readlink(path) == target.name
        assert len(target.read_text("utf-8").splitlines()) == 2


def test_an_existing_file_keeps_its_permissions(
    saved_model: Path, page: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("old\n", "utf-8")
    out.chmod(0o600)
    assert tag(saved_model, page, "-o", out).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert len(out.read_text("utf-8").splitlines()) == 2


def test_dev_stdout_and_process_substitutions_are_written_to(
    saved_model: Path, page: Path, tmp_path: Path
) -> None:
    # /dev/stdout is a link to /proc/self/fd/1; a link made here stands in for it, so that a
    # tagger that replaced what it names would replace this link, not the system's /dev/stdout.
    stdout_link = tmp_path / "stdout"
    stdout_link.symlink_to("/proc/self/fd/1")
    command = [*TAG, str(page), "-m", str(saved_model), "-o"]
    run = subprocess.run([*command, str(stdout_link)], capture_output=True, check=False)
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.decode("utf-8").splitlines()) == 2
    assert stdout_link.is_symlink()
    # >(cmd) in a shell hands the command /dev/fd/N, the writing end of a pipe.
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as pipe:
        run = subprocess.run(
            [*command, f"/dev/fd/{write_end}"],
            pass_fds=(write_end,),
            capture_output=True,
            check=False,
        )
        os.close(write_end)
        assert run.returncode == 0, run.stderr
        assert len(pipe.read().decode("utf-8").splitlines()) == 2


def test_an_output_that_is_an_input_is_refused(
    saved_model: Path, page: Path, tmp_path: Path
) -> None:
    link = tmp_path / "page-link.jsonl"
    link.symlink_to(page)
    for target in (page, link):
        assert "writing there would destroy it" in one_error_line(
            tag(saved_model, page, "-o", target)
        )
        assert page.read_text("utf-8") == PAGE


def test_an_output_named_like_a_page_inside_an_input_folder_is_refused(
    saved_model: Path, page: Path, tmp_path: Path
) -> None:
    message = one_error_line(tag(saved_model, tmp_path, "-o", tmp_path / "tagged.txt"))
    assert "would be tagged as a page by the next run" in message
    assert not (tmp_path / "tagged.txt").exists()
    assert tag(saved_model, tmp_path, "-o", tmp_path / "tagged.jsonl").exit_code == 0


def test_a_missing_output_folder_is_one_error_line(
    saved_model: Path, page: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "missing" / "out.jsonl"
    assert f"the folder {tmp_path / 'missing'} does not exist" in one_error_line(
        tag(saved_model, page, "-o", missing)
    )


def test_an_unwritable_output_folder_is_one_error_line(
    saved_model: Path, page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", denied)  # tests run as root, where chmod cannot deny
    message = one_error_line(tag(saved_model, page, "-o", tmp_path / "out.jsonl"))
    assert "cannot create a file in" in message and "Permission denied" in message


def test_a_full_disk_is_one_error_line_and_keeps_the_old_file(
    saved_model: Path, page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("old\n", "utf-8")

    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    assert "No space left on device" in one_error_line(tag(saved_model, page, "-o", out))
    assert out.read_text("utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "page.txt"]


def test_names_near_the_length_limit(saved_model: Path, page: Path, tmp_path: Path) -> None:
    longest = tmp_path / ("a" * 249 + ".jsonl")  # 255 bytes: the most a name can have
    assert tag(saved_model, page, "-o", longest).exit_code == 0
    assert len(longest.read_text("utf-8").splitlines()) == 2
    chinese = tmp_path / ("标" * 83 + ".jsonl")  # 255 bytes in UTF-8
    assert tag(saved_model, page, "-o", chinese).exit_code == 0
    too_long = tmp_path / ("a" * 250 + ".jsonl")
    assert "File name too long" in one_error_line(tag(saved_model, page, "-o", too_long))


def _pages(folder: Path, count: int) -> Path:
    folder.mkdir()
    for n in range(count):
        (folder / f"{n:04d}.txt").write_text(f"第{n}页\n\n村口设立卡点，专人值守。\n" * 20, "utf-8")
    return folder


@pytest.mark.skipif(os.name != "posix", reason="sends SIGKILL")
def test_what_a_killed_run_leaves_is_removed_by_the_next(saved_model: Path, tmp_path: Path) -> None:
    folder = _pages(tmp_path / "pages", 3000)
    out = tmp_path / "out.jsonl"
    child = subprocess.Popen(
        [*TAG, str(folder), "-m", str(saved_model), "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".out.jsonl.*.tmp")):  # tagging has started writing
        assert time.monotonic() < deadline and child.poll() is None
        time.sleep(0.05)
    child.kill()
    child.wait()
    assert list(tmp_path.glob(".out.jsonl.*.tmp"))
    result = tag(saved_model, folder / "0001.txt", "-o", out)
    assert result.exit_code == 0, result.output
    assert not list(tmp_path.glob(".out.jsonl.*"))
    assert out.is_file()


def test_a_live_writers_staging_file_is_left_alone(tmp_path: Path) -> None:
    from tagger.files import clean_stale, open_output

    out = tmp_path / "out.jsonl"
    with open_output(out) as handle:
        handle.write("x\n")
        (staging,) = tmp_path.glob(".out.jsonl.*.tmp")
        clean_stale(out)  # as a second run writing the same output would
        assert staging.exists()
    assert out.read_text("utf-8") == "x\n" and not staging.exists()


def test_csv_cells_a_spreadsheet_would_run_are_text(
    saved_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    paragraphs = [
        "=1+1，村口设立卡点。",
        "+1 志愿者送菜上门。",
        "-5 居民排队做核酸。",
        "@SUM(A1) 值守。",
    ]
    Path("=HYPERLINK(x).txt").write_text("标题\n\n" + "\n\n".join(paragraphs) + "\n", "utf-8")
    result = tag(saved_model, "=HYPERLINK(x).txt", "-f", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["text"] for row in rows] == ["'" + p for p in paragraphs]
    assert {row["source"] for row in rows} == {"'=HYPERLINK(x).txt"}


def test_the_table_prints_page_text_as_text(saved_model: Path, tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    # Rich markup, a hyperlink, a terminal title and a colour, all in page text.
    text = "[/x][link=https://example.com]点此[/link]\x1b]0;title\x07\x1b[31m村口卡点值守。"
    page.write_text(f"标题\n\n{text}\n", "utf-8")
    result = tag(saved_model, page, "-f", "table", env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "[/x][link=https://example.com]点此[/link]" in result.stdout
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b]0;title\\x07\\x1b[31m" in result.stdout


def test_file_names_that_are_not_utf8_are_carried_losslessly(
    saved_model: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    odd = os.path.join(os.fsencode(folder), b"caf\xe9-\xff.txt")  # Latin-1 bytes, not UTF-8
    with open(odd, "wb") as handle:
        handle.write(PAGE.encode("utf-8"))
    out = tmp_path / "out.jsonl"
    assert tag(saved_model, folder, "-o", out).exit_code == 0
    lines = out.read_bytes().decode("utf-8").splitlines()  # valid UTF-8 throughout
    assert {os.fsencode(json.loads(line)["source"]) for line in lines} == {odd}
    piped = tag(saved_model, folder, "-f", "jsonl")
    assert piped.exit_code == 0 and piped.stdout_bytes.decode("utf-8").splitlines() == lines
    as_csv = tag(saved_model, folder, "-f", "csv")
    assert as_csv.exit_code == 0
    assert {row["source"] for row in csv.DictReader(io.StringIO(as_csv.stdout))} == {
        os.fsdecode(os.path.join(os.fsencode(folder), b"caf\\xe9-\\xff.txt"))
    }
    html = tmp_path / "out.html"
    assert tag(saved_model, folder, "-f", "html", "-o", html).exit_code == 0
    assert "caf\\xe9-\\xff.txt" in html.read_text("utf-8")


@pytest.mark.skipif(os.name != "posix", reason="needs a pipe that closes")
def test_a_reader_that_stops_reading_ends_the_run_quietly(
    saved_model: Path, tmp_path: Path
) -> None:
    folder = _pages(tmp_path / "pages", 400)  # far more than a pipe holds
    for jobs in ("1", "2"):
        with subprocess.Popen(
            [*TAG, str(folder), "-m", str(saved_model), "-f", "jsonl", "--jobs", jobs],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ) as child:
            assert child.stdout is not None and child.stderr is not None
            assert json.loads(child.stdout.readline())["source"].endswith("0000.txt")
            child.stdout.close()  # as `tagger tag ... | head -1` does
            assert child.stderr.read() == b""
            assert child.wait(60) == 0


def test_sigterm_is_handled_like_ctrl_c(saved_model: Path, tmp_path: Path) -> None:
    folder = _pages(tmp_path / "pages", 3000)
    out = tmp_path / "out.jsonl"
    child = subprocess.Popen(
        [*TAG, str(folder), "-m", str(saved_model), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".out.jsonl.*.tmp")):
        assert time.monotonic() < deadline and child.poll() is None
        time.sleep(0.05)
    child.send_signal(signal.SIGTERM)
    _, stderr = child.communicate(timeout=30)
    assert child.returncode == 128 + signal.SIGTERM
    assert stderr == "Error: terminated; nothing more was written\n"
    assert not out.exists() and not list(tmp_path.glob(".out.jsonl.*"))


def test_report_and_import_refuse_to_write_over_their_input(
    saved_model: Path, tiny_data_dir: Path
) -> None:
    data = tiny_data_dir / "tiny.jsonl"
    before = data.read_bytes()
    for args in (
        ["report", str(data), "-m", str(saved_model), "-o", str(data)],
        ["import", str(data), "-o", str(data), "--labelled", str(tiny_data_dir), "--replace"],
    ):
        assert "writing there would destroy it" in one_error_line(runner.invoke(app, args))
        assert data.read_bytes() == before
