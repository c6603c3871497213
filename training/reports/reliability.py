"""Reliability diagram of one head: accuracy against confidence, before and after temperature scaling."""

import numpy as np
import torch
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve

from training.calibration import ECE_BINS, expected_calibration_error
from training.reports.predictions import HeadPredictions

COLOURS = {"before": "tab:red", "after": "tab:blue"}


def _top_label(probabilities: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """probabilities `[N, C]`, targets `[N]` -> (was the best class right `[N]` bool, its probability `[N]`)."""
    return probabilities.argmax(axis=1) == targets, probabilities.max(axis=1)


def plot_reliability(outputs: HeadPredictions, title: str) -> Figure:
    """Two panels over `ECE_BINS` equal-width confidence bins: accuracy per bin against the bin's mean confidence
    (on the diagonal = calibrated; below = over-confident), and how many samples fall in each bin; each before and
    after temperature scaling (`outputs.temperature`), with its ECE in the legend.

    `outputs` holds labelled samples only: targets `[N]`, logits `[N, C]`.
    """
    targets = outputs.targets
    probabilities = {"before": HeadPredictions(targets, outputs.logits).probabilities, "after": outputs.probabilities}
    eces = {
        name: expected_calibration_error(torch.from_numpy(values), torch.from_numpy(targets))
        for name, values in probabilities.items()
    }
    figure = Figure(figsize=(6.5, 7), layout="constrained")
    curve_axes, count_axes = figure.subplots(2, 1, height_ratios=(3, 1), sharex=True)
    curve_axes.plot([0, 1], [0, 1], linestyle=":", color="grey", linewidth=1, label="perfectly calibrated")
    edges = np.linspace(0.0, 1.0, ECE_BINS + 1)
    for name, values in probabilities.items():
        correct, confidence = _top_label(values, targets)
        accuracy, mean_confidence = calibration_curve(correct, confidence, n_bins=ECE_BINS, strategy="uniform")
        temperature = f"T = {outputs.temperature:.3g}" if name == "after" else "T = 1"
        label = f"{name} temperature scaling, {temperature} (ECE {eces[name]:.4f})"
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
