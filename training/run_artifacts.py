"""What a run leaves behind: its folder, the resolved config, split, summary.json and text reports."""

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

from sklearn.metrics import classification_report, confusion_matrix

from datasets.csv_rows import write_csv
from utils.config_schema import HEAD_METRIC_NAMES

logger = logging.getLogger(__name__)

METRIC_NAMES = HEAD_METRIC_NAMES


def make_run_dir(runs_dir: str, experiment: str) -> Path:
    """`<runs_dir>/<experiment>/<YYYYmmdd-HHMMSS>/`, with a suffix if that second is taken."""
    base = Path(runs_dir) / experiment / datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir, suffix = base, 1
    while run_dir.exists():
        run_dir, suffix = base.with_name(f"{base.name}-{suffix}"), suffix + 1
    run_dir.mkdir(parents=True)
    return run_dir


def split_metrics(logged: dict[str, float], split: str) -> dict[str, Any]:
    """`{"val/gloss/accuracy": x, ...}` -> `{"gloss": {"accuracy": x, ...}}` for one split."""
    per_head: dict[str, dict[str, float]] = {}
    for key, value in logged.items():
        parts = key.split("/")
        if len(parts) == 3 and parts[0] == split and parts[2] in METRIC_NAMES:
            per_head.setdefault(parts[1], {})[parts[2]] = float(value)
    return per_head


def write_summary(run_dir: Path, summary: dict[str, Any]) -> Path:
    """`summary.json` in the run folder."""
    path = run_dir / "summary.json"
    path.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return path


def format_summary_lines(summary: dict[str, Any], splits: Iterable[str] = ("val", "test")) -> list[str]:
    """One line per split and head with its figures."""
    lines = []
    for split in splits:
        for head, figures in summary.get(split, {}).items():
            values = "  ".join(
                f"{name} {figures[name]:.4f}" if figures.get(name) is not None else f"{name} n/a"
                for name in METRIC_NAMES
            )
            lines.append(f"{split:<5} {head:<32} {values}")
    return lines


def write_text_reports(
    report_dir: Path, split: str, collected: dict[str, tuple[list[int], list[int]]], class_names: dict[str, list[str]]
) -> None:
    """Per head: a classification report and a confusion matrix (CSV, rows = true class)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    for head, (targets, predictions) in collected.items():
        if not targets:
            continue
        names = class_names[head]
        labels = list(range(len(names)))
        text = classification_report(targets, predictions, labels=labels, target_names=names, digits=4, zero_division=0)
        (report_dir / f"{split}_{head}_classification_report.txt").write_text(text, encoding="utf-8")
        matrix = confusion_matrix(targets, predictions, labels=labels)
        rows = [{"true": names[i]} | dict(zip(names, map(int, row))) for i, row in enumerate(matrix)]
        write_csv(rows, report_dir / f"{split}_{head}_confusion_matrix.csv")
