"""The bundled model on the seed page, and its reproducibility from data/labels."""

from pathlib import Path

import numpy as np
import pytest

import tagger
from tagger.training import train

from .support import REPO, SEED_PAGE


@pytest.fixture(scope="module")
def seed_results() -> list[tagger.TaggedBlock]:
    return tagger.load().tag_page(tagger.read_page(SEED_PAGE))


def find(results: list[tagger.TaggedBlock], phrase: str) -> list[tagger.TaggedBlock]:
    found = [r for r in results if phrase in r.text]
    assert found, f"no paragraph with {phrase!r}"
    return found


def test_seed_page_testing_plan_is_nucleic_acid_testing(seed_results: list) -> None:
    (record,) = find(seed_results, "全员核酸检测工作预案")
    assert "nucleic_acid_testing" in record.labels


def test_seed_page_dengzhou_caption_is_checkpoint_duty(seed_results: list) -> None:
    (record,) = find(seed_results, "邓州市在各村设置卡口")
    assert record.kind == "caption"
    assert "checkpoint_duty" in record.labels


def test_seed_page_red_property_paragraphs_are_property_management(seed_results: list) -> None:
    article = [r for r in seed_results if "红色物业" in r.article]
    assert len(article) == 5
    assert all("property_management" in r.labels for r in article)


def test_training_on_the_project_data_reproduces_the_bundled_model(tmp_path: Path) -> None:
    bundled = tagger.load()
    retrained = train(REPO / "data" / "labels", tmp_path / "model")
    texts = [block.text for _, _, block in tagger.read_page(SEED_PAGE).taggable()]
    texts += ["志愿者在卡口值守，查验行程码", "今天新增确诊病例五例", "物业公司为业主送菜上门"]
    assert retrained.labels_ == bundled.labels_
    np.testing.assert_allclose(
        retrained.predict_proba(texts), bundled.predict_proba(texts), rtol=0, atol=1e-12
    )
    assert retrained.predict(texts) == bundled.predict(texts)
    assert (
        tagger.load(tmp_path / "model").manifest_["training_data"]
        == bundled.manifest_["training_data"]
    )
