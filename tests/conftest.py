"""Shared fixtures: a tiny labelled set written here, and one model trained on it per session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tagger import Tagger

from .support import REPO, TINY


@pytest.fixture(scope="session")
def tiny_texts() -> list[str]:
    return [text for text, _ in TINY]


@pytest.fixture(scope="session")
def tiny_labels() -> list[list[str]]:
    return [labels for _, labels in TINY]


@pytest.fixture(scope="session")
def trained(tiny_texts: list[str], tiny_labels: list[list[str]]) -> Tagger:
    return Tagger(cv=2).fit(tiny_texts, tiny_labels)


@pytest.fixture()
def tiny_data_dir(tmp_path: Path) -> Path:
    """A labelled-data directory in the project's format, with the real schema."""
    directory = tmp_path / "labels"
    directory.mkdir()
    (directory / "schema.json").write_text(
        (REPO / "data" / "labels" / "schema.json").read_text("utf-8"), "utf-8"
    )
    with (directory / "tiny.jsonl").open("w", encoding="utf-8") as out:
        for text, labels in TINY:
            out.write(
                json.dumps({"text": text, "labels": labels, "source": "test"}, ensure_ascii=False)
                + "\n"
            )
    return directory


@pytest.fixture(scope="session")
def saved_model(tmp_path_factory: pytest.TempPathFactory, trained: Tagger) -> Path:
    directory = tmp_path_factory.mktemp("model") / "tiny"
    trained.save(str(directory))
    return directory
