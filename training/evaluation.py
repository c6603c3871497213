"""One evaluation pass per split after training: the model's logits over the split, and from those same outputs the
figures of summary.json (accuracy, weighted and macro F1, loss, calibration error per head) and every report.

Each head's temperature is fitted on the val outputs (training/calibration.py) and applied to every split's
probabilities; the loss and the predicted classes are the model's own.

The pass runs in one process over whole splits (the first process under DDP), so every clip counts once.
"""

import logging
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from torch.nn import functional
from torch.utils.data import DataLoader
from torchmetrics.functional.classification import multiclass_accuracy, multiclass_f1_score

from datasets.data_module import SignDataModule
from training.calibration import ECE_BINS, ECE_NAMES, calibration_record, ece_before_after, fit_temperatures
from training.reports.per_signer import signer_accuracy
from training.reports.predictions import HeadPredictions, SplitPredictions
from utils.config_schema import HEAD_METRIC_NAMES, HeadConfig

logger = logging.getLogger(__name__)


@torch.no_grad()
def collect_outputs(module: torch.nn.Module, loader: DataLoader) -> SplitPredictions:
    """Run the model over a loader (eval mode, the loader's own transforms): per head targets `[N]` and logits
    `[N, num_class]`, per clip its meta."""
    module.eval()
    clips: list[dict[str, Any]] = []
    targets: dict[str, list[np.ndarray]] = {}
    logits: dict[str, list[np.ndarray]] = {}
    for batch in loader:
        inputs = {key: batch[key].to(module.device) if key in batch else None for key in ("frames", "landmarks")}
        outputs = module(inputs["frames"], batch["mask"].to(module.device), inputs["landmarks"])
        clips += batch["meta"]
        for head, head_logits in outputs.items():
            targets.setdefault(head, []).append(batch["labels"][head].numpy())
            logits.setdefault(head, []).append(head_logits.float().cpu().numpy())
    heads = {
        head: HeadPredictions(np.concatenate(parts), np.concatenate(logits[head])) for head, parts in targets.items()
    }
    return SplitPredictions(clips, heads)


def head_figures(outputs: HeadPredictions, num_class: int) -> dict[str, Any]:
    """Accuracy, weighted and macro F1 and mean cross-entropy over the labelled samples; nulls when there are none
    (a head without labels in a split is listed, not left out)."""
    labelled = outputs.labelled()
    if labelled.targets.size == 0:
        return dict.fromkeys((*HEAD_METRIC_NAMES, *ECE_NAMES))
    logits, target = torch.from_numpy(labelled.logits), torch.from_numpy(labelled.targets).long()
    figures = {
        "accuracy": multiclass_accuracy(logits, target, num_class, average="micro"),
        "f1_weighted": multiclass_f1_score(logits, target, num_class, average="weighted"),
        "f1_macro": multiclass_f1_score(logits, target, num_class, average="macro"),
        "loss": functional.cross_entropy(logits, target),
    }
    calibration = ece_before_after(logits, target, outputs.temperature)
    return {name: float(figures[name]) for name in HEAD_METRIC_NAMES} | calibration


def split_figures(predictions: SplitPredictions, heads: dict[str, HeadConfig]) -> tuple[dict[str, Any], Any]:
    """Per head its figures, and the split's total loss: the heads' losses weighted as in training (null when no
    head has a labelled sample)."""
    per_head = {head: head_figures(predictions.heads[head], cfg.num_class) for head, cfg in heads.items()}
    losses = [(cfg.loss_weight, per_head[head]["loss"]) for head, cfg in heads.items()]
    known = [(weight, loss) for weight, loss in losses if loss is not None]
    return per_head, (sum(weight * loss for weight, loss in known) if known else None)


def evaluate_splits(module: torch.nn.Module, data: SignDataModule) -> dict[str, SplitPredictions]:
    """The outputs of `module` on `val` and on every test split (`test` first), one pass each, calibrated: each
    head's temperature is fitted on `val` (`calibrate_outputs`)."""
    splits = ["val", *data.test_splits()]
    outputs = {}
    for split in splits:
        logger.info("evaluating the %s split", split)
        outputs[split] = collect_outputs(module, data.eval_dataloader(split))
    calibrate_outputs(outputs)
    return outputs


def calibrate_outputs(outputs: dict[str, SplitPredictions]) -> dict[str, float]:
    """Fit each head's temperature on the `val` outputs and give it to every split's outputs; returns {head: T}
    (a head without labelled val samples keeps T = 1)."""
    val_outputs = {
        head: (torch.from_numpy(head_outputs.logits), torch.from_numpy(head_outputs.targets))
        for head, head_outputs in outputs["val"].heads.items()
    }
    temperatures = fit_temperatures(val_outputs)
    for predictions in outputs.values():
        predictions.heads = {head: replace(o, temperature=temperatures[head]) for head, o in predictions.heads.items()}
    return temperatures


def summarise(outputs: dict[str, SplitPredictions], heads: dict[str, HeadConfig]) -> dict[str, Any]:
    """summary.json's figures: `{split: {head: figures}}`, `total_loss: {split: value}` and, with a val split,
    `calibration: {method, fitted_on, temperatures: {head: T}, ece_bins}` (the temperatures the outputs carry) and,
    where clips name their signers, `per_signer: {split: {head: {signer: accuracy}}}`."""
    summary: dict[str, Any] = {"total_loss": {}}
    for split, predictions in outputs.items():
        summary[split], summary["total_loss"][split] = split_figures(predictions, heads)
    if "val" in outputs:
        summary["calibration"] = calibration_record(output_temperatures(outputs)) | {"ece_bins": ECE_BINS}
    per_signer = {split: signer_accuracy(predictions) for split, predictions in outputs.items()}
    if any(per_signer.values()):  # `{split: {head: {signer: accuracy}}}`, where the clips name their signers
        summary["per_signer"] = per_signer
    return summary


def output_temperatures(outputs: dict[str, SplitPredictions]) -> dict[str, float]:
    """{head: T} of calibrated outputs (`evaluate_splits`)."""
    return {head: head_outputs.temperature for head, head_outputs in outputs["val"].heads.items()}
