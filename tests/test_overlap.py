"""Evaluation on paragraphs a model was trained on says so: fingerprints kept with the model."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tagger import ModelError, Tagger, load
from tagger.cli import app
from tagger.evaluation import evaluate_data
from tagger.fingerprint import paragraph_hashes, seen_in_training, training_fingerprint
from tagger.store import MANIFEST, TRAINING_HASHES

from .support import CHECKPOINT, REPO, TESTING, TINY

runner = CliRunner()
SEED_LABELS = REPO / "data" / "labels" / "seed.jsonl"
# Written for these tests; none of them is in TINY.
NEW = [
    ("高铁站出站口设置查验点，工作人员逐一查验旅客健康码。", [CHECKPOINT]),
    ("街道在广场设置临时采样点，组织居民进行核酸采样。", [TESTING]),
    ("全县农业生产形势良好，夏粮收购工作稳步推进。", []),
]


def write_jsonl(path: Path, rows: list[tuple[str, list[str]]]) -> Path:
    lines = [json.dumps({"text": t, "labels": lb}, ensure_ascii=False) for t, lb in rows]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_hashes_follow_normalisation() -> None:
    one, two, other = paragraph_hashes(["村口卡点 值守", "村口卡点　　值守\n", "村口卡点值守"])
    assert one == two and one != other
    fingerprint = training_fingerprint(["村口卡点值守", "村口卡点值守", "核酸检测"])
    assert fingerprint.dtype == np.uint64 and len(fingerprint) == 2
    assert seen_in_training(fingerprint, ["核酸检测", "ＡＢＣ", "村口卡点值守"]).tolist() == [
        True,
        False,
        True,
    ]


def test_a_saved_model_keeps_its_fingerprints(trained: Tagger, saved_model: Path) -> None:
    manifest = json.loads((saved_model / MANIFEST).read_text("utf-8"))
    assert TRAINING_HASHES in manifest["files"]
    loaded = load(saved_model)
    np.testing.assert_array_equal(loaded.training_hashes_, trained.training_hashes_)
    assert len(loaded.training_hashes_) == len(TINY)


def test_evaluate_counts_the_paragraphs_the_model_was_trained_on(
    saved_model: Path, tmp_path: Path
) -> None:
    data = write_jsonl(tmp_path / "mixed.jsonl", [*TINY[:5], *NEW])
    result = evaluate_data(data, saved_model)
    assert result["seen_in_training"] == 5
    (warning,) = [w for w in result["warnings"] if "training data" in w]
    assert warning.startswith("5 of the 8 paragraphs evaluated (62%) are in the model's")
    fresh = evaluate_data(write_jsonl(tmp_path / "new.jsonl", NEW), saved_model)
    assert fresh["seen_in_training"] == 0 and fresh["warnings"] == []


def test_cross_validation_scores_no_paragraph_with_a_model_that_saw_it(
    tiny_data_dir: Path, saved_model: Path
) -> None:
    result = evaluate_data(tiny_data_dir, saved_model, cv=2)
    assert result["seen_in_training"] is None
    assert not any("training data" in w for w in result["warnings"])


def test_a_model_saved_without_fingerprints_still_loads(
    saved_model: Path, tmp_path: Path, tiny_data_dir: Path
) -> None:
    old = tmp_path / "old-model"
    shutil.copytree(saved_model, old)
    manifest = json.loads((old / MANIFEST).read_text("utf-8"))
    del manifest["files"][TRAINING_HASHES]
    (old / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    (old / TRAINING_HASHES).unlink()
    model = load(old)
    assert not hasattr(model, "training_hashes_")
    assert evaluate_data(tiny_data_dir, old)["seen_in_training"] is None
    result = runner.invoke(app, ["evaluate", str(tiny_data_dir), "-m", str(old)])
    assert result.exit_code == 0, result.stderr
    assert "whether the model was trained on them is unknown" in result.stdout


def test_changed_fingerprints_are_refused(saved_model: Path, tmp_path: Path) -> None:
    changed = tmp_path / "changed"
    shutil.copytree(saved_model, changed)
    np.save(changed / TRAINING_HASHES, np.zeros(3, dtype=np.uint64))
    with pytest.raises(ModelError, match="do not match the sha256"):
        load(changed)


def test_the_report_warns_too(saved_model: Path, tiny_data_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "report.html"
    args = ["report", str(tiny_data_dir), "-m", str(saved_model), "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    expected = f"{len(TINY)} of the {len(TINY)} paragraphs evaluated (all) are in the model's"
    assert f"warning: {expected}" in result.stderr
    assert f'<p class="warning">Warning: {html.escape(expected)}' in out.read_text("utf-8")


@pytest.mark.slow
def test_train_writes_fingerprints_and_evaluate_on_seed_warns(tmp_path: Path) -> None:
    # The README's example, `tagger evaluate data/labels/seed.jsonl`, on a model trained here
    # the way the bundled one is (`tagger train DATA -o DIR`), on a copy of seed.jsonl.
    data = tmp_path / "labels"
    data.mkdir()
    shutil.copy(SEED_LABELS, data)
    shutil.copy(REPO / "data" / "labels" / "schema.json", data)
    model = tmp_path / "model"
    trained = runner.invoke(app, ["train", str(data), "-o", str(model), "--cv", "2"])
    assert trained.exit_code == 0, trained.stderr
    manifest = json.loads((model / MANIFEST).read_text("utf-8"))
    assert TRAINING_HASHES in manifest["files"]

    n = sum(1 for line in SEED_LABELS.read_text("utf-8").splitlines() if line.strip())
    result = runner.invoke(app, ["evaluate", str(SEED_LABELS), "-m", str(model)])
    assert result.exit_code == 0, result.stderr
    assert f"{n} of the {n} paragraphs evaluated (all) are in the model's training data" in (
        result.stderr
    )
    assert f"the model was trained on {n} of them" in result.stdout
    as_json = runner.invoke(app, ["evaluate", str(SEED_LABELS), "-m", str(model), "-f", "json"])
    assert json.loads(as_json.stdout)["seen_in_training"] == n
