"""Speed and memory of tagger beside its peers: every figure of the speed table in one run.

    python benchmarks/speed.py [--quick]

In-process throughput on the real-news pool, the paths taking turns, median of 5 rounds:
tagger's predict_proba; the same scores with every passage vectorised from its own text (the
reference arithmetic); the naive design, jieba + scikit-learn Pipeline.predict; fastText
predict on rjieba tokens (a peer users would pick); rjieba.cut alone. Then `tagger tag DIR
--format jsonl -o OUT` on the pool written as pages, with 1 and 2 jobs (median of 3); cold
starts (fresh processes, median of 5); and the peak memory of the whole process tree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import tagger
from common import REPO, command_line, read_jsonl, shared_file
from tagger.serving import pool

SEED = REPO / "data" / "pages" / "henan-rural-daily-party-building-page.txt"
TAGGER = [sys.executable, "-m", "tagger"]
# Peak memory "as today" (issue 15: one job 112 MB, two jobs 241 MB in all, tagging 200 MB),
# with 5% for sampling: the code of that day measured 244 MB for two jobs by tree_peak_rss_mb.
MEMORY_ONE_JOB_MB, MEMORY_TWO_JOBS_MB = round(112 * 1.05), round(241 * 1.05)
TAGGER_PATH = "tagger predict_proba"
NAIVE = "naive jieba + scikit-learn Pipeline.predict"
FASTTEXT = "fastText predict, segmented with rjieba"
RJIEBA = "rjieba.cut alone"
Row = tuple[str, float, str, bool]


def seconds(command: list[str], **kwargs: Any) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - started


def median_seconds(command: list[str], runs: int = 5, **kwargs: Any) -> float:
    return statistics.median(seconds(command, **kwargs) for _ in range(runs))


def tree_peak_rss_mb(command: list[str], interval: float = 0.05) -> float:
    """Peak of the summed resident memory of a command and all its descendants, sampled.

    ``/usr/bin/time`` and RUSAGE_CHILDREN report the largest single process only, which
    hides the workers of ``--jobs 2``.
    """
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, sum(_rss_kb(pid) for pid in _tree(process.pid)))
        time.sleep(interval)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    return peak / 1024


def _tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # the process ended meanwhile
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return found


def _rss_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def write_pages(texts: list[str], folder: Path, per_page: int, copies: int = 1) -> int:
    """The paragraphs as pages of ``per_page`` paragraphs each; returns the bytes written."""
    folder.mkdir(parents=True, exist_ok=True)
    size = 0
    for copy in range(copies):
        for n in range(0, len(texts), per_page):
            body = "\n\n".join(texts[n : n + per_page]) + "\n"
            path = folder / f"page-{copy:04d}-{n:05d}.txt"
            path.write_text(body, "utf-8")
            size += len(body.encode("utf-8"))
    return size


def baseline_pipeline(folder: Path) -> Path:
    """The straightforward design: jieba + scikit-learn Pipeline, trained on data/labels."""
    # The tokenizer must live in an importable module for the pipeline to pickle.
    (folder / "baseline_tokens.py").write_text(
        "import logging\nimport jieba\njieba.setLogLevel(logging.WARNING)\n\n\n"
        "def cut(text):\n    return jieba.lcut(text)\n",
        "utf-8",
    )
    script = f"""
import joblib
from baseline_tokens import cut
from sklearn.pipeline import make_pipeline
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer
import tagger
data = tagger.load_dataset([{str(REPO / "data" / "labels")!r}])
y = MultiLabelBinarizer().fit_transform(data.label_lists)
pipe = make_pipeline(TfidfVectorizer(tokenizer=cut, token_pattern=None, ngram_range=(1, 2)),
                     OneVsRestClassifier(LogisticRegression(max_iter=1000)))
joblib.dump(pipe.fit(data.texts, y), {str(folder / "pipeline.joblib")!r})
"""
    subprocess.run([sys.executable, "-c", script], check=True, env=_with_path(folder))
    return folder / "pipeline.joblib"


def _with_path(folder: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(folder)}


def fasttext_predictor(folder: Path) -> Callable[[list[str]], object]:
    """fastText trained on data/labels (rjieba tokens, one-vs-all), predicting from raw text."""
    try:
        import fasttext  # the bench extra: pip install ".[bench]"
    except ImportError:
        raise SystemExit('fastText is missing: pip install ".[bench]"') from None
    import rjieba

    def line(text: str) -> str:
        return " ".join(rjieba.cut(text)).replace("\n", " ")

    data = tagger.load_dataset([str(REPO / "data" / "labels")])
    train = folder / "fasttext.txt"
    train.write_text(
        "".join(
            " ".join(f"__label__{label}" for label in labels or ["none"]) + f" {line(text)}\n"
            for text, labels in zip(data.texts, data.label_lists, strict=True)
        ),
        "utf-8",
    )
    model = fasttext.train_supervised(
        str(train), loss="ova", wordNgrams=2, minn=1, maxn=3, epoch=25, verbose=0
    )
    # The list form: fasttext-wheel's predict of a single string fails under numpy 2.
    return lambda texts: model.predict([line(text) for text in texts], k=-1, threshold=0.5)


def passages_from_scratch(model: tagger.Tagger) -> Callable[[list[str]], object]:
    """The reference arithmetic: every passage vectorised from its own text, then pooled."""
    linear = model._linear()

    def scores(texts: list[str]) -> object:
        units = [linear.units(text) for text in texts]
        sizes = np.array([len(u) for u in units])
        return pool(
            linear.unpooled_scores([u for group in units for u in group]), np.cumsum(sizes) - sizes
        )

    return scores


def in_process_rates(
    paths: dict[str, Callable[[list[str]], object]], texts: list[str], rounds: int
) -> dict[str, float]:
    """MB/s of each path on ``texts``, median of ``rounds``; the order turns each round."""
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    times: dict[str, list[float]] = {name: [] for name in paths}
    names = list(paths)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            started = time.perf_counter()
            paths[name](texts)
            times[name].append(time.perf_counter() - started)
    return {name: size / statistics.median(t) for name, t in times.items()}


def row(name: str, value: float, target: str) -> Row:
    """A figure beside its target (">= x" or "<= x")."""
    limit = float(target.split()[1])
    return name, value, target, value >= limit if target.startswith(">=") else value <= limit


def throughput(work: Path, texts: list[str], quick: bool) -> tuple[dict[str, float], list[Row]]:
    import joblib
    import rjieba

    sys.path.insert(0, str(work))  # the baseline's tokenizer module
    naive = joblib.load(baseline_pipeline(work))
    model = tagger.load()
    paths: dict[str, Callable[[list[str]], object]] = {
        TAGGER_PATH: model.predict_proba,
        "tagger, each passage from its own text (reference)": passages_from_scratch(model),
        NAIVE: naive.predict,
        FASTTEXT: fasttext_predictor(work),
        RJIEBA: lambda texts: [rjieba.cut(t) for t in texts],
    }
    for path in paths.values():
        path(texts[:50])  # warm: segmenter dictionaries, compiled tables
    rates = in_process_rates(paths, texts, rounds=3 if quick else 5)
    ours = rates[TAGGER_PATH]
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"\n# in process, the real-news pool ({size:.2f} MB, {len(texts)} paragraphs)")
    print("| path | MB/s | vs tagger |\n|---|---:|---:|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:.2f} | {rate / ours:.2f} |")
    return rates, [
        row("predict_proba / naive Pipeline.predict", ours / rates[NAIVE], ">= 5"),
        row("predict_proba / fastText + rjieba", ours / rates[FASTTEXT], ">= 1"),
        row("predict_proba / rjieba.cut alone", ours / rates[RJIEBA], ">= 0.3"),
    ]


def tag_throughput(work: Path, texts: list[str], naive: float, quick: bool) -> list[Row]:
    pages = work / "pages"
    size = write_pages(texts, pages, per_page=40, copies=2 if quick else 8) / 1e6
    tag = [*TAGGER, "tag", str(pages), "--format", "jsonl", "-o", str(work / "out.jsonl")]
    runs: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(2 if quick else 3):
        for jobs, times in runs.items():
            times.append(seconds([*tag, "--jobs", str(jobs)]))
    rate = {jobs: size / statistics.median(times) for jobs, times in runs.items()}
    print(f"\n# tagger tag DIR --format jsonl -o OUT, the pool as pages ({size:.1f} MB)")
    for jobs in runs:
        print(f"| --jobs {jobs} | {rate[jobs]:.2f} MB/s | {rate[jobs] / naive:.2f}x naive |")
    tag_breakdown(pages)
    return [
        row("tagger tag DIR, one job / naive Pipeline.predict", rate[1] / naive, ">= 4"),
        row("--jobs 2 speed-up over --jobs 1", rate[2] / rate[1], ">= 1.7"),
    ]


def tag_breakdown(pages: Path) -> None:
    """Where the time of `tagger tag` goes, in process: reading, scoring, records, JSON Lines."""
    from tagger.batch import tag_inputs
    from tagger.inputs import read_pages
    from tagger.output import jsonl_line

    model = tagger.load()
    paths = sorted(str(p) for p in pages.iterdir())
    started = time.perf_counter()
    texts = [block.text for page in read_pages(paths) for _, _, block in page.taggable()]
    read = time.perf_counter() - started
    started = time.perf_counter()
    model.predict_proba(texts)
    scoring = time.perf_counter() - started
    started = time.perf_counter()
    records = list(tag_inputs(paths, model))
    tagged = time.perf_counter() - started
    started = time.perf_counter()
    lines = [jsonl_line(record) for record in records]
    encoding = time.perf_counter() - started
    started = time.perf_counter()
    checked = [_checked_line(record) for record in records]
    encoding_checked = time.perf_counter() - started
    print(
        f"| in process, s | reading pages {read:.2f} | scoring {scoring:.2f} | reading, scoring "
        f"and records {tagged:.2f} | JSON Lines {encoding:.2f} ({len(records)} records; "
        f"{encoding_checked:.2f} with a check before str.translate, "
        f"{'same' if checked == lines else 'different'} output) |"
    )


def _checked_line(record: Any) -> str:
    """output.jsonl_line, translating only lines that hold one of the three separators."""
    from tagger.output import _LINE_BREAKS

    line = json.dumps(record.to_dict(), ensure_ascii=False)
    if "\u0085" in line or "\u2028" in line or "\u2029" in line:
        line = line.translate(_LINE_BREAKS)
    return line + "\n"


def cold_starts(work: Path) -> list[Row]:
    numpy = median_seconds([sys.executable, "-c", "import numpy"])
    cold = median_seconds([*TAGGER, "tag", str(SEED), "-f", "jsonl"])
    seed_texts = json.dumps(SEED.read_text("utf-8").split("\n\n"), ensure_ascii=False)
    load = f"import joblib; joblib.load({str(work / 'pipeline.joblib')!r})"
    naive = median_seconds(
        [sys.executable, "-c", f"{load}.predict({seed_texts})"], env=_with_path(work)
    )
    print(
        f"\n# cold start s: tagger tag seed {cold:.3f}, import numpy {numpy:.3f}, naive {naive:.3f}"
    )
    return [
        row("cold tag of the seed page / import numpy", cold / numpy, "<= 4"),
        row("naive cold start / tagger tag", naive / cold, ">= 4"),
    ]


def memory(work: Path, texts: list[str], quick: bool) -> list[Row]:
    per_copy = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    small, large = (20, 60) if quick else (50, 200)
    peaks = {}
    print()
    for size, jobs in [(small, 1), (large, 1), (large, 2)]:
        folder = work / f"archive-{size}"
        if not folder.exists():
            write_pages(texts, folder, per_page=40, copies=max(1, round(size / per_copy)))
        out = str(work / "out.jsonl")
        peaks[size, jobs] = tree_peak_rss_mb(
            [*TAGGER, "tag", str(folder), "-o", out, "-j", str(jobs)]
        )
        print(
            f"# peak RSS of the process tree, {jobs} job(s), {size} MB: {peaks[size, jobs]:.0f} MB"
        )
    return [
        row(f"peak RSS (MB), one job, {large} MB", peaks[large, 1], f"<= {MEMORY_ONE_JOB_MB}"),
        row(
            f"peak RSS (MB), two jobs in all, {large} MB",
            peaks[large, 2],
            f"<= {MEMORY_TWO_JOBS_MB}",
        ),
        row(
            f"peak RSS growth from {small} to {large} MB",
            peaks[large, 1] / peaks[small, 1],
            "<= 1.2",
        ),
    ]


def measure(quick: bool) -> list[Row]:
    texts = [item["text"] for item in read_jsonl(shared_file("real-news", "pool.jsonl"))]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rates, rows = throughput(work, texts, quick)
        rows += tag_throughput(work, texts, rates[NAIVE], quick)
        rows += cold_starts(work)
        rows += memory(work, texts, quick)
    return rows


def main() -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a fast look")
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])
    print(f"# {command_line()}")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    rows = measure(args.quick)
    print()
    for name, value, target, passed in rows:
        print(f"{name:<56}{value:>9.2f}  target {target:<7} {'PASS' if passed else 'FAIL'}")
    return rows


if __name__ == "__main__":
    main()
