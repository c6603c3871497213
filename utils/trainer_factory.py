"""Build the Lightning Trainer with its callbacks and loggers from the config."""

from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint, TQDMProgressBar
from lightning.pytorch.loggers import CSVLogger

from utils.config import TrainConfig
from utils.freeze_scheduler import FreezeScheduler


def device_settings(config: TrainConfig) -> dict[str, Any]:
    """HearAI's `gpu: -1 | N` unless the `trainer:` section names an accelerator itself."""
    trainer = config.trainer
    if trainer.accelerator != "auto":
        return {"accelerator": trainer.accelerator, "devices": trainer.devices}
    gpu = config.general_parameters.gpu
    return {"accelerator": "cpu", "devices": 1} if gpu < 0 else {"accelerator": "gpu", "devices": [gpu]}


def build_callbacks(config: TrainConfig, run_dir: Path) -> list[L.Callback]:
    """Best and last checkpoints, progress bar, freeze scheduler, early stopping."""
    trainer = config.trainer
    callbacks: list[L.Callback] = [
        ModelCheckpoint(
            dirpath=run_dir / "checkpoints",
            filename="best",
            monitor=trainer.monitor,
            mode=trainer.monitor_mode,
            save_top_k=1,
            save_last=True,
            enable_version_counter=False,
            auto_insert_metric_name=False,
        ),
        TQDMProgressBar(),
    ]
    if config.freeze_scheduler is not None:
        callbacks.append(FreezeScheduler(config.freeze_scheduler))
    if trainer.early_stopping_patience is not None:
        callbacks.append(
            EarlyStopping(monitor=trainer.monitor, mode=trainer.monitor_mode, patience=trainer.early_stopping_patience)
        )
    return callbacks


def build_trainer(config: TrainConfig, run_dir: Path) -> L.Trainer:
    """The Trainer: epochs, devices, precision, callbacks, and a CSV logger writing into the run folder."""
    params, trainer = config.train_parameters, config.trainer
    limits = {
        key: value
        for key, value in {
            "limit_train_batches": trainer.limit_train_batches,
            "limit_val_batches": trainer.limit_val_batches,
        }.items()
        if value is not None
    }
    return L.Trainer(
        max_epochs=params.epochs,
        fast_dev_run=params.fast_dev_run,
        precision=trainer.precision,
        log_every_n_steps=trainer.log_every_n_steps,
        callbacks=build_callbacks(config, run_dir),
        logger=CSVLogger(save_dir=run_dir, name="", version=""),
        default_root_dir=run_dir,
        num_sanity_val_steps=0,
        **device_settings(config),
        **limits,
    )
