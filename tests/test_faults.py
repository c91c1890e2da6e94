"""Fault injection: whatever fails midway, nothing that was good before is lost."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tagger
from tagger import ModelError, Tagger
from tagger.store import MANIFEST
from tagger.training import train

from .support import REPO

TEXTS = ["村口卡点值守，查验健康码", "居民排队做核酸检测", "志愿者送菜上门"]


def test_disk_full_while_saving_keeps_the_previous_model(
    trained: Tagger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "model"
    trained.save(str(target))
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    real_write = Path.write_text

    def full_disk(self: Path, *args: object, **kwargs: object) -> int:
        if self.name == MANIFEST:
            raise OSError(28, "No space left on device")
        return real_write(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(OSError, match="No space left"):
        trained.save(str(target))
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert tagger.load(target).predict(TEXTS) == trained.predict(TEXTS)


def test_kill_during_train_leaves_the_previous_model_loadable(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "model"
    train(tiny_data_dir, target, cv=2)
    before = tagger.load(target).predict(TEXTS)
    # The project's whole data set, so that training (about 10 s) is running when the kill
    # arrives 2 s in.
    for path in (REPO / "data" / "labels").glob("*.jsonl"):
        shutil.copy(path, tiny_data_dir / f"project-{path.name}")
    child = subprocess.Popen(
        [sys.executable, "-m", "tagger", "train", str(tiny_data_dir), "-o", str(target)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(2.0)
    assert child.poll() is None, "training finished before the kill; use more data"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    assert tagger.load(target).predict(TEXTS) == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("model", "labels")]
    assert all(name.startswith(".model.") for name in leftovers)  # only a staging directory


def test_permission_denied_is_reported_and_the_rest_tagged(
    saved_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from tagger.cli import app

    (tmp_path / "a.txt").write_text("村口设立卡点，专人值守。\n", "utf-8")
    locked = tmp_path / "b.txt"
    locked.write_text("居民排队做核酸检测。\n", "utf-8")
    real_read_bytes = Path.read_bytes

    def deny(self: Path) -> bytes:
        if self.name == "b.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", deny)  # tests run as root, where chmod cannot deny
    result = CliRunner().invoke(app, ["tag", str(tmp_path), "-m", str(saved_model), "-f", "jsonl"])
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 1
    assert f"{locked}: " in result.stderr and "ermission" in result.stderr


def test_a_file_that_changes_while_being_read_gives_one_whole_version(
    saved_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "page.txt"
    old, new = "村口设立卡点，专人值守。\n", "居民排队做核酸检测。\n\n志愿者送菜上门。\n"
    page.write_text(old, "utf-8")
    real_read_bytes = Path.read_bytes

    def rewritten_while_reading(self: Path) -> bytes:
        data = real_read_bytes(self)
        self.write_text(new, "utf-8")  # the writer gets in right after our read
        return data

    monkeypatch.setattr(Path, "read_bytes", rewritten_while_reading)
    records = tagger.load(saved_model).tag_page(tagger.read_page(page))
    assert [r.text for r in records] == [old.strip()]


def test_a_tampered_bundled_model_is_refused_even_with_a_matching_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "default"
    shutil.copytree(tagger.bundled_model_dir(), copy)
    vocabulary = copy / "vocabulary.json"
    vocabulary.write_text(json.dumps(["w:x"], ensure_ascii=False), "utf-8")
    manifest = json.loads((copy / MANIFEST).read_text("utf-8"))
    from tagger.store import sha256_file

    manifest["files"]["vocabulary.json"] = sha256_file(vocabulary)  # an attacker re-hashes
    (copy / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    monkeypatch.setattr("tagger.store.bundled_model_dir", lambda: copy)
    with pytest.raises(ModelError, match="does not match the hash pinned"):
        tagger.load(copy)


def test_the_pinned_hash_is_the_bundled_manifests() -> None:
    from tagger._bundled import MANIFEST_SHA256
    from tagger.store import sha256_file

    assert sha256_file(tagger.bundled_model_dir() / MANIFEST) == MANIFEST_SHA256


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
def test_ctrl_c_stops_cleanly_without_a_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    for n in range(3000):
        (folder / f"{n:04d}.txt").write_text(f"第{n}页\n\n村口设立卡点，专人值守。\n" * 20, "utf-8")
    out = tmp_path / "out.jsonl"
    child = subprocess.Popen(
        [sys.executable, "-m", "tagger", "tag", str(folder), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not list(tmp_path.glob(".out.jsonl.*")):  # tagging has started writing
        assert time.monotonic() < deadline and child.poll() is None
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=30)
    assert child.returncode == 130
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert not out.exists()  # no half-written output
    assert not list(tmp_path.glob(".out.jsonl.*"))  # and no temporary file left behind
