"""Model directories: atomic save, and a load that checks before it reads.

A model directory holds ``manifest.json`` (what the model is, and the sha256 of every other
file), the serving arrays (``vocabulary.json`` and ``arrays.npz``: plain data, no pickle),
``training_hashes.npy`` (a hash of each training paragraph, see ``tagger.fingerprint``; models
saved before it existed load without it) and ``estimator.joblib`` (the full scikit-learn
estimator, for retraining and inspection). ``load`` reads only the plain files, so it runs no
code from the directory; ``load_estimator`` unpickles and therefore needs a trusted directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
import warnings
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from tagger._bundled import MANIFEST_SHA256
from tagger._version import __version__
from tagger.errors import ModelError, UsageError
from tagger.model import Tagger
from tagger.vectorize import CompiledVocabulary, can_compile

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VOCABULARY = "vocabulary.json"
ARRAYS = "arrays.npz"
ESTIMATOR = "estimator.joblib"
TRAINING_HASHES = "training_hashes.npy"
_MAX_MANIFEST_BYTES = 1_000_000


def bundled_model_dir() -> Path:
    """The model shipped with the package (or, in a source checkout, ``models/default``)."""
    packaged = resources.files("tagger") / "models" / "default"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "models" / "default"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _library_versions() -> dict[str, str]:
    import jieba
    import sklearn

    return {
        "tagger": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "jieba": jieba.__version__,
    }


def save(tagger: Tagger, directory: str | os.PathLike[str], **metadata: Any) -> Path:
    """Write ``tagger`` to ``directory``, replacing any model there only once all is written.

    Files go to a temporary sibling directory first; a crash or a full disk midway leaves the
    previous model as it was. ``metadata`` (for example ``training_data``) joins the manifest.
    """
    import joblib

    if not hasattr(tagger, "estimators_"):
        raise ModelError("only a Tagger trained in this process can be saved: call fit() first")
    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        vocabulary = sorted(tagger.vocabulary_, key=tagger.vocabulary_.__getitem__)
        (staging / VOCABULARY).write_text(json.dumps(vocabulary, ensure_ascii=False), "utf-8")
        compiled: dict[str, Any] = {}
        if can_compile(tagger.feature_spec):
            vocabulary_index = CompiledVocabulary(
                tagger.vocabulary_,
                tagger.idf_,
                tagger.feature_spec,
                sublinear_tf=tagger.sublinear_tf,
            )
            compiled = {f"compiled_{k}": v for k, v in vocabulary_index.to_arrays().items()}
        np.savez(
            staging / ARRAYS,
            idf=tagger.idf_,
            coef=tagger.coef_,
            intercept=tagger.intercept_,
            thresholds=tagger.thresholds_,
            unit_slopes=tagger.unit_slopes_,
            **compiled,
        )
        joblib.dump(tagger, staging / ESTIMATOR, compress=3)
        files = [VOCABULARY, ARRAYS, ESTIMATOR]
        if hasattr(tagger, "training_hashes_"):  # a Tagger unpickled from an older model lacks it
            np.save(staging / TRAINING_HASHES, tagger.training_hashes_, allow_pickle=False)
            files.append(TRAINING_HASHES)
        manifest = {
            "format_version": FORMAT_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "labels": [
                {"id": lb, "name": tagger.label_names_.get(lb, "")} for lb in tagger.labels_
            ],
            "thresholds": dict(zip(tagger.labels_, map(float, tagger.thresholds_), strict=True)),
            "params": tagger.get_params(),
            "versions": _library_versions(),
            "n_features": len(vocabulary),
            "n_training_texts": tagger.n_training_texts_,
            "cv_metrics": tagger.cv_metrics_,
            **metadata,
            "files": {name: sha256_file(staging / name) for name in files},
        }
        (staging / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8"
        )
        for path in staging.iterdir():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        staging.chmod(0o755)  # mkdtemp makes it private; a model is for everyone to read
        _replace_directory(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _replace_directory(staging: Path, target: Path) -> None:
    """Swap ``staging`` in for ``target``; the window without a ``target`` is two renames long."""
    if not target.exists():
        staging.rename(target)
        return
    previous = staging.with_suffix(".previous")
    target.rename(previous)
    try:
        staging.rename(target)
    except BaseException:
        previous.rename(target)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def _model_root(directory: object) -> Path:
    if directory is None:
        return bundled_model_dir()
    if not isinstance(directory, str | os.PathLike):
        raise UsageError(f"model directory: expected a path, found {type(directory).__name__}")
    return Path(directory)


def is_bundled(root: Path) -> bool:
    return root.resolve() == bundled_model_dir().resolve()


def read_manifest(directory: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read and check a model's manifest and the hashes of the files it lists."""
    root = _model_root(directory)
    path = root / MANIFEST
    if not root.is_dir():
        raise ModelError(
            f"{root}: no model directory here; expected a directory made by "
            "'tagger train' (holding manifest.json)"
        )
    if not path.is_file():
        raise ModelError(
            f"{root}: no {MANIFEST}; this is not a tagger model directory, or it is "
            "damaged: retrain it with 'tagger train'"
        )
    try:
        if path.stat().st_size > _MAX_MANIFEST_BYTES:
            raise ModelError(f"{path}: manifest larger than {_MAX_MANIFEST_BYTES} bytes; refused")
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable manifest ({exc}); retrain the model") from None
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        found = manifest.get("format_version") if isinstance(manifest, dict) else manifest
        raise ModelError(
            f"{path}: model format {found!r}, this tagger reads format "
            f"{FORMAT_VERSION}; retrain the model with this version of tagger"
        )
    if is_bundled(root) and sha256_file(path) != MANIFEST_SHA256:
        raise ModelError(
            f"{path}: the bundled model does not match the hash pinned in the tagger "
            "package; it was changed after installation. Reinstall tagger"
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or not {VOCABULARY, ARRAYS} <= files.keys():
        raise ModelError(f"{path}: the manifest lists no file hashes; retrain the model")
    return manifest


def _verify(root: Path, manifest: dict[str, Any], name: str) -> Path:
    path = root / name
    if not path.is_file():
        raise ModelError(f"{path}: missing; the model directory is incomplete, retrain it")
    if sha256_file(path) != manifest["files"][name]:
        raise ModelError(
            f"{path}: contents do not match the sha256 in {MANIFEST}; the file was "
            "changed after training, so it is refused. Retrain, or restore the file"
        )
    return path


def load(directory: str | os.PathLike[str] | None = None) -> Tagger:
    """Load a model for tagging (the bundled one by default). Reads no pickle, runs no code."""
    root = _model_root(directory)
    manifest = read_manifest(root)
    vocabulary_path = _verify(root, manifest, VOCABULARY)
    arrays_path = _verify(root, manifest, ARRAYS)
    try:
        with np.load(arrays_path, allow_pickle=False) as arrays:
            idf, coef = arrays["idf"], arrays["coef"]
            intercept, thresholds = arrays["intercept"], arrays["thresholds"]
            # Models saved before the slopes existed pool without them.
            slopes = arrays["unit_slopes"] if "unit_slopes" in arrays.files else None
            compiled = {
                k[len("compiled_") :]: arrays[k] for k in arrays.files if k.startswith("compiled_")
            }
        training_hashes = None
        if TRAINING_HASHES in manifest["files"]:
            training_hashes = np.load(_verify(root, manifest, TRAINING_HASHES), allow_pickle=False)
            if training_hashes.dtype != np.uint64 or training_hashes.ndim != 1:
                raise ValueError(
                    f"{TRAINING_HASHES} holds {training_hashes.dtype} in "
                    f"{training_hashes.ndim} dimensions, not one of uint64"
                )
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in manifest["params"].items()}
        tagger = Tagger().set_params(**params)
        labels = [entry["id"] for entry in manifest["labels"]]
        n_features = int(manifest["n_features"])
    except (KeyError, TypeError, ValueError, OSError) as exc:
        raise ModelError(
            f"{root}: the model files do not have the expected shape ({exc}); retrain the model"
        ) from None
    if (
        coef.shape != (len(labels), n_features)
        or idf.shape != (n_features,)
        or (slopes is not None and slopes.shape != (len(labels),))
    ):
        raise ModelError(f"{root}: array shapes do not match the vocabulary and labels; retrain")
    tagger.labels_ = labels
    tagger.label_names_ = {e["id"]: e.get("name", "") for e in manifest["labels"]}

    def read_vocabulary() -> dict[str, int]:
        names = json.loads(vocabulary_path.read_text("utf-8"))
        if len(names) != n_features:
            raise ModelError(f"{vocabulary_path}: {len(names)} features, expected {n_features}")
        return {feature: i for i, feature in enumerate(names)}

    tagger.__dict__["_vocabulary_loader"] = read_vocabulary
    if compiled:
        tagger.__dict__["_compiled_vocabulary"] = CompiledVocabulary.from_arrays(
            compiled, idf, tagger.feature_spec, sublinear_tf=tagger.sublinear_tf
        )
    tagger.idf_, tagger.coef_, tagger.intercept_ = idf, coef, intercept
    tagger.thresholds_ = thresholds
    tagger.unit_slopes_ = np.zeros(len(labels)) if slopes is None else slopes
    tagger.cv_metrics_ = manifest.get("cv_metrics", {})
    if training_hashes is not None:
        tagger.training_hashes_ = training_hashes
    tagger.manifest_ = manifest
    return tagger


def load_estimator(directory: str | os.PathLike[str] | None = None, *, trust: bool = False) -> Any:
    """Unpickle the full scikit-learn-backed estimator, for retraining and inspection.

    Unpickling runs code from the file, so a directory other than the bundled model needs
    ``trust=True``: pass it only for models you made or got from someone you trust.
    """
    import joblib

    root = _model_root(directory)
    if not (trust or is_bundled(root)):
        raise ModelError(
            f"{root / ESTIMATOR}: joblib files are pickles and loading one runs its "
            "code; pass trust=True (CLI: --trust-model) if you trust this model"
        )
    manifest = read_manifest(root)
    if ESTIMATOR not in manifest["files"]:
        raise ModelError(f"{root}: the manifest lists no {ESTIMATOR}; retrain the model")
    _check_sklearn_version(manifest, root)
    return joblib.load(_verify(root, manifest, ESTIMATOR))


def _check_sklearn_version(manifest: dict[str, Any], root: Path) -> None:
    import sklearn

    made = str(manifest.get("versions", {}).get("scikit-learn", ""))
    here = sklearn.__version__
    if made.split(".")[:1] != here.split(".")[:1]:
        raise ModelError(
            f"{root}: made with scikit-learn {made}, this is {here}; a different "
            "major version cannot read it safely: retrain with 'tagger train'"
        )
    if made.split(".")[:2] != here.split(".")[:2]:
        warnings.warn(
            f"{root}: made with scikit-learn {made}, running {here}; if results look "
            "wrong, retrain with 'tagger train'",
            stacklevel=2,
        )
