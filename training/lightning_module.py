# Lightning hooks take (batch, batch_idx) where the base class declares *args, **kwargs.
# pylint: disable=arguments-differ,unused-argument
"""The LightningModule: the sign model, its multi-head loss, metrics, optimiser and schedule.

The checkpoint carries the resolved config (as plain data) and every head's class names as hyperparameters, so
the checkpoint is all inference needs: `training.checkpoints.load_classifier(path)`. After training, the checkpoint of
the evaluated weights also gets each head's temperature (training/calibration.py), which `temperatures` holds once
loaded.
"""

from typing import Any, Optional

import lightning as L
import torch
from torch import Tensor
from torchmetrics import MeanMetric, MetricCollection, SumMetric
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score

from models.sign_model import multi_head_loss
from training.calibration import read_temperatures
from training.model_factory import build_model
from utils.config import TrainConfig


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
    """Multi-head sign classifier built from a validated `TrainConfig`.

    Validation during training (early stopping, the monitored metric, the curves) runs here; the figures of the
    finished run come from one pass per split in `training.evaluation`.
    """

    def __init__(self, config: TrainConfig, class_names: dict[str, list[str]]) -> None:
        super().__init__()
        # Plain data in the checkpoint: it loads with `weights_only=True`, on any machine.
        self.save_hyperparameters({"config": config.model_dump(mode="json"), "class_names": class_names})
        self.config = config
        self.class_names = class_names
        self.head_configs = config.selected_heads()
        self.model = build_model(config)
        self.val_metrics = torch.nn.ModuleDict({h: _head_metrics(c.num_class) for h, c in self.head_configs.items()})
        self.val_losses = torch.nn.ModuleDict({h: MeanMetric() for h in self.head_configs})
        self.val_counts = torch.nn.ModuleDict({h: SumMetric() for h in self.head_configs})
        self.train_losses = torch.nn.ModuleDict({h: MeanMetric() for h in self.head_configs})
        # {head: T} from a calibrated checkpoint; None: not calibrated (inference then uses T = 1).
        self.temperatures: Optional[dict[str, float]] = None

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Keep the temperatures of a calibrated checkpoint (Lightning calls this on load and on resume; training
        ignores them and the finished run fits new ones)."""
        self.temperatures = read_temperatures(checkpoint)

    def forward(self, frames: Optional[Tensor], mask: Tensor, landmarks: Optional[Tensor] = None) -> dict[str, Tensor]:
        """frames `[B, T, 3, H, W]` and/or landmarks `[B, T, J, C]`, mask `[B, T]` -> {head: `[B, num_class]`}."""
        return self.model(frames, mask, landmarks)

    def _loss(self, batch: dict[str, Any]) -> tuple[dict[str, Tensor], Tensor, dict[str, Tensor]]:
        logits = self(batch.get("frames"), batch["mask"], batch.get("landmarks"))
        weights = {h: cfg.loss_weight for h, cfg in self.head_configs.items()}
        total, per_head = multi_head_loss(logits, batch["labels"], weights)
        return logits, total, per_head

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        _, total, per_head = self._loss(batch)
        size = len(batch["mask"])
        # Under DDP every logged name is averaged over the processes (sync_dist, or torchmetrics' own sync), and
        # every process logs every name: a head without labels in a process's batches still logs its metric.
        self.log("train/loss", total, prog_bar=True, on_step=True, on_epoch=True, batch_size=size, sync_dist=True)
        for head in self.head_configs:
            if head in per_head:
                labelled = int((batch["labels"][head] >= 0).sum())
                self.train_losses[head].update(per_head[head].detach(), weight=labelled)
            self.log(f"train/{head}/loss", self.train_losses[head], on_step=False, on_epoch=True)
        self.log("train/lr", self.optimizers().param_groups[0]["lr"], on_step=True, on_epoch=False, batch_size=size)
        return total

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        logits, _, per_head = self._loss(batch)
        for head, head_logits in logits.items():
            target = batch["labels"][head]
            labelled = int((target >= 0).sum())
            self.val_counts[head].update(labelled)
            if labelled:
                self.val_metrics[head].update(head_logits, target)
                self.val_losses[head].update(per_head[head], weight=labelled)

    def on_validation_epoch_end(self) -> None:
        # The values are torchmetrics results, already gathered over processes; sync_dist averages equal values.
        # val/loss = the heads' mean losses over the split, weighted as in training (as in summary.json): it does
        # not depend on how the clips fall into batches.
        labelled = [head for head in self.head_configs if self.val_counts[head].compute() > 0]
        total = sum(self.head_configs[h].loss_weight * self.val_losses[h].compute() for h in labelled)
        self.log("val/loss", torch.as_tensor(total, dtype=torch.float32), prog_bar=True, sync_dist=True)
        primary_head = next(iter(self.head_configs))  # the progress bar shows only its accuracy, to stay on one line
        for head in self.head_configs:
            if self.val_counts[head].compute() > 0:
                for name, value in self.val_metrics[head].compute().items():
                    show = name == "accuracy" and head == primary_head
                    self.log(f"val/{head}/{name}", value, prog_bar=show, sync_dist=True)
                self.log(f"val/{head}/loss", self.val_losses[head].compute(), sync_dist=True)
            for metric in (self.val_metrics[head], self.val_losses[head], self.val_counts[head]):
                metric.reset()

    def configure_optimizers(self) -> dict[str, Any]:
        params = self.config.train_parameters
        optimizer = torch.optim.AdamW(self.model.parameters(), lr=params.lr, weight_decay=params.weight_decay)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: lr_factor(step, params.warmup_steps, params.multiply_lr_step)
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}
