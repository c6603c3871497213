"""`report/index.html`: one page with the run's figures, linking every report file."""

import csv
import html
from pathlib import Path
from typing import Any

from training.calibration import ECE_NAMES
from utils.config_schema import HEAD_METRIC_NAMES

STYLE = (
    "body{font-family:sans-serif;max-width:1400px;margin:auto;padding:1em}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
    "img{max-width:100%;border:1px solid #eee}pre{background:#f6f6f6;padding:.5em;overflow-x:auto}"
)


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>(none)</p>"
    header = "".join(f"<th>{html.escape(str(key))}</th>" for key in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(value))}</td>" for value in row.values()) + "</tr>" for row in rows
    )
    return f"<table><tr>{header}</tr>{body}</table>"


def _figure(report_dir: Path, name: str) -> str:
    return f'<p><a href="{name}"><img src="{name}" alt="{name}"></a></p>' if (report_dir / name).is_file() else ""


def _links(report_dir: Path, prefix: str) -> str:
    names = sorted(path.name for path in report_dir.glob(f"{prefix}_*") if path.suffix in (".txt", ".csv", ".png"))
    return " · ".join(f'<a href="{name}">{name}</a>' for name in names)


def _summary_rows(summary: dict[str, Any], split: str) -> list[dict[str, Any]]:
    rows = []
    temperatures = summary.get("calibration", {}).get("temperatures", {})
    for head, figures in summary.get(split, {}).items():
        names = [*HEAD_METRIC_NAMES, *(name for name in ECE_NAMES if name in figures)]
        values = {name: "n/a" if figures.get(name) is None else f"{figures[name]:.4f}" for name in names}
        calibration = {"temperature": f"{temperatures[head]:.3f}"} if head in temperatures else {}
        rows.append({"head": head} | values | calibration)
    return rows


def _head_section(report_dir: Path, split: str, head: str) -> str:
    prefix = f"{split}_{head}"
    parts = [f"<h3>{html.escape(split)} · {html.escape(head)}</h3>", f"<p>{_links(report_dir, prefix)}</p>"]
    report = report_dir / f"{prefix}_classification_report.txt"
    if report.is_file():
        parts.append(f"<pre>{html.escape(report.read_text(encoding='utf-8'))}</pre>")
    matrix = _figure(report_dir, f"{prefix}_confusion_matrix.png")
    pairs = report_dir / f"{prefix}_confused_pairs.csv"
    if matrix:
        parts.append(matrix)
    elif pairs.is_file():
        with pairs.open(encoding="utf-8") as handle:
            parts.append(
                "<p>Most confused pairs (too many classes for a matrix):</p>" + _table(list(csv.DictReader(handle)))
            )
    parts.append(_figure(report_dir, f"{prefix}_pr_roc.png"))
    parts.append(_figure(report_dir, f"{prefix}_reliability.png"))
    return "\n".join(parts)


def write_index(report_dir: Path, summary: dict[str, Any], heads_by_split: dict[str, list[str]], title: str) -> Path:
    """Summary tables, training curves, then per split and head: report, confusion, PR/ROC, reliability and file
    links."""
    monitor = summary.get("monitor", {})
    samples = ", ".join(f"{count} {split}" for split, count in summary.get("samples", {}).items())
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
        f"<p>Best checkpoint chosen on <code>{html.escape(str(monitor.get('monitor')))}</code>"
        f" ({html.escape(str(monitor.get('mode')))}); best value {html.escape(str(monitor.get('best_score')))};"
        f" epochs trained {summary.get('epochs_trained')}; clips: {html.escape(samples)};"
        f" wall time {summary.get('wall_time_seconds')} s.</p>",
    ]
    for split in heads_by_split:
        parts += [
            f"<h2>{html.escape(split)} figures of the best checkpoint</h2>",
            _table(_summary_rows(summary, split)),
        ]
    parts.append("<h2>Training curves</h2>")
    parts += [_figure(report_dir, f"curves_{name}.png") for name in ("loss", "accuracy", "f1")]
    for split, heads in heads_by_split.items():
        parts.append(f"<h2>{html.escape(split)} split, per head</h2>")
        parts.append(
            f'<p>Every clip with its predictions: <a href="{split}_predictions.csv">{split}_predictions.csv</a></p>'
        )
        parts += [_head_section(report_dir, split, head) for head in heads]
    parts.append("</body></html>")
    path = report_dir / "index.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
