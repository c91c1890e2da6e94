"""Short lines: a caption or headline that names a measure unambiguously gets its label.

A one-line caption gives the model a dozen features where a paragraph gives hundreds. These lines
were written for this test; none is in data/labels.
"""

from __future__ import annotations

import pytest

import tagger

from .support import CHECKPOINT, PROPERTY, PUBLICITY, TESTING, VOLUNTEER

SHORT_LINES = [
    ("图为工作人员在高速路口检查点查验过往司机的健康码。", CHECKPOINT),
    ("▲村口卡点，值守人员为返乡群众测温登记", CHECKPOINT),
    ("联合设卡严防输入 白水镇守牢南大门", CHECKPOINT),
    ("图为医护人员在社区采样点为居民采集咽拭子。", TESTING),
    ("我县启动第二轮全员核酸检测", TESTING),
    ("宣传车走村入户播放防疫知识（李明 摄）", PUBLICITY),
    ("图为网格员向群众发放疫情防控明白纸。", PUBLICITY),
    ("青年志愿者为隔离群众送菜上门", VOLUNTEER),
    ("图为党员志愿者在小区为独居老人配送生活物资。", VOLUNTEER),
    ("物业人员对进出小区的业主逐一测温登记", PROPERTY),
    ("红色物业：小区物业公司党支部带领员工守好家门", PROPERTY),
]

NOT_MEASURES = [
    "图为抗洪一线的青年突击队员在加固堤坝。",
    "我县召开2021年度经济工作会议",
    "图为县领导慰问一线医护人员。",
]


@pytest.fixture(scope="module")
def model() -> tagger.Tagger:
    return tagger.load()


@pytest.mark.parametrize(("line", "label"), SHORT_LINES, ids=[s[0] for s in SHORT_LINES])
def test_a_short_line_naming_a_measure_gets_its_label(
    model: tagger.Tagger, line: str, label: str
) -> None:
    assert label in model.predict([line])[0]


@pytest.mark.parametrize("line", NOT_MEASURES)
def test_a_short_line_naming_no_measure_gets_none(model: tagger.Tagger, line: str) -> None:
    assert model.predict([line])[0] == []
