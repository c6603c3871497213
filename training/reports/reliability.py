"""Reliability diagram of one head: accuracy against confidence, before and after temperature scaling."""

import numpy as np
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve

from training.calibration import ECE_BINS

COLOURS = {"before": "tab:red", "after": "tab:blue"}


def _top_label(probabilities: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """probabilities `[N, C]`, targets `[N]` -> (was the best class right `[N]` bool, its probability `[N]`)."""
    return probabilities.argmax(axis=1) == targets, probabilities.max(axis=1)


def plot_reliability(
    targets: np.ndarray,
    probabilities: dict[str, np.ndarray],
    eces: dict[str, float],
    title: str,
) -> Figure:
    """Two panels over `ECE_BINS` equal-width confidence bins: accuracy per bin against the bin's mean confidence
    (on the diagonal = calibrated; below = over-confident), and how many samples fall in each bin.

    targets int `[N]` (labelled samples only); probabilities {"before"|"after": float `[N, C]`}; eces the same keys.
    """
    figure = Figure(figsize=(6.5, 7), layout="constrained")
    curve_axes, count_axes = figure.subplots(2, 1, height_ratios=(3, 1), sharex=True)
    curve_axes.plot([0, 1], [0, 1], linestyle=":", color="grey", linewidth=1, label="perfectly calibrated")
    edges = np.linspace(0.0, 1.0, ECE_BINS + 1)
    for name, values in probabilities.items():
        correct, confidence = _top_label(values, targets)
        accuracy, mean_confidence = calibration_curve(correct, confidence, n_bins=ECE_BINS, strategy="uniform")
        label = f"{name} temperature scaling (ECE {eces[name]:.4f})"
        curve_axes.plot(mean_confidence, accuracy, marker="o", color=COLOURS.get(name), label=label)
        count_axes.hist(confidence, bins=edges, histtype="step", color=COLOURS.get(name), linewidth=1.5, label=name)
    curve_axes.set_ylabel("accuracy in the bin")
    curve_axes.set_xlim(-0.02, 1.02)
    curve_axes.set_ylim(-0.02, 1.02)
    curve_axes.legend(loc="upper left", fontsize=8)
    count_axes.set_yscale("log")
    count_axes.set_xlabel(f"confidence (probability of the predicted class, {ECE_BINS} bins)")
    count_axes.set_ylabel("samples")
    figure.suptitle(f"{title} ({len(targets)} samples)")
    return figure
