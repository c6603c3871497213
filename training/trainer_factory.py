"""Build the Lightning Trainer with its callbacks and loggers from the config."""

import logging
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint, TQDMProgressBar

from training.distributed import device_settings
from training.fault_tolerance import AtomicCheckpointIO, RngState, SaveOnInterrupt
from training.freeze_scheduler import FreezeScheduler
from training.loggers.factory import build_loggers
from utils.config import TrainConfig

logger = logging.getLogger(__name__)


def build_callbacks(config: TrainConfig, run_dir: Path) -> list[L.Callback]:
    """Best and last checkpoints, progress bar, random-generator state and last checkpoint on Ctrl-C/SIGTERM
    (training/fault_tolerance.py), freeze scheduler, early stopping (verbose: each epoch's decision is logged)."""
    trainer = config.trainer
    patience = trainer.early_stopping_patience
    logger.info(
        "best checkpoint chosen on %s (%s); early stopping: %s",
        trainer.monitor,
        trainer.monitor_mode,
        f"after {patience} epochs without improvement" if patience else "off",
    )
    callbacks: list[L.Callback] = [
        ModelCheckpoint(
            dirpath=run_dir / "checkpoints",
            filename="best",
            monitor=trainer.monitor,
            mode=trainer.monitor_mode,
            save_top_k=1,
            enable_version_counter=False,
            auto_insert_metric_name=False,
            verbose=True,
        ),
        # Every epoch: Lightning's `save_last` rewrites last.ckpt only in epochs that improve best.ckpt.
        ModelCheckpoint(dirpath=run_dir / "checkpoints", filename="last", enable_version_counter=False),
        TQDMProgressBar(),
        RngState(),
        SaveOnInterrupt(run_dir / "checkpoints" / "last.ckpt"),
    ]
    if config.freeze_scheduler is not None:
        callbacks.append(FreezeScheduler(config.freeze_scheduler))
    if patience is not None:
        callbacks.append(
            EarlyStopping(monitor=trainer.monitor, mode=trainer.monitor_mode, patience=patience, verbose=True)
        )
    return callbacks


def monitor_outcome(trainer: L.Trainer) -> dict[str, Any]:
    """What the monitor decided: metric, mode, best value and checkpoint, whether training stopped early."""
    checkpoint, stopper = trainer.checkpoint_callback, trainer.early_stopping_callback
    best = checkpoint.best_model_score
    return {
        "monitor": checkpoint.monitor,
        "mode": checkpoint.mode,
        "best_score": None if best is None else round(float(best), 6),
        "best_checkpoint": checkpoint.best_model_path or None,
        "early_stopping_patience": stopper.patience if stopper else None,
        "stopped_early": bool(stopper and stopper.stopped_epoch > 0),
    }


def build_trainer(config: TrainConfig, run_dir: Path) -> L.Trainer:
    """The Trainer: epochs, devices and strategy, precision, callbacks, the loggers (CSV first, into the run
    folder), and checkpoint files written atomically."""
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
        accumulate_grad_batches=trainer.accumulate_grad_batches,
        max_time=trainer.max_time,
        plugins=[AtomicCheckpointIO()],
        log_every_n_steps=trainer.log_every_n_steps,
        callbacks=build_callbacks(config, run_dir),
        logger=build_loggers(config, run_dir),
        default_root_dir=run_dir,
        num_sanity_val_steps=0,
        **device_settings(config),
        **limits,
    )
