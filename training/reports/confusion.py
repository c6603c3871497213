"""Confusion of one head: a row-normalised matrix figure, or for many classes the most confused pairs."""

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

# Cell values are written in the cells only while they still fit.
MAX_CLASSES_WITH_VALUES = 30


def confusion_counts(targets: np.ndarray, predictions: np.ndarray, num_class: int) -> np.ndarray:
    """`[num_class, num_class]` counts, rows = true class, columns = predicted class."""
    return confusion_matrix(targets, predictions, labels=list(range(num_class)))


def plot_confusion_matrix(counts: np.ndarray, names: list[str], title: str) -> Figure:
    """Row-normalised matrix (each row: where that true class went); the figure grows with the class count
    so that names stay readable (about 0.3 inch per class)."""
    num_class = len(names)
    side = min(max(5.0, 0.32 * num_class + 2.5), 40.0)
    label_size = 9 if num_class <= 30 else 7
    figure = Figure(figsize=(side + 1.0, side), layout="constrained")
    axes = figure.add_subplot()
    rows = counts.sum(axis=1, keepdims=True)
    normalised = np.divide(counts, rows, out=np.zeros(counts.shape, dtype=float), where=rows > 0)
    display = ConfusionMatrixDisplay(normalised, display_labels=names)
    display.plot(
        ax=axes,
        include_values=num_class <= MAX_CLASSES_WITH_VALUES,
        values_format=".2f",
        cmap="Blues",
        xticks_rotation="vertical",
        colorbar=True,
        im_kw={"vmin": 0.0, "vmax": 1.0},
        text_kw={"fontsize": 8 if num_class <= 12 else 6},
    )
    axes.tick_params(labelsize=label_size)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class (row sums to 1)")
    axes.set_title(title)
    return figure


def most_confused_pairs(counts: np.ndarray, names: list[str], top: int) -> list[dict[str, object]]:
    """The `top` off-diagonal cells by count: true class, predicted class, count, share of the true class."""
    off_diagonal = counts.copy()
    np.fill_diagonal(off_diagonal, 0)
    rows_total = counts.sum(axis=1, keepdims=True)
    share = np.divide(off_diagonal, rows_total, out=np.zeros(counts.shape), where=rows_total > 0)
    true, predicted = np.nonzero(off_diagonal)
    # Largest count first; among equal counts, the larger share of the true class first.
    order = np.lexsort((-share[true, predicted], -off_diagonal[true, predicted]))[:top]
    return [
        {
            "true": names[true[i]],
            "predicted": names[predicted[i]],
            "count": int(off_diagonal[true[i], predicted[i]]),
            "share_of_true_class": round(float(share[true[i], predicted[i]]), 4),
        }
        for i in order
    ]
