"""Helpers shared by the benchmark scripts: where the shared data is, and how to print."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TAGGER_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared_file(*parts: str) -> Path:
    """A file under ../shared/data, or a clean exit saying it is absent (benchmarks skip)."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.is_file():
        print(
            f"skipped: {path} is absent; benchmarks read third-party data from ../shared/data "
            "beside the repository (or TAGGER_SHARED_DATA)",
            file=sys.stderr,
        )
        raise SystemExit(0)
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def command_line() -> str:
    return "python " + " ".join([os.path.relpath(sys.argv[0], REPO), *sys.argv[1:]])
