"""What a run leaves behind: its folder, the resolved config, split, summary.json and text reports."""

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

import numpy as np
from sklearn.metrics import classification_report

from datasets.csv_rows import write_csv
from utils.config_schema import HEAD_METRIC_NAMES

logger = logging.getLogger(__name__)


def make_run_dir(runs_dir: str, experiment: str) -> Path:
    """`<runs_dir>/<experiment>/<YYYYmmdd-HHMMSS>/`, with a suffix if that second is taken."""
    base = Path(runs_dir) / experiment / datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir, suffix = base, 1
    while run_dir.exists():
        run_dir, suffix = base.with_name(f"{base.name}-{suffix}"), suffix + 1
    run_dir.mkdir(parents=True)
    return run_dir


def write_summary(run_dir: Path, summary: dict[str, Any]) -> Path:
    """`summary.json` in the run folder."""
    path = run_dir / "summary.json"
    path.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return path


def format_summary_lines(summary: dict[str, Any], splits: Iterable[str] = ("val", "test")) -> list[str]:
    """One line per split and head with its figures (and its calibration error before -> after, when known)."""
    lines = []
    for split in splits:
        for head, figures in summary.get(split, {}).items():
            values = "  ".join(
                f"{name} {figures[name]:.4f}" if figures.get(name) is not None else f"{name} n/a"
                for name in HEAD_METRIC_NAMES
            )
            if figures.get("ece") is not None:
                values += f"  ece {figures['ece']:.4f} -> {figures['ece_calibrated']:.4f} calibrated"
            lines.append(f"{split:<5} {head:<32} {values}")
    return lines


def write_text_reports(
    report_dir: Path, prefix: str, outputs: tuple[np.ndarray, np.ndarray], counts: np.ndarray, names: list[str]
) -> None:
    """One head of one split (`prefix` = `<split>_<head>`), from its (targets, predicted ids) `[N]` and its
    confusion counts `[C, C]` (rows = true class): a classification report and the confusion matrix as CSV."""
    targets, predictions = outputs
    labels = list(range(len(names)))
    text = classification_report(targets, predictions, labels=labels, target_names=names, digits=4, zero_division=0)
    (report_dir / f"{prefix}_classification_report.txt").write_text(text, encoding="utf-8")
    rows = [{"true": names[i]} | dict(zip(names, map(int, row))) for i, row in enumerate(counts)]
    write_csv(rows, report_dir / f"{prefix}_confusion_matrix.csv")
