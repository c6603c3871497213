"""What a pre-training run does differently from a classifier run (`training/run.py` calls these): every clip is
read even where nothing was detected (such clips are skipped and counted), the best weights are evaluated once per
split with the masks of validation, and the report shows the loss curves and a reconstruction.

summary.json has the usual keys (`val` and each test split list no heads), `total_loss` per split (the objective's
loss of the best checkpoint) and `pre_training`: the objective, its settings and the clips without landmarks.
"""

import logging
import shutil
from pathlib import Path
from typing import Any, Optional

import lightning as L
import torch
from torch.utils.data import DataLoader

from datasets.data_module import SignDataModule
from training.loggers.factory import publish_run
from training.pretraining import SignPreTrainer, reconstruction_example
from training.reports.pretraining_page import write_pretraining_report
from training.resume import restore_metrics
from training.run_artifacts import write_summary
from training.run_failures import trained_summary
from utils.config import TrainConfig

logger = logging.getLogger(__name__)


def pretraining_config(config: TrainConfig) -> TrainConfig:
    """A pre-training run skips (and counts, in skipped_samples.csv) clips that cannot be read or have nothing
    detected, instead of stopping: unlabelled collections are rarely clean."""
    if config.general_parameters.skip_bad_samples:
        return config
    logger.info("pre-training: clips with nothing detected or unreadable are skipped and counted")
    general = config.general_parameters.model_copy(update={"skip_bad_samples": True})
    return config.model_copy(update={"general_parameters": general})


@torch.no_grad()
def pretext_loss(module: SignPreTrainer, loader: DataLoader) -> dict[str, Any]:
    """The objective's mean loss over a split (the masks of validation: the same every time), the targets it was
    averaged over and the clips without landmarks."""
    module.eval()
    total, count, empty = 0.0, 0, 0
    for batch_idx, batch in enumerate(loader):
        batch = {k: v.to(module.device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
        result = module.pretext(batch, module.fixed_generator(batch_idx))
        total += float(result.loss) * result.count
        count += result.count
        empty += result.empty_clips
    return {"loss": total / count if count else None, "targets": count, "clips_without_landmarks": empty}


def load_best(trainer: L.Trainer, module: SignPreTrainer) -> None:
    """The best checkpoint's weights into `module` (the last ones under fast_dev_run or before any validation)."""
    best = trainer.checkpoint_callback.best_model_path
    if best and not trainer.fast_dev_run:
        module.load_state_dict(torch.load(best, map_location=module.device, weights_only=True)["state_dict"])


def first_example(module: SignPreTrainer, data: SignDataModule) -> Optional[dict[str, Any]]:
    """A validation clip for the reconstruction figure (masked_landmarks only), or None."""
    if module.objective_name != "masked_landmarks" or not data.splits.get("val"):
        return None
    batch = next(iter(data.eval_dataloader("val")))
    batch = {k: v.to(module.device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
    clip, tensors = reconstruction_example(module, batch)
    return {"clip": batch["meta"][clip]["clip_id"], "layout": module.model.feature_extractor.input.layout} | {
        "tensors": tensors
    }


def evaluate_pretraining(trainer: L.Trainer, module: SignPreTrainer, data: SignDataModule) -> dict[str, Any]:
    """Per split (`val`, each test split): the best weights' loss (see `pretext_loss`)."""
    load_best(trainer, module)
    loaders = {split: data.eval_dataloader(split) for split in ["val", *data.test_splits()]}
    return {split: pretext_loss(module, loader) for split, loader in loaders.items()}


def finish_pretraining(
    run_dir: Path, trainer: L.Trainer, module: SignPreTrainer, data: SignDataModule, interrupted: Optional[str] = None
) -> dict[str, Any]:
    """First process: evaluate each split once, write summary.json and the report, copy the weights to
    `path_to_save` if set (as `training.run.finish_run` does for a classifier)."""
    if not trainer.is_global_zero:
        return {}
    evaluated = evaluate_pretraining(trainer, module, data) if not (interrupted and trainer.world_size > 1) else {}
    settings = module.config.pre_training.model_dump(mode="json", exclude={"objective"})
    summary = (
        {split: {} for split in evaluated}
        | {
            "total_loss": {split: figures["loss"] for split, figures in evaluated.items()},
            "pre_training": {"objective": module.objective_name, "settings": settings, "splits": evaluated},
        }
        | trained_summary(trainer, data)
        | {"interrupted": interrupted}
    )
    write_summary(run_dir, summary)
    restore_metrics(run_dir)
    write_pretraining_report(run_dir, module.config, summary, first_example(module, data) if evaluated else None)
    publish_run(trainer.loggers, run_dir, summary, splits=[])
    save_to = module.config.general_parameters.path_to_save
    if save_to and summary["best_checkpoint"]:
        Path(save_to).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(summary["best_checkpoint"], save_to)
    return summary


def pretraining_lines(summary: dict[str, Any]) -> list[str]:
    """What the command line prints: the objective's loss per split."""
    objective = summary.get("pre_training", {}).get("objective")
    return [
        f"{split:<5} {objective:<32} loss {'n/a' if loss is None else f'{loss:.4f}'}"
        for split, loss in summary.get("total_loss", {}).items()
    ]
