"""Every speed, scale and public-benchmark figure of the project, each with its target.

    python benchmarks/run_all.py [--quick]

Runs benchmarks/speed.py and benchmarks/thucnews.py in this process and prints one table with
PASS or FAIL per target. Accuracy on real news is in benchmarks/real_news.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import speed
import thucnews
from common import command_line


def collect(name: str, run: Callable[[], Sequence[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    print(f"\n## {name}")
    try:
        return list(run())
    except SystemExit as stop:  # a benchmark skips by exiting when ../shared is absent
        print(f"skipped ({stop})")
        return []


def main() -> int:
    print(f"# {command_line()}")
    quick = "--quick" in sys.argv[1:]
    rows = collect("speed and memory", lambda: speed.measure(quick))
    rows += collect("THUCNews headlines", thucnews.main)
    print("\n## summary")
    for name, value, target, passed in rows:
        print(f"{'PASS' if passed else 'FAIL'}  {name}: {value:.3f} (target {target})")
    failed = sum(not row[3] for row in rows)
    print(f"{len(rows) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
