"""The `report/` of a pre-training run: the loss curves, and (masked_landmarks) a validation clip with its hidden
joints and the model's reconstruction of them; `index.html` shows both with the run's figures."""

import html
import logging
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor

from models.skeleton_layouts import SkeletonLayout
from training.reports.curves import best_step, plot_loss_curves, read_fit_metrics
from training.reports.page import STYLE
from utils.config import TrainConfig

logger = logging.getLogger(__name__)

FRAMES_SHOWN = 4


def frames_to_show(present: np.ndarray, hidden: np.ndarray) -> list[int]:
    """Up to 4 frames, in order: two with some of their joints hidden and two hidden whole, those with most hidden
    joints first (bool `[T, J]` each)."""
    counts, detected = hidden.sum(1), present.sum(1)
    order = np.argsort(-counts, kind="stable")
    partly = [f for f in order if 0 < counts[f] < detected[f]][: FRAMES_SHOWN // 2]
    whole = [f for f in order if 0 < counts[f] == detected[f]]
    return sorted(partly + whole[: FRAMES_SHOWN - len(partly)]) or [0]


def draw_frame(axes: Axes, frame: dict[str, np.ndarray], edges: list[tuple[int, int]]) -> None:
    """One frame: `points`, `predicted` `[J, 3]`, `present`, `hidden` `[J]`."""
    points, predicted, present, gone = frame["points"], frame["predicted"], frame["present"], frame["hidden"]
    for a, b in edges:
        if present[a] and present[b]:
            axes.plot(*points[[a, b], :2].T, color="0.8", linewidth=1, zorder=1)
    axes.scatter(*points[present & ~gone, :2].T, s=8, color="0.45", label="seen", zorder=2)
    for start, end in zip(points[gone, :2], predicted[gone, :2]):
        axes.plot([start[0], end[0]], [start[1], end[1]], color="tab:red", linewidth=0.8, alpha=0.6, zorder=3)
    axes.scatter(*points[gone, :2].T, s=14, color="tab:green", label="hidden (true)", zorder=4)
    axes.scatter(*predicted[gone, :2].T, s=14, marker="x", color="tab:red", label="predicted", zorder=5)
    axes.invert_yaxis()  # image coordinates: y grows downwards
    axes.set_aspect("equal", adjustable="datalim")
    axes.set_xticks([])
    axes.set_yticks([])


def plot_reconstruction(example: dict[str, Tensor], layout: SkeletonLayout, title: str) -> Figure:
    """Frames of one clip (`frames_to_show`): the skeleton as the model saw it (grey), the hidden joints where they
    were (green) and where the model put them (red), linked by a line.

    `example`: `points`, `predicted` float `[T, J, 3]` (normalised), `present`, `hidden` bool `[T, J]`.
    """
    arrays = {name: tensor.numpy() for name, tensor in example.items()}
    chosen = frames_to_show(arrays["present"], arrays["hidden"])
    index = {name: i for i, name in enumerate(layout.joints)}
    edges = [(index[a], index[b]) for a, b in layout.edges]
    figure = Figure(figsize=(4 * len(chosen), 4.6), layout="constrained")
    panels = figure.subplots(1, len(chosen), squeeze=False)[0]
    for axes, frame in zip(panels, chosen):
        draw_frame(axes, {name: values[frame] for name, values in arrays.items()}, edges)
        hidden, detected = int(arrays["hidden"][frame].sum()), int(arrays["present"][frame].sum())
        axes.set_title(f"frame {frame}: {hidden} of {detected} joints hidden", fontsize=9)
    panels[0].legend(fontsize=7, loc="lower left")
    figure.suptitle(title, fontsize=10)
    return figure


def write_pretraining_report(
    run_dir: Path, config: TrainConfig, summary: dict[str, Any], example: dict[str, Any] | None
) -> Path:
    """`report/curves_loss.png`, `report/reconstruction.png` (given an example: `layout` and the tensors of
    `plot_reconstruction`) and `report/index.html`; returns the page's path."""
    report_dir = run_dir / "report"
    report_dir.mkdir(parents=True, exist_ok=True)
    metrics = run_dir / "metrics.csv"
    if config.logging.figures and metrics.is_file():
        frame = read_fit_metrics(metrics)
        best = best_step(frame, config.trainer.monitor, config.trainer.monitor_mode)
        plot_loss_curves(frame, best).savefig(report_dir / "curves_loss.png", dpi=100, bbox_inches="tight")
    if config.logging.figures and example is not None:
        title = f"{example['clip']}: hidden joints and their reconstruction (normalised coordinates)"
        figure = plot_reconstruction(example["tensors"], example["layout"], title)
        figure.savefig(report_dir / "reconstruction.png", dpi=100, bbox_inches="tight")
    return write_pretraining_index(report_dir, config, summary)


def write_pretraining_index(report_dir: Path, config: TrainConfig, summary: dict[str, Any]) -> Path:
    """The page: objective and its settings, the losses per split, the figures."""
    settings = summary.get("pre_training", {})
    losses = summary.get("total_loss", {})
    rows = "".join(
        f"<tr><th>{html.escape(split)}</th><td>{'n/a' if value is None else f'{value:.4f}'}</td></tr>"
        for split, value in losses.items()
    )
    figures = [
        f'<p><img src="{name}" alt="{name}"></p>'
        for name in ("curves_loss.png", "reconstruction.png")
        if (report_dir / name).is_file()
    ]
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>pre-training</title><style>{STYLE}</style>",
        f"</head><body><h1>{html.escape(config.general_parameters.experiment_name)}: pre-training</h1>",
        f"<p>Objective <code>{html.escape(str(settings.get('objective')))}</code>; settings"
        f" <code>{html.escape(str(settings.get('settings')))}</code>; epochs trained {summary.get('epochs_trained')};"
        f" clips {html.escape(str(summary.get('samples')))}; skipped clips {summary.get('skipped_samples')};"
        f" wall time {summary.get('wall_time_seconds')} s.</p>",
        f"<h2>Loss of the best checkpoint</h2><table>{rows}</table>",
        "<h2>Curves and reconstruction</h2>",
        *figures,
        "</body></html>",
    ]
    path = report_dir / "index.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    logger.info("report: %s", path)
    return path
