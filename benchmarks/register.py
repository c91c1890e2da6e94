"""How far the training data is from real news: the register gap, in four figures.

- ROC-AUC of a classifier that tells ``data/labels/`` paragraphs from ``real-news/pool.jsonl``
  paragraphs (TF-IDF of tagger's own features, logistic regression, 5-fold cross-validated):
  0.5 means the two cannot be told apart, 1.0 means every paragraph gives itself away.
- the length distribution of both;
- label priors of the training data beside those of the labelled real-news sample (dev.jsonl);
- the share of the pool's word occurrences whose word is in the training vocabulary (words seen
  in at least two training paragraphs, as ``min_df=2`` keeps them).

    python benchmarks/register.py              # the working tree's data/labels
    python benchmarks/register.py --rev HEAD~3 # data/labels as committed at a revision
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections import Counter
from typing import Any

import numpy as np

from common import REPO, command_line, read_jsonl, shared_file
from tagger.features import FeatureSpec, analyze, identity
from tagger.text import tokenize

LABELS = (
    "checkpoint_duty",
    "nucleic_acid_testing",
    "publicity",
    "volunteer_service",
    "property_management",
)


def training_rows(rev: str | None) -> list[dict[str, Any]]:
    """Every labelled paragraph under data/labels, from the working tree or a git revision."""
    if rev is None:
        return [
            row
            for path in sorted((REPO / "data" / "labels").glob("*.jsonl"))
            for row in read_jsonl(path)
        ]
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", rev, "data/labels/"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    rows = []
    for name in sorted(n for n in names if n.endswith(".jsonl")):
        text = subprocess.run(
            ["git", "show", f"{rev}:{name}"], cwd=REPO, check=True, capture_output=True, text=True
        ).stdout
        rows.extend(json.loads(line) for line in text.splitlines() if line.strip())
    return rows


def separability(written: list[str], real: list[str], seed: int = 0) -> float:
    """Cross-validated ROC-AUC of telling written paragraphs (1) from real ones (0)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    spec = FeatureSpec()
    documents = [analyze(text, spec) for text in [*written, *real]]
    target = np.r_[np.ones(len(written)), np.zeros(len(real))]
    matrix = TfidfVectorizer(analyzer=identity, lowercase=False, min_df=2, sublinear_tf=True)
    features = matrix.fit_transform(documents)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    scores = cross_val_predict(
        LogisticRegression(C=10.0, class_weight="balanced", solver="liblinear"),
        features,
        target,
        cv=folds,
        method="decision_function",
    )
    return float(roc_auc_score(target, scores))


def coverage(written: list[str], real: list[str]) -> float:
    """Share of the real paragraphs' word occurrences whose word occurs in 2+ written ones."""
    document_frequency = Counter(word for text in written for word in set(tokenize(text)))
    known = {word for word, count in document_frequency.items() if count >= 2}
    occurrences = [word for text in real for word in tokenize(text)]
    return sum(word in known for word in occurrences) / max(len(occurrences), 1)


def length_line(name: str, texts: list[str]) -> str:
    lengths = np.array([len(text) for text in texts])
    deciles = np.percentile(lengths, [10, 25, 50, 75, 90]).astype(int)
    return (
        f"{name:<10}{len(texts):>7}{deciles[0]:>6}{deciles[1]:>6}{deciles[2]:>6}{deciles[3]:>6}"
        f"{deciles[4]:>6}{np.mean(lengths >= 136):>8.0%}{np.mean(lengths <= 40):>8.0%}"
    )


def priors_line(name: str, label_lists: list[list[str]]) -> str:
    n = len(label_lists)
    counts = Counter(label for labels in label_lists for label in labels)
    per_label = "".join(f"{counts[label] / n:>9.1%}" for label in LABELS)
    none = sum(1 for labels in label_lists if not labels) / n
    mean = sum(len(labels) for labels in label_lists) / n
    return f"{name:<10}{n:>7}{none:>9.0%}{mean:>8.2f}{per_label}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", help="read data/labels as committed at this git revision")
    args = parser.parse_args()
    pool = [row["text"] for row in read_jsonl(shared_file("real-news", "pool.jsonl"))]
    dev = read_jsonl(shared_file("real-news", "dev.jsonl"))
    rows = training_rows(args.rev)
    written = [row["text"] for row in rows]

    print(f"# {command_line()}")
    print(f"# data/labels{' at ' + args.rev if args.rev else ''}: {len(rows)} paragraphs")
    print(f"separability ROC-AUC (written vs pool, 5-fold CV): {separability(written, pool):.3f}")
    print(
        f"pool word occurrences covered by the training vocabulary: {coverage(written, pool):.1%}"
    )
    print()
    print(
        f"{'length':<10}{'n':>7}{'p10':>6}{'p25':>6}{'p50':>6}{'p75':>6}{'p90':>6}"
        f"{'>=136':>8}{'<=40':>8}"
    )
    print(length_line("training", written))
    print(length_line("pool", pool))
    print()
    short = "".join(f"{label.split('_')[0][:8]:>9}" for label in LABELS)
    print(f"{'priors':<10}{'n':>7}{'none':>9}{'mean':>8}{short}")
    print(priors_line("training", [row["labels"] for row in rows]))
    print(priors_line("dev", [row["labels"] for row in dev]))


if __name__ == "__main__":
    main()
