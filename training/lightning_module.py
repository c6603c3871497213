# Lightning hooks take (batch, batch_idx) where the base class declares *args, **kwargs.
# pylint: disable=arguments-differ,unused-argument
"""The LightningModule: the sign model, its multi-head loss, metrics, optimiser and schedule.

The checkpoint carries the resolved config and every head's class names (as hyperparameters),
so `SignClassifier.load_from_checkpoint(path)` is all inference needs.
"""

from typing import Any, Optional

import lightning as L
import torch
from torch import Tensor
from torchmetrics import MeanMetric, MetricCollection, SumMetric
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score

from models.sign_model import multi_head_loss
from training.model_factory import build_model
from utils.config import TrainConfig

EVAL_SPLITS = ("val", "test")


def _head_metrics(num_class: int) -> MetricCollection:
    """Accuracy and F1 of one head; -1 targets (no label) are ignored."""
    common = {"num_classes": num_class, "ignore_index": -1}
    return MetricCollection(
        {
            "accuracy": MulticlassAccuracy(average="micro", **common),
            "f1_weighted": MulticlassF1Score(average="weighted", **common),
            "f1_macro": MulticlassF1Score(average="macro", **common),
        }
    )


def lr_factor(step: int, warmup_steps: float, multiply_lr_step: float) -> float:
    """Linear warm-up over `warmup_steps` optimiser steps, then the rate times `multiply_lr_step` per step."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    return multiply_lr_step ** (step - warmup_steps)


class SignClassifier(L.LightningModule):
    """Multi-head sign classifier; `config` is a resolved `TrainConfig` as a plain dict."""

    def __init__(self, config: dict[str, Any], class_names: dict[str, list[str]]) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.config = TrainConfig.model_validate(config)
        self.class_names = class_names
        self.heads = self.config.selected_heads()
        self.model = build_model(self.config)
        self.metrics = torch.nn.ModuleDict(
            {
                split: torch.nn.ModuleDict({h: _head_metrics(cfg.num_class) for h, cfg in self.heads.items()})
                for split in EVAL_SPLITS
            }
        )
        self.losses = torch.nn.ModuleDict(
            {split: torch.nn.ModuleDict({h: MeanMetric() for h in [*self.heads, "total"]}) for split in EVAL_SPLITS}
        )
        self.counts = torch.nn.ModuleDict(
            {split: torch.nn.ModuleDict({h: SumMetric() for h in self.heads}) for split in EVAL_SPLITS}
        )
        self.train_losses = torch.nn.ModuleDict({h: MeanMetric() for h in self.heads})

    def forward(self, frames: Optional[Tensor], mask: Tensor, landmarks: Optional[Tensor] = None) -> dict[str, Tensor]:
        """frames `[B, T, 3, H, W]` and/or landmarks `[B, T, J, C]`, mask `[B, T]` -> {head: `[B, num_class]`}."""
        return self.model(frames, mask, landmarks)

    def _loss(self, batch: dict[str, Any]) -> tuple[dict[str, Tensor], Tensor, dict[str, Tensor]]:
        logits = self(batch.get("frames"), batch["mask"], batch.get("landmarks"))
        weights = {h: cfg.loss_weight for h, cfg in self.heads.items()}
        total, per_head = multi_head_loss(logits, batch["labels"], weights)
        return logits, total, per_head

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        _, total, per_head = self._loss(batch)
        size = len(batch["mask"])
        # Under DDP every logged name is averaged over the processes (sync_dist, or torchmetrics' own sync), and
        # every process logs every name: a head without labels in a process's batches still logs its metric.
        self.log("train/loss", total, prog_bar=True, on_step=True, on_epoch=True, batch_size=size, sync_dist=True)
        for head in self.heads:
            if head in per_head:
                labelled = int((batch["labels"][head] >= 0).sum())
                self.train_losses[head].update(per_head[head].detach(), weight=labelled)
            self.log(f"train/{head}/loss", self.train_losses[head], on_step=False, on_epoch=True)
        self.log("train/lr", self.optimizers().param_groups[0]["lr"], on_step=True, on_epoch=False, batch_size=size)
        return total

    def _evaluation_step(self, split: str, batch: dict[str, Any]) -> None:
        logits, total, per_head = self._loss(batch)
        self.losses[split]["total"].update(total, weight=len(batch["mask"]))
        for head, head_logits in logits.items():
            target = batch["labels"][head]
            labelled = int((target >= 0).sum())
            self.counts[split][head].update(labelled)
            if labelled:
                self.metrics[split][head].update(head_logits, target)
                self.losses[split][head].update(per_head[head], weight=labelled)

    def _evaluation_epoch_end(self, split: str) -> None:
        # The values are torchmetrics results, already gathered over processes; sync_dist averages equal values.
        self.log(f"{split}/loss", self.losses[split]["total"].compute(), prog_bar=split == "val", sync_dist=True)
        self.losses[split]["total"].reset()
        primary_head = next(iter(self.heads))  # the progress bar shows only its accuracy, to stay on one line
        for head in self.heads:
            if self.counts[split][head].compute() > 0:
                for name, value in self.metrics[split][head].compute().items():
                    show = name == "accuracy" and head == primary_head
                    self.log(f"{split}/{head}/{name}", value, prog_bar=show, sync_dist=True)
                self.log(f"{split}/{head}/loss", self.losses[split][head].compute(), sync_dist=True)
            for metric in (self.metrics[split][head], self.losses[split][head], self.counts[split][head]):
                metric.reset()

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluation_step("val", batch)

    def on_validation_epoch_end(self) -> None:
        self._evaluation_epoch_end("val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluation_step("test", batch)

    def on_test_epoch_end(self) -> None:
        self._evaluation_epoch_end("test")

    def configure_optimizers(self) -> dict[str, Any]:
        params = self.config.train_parameters
        optimizer = torch.optim.AdamW(self.model.parameters(), lr=params.lr, weight_decay=params.weight_decay)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: lr_factor(step, params.warmup_steps, params.multiply_lr_step)
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}
