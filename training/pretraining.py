# Lightning hooks take (batch, batch_idx) where the base class declares *args, **kwargs.
# pylint: disable=arguments-differ,unused-argument
"""The LightningModule of a pre-training run (`train_parameters.pre_training: true`, docs/pretraining.md).

It holds the same `model.feature_extractor` and `model.transformer` as a `SignClassifier` (no heads), so that its
checkpoint initialises a classifier through `feature_extractor.init_from`, and the freeze scheduler addresses the
same names; plus `objective`, the pretext decoder, which fine-tuning leaves behind. It logs `train/loss`,
`val/loss` and `test/loss` (the objective's loss, a mean over hidden joints or frames), `train/hidden_share` and
`train/clips_without_landmarks` (clips whose sampled frames had no detected joint of the layout: they add nothing).
"""

from typing import Any, Optional, Union

import lightning as L
import torch
from torch import Tensor, nn
from torchmetrics import MeanMetric

from models.pretraining import MaskedFrameModelling, MaskedLandmarkModelling, PretextResult
from models.sign_model import SignModel
from training.lightning_module import lr_factor
from training.model_factory import build_extractor, build_temporal_encoder
from utils.config import TrainConfig

PRETRAINING_SPLITS = ("val", "test")


def build_objective(config: TrainConfig, model: SignModel) -> nn.Module:
    """The pretext module of `pre_training.objective` for this model (the config check made them fit)."""
    settings = config.pre_training
    objective = settings.objective_for(config.inputs())
    sequence_dim = model.transformer.sequence_dim
    if objective == "masked_landmarks":
        return MaskedLandmarkModelling(
            sequence_dim,
            joints=len(model.feature_extractor.input.layout.joints),
            ratios=(settings.joint_mask_ratio, settings.frame_mask_ratio),
            span=settings.frame_mask_span,
            loss=settings.loss,
            decoder_size=settings.decoder_size,
        )
    return MaskedFrameModelling(
        model.feature_extractor.out_dim,
        sequence_dim,
        frame_ratio=settings.frame_mask_ratio,
        span=settings.frame_mask_span,
        temperature=settings.temperature,
        projection_size=settings.decoder_size,
    )


class SignPreTrainer(L.LightningModule):
    """Self-supervised training of the feature extractor and temporal encoder; labels are never read."""

    def __init__(self, config: Union[TrainConfig, dict[str, Any]], class_names: Optional[dict] = None) -> None:
        """`config`: the resolved config (or its dict, as a checkpoint holds it); `class_names` are kept in the
        checkpoint for the record only."""
        super().__init__()
        self.config = config if isinstance(config, TrainConfig) else TrainConfig.model_validate(config)
        self.save_hyperparameters({"config": self.config.model_dump(mode="json"), "class_names": class_names or {}})
        extractor = build_extractor(self.config)
        self.model = SignModel(extractor, build_temporal_encoder(self.config, extractor.out_dim), {})
        self.objective_name = self.config.pre_training.objective_for(self.config.inputs())
        self.objective = build_objective(self.config, self.model)
        self.losses = nn.ModuleDict({split: MeanMetric() for split in PRETRAINING_SPLITS})
        self.heads: dict = {}  # no classification heads: the run's reports and summary list none

    def pretext(self, batch: dict[str, Any], generator: Optional[torch.Generator] = None) -> PretextResult:
        """The objective on one batch (`mask [B, T]` and the model's inputs)."""
        return self.objective(self.model, batch, generator)

    def fixed_generator(self, batch_idx: int) -> torch.Generator:
        """Evaluation hides the same joints and frames every epoch, so that val/loss is comparable over epochs."""
        generator = torch.Generator(device=self.device)
        return generator.manual_seed(self.config.general_parameters.seed * 1000 + batch_idx)

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        result = self.pretext(batch)
        weight = max(result.count, 1)
        self.log(
            "train/loss", result.loss, prog_bar=True, on_step=True, on_epoch=True, batch_size=weight, sync_dist=True
        )
        if self.objective_name == "masked_landmarks":
            details = result.details
            share = details["hidden"].sum() / details["present"].sum().clamp(min=1)
            self.log("train/hidden_share", share, on_step=False, on_epoch=True, batch_size=len(batch["mask"]))
            self.log(
                "train/clips_without_landmarks",
                float(result.empty_clips),
                on_step=False,
                on_epoch=True,
                reduce_fx="sum",
                batch_size=len(batch["mask"]),
            )
        self.log("train/lr", self.optimizers().param_groups[0]["lr"], on_step=True, on_epoch=False)
        return result.loss

    def _evaluation_step(self, split: str, batch: dict[str, Any], batch_idx: int) -> None:
        result = self.pretext(batch, self.fixed_generator(batch_idx))
        if result.count:
            self.losses[split].update(result.loss.detach(), weight=result.count)

    def _evaluation_epoch_end(self, split: str) -> None:
        # MeanMetric over no update is NaN (with a warning); an empty split logs nothing instead.
        if self.losses[split].update_count:
            self.log(f"{split}/loss", self.losses[split].compute(), prog_bar=split == "val", sync_dist=True)
        self.losses[split].reset()

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluation_step("val", batch, batch_idx)

    def on_validation_epoch_end(self) -> None:
        self._evaluation_epoch_end("val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluation_step("test", batch, batch_idx)

    def on_test_epoch_end(self) -> None:
        self._evaluation_epoch_end("test")

    def configure_optimizers(self) -> dict[str, Any]:
        params = self.config.train_parameters
        optimizer = torch.optim.AdamW(self.parameters(), lr=params.lr, weight_decay=params.weight_decay)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: lr_factor(step, params.warmup_steps, params.multiply_lr_step)
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


def reconstruction_example(module: SignPreTrainer, batch: dict[str, Any]) -> tuple[int, dict[str, Tensor]]:
    """The clip of a batch with the most detected joints, hidden as validation hides it, with the decoder's
    prediction (masked_landmarks): its index in the batch, and `points`, `predicted` float `[T, J, 3]`, `present`,
    `hidden` bool `[T, J]`, real frames only."""
    was_training = module.training
    module.eval()
    with torch.no_grad():
        result = module.pretext(batch, module.fixed_generator(0))
    module.train(was_training)
    clip = int(result.details["present"].flatten(1).sum(1).argmax())
    frames = int(batch["mask"][clip].sum())
    names = ("points", "predicted", "present", "hidden")
    return clip, {name: result.details[name][clip, :frames].cpu() for name in names}
