"""Per-class precision-recall and ROC curves of one head (one-vs-rest on the predicted probabilities)."""

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.metrics import PrecisionRecallDisplay, RocCurveDisplay

from training.reports.predictions import HeadPredictions


def _colours(count: int) -> list[tuple[float, ...]]:
    """Distinct colours for up to 60 classes (tab20, then tab20b and tab20c)."""
    palette = [matplotlib.colormaps[name](i) for name in ("tab20", "tab20b", "tab20c") for i in range(20)]
    return [palette[i % len(palette)] for i in range(count)]


def _mean(values: list[float]) -> str:
    return f"{sum(values) / len(values):.3f}" if values else "n/a"


def _draw_classes(outputs: HeadPredictions, names: list[str], precision_axes: Axes, roc_axes: Axes) -> tuple:
    """One PR and one ROC line per class; returns (classes left out, average precisions, AUCs)."""
    colours = _colours(len(names))
    skipped, precisions, areas = 0, [], []
    for index, name in enumerate(names):
        positive = outputs.targets == index
        if positive.all() or not positive.any():
            skipped += 1
            continue
        style = {"color": colours[index], "linewidth": 1.2}
        scores = outputs.probabilities[:, index]
        pr = PrecisionRecallDisplay.from_predictions(positive, scores, name=name, ax=precision_axes, curve_kwargs=style)
        roc = RocCurveDisplay.from_predictions(positive, scores, name=name, ax=roc_axes, curve_kwargs=style)
        precisions.append(pr.average_precision)
        areas.append(roc.roc_auc)
    return skipped, precisions, areas


def plot_pr_roc(outputs: HeadPredictions, names: list[str], title: str) -> Figure:
    """Two panels: precision-recall (legend: average precision) and ROC (legend: AUC), one line per class;
    the panel titles give the mean over the classes drawn.

    `outputs` holds labelled samples only. A class with no sample (or only samples) of its own in the split
    has no curve; the title says how many were left out.
    """
    figure = Figure(figsize=(15, 6.5), layout="constrained")
    precision_axes, roc_axes = figure.subplots(1, 2)
    skipped, precisions, areas = _draw_classes(outputs, names, precision_axes, roc_axes)
    roc_axes.plot([0, 1], [0, 1], linestyle=":", color="grey", linewidth=1)
    panels = (
        (precision_axes, f"precision-recall (mean AP {_mean(precisions)})", "recall", "precision"),
        (roc_axes, f"ROC (mean AUC {_mean(areas)})", "false positive rate", "true positive rate"),
    )
    for axes, label, x_label, y_label in panels:
        axes.set_title(f"{label}, one-vs-rest per class")
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        axes.set_xlim(-0.02, 1.02)
        axes.set_ylim(-0.02, 1.02)
        if axes.get_legend_handles_labels()[0]:
            axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    left_out = f" ({skipped} classes without both positive and negative samples left out)" if skipped else ""
    figure.suptitle(f"{title}{left_out}")
    return figure
