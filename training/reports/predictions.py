"""Model outputs over one split: per head the targets and logits, per clip its meta; and the predictions CSV."""

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch

from datasets.csv_rows import write_csv


@dataclass(frozen=True)
class HeadPredictions:
    """`targets` int `[N]` (-1 = no label) and `logits` float `[N, num_class]` of one head; `temperature` divides
    the logits before the softmax (1: the model's own probabilities). Immutable, so the probabilities and predictions
    over the whole split are computed once, on first use (calibration makes a new one: `dataclasses.replace`)."""

    targets: np.ndarray
    logits: np.ndarray
    temperature: float = 1.0

    @cached_property
    def probabilities(self) -> np.ndarray:
        """Class probabilities `[N, num_class]`."""
        return torch.from_numpy(self.logits / self.temperature).softmax(-1).numpy()

    @cached_property
    def predictions(self) -> np.ndarray:
        """Predicted class ids `[N]` (the temperature does not change them)."""
        return self.logits.argmax(axis=1)

    def labelled(self) -> "HeadPredictions":
        """Only the samples that have a label for this head."""
        keep = self.targets >= 0
        return HeadPredictions(self.targets[keep], self.logits[keep], self.temperature)


@dataclass
class SplitPredictions:
    """Every clip of a split in loader order: its meta dict and, per head, its targets and logits."""

    clips: list[dict[str, Any]] = field(default_factory=list)
    heads: dict[str, HeadPredictions] = field(default_factory=dict)


def write_predictions_csv(predictions: SplitPredictions, class_names: dict[str, list[str]], path: Path) -> None:
    """One row per clip: its meta, then per head the true class, the predicted class and its probability."""
    rows = []
    for index, meta in enumerate(predictions.clips):
        row = dict(meta)
        for head, outputs in predictions.heads.items():
            names, target = class_names[head], int(outputs.targets[index])
            predicted = int(outputs.predictions[index])
            row[f"{head}_true"] = names[target] if target >= 0 else ""
            row[f"{head}_predicted"] = names[predicted]
            row[f"{head}_probability"] = round(float(outputs.probabilities[index, predicted]), 4)
        rows.append(row)
    write_csv(rows, path)
