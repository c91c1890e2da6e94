"""The walk-throughs in docs/ run, in order, and print what they say they print."""

import contextlib
import io
import re
from pathlib import Path

import pytest

from .support import REPO
from .test_readme import promised_output

DOCS = sorted((REPO / "docs").glob("*.md"))


def test_there_is_a_notebook_walk_through() -> None:
    assert REPO / "docs" / "notebook.md" in DOCS


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_doc_python_blocks(doc: Path) -> None:
    pytest.importorskip("pandas")
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text("utf-8"), flags=re.DOTALL)
    assert blocks, f"{doc.name} has no python examples"
    namespace: dict[str, object] = {}  # one namespace: a walk-through builds on its own steps
    for block in blocks:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(block, doc.name, "exec"), namespace)
        output = printed.getvalue().splitlines()
        for expected in promised_output(block):
            assert expected in output, (expected, output)
