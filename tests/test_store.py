import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tagger
from tagger import ModelError, Tagger
from tagger.store import (
    ARRAYS,
    ESTIMATOR,
    MANIFEST,
    TRAINING_HASHES,
    VOCABULARY,
    load,
    load_estimator,
)

TEXTS = ["村口卡点值守，查验健康码", "居民排队做核酸检测", "志愿者送菜上门", "今天天气晴朗"]


def test_save_and_load_give_the_same_predictions(trained: Tagger, saved_model: Path) -> None:
    loaded = load(saved_model)
    assert loaded.labels_ == trained.labels_
    np.testing.assert_array_equal(loaded.predict_proba(TEXTS), trained.predict_proba(TEXTS))
    assert loaded.predict(TEXTS) == trained.predict(TEXTS)
    assert loaded.get_params() == trained.get_params()


def test_manifest_describes_the_model(saved_model: Path) -> None:
    manifest = json.loads((saved_model / MANIFEST).read_text("utf-8"))
    assert manifest["format_version"] == 1
    assert set(manifest["thresholds"]) == {e["id"] for e in manifest["labels"]}
    assert {"tagger", "scikit-learn", "jieba", "numpy"} <= manifest["versions"].keys()
    assert set(manifest["files"]) == {VOCABULARY, ARRAYS, ESTIMATOR, TRAINING_HASHES}
    assert manifest["cv_metrics"]["macro"]["f1"] >= 0


def test_a_tampered_file_is_refused(saved_model: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in saved_model.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    vocabulary = json.loads((copy / VOCABULARY).read_text("utf-8"))
    (copy / VOCABULARY).write_text(json.dumps(vocabulary[::-1], ensure_ascii=False), "utf-8")
    with pytest.raises(ModelError, match=r"vocabulary.json: contents do not match the sha256"):
        load(copy)


def test_a_directory_without_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no manifest\.json"):
        load(tmp_path)
    with pytest.raises(ModelError, match="no model directory here"):
        load(tmp_path / "missing")


def test_another_format_version_is_refused(saved_model: Path, tmp_path: Path) -> None:
    copy = tmp_path / "old"
    copy.mkdir()
    for path in saved_model.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    manifest = json.loads((copy / MANIFEST).read_text("utf-8"))
    manifest["format_version"] = 99
    (copy / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(ModelError, match="model format 99, this tagger reads format 1"):
        load(copy)


def test_unpickling_needs_trust_outside_the_bundled_model(saved_model: Path) -> None:
    with pytest.raises(ModelError, match="joblib files are pickles"):
        load_estimator(saved_model)
    estimator = load_estimator(saved_model, trust=True)
    assert hasattr(estimator, "estimators_")
    assert estimator.predict(TEXTS) == load(saved_model).predict(TEXTS)


def test_a_failed_save_leaves_the_previous_model(
    trained: Tagger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "model"
    trained.save(str(target))
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("joblib.dump", disk_full)
    with pytest.raises(OSError, match="No space left"):
        trained.save(str(target))
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no half-written leftovers
    assert load(target).predict(TEXTS) == trained.predict(TEXTS)


def test_saving_an_unfitted_tagger_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="call fit"):
        Tagger().save(str(tmp_path / "m"))


def test_tagging_imports_neither_scikit_learn_nor_typer() -> None:
    code = (
        "import sys, tagger; m = tagger.load(); m.predict(['志愿者在卡口值守']); "
        "m.tag_page('标题\\n\\n村口卡点值守。'); "
        "print(sorted(k for k in ('sklearn', 'typer', 'scipy', 'joblib') if k in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_bundled_model_loads_by_default() -> None:
    model = tagger.load()
    assert model.labels_ == [
        "checkpoint_duty",
        "nucleic_acid_testing",
        "publicity",
        "volunteer_service",
        "property_management",
    ]
    assert model.predict(["志愿者在卡口值守，查验行程码"])[0]


def test_the_public_names_resolve_lazily() -> None:
    code = (
        "import sys, tagger; before = 'tagger.model' in sys.modules; "
        "assert sorted(tagger.__all__) == sorted(dir(tagger)); "
        "assert all(getattr(tagger, name) is not None for name in tagger.__all__); "
        "print(before)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


def copy_with_sklearn_version(saved_model: Path, tmp_path: Path, version: str) -> Path:
    copy = tmp_path / f"model-{version}"
    copy.mkdir()
    for path in saved_model.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    manifest = json.loads((copy / MANIFEST).read_text("utf-8"))
    manifest["versions"]["scikit-learn"] = version
    (copy / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    return copy


def test_another_major_scikit_learn_version_is_refused(saved_model: Path, tmp_path: Path) -> None:
    import sklearn

    major = int(sklearn.__version__.split(".")[0])
    copy = copy_with_sklearn_version(saved_model, tmp_path, f"{major + 1}.0.0")
    with pytest.raises(ModelError, match="different major version cannot read it safely"):
        load_estimator(copy, trust=True)
    assert load(copy).predict(TEXTS)  # the pickle-free serving files still load


def test_another_minor_scikit_learn_version_warns_once(saved_model: Path, tmp_path: Path) -> None:
    import warnings

    import sklearn

    major, minor = (int(p) for p in sklearn.__version__.split(".")[:2])
    copy = copy_with_sklearn_version(saved_model, tmp_path, f"{major}.{minor + 1}.0")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_estimator(copy, trust=True)
    assert [str(w.message) for w in caught if "scikit-learn" in str(w.message)] == [
        f"{copy}: made with scikit-learn {major}.{minor + 1}.0, running {sklearn.__version__}; "
        "if results look wrong, retrain with 'tagger train'"
    ]
