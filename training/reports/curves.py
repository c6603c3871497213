"""Training curves from a run's `metrics.csv`: losses and learning rate, then accuracy and F1 per head."""

from pathlib import Path
from typing import Optional

import matplotlib
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def read_fit_metrics(path: Path) -> pd.DataFrame:
    """The rows of `metrics.csv` logged while fitting.

    The rows logged after the last training epoch (the best checkpoint evaluated again, a test) are left
    out: they are not points of the curves, and summary.json holds their figures.
    """
    frame = pd.read_csv(path)
    if "train/loss_epoch" in frame:
        frame = frame[frame["epoch"] <= frame.loc[frame["train/loss_epoch"].notna(), "epoch"].max()]
    return frame


def heads_in(frame: pd.DataFrame) -> list[str]:
    """Head names found in `val/<head>/<metric>` columns, in column order."""
    parts = [column.split("/") for column in frame.columns]
    return list(dict.fromkeys(p[1] for p in parts if len(p) == 3 and p[0] == "val"))


def best_step(frame: pd.DataFrame, monitor: str, mode: str) -> Optional[int]:
    """The step at which the monitored metric was best (the best checkpoint), if it was logged."""
    if monitor not in frame or frame[monitor].notna().sum() == 0:
        return None
    values = frame[monitor]
    return int(frame.loc[values.idxmin() if mode == "min" else values.idxmax(), "step"])


def _plot(axes: Axes, frame: pd.DataFrame, column: str, **style) -> None:
    if column in frame:
        rows = frame[frame[column].notna()]
        axes.plot(rows["step"], rows[column], **style)


def _finish(axes: Axes, title: str, best: Optional[int], legend_outside: bool = False) -> None:
    if best is not None:
        axes.axvline(best, color="grey", linestyle=":", linewidth=1, label="best checkpoint")
    axes.set_title(title)
    axes.set_xlabel("optimizer step")
    axes.grid(alpha=0.3)
    if legend_outside:
        axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    else:
        axes.legend(fontsize=7)


def _head_colours(heads: list[str]) -> dict[str, tuple[float, ...]]:
    palette = matplotlib.colormaps["tab20" if len(heads) > 10 else "tab10"]
    return {head: palette(i % palette.N) for i, head in enumerate(heads)}


def plot_loss_curves(frame: pd.DataFrame, best: Optional[int] = None) -> Figure:
    """Total loss (train per step and per epoch, validation per epoch), per-head losses, learning rate."""
    figure = Figure(figsize=(17, 4.8), layout="constrained")
    total, per_head, rate = figure.subplots(1, 3)
    _plot(total, frame, "train/loss_step", color="tab:blue", alpha=0.35, linewidth=1, label="train (step)")
    _plot(total, frame, "train/loss_epoch", color="tab:blue", marker="o", label="train (epoch mean)")
    _plot(total, frame, "val/loss", color="tab:red", marker="o", label="validation")
    _finish(total, "weighted total loss", best)
    heads = heads_in(frame)
    for head, colour in _head_colours(heads).items():
        _plot(per_head, frame, f"val/{head}/loss", color=colour, marker="o", markersize=3, label=head)
        _plot(per_head, frame, f"train/{head}/loss", color=colour, linestyle="--", linewidth=1)
    _finish(per_head, "loss per head (solid: validation, dashed: train)", best, legend_outside=True)
    _plot(rate, frame, "train/lr", color="tab:green", label="learning rate")
    _finish(rate, "learning rate", best)
    return figure


def plot_metric_curves(frame: pd.DataFrame, metrics: tuple[str, ...], best: Optional[int] = None) -> Figure:
    """One panel per metric (e.g. accuracy, or f1_weighted and f1_macro): validation value per head."""
    figure = Figure(figsize=(7.5 * len(metrics) + 2.5, 4.8), layout="constrained")
    panels = figure.subplots(1, len(metrics), squeeze=False)[0]
    colours = _head_colours(heads_in(frame))
    for axes, metric in zip(panels, metrics):
        for head, colour in colours.items():
            _plot(axes, frame, f"val/{head}/{metric}", color=colour, marker="o", markersize=3, label=head)
        axes.set_ylim(-0.02, 1.02)
        _finish(axes, f"validation {metric} per head", best, legend_outside=axes is panels[-1])
    return figure
