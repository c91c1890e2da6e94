"""The labelling loop end to end: suggest -> annotate in Label Studio -> import -> retrain."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tagger.cli_loop  # noqa: F401  (registers suggest and import on the app)
from tagger import load
from tagger.cli import app
from tagger.suggest import Suggestion, jaccard, model_version, shingles, spread, suggest
from tagger.text import normalize
from tagger.training import train

from .support import CHECKPOINT, PROPERTY, PUBLICITY, TESTING, TINY, VOLUNTEER

runner = CliRunner()

# New phrasings the tiny model has not seen, with the labels an annotator gives them. The
# tiny model misses most of them (checked below), so they are worth teaching.
TEACH = {
    "社区工作人员挨家挨户发放抗原试剂，指导居民自行采样。": [TESTING],
    "流动采样车开进偏远山村，为村民提供上门咽拭子采样服务。": [TESTING],
    "文艺队编排快板和顺口溜，在村头巷尾表演防疫内容。": [PUBLICITY],
    "乡镇干部开着宣传车走村串户，用方言讲解防护要点。": [PUBLICITY],
    "退休教师主动报名，每天帮楼里的孤寡老人买菜取药。": [VOLUNTEER],
    "业主委员会与保洁公司商定，每日对楼道和电梯按钮消毒两次。": [PROPERTY],
    "网格员守在楼栋入口，逐一查看出入证，外来车辆一律不得进入。": [CHECKPOINT],
    "市政府发布关于调整公交线路的通知，部分线路暂停运营。": [],
    "该镇今年小麦喜获丰收，亩产比去年提高一成。": [],
}
LABELLED_ALREADY = TINY[0][0]  # in the labelled data from the start: never to be suggested


def write_pages(directory: Path) -> Path:
    """Two pages of plain text: a title line, then one paragraph a line."""
    directory.mkdir()
    texts = list(TEACH)
    (directory / "county.txt").write_text(
        "县里的新办法\n\n" + "\n\n".join([*texts[:5], LABELLED_ALREADY]) + "\n", "utf-8"
    )
    # The first paragraph again: a paragraph repeated across pages is suggested once.
    (directory / "city.txt").write_text(
        "城里的新动态\n\n" + "\n\n".join([texts[0], *texts[5:]]) + "\n", "utf-8"
    )
    return directory


def annotate(tasks: list[dict[str, object]]) -> list[dict[str, object]]:
    """What an annotator's work looks like in a Label Studio JSON export."""
    exported = []
    for number, task in enumerate(tasks, 1):
        text = task["data"]["text"]  # type: ignore[index]
        choices = TEACH[text]
        result = [
            {
                "id": f"r{number}",
                "from_name": "labels",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": choices},
                "origin": "manual",
            }
        ]
        annotation = {
            "id": 1000 + number,
            "completed_by": 1,
            "result": result if choices else [],  # nothing ticked: none of the labels
            "was_cancelled": False,
            "ground_truth": False,
            "created_at": "2024-05-01T10:00:00.000000Z",
            "updated_at": "2024-05-01T10:00:00.000000Z",
            "lead_time": 7.5,
        }
        exported.append({"id": number, **task, "annotations": [annotation]})
    return exported


@pytest.mark.slow
def test_the_loop_teaches_the_model_what_it_got_wrong(tiny_data_dir: Path, tmp_path: Path) -> None:
    first_model, second_model = tmp_path / "model-1", tmp_path / "model-2"
    train(tiny_data_dir, first_model, cv=2)
    pages = write_pages(tmp_path / "pages")
    before = load(first_model).predict(list(TEACH))
    wrong = sum(got != want for got, want in zip(before, TEACH.values(), strict=True))
    assert wrong >= len(TEACH) // 2, "the pages should hold paragraphs the model gets wrong"

    tasks_file, config_file = tmp_path / "tasks.json", tmp_path / "config.xml"
    args = ["suggest", str(pages), "-n", "50", "--format", "labelstudio", "-o", str(tasks_file)]
    args += ["--config", str(config_file), "--model", str(first_model)]
    result = runner.invoke(app, [*args, "--labelled", str(tiny_data_dir)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"wrote {len(TEACH)} suggestions to {tasks_file}" in result.stderr
    tasks = json.loads(tasks_file.read_text("utf-8"))
    suggested = [task["data"]["text"] for task in tasks]
    assert sorted(suggested) == sorted(TEACH)  # each once; the labelled one never
    version = model_version(first_model)
    assert {task["predictions"][0]["model_version"] for task in tasks} == {version}

    export = tmp_path / "project-1-at-2024-05-01.json"
    export.write_text(json.dumps(annotate(tasks), ensure_ascii=False), "utf-8")
    imported = tiny_data_dir / "round-1.jsonl"
    args = ["import", str(export), "-o", str(imported), "--labelled", str(tiny_data_dir)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert f"imported {len(TEACH)} paragraphs" in result.stderr
    lines = [json.loads(line) for line in imported.read_text("utf-8").splitlines()]
    assert {line["text"]: line["labels"] for line in lines} == TEACH
    assert {line["source"] for line in lines} == {f"import:{export.name}"}

    train(tiny_data_dir, second_model, cv=2)
    assert load(second_model).predict(list(TEACH)) == list(TEACH.values())

    # Everything on the pages is labelled now, so there is nothing left to suggest.
    again = suggest([str(pages)], second_model, labelled_dir=tiny_data_dir)
    assert again == []


def test_suggestions_skip_labelled_and_excluded_paragraphs(
    saved_model: Path, tiny_data_dir: Path, tmp_path: Path
) -> None:
    pages = write_pages(tmp_path / "pages")
    excluded = list(TEACH)[1]
    found = suggest(
        [str(pages)], saved_model, labelled_dir=tiny_data_dir, exclude_texts=[" " + excluded]
    )
    texts = [s.text for s in found]
    assert LABELLED_ALREADY not in texts and excluded not in texts
    assert len(texts) == len(set(texts)) == len(TEACH) - 1
    margins = [s.margin for s in found]
    assert margins == sorted(margins)  # most informative first
    top = found[0]
    assert top.focus in top.scores and top.source.endswith(".txt")
    page = Path(top.source).read_text("utf-8")
    assert page[top.start : top.end] == top.text  # the location points at the paragraph
    # A missing labelled directory is no error: nothing is labelled yet.
    unlabelled = suggest([str(pages)], saved_model, labelled_dir=tmp_path / "none")
    assert len(unlabelled) == len(TEACH) + 1


WIRE = (
    "全县开展第三轮全员核酸检测，共设置采样点二百一十个，组织医务人员一千二百余名，"
    "累计采样三十万人次，各乡镇同步开展，采样工作有序进行，未发现阳性病例。"
)
# One wire story as three papers ran it, each with a small edit: near-duplicates.
NEAR_COPIES = [WIRE, WIRE.replace("三十万", "三十二万"), WIRE.replace("全县", "全区")]


def test_diverse_suggestions_hold_no_near_duplicates(saved_model: Path, tmp_path: Path) -> None:
    for a, b in itertools.combinations(NEAR_COPIES, 2):
        assert jaccard(shingles(a), shingles(b)) >= 0.7
    pages = tmp_path / "pages"
    pages.mkdir()
    for n, copy in enumerate(NEAR_COPIES):
        others = list(TEACH)[n * 3 : n * 3 + 3]
        (pages / f"wire-{n}.txt").write_text(
            f"转载稿件{n}\n\n" + "\n\n".join([copy, *others]) + "\n", "utf-8"
        )
    everything = suggest([str(pages)], saved_model, n=50, labelled_dir=None)
    assert sum(s.text in NEAR_COPIES for s in everything) == 3  # uncertainty keeps all copies
    diverse = suggest([str(pages)], saved_model, n=50, strategy="diverse", labelled_dir=None)
    assert sum(s.text in NEAR_COPIES for s in diverse) == 1
    for one, other in itertools.combinations(diverse, 2):
        assert jaccard(shingles(one.text), shingles(other.text)) < 0.7
    assert {s.source for s in diverse} == {str(p) for p in pages.iterdir()}


def fake(text: str, focus: str, source: str, margin: float) -> Suggestion:
    return Suggestion(text, [], {}, {}, "v", source, "", 0, 0, len(text), margin, focus)


def test_spread_takes_labels_in_turn_and_evens_out_sources() -> None:
    pool = sorted(
        [
            fake("甲一卡点值守查验", CHECKPOINT, "a.txt", 0.1),
            fake("甲二卡点登记测温", CHECKPOINT, "a.txt", 0.2),
            fake("乙一卡口劝返车辆", CHECKPOINT, "b.txt", 0.3),
            fake("甲三核酸采样排队", TESTING, "a.txt", 0.4),
            fake("乙二上门采集核酸", TESTING, "b.txt", 0.5),
        ],
        key=lambda s: s.margin,
    )
    picked = [s.text for s in spread(pool, 4, [CHECKPOINT, TESTING])]
    # Round 1: checkpoint's most uncertain, then testing's from the source not used yet (b).
    # Round 2: checkpoint from b (a has 1, b has 1: the most uncertain of the least used).
    assert picked == [
        "甲一卡点值守查验",
        "乙二上门采集核酸",
        "甲二卡点登记测温",
        "甲三核酸采样排队",
    ]


def test_suggest_cli_reports_unreadable_inputs_and_bad_options(
    saved_model: Path, tmp_path: Path
) -> None:
    page = tmp_path / "page.txt"
    page.write_text("标题\n\n" + "\n\n".join(TEACH) + "\n", "utf-8")
    out = tmp_path / "s.jsonl"
    args = ["suggest", str(page), str(tmp_path / "missing.txt"), "-m", str(saved_model)]
    result = runner.invoke(app, [*args, "-o", str(out), "-f", "jsonl", "-n", "3"])
    assert result.exit_code == 1
    assert f"{tmp_path / 'missing.txt'}: no such file or directory" in result.stderr
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(records) == 3 and {"text", "labels", "source"} <= records[0].keys()
    assert all(normalize(r["text"]) in {normalize(t) for t in TEACH} for r in records)

    bad = runner.invoke(app, [*args[:3], "-o", str(out), "-f", "doccano", "--config", "c.xml"])
    assert bad.exit_code == 1
    assert "--config writes a Label Studio config" in bad.stderr


@pytest.mark.parametrize("command", ["suggest", "import"])
def test_loop_commands_have_help_with_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: tagger " + command in result.stdout
