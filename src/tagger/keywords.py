"""The keyword baseline: one regular expression of the obvious words per label.

It is what a careful researcher would try first, and the yardstick the model has to beat; it
knows nothing of context, so it fires on case counts, lifted measures and metaphors alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

KEYWORDS: dict[str, str] = {
    "checkpoint_duty": r"卡点|卡口|检查点|检查站|查验点|道口|值守|执勤|门岗|劝返|检疫站|体温检测点",
    "nucleic_acid_testing": r"核酸|采样|抗原检测|抗原自测|应检尽检|混检|筛查",
    "publicity": (
        r"宣传|宣讲|大喇叭|小喇叭|广播|标语|横幅|明白纸|倡议书|告知书|劝导|劝阻|辟谣|引导群众"
    ),
    "volunteer_service": r"志愿|红马甲|代购|送菜|送药|配送",
    "property_management": r"物业|业委会|业主委员会|楼院|小区党支部",
}

_COMPILED = {label: re.compile(pattern) for label, pattern in KEYWORDS.items()}


def keyword_labels(texts: Sequence[str], labels: Sequence[str] | None = None) -> list[list[str]]:
    """For each text, the labels (in ``labels`` order) whose expression matches it."""
    order = list(labels) if labels is not None else list(KEYWORDS)
    return [
        [lb for lb in order if lb in _COMPILED and _COMPILED[lb].search(text)] for text in texts
    ]
