"""Accuracy on real news nobody here wrote: ../shared/data/real-news/dev.jsonl.

Prints per-label precision, recall and F1, macro/micro F1 and exact-set accuracy for a model and
for the keyword baseline, side by side, from the same run. Then it retrains on data/labels with
three ``random_state`` values and prints each one's dev macro-F1 and their mean and spread: the
figure to judge a change by, since one seed's thresholds can be lucky.

    python benchmarks/real_news.py [--model DIR] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import tagger
from common import REPO, command_line, read_jsonl, shared_file
from tagger.keywords import keyword_labels
from tagger.metrics import indicator, scores_table


def evaluate_on_dev(model: tagger.Tagger, rows: list[dict[str, Any]]) -> dict[str, Any]:
    texts = [row["text"] for row in rows]
    gold = indicator([row["labels"] for row in rows], model.labels_)
    return {
        "model": scores_table(gold, indicator(model.predict(texts), model.labels_), model.labels_),
        "keywords": scores_table(
            gold, indicator(keyword_labels(texts, model.labels_), model.labels_), model.labels_
        ),
    }


def print_side_by_side(results: dict[str, Any], labels: list[str]) -> None:
    names = list(results)
    header = f"{'':<24}{'support':>8}" + "".join(f"{n + ' P':>12}{'R':>7}{'F1':>7}" for n in names)
    print(header)
    for label in labels:
        first = results[names[0]]["labels"][label]
        cells = "".join(
            f"{r['labels'][label]['precision']:>12.3f}{r['labels'][label]['recall']:>7.3f}"
            f"{r['labels'][label]['f1']:>7.3f}"
            for r in results.values()
        )
        print(f"{label:<24}{first['support']:>8}{cells}")
    for average in ("micro", "macro"):
        cells = "".join(
            f"{r[average]['precision']:>12.3f}{r[average]['recall']:>7.3f}{r[average]['f1']:>7.3f}"
            for r in results.values()
        )
        print(f"{average + ' avg':<24}{'':>8}{cells}")
    print(
        f"{'exact-set accuracy':<32}"
        + "".join(f"{r['exact_match']:>26.3f}" for r in results.values())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model directory (default: the bundled model)")
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="*",
        default=[0, 1, 2],
        help="random_state values to retrain on data/labels with (none: skip retraining)",
    )
    args = parser.parse_args()
    rows = read_jsonl(shared_file("real-news", "dev.jsonl"))
    model = tagger.load(args.model)
    results = evaluate_on_dev(model, rows)
    print(f"# {command_line()}")
    print(
        f"# {len(rows)} labelled real-news paragraphs; model {args.model or 'bundled'}, "
        f"trained on {model.manifest_.get('training_data', {}).get('n_paragraphs', '?')} paragraphs"
    )
    print_side_by_side(results, model.labels_)
    if args.seeds:
        print_seeds(rows, args.seeds)


def print_seeds(rows: list[dict[str, Any]], seeds: list[int]) -> None:
    dataset = tagger.load_dataset([REPO / "data" / "labels"])
    texts = [row["text"] for row in rows]
    print(f"\n# retrained on data/labels ({len(dataset.examples)} paragraphs), one row per seed")
    macros = []
    for seed in seeds:
        model = tagger.Tagger(random_state=seed).fit(
            dataset.texts, dataset.label_lists, labels=dataset.schema
        )
        gold = indicator([row["labels"] for row in rows], model.labels_)
        table = scores_table(gold, indicator(model.predict(texts), model.labels_), model.labels_)
        macros.append(table["macro"]["f1"])
        per_label = "  ".join(
            f"{lb.split('_')[0]} {table['labels'][lb]['f1']:.3f}" for lb in model.labels_
        )
        print(f"random_state={seed}: macro-F1 {macros[-1]:.3f}  ({per_label})")
    print(
        f"mean macro-F1 {np.mean(macros):.3f}, spread (max - min) {np.ptp(macros):.3f} "
        f"over random_state {seeds}"
    )


if __name__ == "__main__":
    main()
