"""``tagger.checks.check_data`` and ``tagger check``: problems, doubts, suspected label errors."""

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tagger.checks
from tagger import Tagger
from tagger.checks import AGREEING, CheckReport, Issue, check_data, near_duplicates
from tagger.cli import app
from tagger.dataset import Example
from tagger.text import normalize

from .support import CHECKPOINT, PROPERTY, PUBLICITY, REPO, TESTING, TINY, VOLUNTEER

runner = CliRunner()

# More paragraphs beside TINY, so that models fitted on half of the set are sure of clear cases.
MORE = [
    ("镇里在各个路口设卡，值守人员轮班查验健康码。", [CHECKPOINT]),
    ("公路检查站的民警对过往车辆逐一登记，测量体温。", [CHECKPOINT]),
    ("党员干部在村口卡点值守，劝返外地车辆。", [CHECKPOINT]),
    ("火车站出口设置查验点，旅客须出示健康码和行程码。", [CHECKPOINT]),
    ("乡镇卡口二十四小时值守，对返乡人员登记行程。", [CHECKPOINT]),
    ("交警和医护人员在收费站卡点联合执勤，查验通行车辆。", [CHECKPOINT]),
    ("街道组织辖区居民进行核酸采样，做到应检尽检。", [TESTING]),
    ("医务人员连夜完成三万份核酸样本的检测。", [TESTING]),
    ("社区设立便民核酸采样点，方便居民就近检测。", [TESTING]),
    ("重点人群每周进行一次核酸检测，抗原自测作为补充。", [TESTING]),
    ("宣传车走街串巷，用广播宣传防疫政策。", [PUBLICITY]),
    ("网格员入户发放倡议书，宣讲科学防护知识。", [PUBLICITY]),
    ("县融媒体中心制作防疫宣传短视频，劝导群众少出门。", [PUBLICITY]),
    ("村干部用小喇叭喊话，提醒村民戴口罩勤洗手。", [PUBLICITY]),
    ("志愿者主动报名，为封控小区居民跑腿买药。", [VOLUNTEER]),
    ("巾帼志愿队为一线人员送去热腾腾的饭菜。", [VOLUNTEER]),
    ("志愿服务站为困难群众配送米面油等生活物资。", [VOLUNTEER]),
    ("退伍军人志愿者帮助孤寡老人代购药品。", [VOLUNTEER]),
    ("业主委员会与物业公司协商，改善小区环境卫生。", [PROPERTY]),
    ("物业管理处组织保洁人员清理小区楼道杂物。", [PROPERTY]),
    ("老旧小区引入专业物业，实现规范化管理。", [PROPERTY]),
    ("小区党支部牵头，物业和业委会共同议事。", [PROPERTY]),
    ("春耕生产有序开展，农民忙着播种施肥。", []),
    ("市委书记到医院调研救治工作。", []),
]
# Long enough that one changed character leaves 5-gram Jaccard similarity above 0.8.
LONG_TEXT = (
    "全县开展第二轮全员核酸检测，在各乡镇设置采样点二百个，医护人员和志愿者提前到岗，"
    "居民按照网格分批有序排队，保持一米间距，当天完成采样十二万人。"
)
# A clear checkpoint paragraph labelled only as property management.
FLIPPED = "路口设立卡点值守，卡口工作人员查验健康码和行程码，劝返外来车辆。"


def write_jsonl(path: Path, rows: Sequence[tuple[str, list[str]]]) -> Path:
    lines = [json.dumps({"text": t, "labels": lb}, ensure_ascii=False) for t, lb in rows]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.fixture()
def labelled(tmp_path: Path) -> Path:
    directory = tmp_path / "labels"
    directory.mkdir()
    schema = (REPO / "data" / "labels" / "schema.json").read_text("utf-8")
    (directory / "schema.json").write_text(schema, "utf-8")
    write_jsonl(directory / "a.jsonl", TINY + MORE)
    return directory


@pytest.fixture()
def flawed(labelled: Path) -> Path:
    """The clean set plus a file with a conflict, an unknown label and a flipped label."""
    first_text = TINY[0][0]
    write_jsonl(
        labelled / "b.jsonl",
        [
            (first_text, [PUBLICITY]),  # line 1: a.jsonl:1 says checkpoint_duty
            ("居民排队做核酸检测", ["nope"]),  # line 2
            (FLIPPED, [PROPERTY]),  # line 3
        ],
    )
    return labelled


def test_problems_are_errors_with_file_and_line(flawed: Path, saved_model: Path) -> None:
    report = check_data([flawed], saved_model, cv=2)
    b = flawed / "b.jsonl"
    by_kind = {issue.kind: issue for issue in report.errors}
    assert set(by_kind) == {"conflict", "unknown_label"}
    assert by_kind["conflict"].where == f"{b}:1"
    assert f"{flawed / 'a.jsonl'}:1" in by_kind["conflict"].message
    assert by_kind["unknown_label"].where == f"{b}:2"
    assert "unknown label 'nope'" in by_kind["unknown_label"].message
    assert report.exit_code == 1


def test_the_flipped_label_is_the_top_suspect(flawed: Path, saved_model: Path) -> None:
    report = check_data([flawed], saved_model, cv=2)
    top = report.suspects[:2]
    assert top, "expected suspected label errors"
    assert all(s.where == f"{flawed / 'b.jsonl'}:3" for s in top)
    assert {(s.label, s.gold) for s in top} <= {(CHECKPOINT, False), (PROPERTY, True)}
    suspect = top[0]
    assert suspect.disagreement == pytest.approx(
        1 - suspect.probability if suspect.gold else suspect.probability
    )
    assert suspect.disagreement > 0.9
    assert suspect.evidence.label == suspect.label
    assert suspect.evidence.probability == pytest.approx(suspect.probability)
    assert suspect.neighbour_share >= AGREEING and suspect.neighbours
    # Ranked by the weaker of the two witnesses against the label.
    strength = [min(s.disagreement, s.neighbour_share) for s in report.suspects]
    assert strength == sorted(strength, reverse=True)


def test_counts_and_co_occurrence(labelled: Path, saved_model: Path) -> None:
    write_jsonl(
        labelled / "c.jsonl", [("志愿者在卡点值守，为过往群众送水。", [CHECKPOINT, VOLUNTEER])]
    )
    counts = check_data([labelled], saved_model, cv=None).counts
    rows = [*TINY, *MORE]
    assert counts["paragraphs"] == len(rows) + 1
    assert counts["labels"][CHECKPOINT] == sum(CHECKPOINT in lb for _, lb in rows) + 1
    assert counts["no_label"] == sum(not lb for _, lb in rows)
    assert counts["co_occurrence"][CHECKPOINT][VOLUNTEER] == 1
    assert counts["co_occurrence"][VOLUNTEER][CHECKPOINT] == 1
    assert counts["co_occurrence"][TESTING][TESTING] == counts["labels"][TESTING]


def test_warnings_for_repeats_lengths_and_near_duplicates(
    labelled: Path, saved_model: Path
) -> None:
    write_jsonl(labelled / "b.jsonl", [(LONG_TEXT, [TESTING, VOLUNTEER])])
    write_jsonl(
        labelled / "c.jsonl",
        [
            (TINY[1][0], TINY[1][1]),  # line 1: repeats a.jsonl:2
            ("卡点值守", [CHECKPOINT]),
            ("核酸" * 600, [TESTING]),
            (LONG_TEXT.replace("二百", "三百"), [TESTING]),
        ],
    )
    report = check_data([labelled], saved_model, cv=None)
    c = labelled / "c.jsonl"
    kinds = {(issue.kind, issue.where) for issue in report.warnings}
    assert kinds == {
        ("duplicate", f"{c}:1"),
        ("short", f"{c}:2"),
        ("long", f"{c}:3"),
        ("near_duplicate", f"{c}:4"),
    }
    assert report.errors == () and report.exit_code == 0


def test_near_duplicates_are_only_reported_across_files() -> None:
    examples = [
        Example(LONG_TEXT, (TESTING,), "", "a.jsonl", 1),
        Example(LONG_TEXT.replace("二百", "三百"), (TESTING,), "", "a.jsonl", 2),
        Example(LONG_TEXT.replace("二百", "五百"), (), "", "b.jsonl", 1),
        Example("该县召开防汛工作会议，部署抢险救灾。", (), "", "b.jsonl", 2),
    ]
    issues = near_duplicates(examples)
    assert [(i.where, i.message.split(" (")[0]) for i in issues] == [
        ("b.jsonl:1", "nearly the same text as a.jsonl:1"),
        ("b.jsonl:1", "nearly the same text as a.jsonl:2"),
    ]
    assert "the labels differ" in issues[0].message


def test_unparsable_lines_are_errors_too(labelled: Path, saved_model: Path) -> None:
    (labelled / "c.jsonl").write_text('{"text": "x"\n["a list"]\n{"text": "  ", "labels": []}\n')
    report = check_data([labelled], saved_model, cv=None)
    c = labelled / "c.jsonl"
    assert [(i.kind, i.where) for i in report.errors] == [
        ("json", f"{c}:1"),
        ("json", f"{c}:2"),
        ("text", f"{c}:3"),
    ]


def test_report_json_round_trips_through_json(flawed: Path, saved_model: Path) -> None:
    report = check_data([flawed], saved_model, cv=2)
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert set(data) == {"files", "schema", "cv", "errors", "warnings", "counts", "suspects"}
    assert data["errors"][0] == report.errors[0].to_dict()
    assert data["suspects"][0]["evidence"]["label"] == data["suspects"][0]["label"]
    assert data["suspects"][0]["reason"] == report.suspects[0].reason
    assert data["suspects"][0]["neighbours"] == list(report.suspects[0].neighbours)


def test_issue_parse_reads_where_and_kind() -> None:
    issue = Issue.parse("/tmp/x y/a.jsonl:12: bad JSON (Expecting value at column 1)")
    assert (issue.kind, issue.where) == ("json", "/tmp/x y/a.jsonl:12")
    assert str(issue) == "/tmp/x y/a.jsonl:12: bad JSON (Expecting value at column 1)"
    assert Issue.parse("a.jsonl: something new").kind == "format"


def test_cli_check_exits_1_on_errors(flawed: Path, saved_model: Path) -> None:
    result = runner.invoke(app, ["check", str(flawed), "-m", str(saved_model), "--cv", "2"])
    assert result.exit_code == 1
    b = flawed / "b.jsonl"
    assert f"{b}:1: same text as" in result.stdout
    assert f"{b}:2: unknown label 'nope'" in result.stdout
    suspects = result.stdout.split("suspected label errors", 1)[1]
    assert f"1. {b}:3:" in suspects
    assert "2 errors" in result.stderr


def test_cli_check_on_clean_data_exits_0(labelled: Path, saved_model: Path) -> None:
    result = runner.invoke(
        app, ["check", str(labelled), "-m", str(saved_model), "--cv", "2", "-f", "json"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["errors"] == [] and data["counts"]["paragraphs"] == len(TINY) + len(MORE)


def test_a_report_without_errors_passes() -> None:
    report = CheckReport((), None, None, (), (Issue("short", "a:1", "short"),), (), {})
    assert report.exit_code == 0


# Hard negatives written for these tests, in groups of a kind, labelled as the guide says: words
# of a measure, but no epidemic measure carried out (floods, ended testing, property business).
HARD_NEGATIVES = [
    ("汛期到来，青年志愿者在大堤上搬运沙袋，协助巡堤查险。", []),
    ("暴雨过后，志愿者帮助受灾群众清理淤泥，搬运救灾物资。", []),
    ("防汛志愿服务队连夜加固河堤，为抢险人员送去热饭。", []),
    ("洪水退去后，党员志愿者挨家挨户帮助村民清扫房屋。", []),
    ("随着常态化核酸检测取消，街头的核酸采样点和核酸检测亭陆续撤除。", []),
    ("本市不再开展全员核酸检测，核酸采样点全部关闭。", []),
    ("核酸检测采样点撤销后，原核酸采样亭改造为便民服务站。", []),
    ("业主反映物业费上涨，要求物业公司公开物业管理收支账目。", []),
    ("因物业公司服务不到位，小区业主拒缴物业费引发纠纷。", []),
    ("物业公司股价今日大涨，物业服务企业板块整体走强。", []),
]
# The label each group's words tempt a model to give.
TEMPTING = [VOLUNTEER] * 4 + [TESTING] * 3 + [PROPERTY] * 3


@pytest.fixture()
def with_hard_negatives(labelled: Path) -> Path:
    write_jsonl(labelled / "hard.jsonl", HARD_NEGATIVES)
    return labelled


def sure_about_hard_negatives(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the out-of-fold model give every hard negative 0.99 for its tempting label."""
    real = tagger.checks.cross_validated

    def cross_validated(params, texts, gold, labels, cv):  # type: ignore[no-untyped-def]
        probabilities, thresholds, models = real(params, texts, gold, labels, cv)
        for (text, _), label in zip(HARD_NEGATIVES, TEMPTING, strict=True):
            probabilities[texts.index(text), labels.index(label)] = 0.99
        return probabilities, thresholds, models

    monkeypatch.setattr(tagger.checks, "cross_validated", cross_validated)


def test_hard_negatives_with_neighbours_like_them_are_not_suspects(
    with_hard_negatives: Path, saved_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sure_about_hard_negatives(monkeypatch)
    assert check_data([with_hard_negatives], saved_model, cv=2).suspects == ()
    # The model alone would flag all ten: their neighbours, the rest of each group, clear them.
    monkeypatch.setattr(tagger.checks, "AGREEING", 0.0)
    flagged = check_data([with_hard_negatives], saved_model, cv=2).suspects
    hard = with_hard_negatives / "hard.jsonl"
    assert {s.where for s in flagged} >= {f"{hard}:{n}" for n in range(1, 11)}


def test_a_clean_set_with_hard_negatives_shows_no_suspects(
    with_hard_negatives: Path, saved_model: Path
) -> None:
    report = check_data([with_hard_negatives], saved_model, cv=2)
    assert report.suspects == () and report.errors == ()


def test_a_flipped_label_among_hard_negatives_is_still_found(
    with_hard_negatives: Path, saved_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sure_about_hard_negatives(monkeypatch)
    write_jsonl(with_hard_negatives / "b.jsonl", [(FLIPPED, [PROPERTY])])
    report = check_data([with_hard_negatives], saved_model, cv=2)
    assert report.suspects, "expected the flipped label to be suspected"
    assert {s.where for s in report.suspects} == {f"{with_hard_negatives / 'b.jsonl'}:1"}
    for suspect in report.suspects:
        assert suspect.reason.startswith(
            f"labelled {PROPERTY}, but" if suspect.gold else f"not labelled {CHECKPOINT}, but"
        )
        assert f"of its 10 most similar paragraphs {'lack' if suspect.gold else 'carry'} it" in (
            suspect.reason
        )
        assert '"reviewed": true' in suspect.reason
        assert all(where in suspect.reason for where in suspect.neighbours)
        if not suspect.gold:
            # The words that argued for the checkpoint, taken from the paragraph itself.
            assert suspect.words and all(w in normalize(FLIPPED) for w in suspect.words)


def test_a_reviewed_paragraph_is_not_flagged_again(labelled: Path, saved_model: Path) -> None:
    b = labelled / "b.jsonl"
    write_jsonl(b, [(FLIPPED, [PROPERTY])])
    assert any(s.where == f"{b}:1" for s in check_data([labelled], saved_model, cv=2).suspects)
    record = {"text": FLIPPED, "labels": [PROPERTY], "source": "test", "reviewed": True}
    b.write_text(json.dumps(record, ensure_ascii=False) + "\n", "utf-8")
    report = check_data([labelled], saved_model, cv=2)
    assert not any(s.where == f"{b}:1" for s in report.suspects)
    assert report.counts["reviewed"] == 1 and report.errors == ()
    result = runner.invoke(app, ["check", str(labelled), "-m", str(saved_model), "--cv", "2"])
    assert "1 paragraphs marked reviewed are not searched" in result.stdout


def test_reviewed_must_be_true_or_false(labelled: Path, saved_model: Path) -> None:
    record = {"text": FLIPPED, "labels": [PROPERTY], "reviewed": "yes"}
    (labelled / "b.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", "utf-8")
    report = check_data([labelled], saved_model, cv=None)
    (issue,) = report.errors
    assert issue.where == f"{labelled / 'b.jsonl'}:1"
    assert issue.message == "'reviewed' must be true or false, found 'yes'"


def test_training_accepts_reviewed_paragraphs(labelled: Path) -> None:
    from tagger.dataset import load_dataset

    record = {"text": FLIPPED, "labels": [CHECKPOINT], "reviewed": True}
    (labelled / "b.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", "utf-8")
    dataset = load_dataset([labelled])
    assert [e.reviewed for e in dataset.examples].count(True) == 1
    assert Tagger(cv=2).fit(dataset.texts, dataset.label_lists).labels_


@pytest.mark.slow
def test_the_shipped_data_shows_few_suspects_each_with_evidence() -> None:
    # The project's own data, reviewed, is clean but full of hard negatives: few suspects.
    report = check_data([REPO / "data" / "labels"], cv=5)
    assert report.errors == ()
    assert len(report.suspects) <= 10, [s.where for s in report.suspects]
    for suspect in report.suspects:
        assert suspect.neighbours and suspect.where.startswith(str(REPO / "data" / "labels"))
        assert f"p={suspect.probability:.3f}" in suspect.reason
        assert all(where in suspect.reason for where in suspect.neighbours)
