"""Model directories: never delete what is not a model; check what is read, as it is read
(issue 12)."""

import hashlib
import io
import json
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import tagger
from tagger import ModelError, Tagger
from tagger.cli import app
from tagger.store import ARRAYS, ESTIMATOR, MANIFEST, VOCABULARY

runner = CliRunner()
TEXTS = ["村口卡点值守，查验健康码", "居民排队做核酸检测"]


def one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.stderr
    return errors[0]


def copy_model(saved_model: Path, tmp_path: Path, name: str = "copy") -> Path:
    copy = tmp_path / name
    shutil.copytree(saved_model, copy)
    return copy


def rehash(model: Path, manifest: dict | None = None) -> None:  # type: ignore[type-arg]
    """Make the manifest agree with the files again, as someone who edits a model would."""
    manifest = manifest or json.loads((model / MANIFEST).read_text("utf-8"))
    for name in manifest["files"]:
        manifest["files"][name] = hashlib.sha256((model / name).read_bytes()).hexdigest()
    (model / MANIFEST).write_text(json.dumps(manifest), "utf-8")


# -- train -o: only into a place a model may go ---------------------------------------------


def _contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("kind", ["thesis", "training data", "working directory", "extra file"])
def test_train_refuses_a_directory_that_is_not_only_a_model(
    kind: str,
    tiny_data_dir: Path,
    saved_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if kind == "thesis":
        target = tmp_path / "thesis"
        target.mkdir()
        (target / "chapter-1.md").write_text("五年的工作", "utf-8")
    elif kind == "training data":
        target = tiny_data_dir
    elif kind == "working directory":
        target = tmp_path / "project"
        target.mkdir()
        (target / "notes.txt").write_text("笔记", "utf-8")
        monkeypatch.chdir(target)
        target = Path.cwd()
    else:
        target = copy_model(saved_model, tmp_path)
        (target / "README.md").write_text("how this model was made", "utf-8")
    before = _contents(target)
    result = runner.invoke(app, ["train", str(tiny_data_dir), "-o", str(target), "--cv", "2"])
    assert "Nothing was written or deleted" in one_error_line(result)
    assert _contents(target) == before
    assert not [p for p in target.parent.iterdir() if p.name.startswith(f".{target.name}.")]


def test_train_refuses_to_turn_a_file_into_a_model(tiny_data_dir: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# 笔记\n", "utf-8")
    result = runner.invoke(app, ["train", str(tiny_data_dir), "-o", str(notes), "--cv", "2"])
    assert "is a regular file; a model is written as a directory" in one_error_line(result)
    assert notes.read_text("utf-8") == "# 笔记\n"


def test_train_writes_into_a_missing_empty_or_model_directory_and_through_links(
    tiny_data_dir: Path, saved_model: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    model = copy_model(saved_model, tmp_path)
    link = tmp_path / "link"
    link.symlink_to(model)
    for target in (tmp_path / "new", empty, link):
        result = runner.invoke(app, ["train", str(tiny_data_dir), "-o", str(target), "--cv", "2"])
        assert result.exit_code == 0, result.output
        assert tagger.load(target).labels_[0] == "checkpoint_duty"
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy", "empty", "labels", "link", "new"]


def test_a_model_name_at_the_length_limit_is_saved(trained: Tagger, tmp_path: Path) -> None:
    target = tmp_path / ("模" * 85)  # 255 bytes in UTF-8, the most a name can have
    trained.save(str(target))
    assert tagger.load(target).predict(TEXTS) == trained.predict(TEXTS)
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_a_full_disk_while_training_is_one_error_line(
    tiny_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("joblib.dump", full)
    target = tmp_path / "model"
    result = runner.invoke(app, ["train", str(tiny_data_dir), "-o", str(target), "--cv", "2"])
    assert "No space left on device" in one_error_line(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels"]


_SLOW_SAVE = """
import sys, time
from pathlib import Path
import joblib
from tagger import Tagger
from tagger.files import replace_directory
import tagger.store
from tests.support import TINY

model = Tagger(cv=2).fit([t for t, _ in TINY], [labels for _, labels in TINY])
step = sys.argv[2]
if step == "staging":  # hang while the staging directory is being filled
    joblib.dump = lambda *args, **kwargs: (print("ready", flush=True), time.sleep(600))
else:  # hang between the two renames of the swap
    real_rename = Path.rename
    def rename(self, target):
        result = real_rename(self, target)
        if str(target).endswith(".previous"):
            print("ready", flush=True)
            time.sleep(600)
        return result
    Path.rename = rename
model.save(sys.argv[1])
"""


@pytest.mark.parametrize("step", ["staging", "swap"])
def test_what_a_killed_save_leaves_is_cleaned_by_the_next(
    step: str, saved_model: Path, trained: Tagger, tmp_path: Path
) -> None:
    from .support import REPO

    target = copy_model(saved_model, tmp_path, "model")
    before = tagger.load(target).predict_proba(TEXTS)
    child = subprocess.Popen(
        [sys.executable, "-c", _SLOW_SAVE, str(target), step],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    child.send_signal(signal.SIGKILL)
    child.communicate()
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".model.")]
    assert left, "the kill left nothing to clean"
    from tagger.files import clean_stale

    clean_stale(target)  # what the next save (or the next train) does first
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
    np.testing.assert_array_equal(tagger.load(target).predict_proba(TEXTS), before)
    trained.save(str(target))
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


# -- the bundled model: checked on the bytes that are used ---------------------------------


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (open, (str(self.marker), "w"))  # what unpickling runs: here, harmless


def test_a_bundled_model_swapped_after_its_hash_check_is_not_unpickled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import joblib

    import tagger.store

    bundled = tmp_path / "default"
    shutil.copytree(tagger.bundled_model_dir(), bundled)
    good_manifest = (bundled / MANIFEST).read_bytes()
    evil = tmp_path / "evil.joblib"
    marker = tmp_path / "code-ran"
    joblib.dump(_Evil(marker), evil)
    manifest = json.loads(good_manifest)
    manifest["files"][ESTIMATOR] = hashlib.sha256(evil.read_bytes()).hexdigest()
    evil_manifest = json.dumps(manifest).encode("utf-8")
    monkeypatch.setattr(tagger.store, "bundled_model_dir", lambda: bundled)
    monkeypatch.setattr(tagger.store, "MANIFEST_SHA256", hashlib.sha256(good_manifest).hexdigest())
    # Someone who can write the model directory swaps in their files the moment after the
    # manifest has been read once.
    real_open = io.open
    state = {"read": False, "swapped": False}

    def racing_open(file: object, *args: object, **kwargs: object) -> object:
        if state["read"] and not state["swapped"]:
            state["swapped"] = True
            (bundled / MANIFEST).write_bytes(evil_manifest)
            shutil.copy(evil, bundled / ESTIMATOR)
        if str(file) == str(bundled / MANIFEST):
            state["read"] = True
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(io, "open", racing_open)
    try:
        tagger.load_estimator(bundled)
    except ModelError as exc:
        assert "do not match the sha256" in str(exc)
    assert state["swapped"]
    assert not marker.exists(), "a pickle that failed its hash check was unpickled"


def test_repinning_the_bundled_hash_replaces_the_pin_file_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tagger import training

    source = tmp_path / "src" / "tagger"
    source.mkdir(parents=True)
    pin = source / "_bundled.py"
    pin.write_text('"""Pinned."""\n\nMANIFEST_SHA256 = "' + "0" * 64 + '"\n', "utf-8")
    model = tmp_path / "models" / "default"
    model.mkdir(parents=True)
    (model / MANIFEST).write_text("{}", "utf-8")
    monkeypatch.setattr(training, "__file__", str(source / "training.py"))
    opened_in_place = []
    real_open = io.open

    def watching_open(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if str(file) == str(pin) and ("w" in mode or "a" in mode):
            opened_in_place.append(mode)  # a kill now would leave the pin cut short
        return real_open(file, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(io, "open", watching_open)
    training._repin_if_bundled(model)
    digest = hashlib.sha256(b"{}").hexdigest()
    assert pin.read_text("utf-8") == f'"""Pinned."""\n\nMANIFEST_SHA256 = "{digest}"\n'
    assert opened_in_place == []
    assert sorted(p.name for p in source.iterdir()) == ["_bundled.py"]


# -- arrays: sizes checked before anything is allocated -------------------------------------


def _member(
    name: str, shape: tuple[int, ...], body: bytes, compress: int
) -> tuple[str, bytes, int]:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    return name, header.getvalue() + body, compress


def _write_npz(path: Path, members: list[tuple[str, bytes, int]]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, compress in members:
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compress)


def test_a_decompression_bomb_is_refused_before_it_is_unpacked(
    saved_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = copy_model(saved_model, tmp_path)
    with np.load(copy / ARRAYS) as arrays:
        kept = {name: arrays[name] for name in arrays.files if name != "coef"}
    n_labels = len(kept["intercept"])
    columns = 2_000_000  # 80 MB of zeros, a few hundred kilobytes compressed
    bomb = _member(
        "coef.npy", (n_labels, columns), bytes(8 * n_labels * columns), zipfile.ZIP_DEFLATED
    )
    members = [bomb]
    for name, array in kept.items():
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, array)
        members.append((f"{name}.npy", buffer.getvalue(), zipfile.ZIP_STORED))
    _write_npz(copy / ARRAYS, members)
    assert (copy / ARRAYS).stat().st_size < 2_000_000
    rehash(copy)
    unpacked = []
    real_read = zipfile.ZipExtFile.read

    def counting_read(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        data = real_read(self, n)
        unpacked.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting_read)
    with pytest.raises(ModelError, match="which a model of"):
        tagger.load(copy)
    assert sum(unpacked) < 1_000_000


def test_a_manifest_claiming_a_huge_shape_is_one_error_line(
    saved_model: Path, tmp_path: Path
) -> None:
    copy = copy_model(saved_model, tmp_path)
    huge = 10**10  # 80 GB of float64 per label, stated in a few bytes
    members = [
        _member("idf.npy", (huge,), b"", zipfile.ZIP_STORED),
        _member("coef.npy", (5, huge), b"", zipfile.ZIP_STORED),
    ]
    _write_npz(copy / ARRAYS, members)
    manifest = json.loads((copy / MANIFEST).read_text("utf-8"))
    manifest["n_features"] = huge
    rehash(copy, manifest)
    page = tmp_path / "page.txt"
    page.write_text("标题\n\n村口设立卡点。\n", "utf-8")
    result = runner.invoke(app, ["tag", str(page), "-m", str(copy)])
    assert "'n_features' must be a whole number from 1 to" in one_error_line(result)


def test_nan_weights_are_refused_rather_than_written(saved_model: Path, tmp_path: Path) -> None:
    copy = copy_model(saved_model, tmp_path)
    with np.load(copy / ARRAYS) as arrays:
        changed = {name: arrays[name] for name in arrays.files}
    changed["coef"][0, 0] = np.nan
    np.savez(copy / ARRAYS, **changed)
    rehash(copy)
    page = tmp_path / "page.txt"
    page.write_text("标题\n\n村口设立卡点，专人值守。\n", "utf-8")
    result = runner.invoke(app, ["tag", str(page), "-m", str(copy), "-f", "jsonl"])
    assert "holds NaN or infinite numbers" in one_error_line(result)
    assert "NaN" not in result.stdout


# -- manifests: every field checked, every problem one line ---------------------------------


def _bad_manifests() -> list[object]:
    cases = {
        "versions-not-an-object": ("versions", []),
        "labels-not-a-list": ("labels", "checkpoint_duty"),
        "threshold-not-a-number": ("thresholds", {"checkpoint_duty": "high"}),
        "ngram-range-not-a-pair": ("params", {"word_ngram_range": "abc"}),
        "unknown-pooling": ("params", {"pooling": "paragraphs"}),
        "negative-features": ("n_features", -3),
        "4000-digit-features": ("n_features", 10**4000),
        "metrics-not-metrics": ("cv_metrics", {"labels": 1}),
        "training-data-not-an-object": ("training_data", "lots"),
        "descriptions-not-an-object": ("label_descriptions", ["x"]),
        "created-not-text": ("created", {"when": "now"}),
        "nested-too-deeply": ("cv_metrics", "DEEP"),
    }
    return [pytest.param(field, value, id=name) for name, (field, value) in cases.items()]


@pytest.mark.parametrize(("field", "value"), _bad_manifests())
def test_a_malformed_manifest_field_is_one_error_line(
    field: str, value: object, saved_model: Path, tmp_path: Path
) -> None:
    copy = copy_model(saved_model, tmp_path)
    manifest = json.loads((copy / MANIFEST).read_text("utf-8"))
    manifest[field] = value
    text = json.dumps(manifest)
    if value == "DEEP":  # nested past what a JSON reader can follow
        text = text.replace('"DEEP"', "[" * 100_000 + "]" * 100_000)
    (copy / MANIFEST).write_text(text, "utf-8")
    page = tmp_path / "page.txt"
    page.write_text("标题\n\n村口设立卡点，专人值守。\n", "utf-8")
    for args in (["info", "-m", str(copy)], ["tag", str(page), "-m", str(copy)]):
        assert "manifest" in one_error_line(runner.invoke(app, args))


def test_info_checks_the_hash_of_every_file(saved_model: Path, tmp_path: Path) -> None:
    copy = copy_model(saved_model, tmp_path)
    with (copy / ESTIMATOR).open("ab") as handle:
        handle.write(b"\0")
    result = runner.invoke(app, ["info", "-m", str(copy)])
    assert f"{copy / ESTIMATOR}: contents do not match the sha256" in one_error_line(result)
    fine = runner.invoke(app, ["info", "-m", str(saved_model)])
    assert fine.exit_code == 0 and "each matching its sha256" in fine.stdout


def test_explain_on_a_vocabulary_that_is_not_json_is_one_error_line(
    saved_model: Path, tmp_path: Path
) -> None:
    copy = copy_model(saved_model, tmp_path)
    (copy / VOCABULARY).write_text("not JSON at all", "utf-8")
    rehash(copy)
    result = runner.invoke(app, ["explain", "村口设立卡点，专人值守。", "-m", str(copy)])
    assert f"{copy / VOCABULARY}: not JSON" in one_error_line(result)


def test_the_trust_message_names_no_option_that_does_not_exist(saved_model: Path) -> None:
    with pytest.raises(ModelError) as caught:
        tagger.load_estimator(saved_model)
    assert "trust=True" in str(caught.value) and "--trust-model" not in str(caught.value)
    options = (
        runner.invoke(app, ["tag", "--help"]).stdout + runner.invoke(app, ["info", "--help"]).stdout
    )
    assert "--trust" not in options
