"""Which features and settings earn their keep: cross-validation on data/labels and the real-news
dev set, one row per configuration, printed as a Markdown table.

    python benchmarks/compare.py
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

import tagger
import tagger.text
from common import REPO, command_line, read_jsonl, shared_file
from tagger.metrics import indicator, scores_table

CONFIGS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("words 1-2 + chars 1-3, min_df=2 (default)", {}, {}),
    ("words 1-2 only", {"char_ngram_range": None}, {}),
    ("chars 1-3 only", {"word_ngram_range": None}, {}),
    ("words 1 + chars 2-4", {"word_ngram_range": (1, 1), "char_ngram_range": (2, 4)}, {}),
    ("default, no domain dictionary", {}, {"plain_dictionary": True}),
    ("default, no class weights", {"class_weight": None}, {}),
    ("default, thresholds fixed at 0.5", {}, {"fixed_threshold": 0.5}),
    ("default, pooling over sentences", {"pooling": "sentences"}, {}),
    ("default, no pooling", {"pooling": None}, {}),
    ("default, min_df=1", {"min_df": 1}, {}),
    ("default, C=1", {"C": 1.0}, {}),
    ("default, C=100", {"C": 100.0}, {}),
]


@contextlib.contextmanager
def plain_dictionary() -> Iterator[None]:
    """Segment with jieba's own dictionary only (no domain words), for one configuration."""
    import rjieba

    saved = tagger.text._cut
    tagger.text._cut = rjieba.Jieba().cut
    try:
        yield
    finally:
        tagger.text._cut = saved


def run(params: dict[str, Any], options: dict[str, Any], dataset: Any, dev: list[Any]) -> dict:
    with plain_dictionary() if options.get("plain_dictionary") else contextlib.nullcontext():
        started = time.perf_counter()
        model = tagger.Tagger(**params).fit(
            dataset.texts, dataset.label_lists, labels=dataset.schema
        )
        seconds = time.perf_counter() - started
        proba = model.predict_proba([row["text"] for row in dev])
    thresholds = options.get("fixed_threshold", model.thresholds_)
    gold = indicator([row["labels"] for row in dev], model.labels_)
    dev_scores = scores_table(gold, proba >= thresholds, model.labels_)
    cv = model.cv_metrics_
    if "fixed_threshold" in options:
        cv = {"macro": {"f1": float("nan")}}  # out-of-fold scores are only kept at tuned cuts
    return {"cv": cv, "dev": dev_scores, "seconds": seconds, "labels": model.labels_}


def main() -> None:
    dev = read_jsonl(shared_file("real-news", "dev.jsonl"))
    dataset = tagger.load_dataset([REPO / "data" / "labels"])
    print(
        f"<!-- {command_line()}: {len(dataset.examples)} training paragraphs, "
        f"{len(dev)} dev paragraphs -->"
    )
    rows = [(name, run(params, options, dataset, dev)) for name, params, options in CONFIGS]
    labels = rows[0][1]["labels"]
    short = {lb: lb.split("_")[0] for lb in labels}
    print(
        "| configuration | CV macro-F1 | dev macro-F1 | dev micro-F1 | "
        + " | ".join(f"dev {short[lb]}" for lb in labels)
        + " | fit s |"
    )
    print("|---|---:|---:|---:|" + "---:|" * len(labels) + "---:|")
    for name, result in rows:
        dev_scores = result["dev"]
        cv_macro = result["cv"]["macro"]["f1"]
        cells = " | ".join(f"{dev_scores['labels'][lb]['f1']:.3f}" for lb in labels)
        cv_text = "-" if np.isnan(cv_macro) else f"{cv_macro:.3f}"
        print(
            f"| {name} | {cv_text} | {dev_scores['macro']['f1']:.3f} | "
            f"{dev_scores['micro']['f1']:.3f} | {cells} | {result['seconds']:.1f} |"
        )


if __name__ == "__main__":
    main()
