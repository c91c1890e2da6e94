"""tagger.distributed against a real two-process local cluster."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tagger
from tagger.errors import UsageError
from tagger.inputs import Skipped, read_pages

distributed = pytest.importorskip("distributed")

from tagger.distributed import _model, tag_files  # noqa: E402

PAGES = {
    "a-checkpoint.txt": "村口卡点昼夜值守\n\n村口设立卡点，专人值守，查验健康码和行程码。\n",
    "b-testing.md": "# 本地新闻\n\n## 全员核酸\n\n全镇设置采样点十个，居民有序排队做核酸。\n",
    "c-volunteers.txt": "志愿者在行动\n\n青年志愿者为居家老人送菜送药，帮助代购生活物资。\n",
    "d-publicity.txt": "大喇叭响起来\n\n村里的大喇叭每天循环播放防疫知识，引导群众不信谣。\n",
    "sub/e-property.txt": "红色物业\n\n物业公司组织人员对小区楼道消杀，物业人员坚守岗位。\n",
}
GBK_PAGE = "f-gbk.txt", "小区门岗\n\n小区门岗严格值守，外来人员一律登记测温后劝返。\n"
BINARY = "g-image.txt"


@pytest.fixture()
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _write_pages(root: Path) -> list[str]:
    for name, text in PAGES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")
    (root / GBK_PAGE[0]).write_bytes(GBK_PAGE[1].encode("gbk"))
    (root / BINARY).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    # A directory (walked in sorted order) plus one file named twice, so order matters.
    return [str(root), str(root / "a-checkpoint.txt")]


def _records(parts: list[Path]) -> list[dict[str, Any]]:
    return [json.loads(line) for p in parts for line in p.read_text("utf-8").splitlines()]


@pytest.mark.slow
def test_parts_concatenate_to_the_local_records(client: Any, tmp_path: Path) -> None:
    inputs = _write_pages(tmp_path / "pages")
    model = tagger.load()
    expected = [
        record.to_dict()
        for page in read_pages(inputs)
        if not isinstance(page, Skipped)
        for record in model.tag_page(page)
    ]
    # First by address with the default partitioning (2 per worker), then a smaller rerun into
    # the same directory, which must remove the now stale fourth part.
    first = tag_files(inputs, tmp_path / "out", scheduler=client.scheduler.address)
    assert len(first.parts) == 4
    assert _records(first.parts) == expected
    result = tag_files(inputs, tmp_path / "out", scheduler=client, partitions=3)

    assert [p.name for p in result.parts] == [f"part-0000{i}.jsonl" for i in range(3)]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [p.name for p in result.parts]
    got = _records(result.parts)
    assert got == expected
    assert str(Path(inputs[0]) / GBK_PAGE[0]) in {r["source"] for r in got}
    assert result.tagged_files == 7
    assert len(result.skipped) == 1
    assert result.skipped[0].startswith(f"{Path(inputs[0]) / BINARY}: ")


def test_no_default_client_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="scheduler="):
        tag_files([str(tmp_path)], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_stdin_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="stdin"):
        tag_files(["-"], tmp_path / "out")


@pytest.mark.slow
def test_the_cli_engine_dask_writes_the_local_records(client: Any, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tagger.cli import app

    inputs = _write_pages(tmp_path / "pages")
    runner = CliRunner()
    local = runner.invoke(app, ["tag", *inputs, "-f", "jsonl"])
    remote = runner.invoke(
        app,
        [
            "tag",
            *inputs,
            "--engine",
            "dask",
            "--scheduler",
            client.scheduler.address,
            "-o",
            str(tmp_path / "out"),
        ],
    )
    assert local.exit_code == remote.exit_code == 1  # the binary page is skipped by both
    parts = sorted((tmp_path / "out").glob("part-*.jsonl"))
    assert "".join(p.read_text("utf-8") for p in parts) == local.stdout
    assert remote.stderr.rstrip().endswith("tagged 7 files, skipped 1")


@pytest.mark.slow
def test_workers_load_a_replaced_model_afresh(
    client: Any,
    trained: tagger.Tagger,
    tiny_texts: list[str],
    tiny_labels: list[list[str]],
    tmp_path: Path,
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.txt").write_text(PAGES["a-checkpoint.txt"], "utf-8")
    model = tmp_path / "model"
    trained.save(str(model))
    first = tag_files([str(pages)], tmp_path / "out", scheduler=client, model=model)
    before = _records(first.parts)
    client.run(_model, str(model))  # every worker holds the model now, not only the one used
    # tagger train into the same directory: a model that scores every paragraph differently.
    tagger.Tagger(cv=2, C=0.01).fit(tiny_texts, tiny_labels).save(str(model))
    second = tag_files([str(pages)], tmp_path / "out", scheduler=client, model=model)
    after = _records(second.parts)
    expected = [r.to_dict() for r in tagger.load(model).tag_page(tagger.read_page(pages / "a.txt"))]
    assert [r["scores"] for r in after] == [r["scores"] for r in expected]
    assert [r["scores"] for r in after] != [r["scores"] for r in before]


@pytest.mark.slow
def test_a_huge_page_counts_as_one_file(
    client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tagger import inputs

    monkeypatch.setattr(inputs, "LARGE_PAGE_BYTES", 1000)  # in this process: read in parts
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "huge.txt").write_text(
        "\n\n".join(f"第{n}段：村口设立卡点，专人值守。" for n in range(200)), "utf-8"
    )
    # The workers' own setting decides how they read; set it there too.
    client.run(lambda: setattr(inputs, "LARGE_PAGE_BYTES", 1000))
    result = tag_files([str(pages)], tmp_path / "out", scheduler=client)
    assert len(_records(result.parts)) == 200
    assert result.tagged_files == 1
