"""Both HTML outputs open in headless Chromium without console errors and render something.

Chromium is driven from the command line, so no Python browser package is needed. Skipped when
no Chromium is installed (Debian: apt-get install -y chromium fonts-wqy-microhei).
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tagger import Tagger
from tagger.html_view import document, write_html

from .support import SEED_PAGE, TINY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH, HEIGHT = 1200, 900

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium or chromium-browser on PATH (apt-get install -y chromium)"
)


def chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",  # the tests may run as root in a container, where the sandbox cannot
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # Every host name fails to resolve: a page that tried the network could not succeed.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size={WIDTH},{HEIGHT}",
        *extra,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def console_errors(stderr: str) -> list[str]:
    """Lines where the page spoke: an uncaught error, a refused load, any console message.

    The pages run no script, so any console output at all means something went wrong; the
    browser's own start-up chatter (D-Bus, GPU) is not console output and is ignored.
    """
    markers = (":CONSOLE", "Uncaught", "Refused to", "Failed to load resource")
    return [line for line in stderr.splitlines() if any(m in line for m in markers)]


def png_facts(png: bytes) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values in the image data."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    width, height = struct.unpack(">II", png[16:24])  # IHDR is always the first chunk
    idat, position = b"", 8
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        if kind == b"IDAT":
            idat += png[position + 8 : position + 8 + length]
        position += 12 + length  # length, type, data, CRC
    return width, height, len(set(zlib.decompress(idat)))


def check_page(page: Path, work: Path, expected: list[str]) -> Path:
    shot = work / f"{page.stem}.png"
    result = chromium(page, work / "profile-shot", f"--screenshot={shot}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_errors(result.stderr) == []
    width, height, distinct = png_facts(shot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    assert distinct > 10, "the screenshot is blank"

    dom = chromium(page, work / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert console_errors(dom.stderr) == []
    for text in expected:
        assert text in dom.stdout, f"{text!r} is missing from the rendered page"
    return shot


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser")


@needs_chromium
@pytest.mark.slow
def test_console_errors_are_noticed(work: Path) -> None:
    # Guards the check itself: if this Chromium logged console output differently, the real
    # tests below would pass vacuously. A remote image and a script error must both show.
    broken = work / "broken.html"
    remote = '<img src="https://example.invalid/a.png" alt="">'  # blocked by the page's CSP
    broken.write_text(document("broken", remote, ["a"]), "utf-8")
    result = chromium(broken, work / "profile-broken", "--dump-dom")
    assert any("example.invalid" in line for line in console_errors(result.stderr)), result.stderr
    broken.write_text("<!DOCTYPE html><p>x</p><script>missingFunction();</script>", "utf-8")
    result = chromium(broken, work / "profile-broken", "--dump-dom")
    assert any("missingFunction" in line for line in console_errors(result.stderr)), result.stderr


@needs_chromium
@pytest.mark.slow
def test_reading_view_renders(trained: Tagger, work: Path) -> None:
    records = trained.tag_page(SEED_PAGE, all_blocks=True)
    page = work / "view.html"
    names = {"checkpoint_duty": "卡点值守", "nucleic_acid_testing": "核酸检测"}
    with page.open("w", encoding="utf-8") as out:
        write_html(records, out, trained.labels_, names)
    tagged = next(r for r in records if r.labels)
    check_page(page, work, ["<h1>Tagged pages</h1>", 'class="chip l', tagged.text[:20]])


@needs_chromium
@pytest.mark.slow
def test_notebook_table_renders(trained: Tagger, work: Path) -> None:
    results = trained.tag_page(SEED_PAGE)
    results.label_names = {"checkpoint_duty": "卡点值守", "nucleic_acid_testing": "核酸检测"}
    # As a notebook shows it: inside a page that has none of tagger's styles, and no network.
    page = work / "notebook.html"
    page.write_text(
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        f"style-src 'unsafe-inline'\"></head><body>{results._repr_html_()}</body></html>\n",
        "utf-8",
    )
    tagged = next(r for r in results if "checkpoint_duty" in r.labels)
    check_page(page, work, ["<table", "卡点值守<code style=", tagged.text[:20]])


@needs_chromium
@pytest.mark.slow
def test_report_renders(saved_model: Path, work: Path) -> None:
    pytest.importorskip("matplotlib")
    from tagger.report import build_report

    data = work / "dev.jsonl"
    data.write_text(
        "".join(json.dumps({"text": t, "labels": lb}, ensure_ascii=False) + "\n" for t, lb in TINY),
        "utf-8",
    )
    page = work / "report.html"
    page.write_text(build_report([data], saved_model), "utf-8")
    check_page(page, work, ["<h1>Evaluation report</h1>", '<table class="metrics">', "data:image"])


def test_screenshot_checker_rejects_a_blank_image() -> None:
    # A 4x4 all-white PNG built by hand: the checker must call it blank.
    rows = b"".join(b"\x00" + b"\xff" * 12 for _ in range(4))
    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    buffer = io.BytesIO()
    buffer.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header))
    buffer.write(chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    assert png_facts(buffer.getvalue()) == (4, 4, 2)
