"""The summary of a leave-signers-out cross-validation, from its folds' run folders: every fold's figures, their mean
and standard deviation per split and head, accuracy per test signer, and the test confusion summed over the folds.

Every clip is tested in exactly one fold, so the folds' test predictions together cover the corpus once: the pooled
accuracy and the summed confusion matrix are over all of them. The standard deviation is over folds (n - 1).

The baseline in the same summary: per fold and head, the majority class of the fold's training clips predicted for
every test clip (what a model that learnt nothing about the signs would score).
"""

import csv
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from datasets.annotations import ClipRecord
from datasets.csv_rows import write_csv
from datasets.signer_folds import Fold
from training.reports.confusion import plot_confusion_matrix
from training.reports.writer import save_figure

SPLITS = ("val", "test")


def majority_baseline(
    records: list[ClipRecord], fold: Fold, class_names: dict[str, list[str]]
) -> dict[str, dict[str, Any]]:
    """Per head: the most frequent class among the fold's labelled training clips and its test accuracy (a head
    without labelled training or test clips is left out)."""
    baseline = {}
    for head, names in class_names.items():
        train = Counter(records[i].labels.get(head, -1) for i in fold.train)
        train.pop(-1, None)
        test = [label for label in (records[i].labels.get(head, -1) for i in fold.test) if label >= 0]
        if train and test:
            majority = train.most_common(1)[0][0]
            baseline[head] = {"class": names[majority], "accuracy": round(test.count(majority) / len(test), 4)}
    return baseline


def fold_figures(fold: Fold, run_dir: Path, baseline: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One fold's entry of cv_summary.json, from its run's summary.json, with its majority baseline."""
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    return {
        "fold": fold.number,
        "run_dir": run_dir.name,
        "test_signers": fold.test_signers,
        "val_signers": fold.val_signers,
        "samples": summary.get("samples"),
        "epochs_trained": summary.get("epochs_trained"),
        "wall_time_seconds": summary.get("wall_time_seconds"),
        "majority_baseline": baseline,
    } | {split: summary.get(split, {}) for split in SPLITS}


def collect_test_predictions(cv_dir: Path, results: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Every fold's test predictions (`report/test_predictions.csv` of its run), each row with its fold."""
    rows = []
    for result in results:
        path = cv_dir / result["run_dir"] / "report" / "test_predictions.csv"
        with path.open(encoding="utf-8", newline="") as handle:
            rows += [row | {"fold": str(result["fold"])} for row in csv.DictReader(handle)]
    return rows


def spread(results: list[dict[str, Any]], part: str, head: str) -> tuple[dict[str, float], dict[str, float]]:
    """Mean and standard deviation over folds of each figure that every fold has for `head` in its `part` (a split,
    or `majority_baseline`)."""
    per_fold = [result[part].get(head) or {} for result in results]
    names = [name for name, value in per_fold[0].items() if isinstance(value, (int, float))]
    means, deviations = {}, {}
    for name in names:
        values = [figures.get(name) for figures in per_fold]
        if all(isinstance(value, (int, float)) for value in values):
            means[name] = round(statistics.fmean(values), 4)
            deviations[name] = round(statistics.stdev(values), 4) if len(values) > 1 else 0.0
    return means, deviations


def signer_rows(predictions: list[dict[str, str]], heads: list[str]) -> list[dict[str, object]]:
    """Per head and test signer: its fold, clips, correct and accuracy, the worst-recognised first."""
    rows = []
    for head in heads:
        counts: dict[tuple[str, str], list[int]] = {}
        for row in predictions:
            if row.get(f"{head}_true"):
                count = counts.setdefault((row.get("signer") or "?", row["fold"]), [0, 0])
                count[0] += 1
                count[1] += int(row[f"{head}_true"] == row[f"{head}_predicted"])
        ranked = sorted(counts.items(), key=lambda item: (item[1][1] / item[1][0], item[0]))
        rows += [
            {"head": head, "signer": signer, "fold": int(fold), "clips": n, "correct": k, "accuracy": round(k / n, 4)}
            for (signer, fold), (n, k) in ranked
        ]
    return rows


def confusion(predictions: list[dict[str, str]], head: str, names: list[str]) -> np.ndarray:
    """`[C, C]` test counts of `head` summed over the folds, rows = true class."""
    counts = np.zeros((len(names), len(names)), dtype=int)
    for row in predictions:
        if row.get(f"{head}_true"):
            counts[names.index(row[f"{head}_true"]), names.index(row[f"{head}_predicted"])] += 1
    return counts


def summarise_folds(
    results: list[dict[str, Any]], predictions: list[dict[str, str]], class_names: dict[str, list[str]]
) -> dict[str, Any]:
    """cv_summary.json: `folds` (each fold's figures), `mean` and `std` per split and head, `pooled` test accuracy
    over every clip, and `per_signer` test accuracy."""
    heads = list(class_names)
    summary: dict[str, Any] = {"folds": results, "mean": {}, "std": {}, "pooled": {"test": {}}}
    for split in SPLITS:
        for part in ("mean", "std"):
            summary[part][split] = {}
        for head in heads:
            summary["mean"][split][head], summary["std"][split][head] = spread(results, split, head)
    for head in heads:
        counts = confusion(predictions, head, class_names[head])
        clips = int(counts.sum())
        accuracy = round(float(np.trace(counts) / clips), 4) if clips else None
        summary["pooled"]["test"][head] = {"accuracy": accuracy, "clips": clips}
    summary["per_signer"] = {"test": signer_rows(predictions, heads)}
    summary["majority_baseline"] = {"test": baseline_spread(results, heads)}
    return summary


def baseline_spread(results: list[dict[str, Any]], heads: list[str]) -> dict[str, dict[str, float]]:
    """Per head: mean and standard deviation over folds of the majority baseline's test accuracy."""
    spreads = {}
    for head in heads:
        means, deviations = spread(results, "majority_baseline", head)
        if "accuracy" in means:
            spreads[head] = {"accuracy": means["accuracy"], "std": deviations["accuracy"]}
    return spreads


def figure_text(summary: dict[str, Any], split: str, head: str, name: str) -> str:
    """`0.9123 ± 0.0456` (or `n/a`)."""
    mean = summary["mean"][split][head].get(name)
    return "n/a" if mean is None else f"{mean:.4f} ± {summary['std'][split][head][name]:.4f}"


def baseline_text(summary: dict[str, Any], head: str) -> str:
    """The majority baseline's `mean ± std` test accuracy (or `n/a`)."""
    baseline = summary.get("majority_baseline", {}).get("test", {}).get(head)
    return "n/a" if baseline is None else f"{baseline['accuracy']:.4f} ± {baseline['std']:.4f}"


def markdown(summary: dict[str, Any], heads: list[str]) -> str:
    """cv_summary.md: per head, a table of the folds with mean ± std, then accuracy per test signer."""
    folds = summary["folds"]
    lines = [f"# Leave-signers-out cross-validation: {summary['experiment']}, {len(folds)} folds", ""]
    for head in heads:
        lines += [
            f"## {head}",
            "",
            "| fold | test signers | test clips | val accuracy | test accuracy | test weighted F1 | majority baseline "
            "| epochs |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for fold in folds:
            val, test = fold["val"].get(head) or {}, fold["test"].get(head) or {}
            lines.append(
                f"| {fold['fold']} | {', '.join(fold['test_signers'])} | {(fold['samples'] or {}).get('test', '')} "
                f"| {val.get('accuracy', float('nan')):.4f} | {test.get('accuracy', float('nan')):.4f} "
                f"| {test.get('f1_weighted', float('nan')):.4f} "
                f"| {(fold['majority_baseline'].get(head) or {}).get('accuracy', float('nan')):.4f} "
                f"| {fold['epochs_trained']} |"
            )
        pooled = summary["pooled"]["test"][head]
        lines += [
            f"| mean ± std | | | {figure_text(summary, 'val', head, 'accuracy')} "
            f"| {figure_text(summary, 'test', head, 'accuracy')} | {figure_text(summary, 'test', head, 'f1_weighted')}"
            f" | {baseline_text(summary, head)} | |",
            "",
            f"Pooled over all {pooled['clips']} test clips (each tested once): accuracy {pooled['accuracy']}.",
            "",
            "| test signer | fold | clips | accuracy |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {row['signer']} | {row['fold']} | {row['clips']} | {row['accuracy']:.4f} |"
            for row in summary["per_signer"]["test"]
            if row["head"] == head
        ]
        lines.append("")
    return "\n".join(lines)


def write_cv_summary(
    cv_dir: Path,
    summary: dict[str, Any],
    predictions: list[dict[str, str]],
    class_names: dict[str, list[str]],
    figures: bool,
) -> None:
    """cv_summary.json and .md, per_signer.csv and, per head, the summed test confusion matrix (CSV, and PNG when
    `figures`)."""
    (cv_dir / "cv_summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (cv_dir / "cv_summary.md").write_text(markdown(summary, list(class_names)), encoding="utf-8")
    write_csv(summary["per_signer"]["test"], cv_dir / "per_signer.csv")
    for head, names in class_names.items():
        counts = confusion(predictions, head, names)
        rows = [{"true": names[i]} | dict(zip(names, map(int, row))) for i, row in enumerate(counts)]
        write_csv(rows, cv_dir / f"test_{head}_confusion_matrix.csv")
        if figures:
            title = f"test · {head}: confusion over {len(summary['folds'])} folds ({int(counts.sum())} clips)"
            save_figure(plot_confusion_matrix(counts, names, title), cv_dir / f"test_{head}_confusion_matrix.png")


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """What train.py prints at the end: per split and head, mean ± std of accuracy and weighted F1; per head, the
    majority baseline's test accuracy."""
    lines = []
    for split in SPLITS:
        for head in summary["mean"][split]:
            accuracy, f1 = (figure_text(summary, split, head, name) for name in ("accuracy", "f1_weighted"))
            lines.append(
                f"cv {split:<5} {head:<24} accuracy {accuracy}  f1_weighted {f1}  ({len(summary['folds'])} folds)"
            )
    for head in summary["majority_baseline"]["test"]:
        lines.append(f"cv test  {head:<24} majority baseline accuracy {baseline_text(summary, head)}")
    return lines
