"""Write a run's `report/` folder: per split and head the text report, confusion, PR/ROC, reliability; curves;
index.html.

Figures are drawn on `matplotlib.figure.Figure` objects and saved by the Agg canvas, so nothing here touches
pyplot's global state or needs a display.
"""

import logging
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from datasets.csv_rows import write_csv
from training.reports.confusion import confusion_counts, most_confused_pairs, plot_confusion_matrix
from training.reports.curves import best_step, plot_loss_curves, plot_metric_curves, read_fit_metrics
from training.reports.page import write_index
from training.reports.per_signer import write_signer_report
from training.reports.pr_roc import plot_pr_roc
from training.reports.reliability import plot_reliability
from training.reports.predictions import SplitPredictions, write_predictions_csv
from training.run_artifacts import write_text_reports
from utils.config import TrainConfig
from utils.config_schema import LoggingConfig

logger = logging.getLogger(__name__)


def save_figure(figure: Figure, path: Path) -> Path:
    """PNG at 100 dpi, cropped to what is drawn (legends placed beside the axes included)."""
    figure.savefig(path, dpi=100, bbox_inches="tight")
    return path


def write_split_report(
    report_dir: Path,
    split: str,
    predictions: SplitPredictions,
    class_names: dict[str, list[str]],
    settings: LoggingConfig,
) -> list[str]:
    """Report files of one split (`val`, `test`, ...); returns the heads that had labelled samples."""
    report_dir.mkdir(parents=True, exist_ok=True)
    labelled = {head: outputs.labelled() for head, outputs in predictions.heads.items()}
    labelled = {head: outputs for head, outputs in labelled.items() if len(outputs.targets)}
    write_predictions_csv(predictions, class_names, report_dir / f"{split}_predictions.csv")
    write_signer_report(report_dir, split, predictions)  # accuracy per signer: whom the model fails on
    for head, outputs in labelled.items():
        names, prefix = class_names[head], f"{split}_{head}"
        counts = confusion_counts(outputs.targets, outputs.predictions, len(names))
        write_text_reports(report_dir, prefix, (outputs.targets, outputs.predictions), counts, names)
        pairs = most_confused_pairs(counts, names, settings.most_confused_pairs)
        if pairs:
            write_csv(pairs, report_dir / f"{prefix}_confused_pairs.csv")
        if settings.figures and len(names) <= settings.confusion_matrix_max_classes:
            title = f"{split} · {head}: confusion matrix ({len(outputs.targets)} samples)"
            save_figure(plot_confusion_matrix(counts, names, title), report_dir / f"{prefix}_confusion_matrix.png")
        if settings.figures and len(names) <= settings.curves_max_classes:
            save_figure(plot_pr_roc(outputs, names, f"{split} · {head}"), report_dir / f"{prefix}_pr_roc.png")
        if settings.figures:  # one diagram per head: two lines and a histogram, readable at any class count
            reliability = plot_reliability(outputs, f"{split} · {head}: reliability")
            save_figure(reliability, report_dir / f"{prefix}_reliability.png")
    return list(labelled)


def write_curves(run_dir: Path, config: TrainConfig) -> None:
    """`curves_loss.png`, `curves_accuracy.png`, `curves_f1.png` from `metrics.csv` (absent under fast_dev_run)."""
    metrics = run_dir / "metrics.csv"
    if not config.logging.figures:
        return
    if not metrics.is_file():
        logger.info("no %s: no training curves", metrics)
        return
    frame = read_fit_metrics(metrics)
    best = best_step(frame, config.trainer.monitor, config.trainer.monitor_mode)
    report_dir = run_dir / "report"
    save_figure(plot_loss_curves(frame, best), report_dir / "curves_loss.png")
    save_figure(plot_metric_curves(frame, ("accuracy",), best), report_dir / "curves_accuracy.png")
    save_figure(plot_metric_curves(frame, ("f1_weighted", "f1_macro"), best), report_dir / "curves_f1.png")


def write_run_report(
    run_dir: Path,
    predictions: dict[str, SplitPredictions],
    class_names: dict[str, list[str]],
    config: TrainConfig,
    summary: dict[str, Any],
) -> Path:
    """The whole `report/` folder for the given splits; returns the path of `index.html`."""
    report_dir = run_dir / "report"
    heads = {
        split: write_split_report(report_dir, split, outputs, class_names, config.logging)
        for split, outputs in predictions.items()
    }
    write_curves(run_dir, config)
    index = write_index(report_dir, summary, heads, f"{config.general_parameters.experiment_name} / {run_dir.name}")
    logger.info("report: %s", index)
    return index
