"""Model directories: atomic save, and a load that checks before it reads.

A model directory holds ``manifest.json`` (what the model is, and the sha256 of every other
file), the serving arrays (``vocabulary.json`` and ``arrays.npz``: plain data, no pickle),
``training_hashes.npy`` (a hash of each training paragraph, see ``tagger.fingerprint``; models
saved before it existed load without it) and ``estimator.joblib`` (the full scikit-learn
estimator, for retraining and inspection). ``load`` reads only the plain files, so it runs no
code from the directory; ``load_estimator`` unpickles and therefore needs a trusted directory.

Every file is read once: its hash is checked on the very bytes that are then parsed, so a file
swapped between the check and the use cannot slip through. Sizes are checked before anything
is allocated: the manifest's fields, each array's header against the manifest, and ceilings.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import platform
import re
import warnings
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tagger._bundled import MANIFEST_SHA256
from tagger._version import __version__
from tagger.errors import ModelError, UsageError
from tagger.files import describe_kind, replace_directory, staging_directory
from tagger.model import Tagger
from tagger.vectorize import CompiledVocabulary, can_compile

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VOCABULARY = "vocabulary.json"
ARRAYS = "arrays.npz"
ESTIMATOR = "estimator.joblib"
TRAINING_HASHES = "training_hashes.npy"
_MAX_MANIFEST_BYTES = 1_000_000
# Ceilings far above any model trained here (the bundled one: 68,509 features, 5 labels and
# 4.6 MB of arrays), so that a damaged or hostile model is refused before memory is spent.
MAX_FILE_BYTES = 1 << 30
MAX_ARRAY_BYTES = 1 << 30  # all arrays of arrays.npz together, once decompressed
MAX_FEATURES = 20_000_000
MAX_LABELS = 1000
_MAX_TOKEN_CHARS = 1000
_SHA256 = re.compile(r"[0-9a-f]{64}")


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

    ``directory`` must be missing, empty, or a model directory holding nothing but its model
    (see ``model_target``): nothing else is ever deleted. Files go to a temporary sibling
    directory first; a crash or a full disk midway leaves the previous model as it was, and
    what a killed save leaves behind is removed by the next save. ``metadata`` (for example
    ``training_data``) joins the manifest.
    """
    import joblib

    if not hasattr(tagger, "estimators_"):
        raise ModelError("only a Tagger trained in this process can be saved: call fit() first")
    target = model_target(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    with staging_directory(target) as staging:
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
        model_target(target)  # again: something may have been put there while this was written
        replace_directory(staging, target)
    return target


def model_target(directory: str | os.PathLike[str]) -> Path:
    """Where a model may be written: ``directory``, or the directory a symbolic link names.

    It must be missing, empty, or a tagger model directory that holds only the files its
    manifest lists, since saving replaces it whole. Anything else (a file, a folder of
    documents, the training data) raises ``ModelError`` and is left untouched.
    """
    if not isinstance(directory, str | os.PathLike):
        raise UsageError(f"model directory: expected a path, found {type(directory).__name__}")
    target = Path(directory)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    if not os.path.lexists(target):
        return target
    untouched = "Nothing was written or deleted"
    if not target.is_dir():
        kind = describe_kind(os.stat(target).st_mode) if target.exists() else "a broken link"
        raise ModelError(
            f"{target}: is {kind}; a model is written as a directory. {untouched}: choose a "
            "new directory name"
        )
    entries = set(os.listdir(target))
    if not entries:
        return target
    if MANIFEST not in entries:
        raise ModelError(
            f"{target}: holds {_some(entries)} but no {MANIFEST}, so it is not a tagger model, "
            f"and saving a model there would delete what it holds. {untouched}: train into a "
            "new or empty directory"
        )
    listed: set[str] = set()
    try:
        files = json.loads(_read_bounded(target / MANIFEST, _MAX_MANIFEST_BYTES)).get("files")
        if isinstance(files, dict):
            listed = {MANIFEST, *map(str, files)}
    except (OSError, ValueError, RecursionError, AttributeError, ModelError):
        pass  # unreadable or not an object: not a tagger manifest, refused just below
    if not listed:
        raise ModelError(
            f"{target}: its {MANIFEST} is not a tagger model's, so saving a model there would "
            f"delete what the directory holds. {untouched}: train into a new or empty directory"
        )
    extra = entries - listed
    if extra:
        raise ModelError(
            f"{target}: holds files that are not part of its model ({_some(extra)}), and saving "
            f"a model replaces the directory whole. {untouched}: move them out, or train into "
            "another directory"
        )
    return target


def _some(names: set[str]) -> str:
    shown = sorted(names)[:3]
    return ", ".join(shown) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _model_root(directory: object) -> Path:
    if directory is None:
        return bundled_model_dir()
    if not isinstance(directory, str | os.PathLike):
        raise UsageError(f"model directory: expected a path, found {type(directory).__name__}")
    return Path(directory)


def is_bundled(root: Path) -> bool:
    return root.resolve() == bundled_model_dir().resolve()


def _read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of ``path``; refused, without reading them all, if there are over ``limit``."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ModelError(f"{path}: larger than {limit} bytes, the most tagger reads; refused")
    return data


def read_manifest(directory: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read and check a model's manifest (the bundled model's against its pinned hash).

    Every field tagger uses is checked for its type and range, so a damaged manifest is a
    ``ModelError`` here rather than a crash later. The files it lists are checked as they are
    read (``load``, ``load_estimator``), or all at once by ``verify_files``.
    """
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
        data = _read_bounded(path, _MAX_MANIFEST_BYTES)
    except OSError as exc:
        raise ModelError(f"{path}: unreadable manifest ({exc.strerror}); retrain it") from None
    # The same bytes are hashed and parsed: a manifest swapped in between cannot pass.
    if is_bundled(root) and hashlib.sha256(data).hexdigest() != MANIFEST_SHA256:
        raise ModelError(
            f"{path}: the bundled model does not match the hash pinned in the tagger "
            "package; it was changed after installation. Reinstall tagger"
        )
    try:
        manifest = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ModelError(f"{path}: unreadable manifest (nested too deeply); retrain it") from None
    except ValueError as exc:  # not UTF-8, not JSON, or a number of over 4300 digits
        raise ModelError(f"{path}: unreadable manifest ({exc}); retrain the model") from None
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        found = manifest.get("format_version") if isinstance(manifest, dict) else manifest
        raise ModelError(
            f"{path}: model format {_short(found)}, this tagger reads format "
            f"{FORMAT_VERSION}; retrain the model with this version of tagger"
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or not {VOCABULARY, ARRAYS} <= files.keys():
        raise ModelError(f"{path}: the manifest lists no file hashes; retrain the model")
    problems = _manifest_problems(manifest)
    if problems:
        listed = "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")
        raise ModelError(f"{path}: malformed manifest: {listed}. Retrain the model")
    return manifest


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_int(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and abs(value) < 1e300  # also keeps a 4000-digit integer from overflowing a float
        and math.isfinite(value)
    )


def _is_range(value: object) -> bool:
    return value is None or (
        isinstance(value, list)
        and len(value) == 2
        and all(_is_int(v, 1, 10) for v in value)
        and value[0] <= value[1]
    )


def _is_min_df(value: object) -> bool:
    # scikit-learn takes a document count, or a proportion of the documents.
    return _is_int(value, 1, 1 << 31) or (_is_number(value) and 0 < value <= 1)  # type: ignore[operator]


_PARAM_CHECKS: dict[str, tuple[Callable[[object], bool], str]] = {
    "word_ngram_range": (_is_range, "null or [low, high] with 1 <= low <= high <= 10"),
    "char_ngram_range": (_is_range, "null or [low, high] with 1 <= low <= high <= 10"),
    "min_df": (_is_min_df, "a document count or proportion"),
    "sublinear_tf": (lambda v: isinstance(v, bool), "true or false"),
    "C": (lambda v: _is_number(v) and v > 0, "a positive number"),  # type: ignore[operator]
    "class_weight": (lambda v: v is None or v == "balanced", 'null or "balanced"'),
    "pooling": (lambda v: v in (None, "passages", "sentences"), 'null, "passages", "sentences"'),
    "cv": (lambda v: v is None or _is_int(v, 2, 1000), "null or a number of folds"),
    "cv_repeats": (lambda v: _is_int(v, 1, 1000), "a number of repeats"),
    "random_state": (lambda v: _is_int(v, 0, (1 << 32) - 1), "a seed"),
}


def _manifest_problems(manifest: dict[str, Any]) -> list[str]:
    """What is wrong with the manifest fields tagger reads; empty if nothing."""
    problems = []
    if not all(isinstance(v, str) and _SHA256.fullmatch(v) for v in manifest["files"].values()):
        problems.append("'files' must map file names to sha256 hex digests")
    labels = manifest.get("labels")
    ids: list[str] = []
    if not (isinstance(labels, list) and 1 <= len(labels) <= MAX_LABELS):
        problems.append(f"'labels' must be a list of 1 to {MAX_LABELS} labels")
    elif not all(
        isinstance(e, dict) and isinstance(e.get("id"), str) and isinstance(e.get("name", ""), str)
        for e in labels
    ):
        problems.append("each label must be an object with text 'id' and 'name'")
    elif len({e["id"] for e in labels}) != len(labels):
        problems.append("a label id is listed twice")
    else:
        ids = [e["id"] for e in labels]
    thresholds = manifest.get("thresholds")
    if not isinstance(thresholds, dict) or not all(
        _is_number(thresholds.get(i)) and 0 <= thresholds[i] <= 1 for i in ids
    ):
        problems.append("'thresholds' must give each label a number from 0 to 1")
    if not _is_int(manifest.get("n_features"), 1, MAX_FEATURES):
        problems.append(
            f"'n_features' must be a whole number from 1 to {MAX_FEATURES}, found "
            f"{_short(manifest.get('n_features'))}"
        )
    params = manifest.get("params")
    if not isinstance(params, dict):
        problems.append("'params' must be an object")
    else:
        for name, value in params.items():
            check, expected = _PARAM_CHECKS.get(name, (lambda v: False, "no parameter of Tagger"))
            if not check(value):
                problems.append(f"params {_short(name)} must be {expected}, found {_short(value)}")
    versions = manifest.get("versions")
    if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
        problems.append("'versions' must map library names to version strings")
    for key in ("training_data", "label_descriptions"):
        if not isinstance(manifest.get(key, {}), dict):
            problems.append(f"{key!r} must be an object")
    if not isinstance(manifest.get("created", ""), str):
        problems.append("'created' must be text")
    if not _is_metrics(manifest.get("cv_metrics", {}), ids):
        problems.append("'cv_metrics' must be empty or the metrics 'tagger train' writes")
    return problems


def _is_metrics(metrics: object, ids: list[str]) -> bool:
    if metrics == {}:
        return True
    if not isinstance(metrics, dict) or not isinstance(metrics.get("labels"), dict):
        return False
    if not set(ids) <= metrics["labels"].keys():
        return False
    per_label = list(metrics["labels"].values())
    rows = [*per_label, *(metrics.get(k) for k in ("micro", "macro", "samples"))]
    if not all(isinstance(row, dict) for row in rows):
        return False
    return (
        all(_is_number(row.get(k)) for row in rows for k in ("precision", "recall", "f1"))
        and all(_is_int(row.get("support"), 0, 1 << 62) for row in per_label)
        and _is_number(metrics.get("exact_match"))
        and _is_int(metrics.get("n"), 0, 1 << 62)
    )


def _verify(root: Path, manifest: dict[str, Any], name: str) -> bytes:
    """The bytes of a model file, read once and checked against the manifest's sha256."""
    path = root / name
    if not path.is_file():
        raise ModelError(f"{path}: missing; the model directory is incomplete, retrain it")
    try:
        data = _read_bounded(path, MAX_FILE_BYTES)
    except OSError as exc:
        raise ModelError(f"{path}: unreadable ({exc.strerror}); retrain the model") from None
    if hashlib.sha256(data).hexdigest() != manifest["files"][name]:
        raise ModelError(
            f"{path}: contents do not match the sha256 in {MANIFEST}; the file was "
            "changed after training, so it is refused. Retrain, or restore the file"
        )
    return data


def verify_files(directory: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read a model's manifest and check the sha256 of every file it lists (``tagger info``)."""
    root = _model_root(directory)
    manifest = read_manifest(root)
    for name, digest in manifest["files"].items():
        path = root / name
        if not path.is_file():
            raise ModelError(f"{path}: missing; the model directory is incomplete, retrain it")
        if sha256_file(path) != digest:
            raise ModelError(
                f"{path}: contents do not match the sha256 in {MANIFEST}; the file was "
                "changed after training. Retrain, or restore the file"
            )
    return manifest


def _check_arrays(data: bytes, path: Path, manifest: dict[str, Any]) -> None:
    """Check every array's header against the manifest before any array is read.

    A header states its array's shape and type, and numpy allocates that much before reading;
    a compressed archive can state sizes far beyond its own (a few megabytes that unpack to
    gigabytes). Each shape must be what the manifest implies, and all arrays together must
    stay under ``MAX_ARRAY_BYTES``.
    """
    n_features, n_labels = manifest["n_features"], len(manifest["labels"])
    shapes = {
        "idf": (n_features,),
        "coef": (n_labels, n_features),
        "intercept": (n_labels,),
        "thresholds": (n_labels,),
        "unit_slopes": (n_labels,),  # absent from models saved before the pooling correction
    }
    found: set[str] = set()
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.infolist():
                name = member.filename.removesuffix(".npy")
                with archive.open(member) as stream:
                    version = np.lib.format.read_magic(stream)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
                    elif version == (2, 0):
                        shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
                    else:
                        raise ValueError(f"array {name!r} in .npy format {version}")
                if name in shapes:
                    fits = tuple(shape) == shapes[name] and dtype.kind == "f"
                elif name.startswith("compiled_"):
                    # Tables of the features (or, for tokens, of their words): no longer.
                    kind = "U" if name == "compiled_tokens" else "i"
                    fits = len(shape) == 1 and shape[0] <= 2 * n_features + 1
                    fits = fits and dtype.kind == kind and dtype.itemsize <= 4 * _MAX_TOKEN_CHARS
                else:
                    fits = False
                if not fits:
                    raise ValueError(
                        f"array {name!r} of shape {tuple(shape)} and type {dtype}, which a "
                        f"model of {n_features} features and {n_labels} labels (as the manifest "
                        "says) does not have"
                    )
                found.add(name)
                total += math.prod(shape) * dtype.itemsize
                if total > MAX_ARRAY_BYTES:
                    raise ValueError(f"arrays of more than {MAX_ARRAY_BYTES} bytes")
    except (ValueError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ModelError(f"{path}: refused before reading: {exc}; retrain the model") from None
    missing = shapes.keys() - found - {"unit_slopes"}
    if missing:
        raise ModelError(f"{path}: no array {', '.join(sorted(missing))}; retrain the model")


def load(directory: str | os.PathLike[str] | None = None) -> Tagger:
    """Load a model for tagging (the bundled one by default). Reads no pickle, runs no code."""
    root = _model_root(directory)
    manifest = read_manifest(root)
    vocabulary_data = _verify(root, manifest, VOCABULARY)
    arrays_path, vocabulary_path = root / ARRAYS, root / VOCABULARY
    arrays_data = _verify(root, manifest, ARRAYS)
    _check_arrays(arrays_data, arrays_path, manifest)
    try:
        with np.load(io.BytesIO(arrays_data), allow_pickle=False) as archive:
            arrays: dict[str, NDArray[Any]] = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelError(f"{arrays_path}: unreadable ({exc}); retrain the model") from None
    for name in ("idf", "coef", "intercept", "thresholds", "unit_slopes"):
        if name in arrays and not np.isfinite(arrays[name]).all():
            raise ModelError(
                f"{arrays_path}: array {name!r} holds NaN or infinite numbers, which would make "
                "every score NaN (and NaN is not JSON); retrain the model"
            )
    n_features = manifest["n_features"]
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in manifest["params"].items()}
    tagger = Tagger().set_params(**params)
    tagger.labels_ = [entry["id"] for entry in manifest["labels"]]
    training_hashes = None
    if TRAINING_HASHES in manifest["files"]:
        hashes_path = root / TRAINING_HASHES
        try:
            training_hashes = np.load(
                io.BytesIO(_verify(root, manifest, TRAINING_HASHES)), allow_pickle=False
            )
        except (ValueError, OSError, EOFError) as exc:
            raise ModelError(f"{hashes_path}: unreadable ({exc}); retrain the model") from None
        if training_hashes.dtype != np.uint64 or training_hashes.ndim != 1:
            raise ModelError(
                f"{hashes_path}: holds {training_hashes.dtype} in {training_hashes.ndim} "
                "dimensions, expected one of uint64; retrain the model"
            )
    tagger.label_names_ = {e["id"]: e.get("name", "") for e in manifest["labels"]}

    def read_vocabulary() -> dict[str, int]:
        # The very bytes whose hash load() checked, parsed when someone first asks for names.
        try:
            names = json.loads(vocabulary_data.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            raise ModelError(f"{vocabulary_path}: not JSON ({exc}); retrain the model") from None
        if not (isinstance(names, list) and all(isinstance(name, str) for name in names)):
            raise ModelError(f"{vocabulary_path}: expected a JSON list of feature names")
        vocabulary = {feature: i for i, feature in enumerate(names)}
        if len(names) != n_features or len(vocabulary) != n_features:
            raise ModelError(
                f"{vocabulary_path}: {len(vocabulary)} distinct features, expected {n_features}"
            )
        return vocabulary

    tagger.__dict__["_vocabulary_loader"] = read_vocabulary
    compiled = {k[len("compiled_") :]: v for k, v in arrays.items() if k.startswith("compiled_")}
    if compiled:
        try:
            tagger.__dict__["_compiled_vocabulary"] = CompiledVocabulary.from_arrays(
                compiled, arrays["idf"], tagger.feature_spec, sublinear_tf=tagger.sublinear_tf
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ModelError(f"{arrays_path}: unusable tables ({exc}); retrain the model") from None
    tagger.idf_, tagger.coef_ = arrays["idf"], arrays["coef"]
    tagger.intercept_, tagger.thresholds_ = arrays["intercept"], arrays["thresholds"]
    tagger.unit_slopes_ = arrays.get("unit_slopes", np.zeros(len(tagger.labels_)))
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
            f"{root / ESTIMATOR}: joblib files are pickles and loading one runs its code; "
            "pass trust=True if you trust this model (no tagger command unpickles anything)"
        )
    manifest = read_manifest(root)
    if ESTIMATOR not in manifest["files"]:
        raise ModelError(f"{root}: the manifest lists no {ESTIMATOR}; retrain the model")
    _check_sklearn_version(manifest, root)
    # Unpickled from the bytes whose hash was checked, never from a second read of the file.
    return joblib.load(io.BytesIO(_verify(root, manifest, ESTIMATOR)))


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
