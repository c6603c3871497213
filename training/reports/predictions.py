"""Model outputs over one split: per head the targets and class probabilities, per clip its meta."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from datasets.csv_rows import write_csv


@dataclass
class HeadPredictions:
    """`targets` int `[N]` (-1 = no label) and `probabilities` float `[N, num_class]` of one head."""

    targets: np.ndarray
    probabilities: np.ndarray

    @property
    def predictions(self) -> np.ndarray:
        """Predicted class ids `[N]`."""
        return self.probabilities.argmax(axis=1)

    def labelled(self) -> "HeadPredictions":
        """Only the samples that have a label for this head."""
        keep = self.targets >= 0
        return HeadPredictions(self.targets[keep], self.probabilities[keep])


@dataclass
class SplitPredictions:
    """Every clip of a split in loader order: its meta dict and, per head, its targets and probabilities."""

    clips: list[dict[str, Any]] = field(default_factory=list)
    heads: dict[str, HeadPredictions] = field(default_factory=dict)


@torch.no_grad()
def collect_predictions(module: torch.nn.Module, loader: DataLoader) -> SplitPredictions:
    """Run the model over a loader (eval mode, no augmentation: the loader's own transforms)."""
    module.eval()
    clips: list[dict[str, Any]] = []
    targets: dict[str, list[np.ndarray]] = {}
    probabilities: dict[str, list[np.ndarray]] = {}
    for batch in loader:
        inputs = {key: batch[key].to(module.device) if key in batch else None for key in ("frames", "landmarks")}
        logits = module(inputs["frames"], batch["mask"].to(module.device), inputs["landmarks"])
        clips += batch["meta"]
        for head, head_logits in logits.items():
            targets.setdefault(head, []).append(batch["labels"][head].numpy())
            probabilities.setdefault(head, []).append(head_logits.softmax(-1).float().cpu().numpy())
    heads = {
        head: HeadPredictions(np.concatenate(parts), np.concatenate(probabilities[head]))
        for head, parts in targets.items()
    }
    return SplitPredictions(clips, heads)


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
