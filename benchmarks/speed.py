"""Speed and memory of `tagger tag`, each figure beside the baseline it is measured against.

    python benchmarks/speed.py [--quick]

Throughput and parallel runs tag the real-news pool written out as pages in a temporary folder;
latency runs are cold processes, median of 5; memory is the peak RSS of one `tagger tag` run.
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
from pathlib import Path

from common import REPO, command_line, read_jsonl, shared_file

SEED = REPO / "data" / "pages" / "henan-rural-daily-party-building-page.txt"
TAGGER = [sys.executable, "-m", "tagger"]


def seconds(command: list[str], **kwargs: object) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - started


def median_seconds(command: list[str], runs: int = 5, **kwargs: object) -> float:
    return statistics.median(seconds(command, **kwargs) for _ in range(runs))


def peak_rss_mb(command: list[str]) -> float:
    """Peak RSS of one command, measured by a fresh parent whose only child it is.

    RUSAGE_CHILDREN keeps the largest child ever waited for, so measuring from this process
    would report the baseline's training run instead.
    """
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, *command], check=True, capture_output=True, text=True
    )
    return int(run.stdout.strip()) / 1024


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


def measure(quick: bool) -> list[tuple[str, float, str, bool]]:
    texts = [row["text"] for row in read_jsonl(shared_file("real-news", "pool.jsonl"))]
    rows: list[tuple[str, float, str, bool]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        copies = 2 if quick else 8
        size = write_pages(texts, work / "pages", per_page=40, copies=copies) / 1e6
        import rjieba

        everything = [t for _ in range(copies) for t in texts]
        started = time.perf_counter()
        for text in everything:
            rjieba.cut(text)
        segment_rate = size / (time.perf_counter() - started)
        tag_rate = size / seconds([*TAGGER, "tag", str(work / "pages"), "-f", "jsonl"])
        pipeline = baseline_pipeline(work)
        pool = str(shared_file("real-news", "pool.jsonl"))
        predict = (
            f"import joblib, json, time; pipe = joblib.load({str(pipeline)!r}); "
            f"texts = [json.loads(l)['text'] for l in open({pool!r})] * {copies}; "
            "t = time.perf_counter(); pipe.predict(texts); print(time.perf_counter() - t)"
        )
        run = subprocess.run(
            [sys.executable, "-c", predict],
            check=True,
            capture_output=True,
            text=True,
            env=_with_path(work),
        )
        baseline_rate = size / float(run.stdout.strip())
        rows.append(
            (
                "throughput vs rjieba segmentation alone",
                tag_rate / segment_rate,
                ">= 0.5",
                tag_rate / segment_rate >= 0.5,
            )
        )
        rows.append(
            (
                "throughput vs jieba + scikit-learn Pipeline.predict",
                tag_rate / baseline_rate,
                ">= 5",
                tag_rate / baseline_rate >= 5,
            )
        )
        print(
            f"# throughput MB/s: tagger tag {tag_rate:.2f}, rjieba.cut {segment_rate:.2f}, "
            f"baseline {baseline_rate:.2f} ({size:.1f} MB)"
        )

        numpy = median_seconds([sys.executable, "-c", "import numpy"])
        cold = median_seconds([*TAGGER, "tag", str(SEED), "-f", "jsonl"])
        seed_texts = json.dumps(SEED.read_text("utf-8").split("\n\n"), ensure_ascii=False)
        naive = median_seconds(
            [
                sys.executable,
                "-c",
                f"import joblib; joblib.load({str(pipeline)!r}).predict({seed_texts})",
            ],
            env=_with_path(work),
        )
        print(
            f"# cold start s: tagger tag seed {cold:.3f}, import numpy {numpy:.3f}, "
            f"baseline {naive:.3f}"
        )
        rows.append(
            ("cold tag of the seed page / import numpy", cold / numpy, "<= 4", cold / numpy <= 4)
        )
        rows.append(("baseline cold start / tagger tag", naive / cold, ">= 4", naive / cold >= 4))

        one = seconds([*TAGGER, "tag", str(work / "pages"), "-f", "jsonl", "--jobs", "1"])
        two = seconds([*TAGGER, "tag", str(work / "pages"), "-f", "jsonl", "--jobs", "2"])
        rows.append(("--jobs 2 speed-up over --jobs 1", one / two, ">= 1.7", one / two >= 1.7))

        peaks = []
        for target_mb in [20, 60] if quick else [50, 200]:
            folder = work / f"archive-{target_mb}"
            per_copy = sum(len(t.encode()) for t in texts) / 1e6
            write_pages(texts, folder, per_page=40, copies=max(1, round(target_mb / per_copy)))
            peaks.append(
                (
                    target_mb,
                    peak_rss_mb([*TAGGER, "tag", str(folder), "-o", str(work / "out.jsonl")]),
                )
            )
            print(f"# peak RSS tagging {target_mb} MB: {peaks[-1][1]:.0f} MB")
        largest = peaks[-1][1]
        rows.append(
            (f"peak RSS (MB) tagging a {peaks[-1][0]} MB folder", largest, "< 400", largest < 400)
        )
        growth = peaks[-1][1] / peaks[0][1]
        rows.append(
            (
                f"peak RSS growth from {peaks[0][0]} to {peaks[-1][0]} MB",
                growth,
                "<= 1.2",
                growth <= 1.2,
            )
        )
    return rows


def main() -> list[tuple[str, float, str, bool]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a fast look")
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])
    print(f"# {command_line()}")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    rows = measure(args.quick)
    for name, value, target, passed in rows:
        print(f"{name:<56}{value:>9.2f}  target {target:<7} {'PASS' if passed else 'FAIL'}")
    return rows


if __name__ == "__main__":
    main()
