"""The README's Python examples run, and print what the README says they print."""

import contextlib
import io
import itertools
import re

import pytest

from .support import REPO

README = (REPO / "README.md").read_text("utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def promised_output(block: str) -> list[str]:
    """Comment lines right after a print(...) line: the output the README promises."""
    lines = block.splitlines()
    return [
        line.lstrip("# ").rstrip()
        for before, line in itertools.pairwise(lines)
        if before.startswith("print(") and line.startswith("# ")
    ]


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("block", BLOCKS)
def test_readme_python_block(block: str) -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(block, "README.md", "exec"), {})
    output = printed.getvalue().splitlines()
    for expected in promised_output(block):
        assert expected in output


def test_readme_sample_record_matches_the_bundled_model() -> None:
    import json

    import tagger

    sample = json.loads(re.search(r"```json\n(.*?)\n```", README, flags=re.DOTALL).group(1))
    page = tagger.read_page(REPO / sample["source"])
    (record,) = [r for r in tagger.load().tag_page(page) if r.index == sample["index"]]
    assert (record.start, record.end, record.labels) == (
        sample["start"],
        sample["end"],
        sample["labels"],
    )
    assert record.scores == sample["scores"]
