"""Build the Lightning Trainer with its callbacks and loggers from the config."""

import logging
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any, Optional

import lightning as L
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint, ModelSummary, TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm

from training.compat import use_torch_leaf_spec
from training.distributed import device_settings
from training.fault_tolerance import AtomicCheckpointIO, RngState, SaveOnInterrupt, WallClock
from training.freeze_scheduler import FreezeScheduler
from training.loggers.factory import build_loggers
from utils.config import TrainConfig

logger = logging.getLogger(__name__)


class StderrProgressBar(TQDMProgressBar):
    """Lightning's progress bars, on stderr: stdout holds the run's result lines, for scripts to read (Lightning
    opens its bars on `sys.stdout`, looked up when each bar is made)."""

    def init_sanity_tqdm(self) -> Tqdm:
        with redirect_stdout(sys.stderr):
            return super().init_sanity_tqdm()

    def init_train_tqdm(self) -> Tqdm:
        with redirect_stdout(sys.stderr):
            return super().init_train_tqdm()

    def init_validation_tqdm(self) -> Tqdm:
        with redirect_stdout(sys.stderr):
            return super().init_validation_tqdm()

    def init_test_tqdm(self) -> Tqdm:
        with redirect_stdout(sys.stderr):
            return super().init_test_tqdm()

    def init_predict_tqdm(self) -> Tqdm:
        with redirect_stdout(sys.stderr):
            return super().init_predict_tqdm()

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        # Closed, the bars end their line: the error printed next starts a line of its own.
        for progress in (self._val_progress_bar, self._test_progress_bar, self._predict_progress_bar):
            if progress is not None:
                progress.close()
        if self._train_progress_bar is not None:
            self._train_progress_bar.close()


def build_callbacks(config: TrainConfig, run_dir: Path, started: Optional[float] = None) -> list[L.Callback]:
    """Best and last checkpoints, progress bar, random-generator state, wall clock (from `started`) and last
    checkpoint on Ctrl-C/SIGTERM/a data error (training/fault_tolerance.py), freeze scheduler, early stopping
    (verbose: each epoch's decision is logged)."""
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
        StderrProgressBar(),
        # Logged (stderr); Lightning's default, with `rich` installed, prints a table on stdout.
        ModelSummary(),
        RngState(),
        WallClock(started),
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


def logging_interval(config: TrainConfig, train_batches: Optional[int]) -> int:
    """`trainer.log_every_n_steps`, or the training batches of an epoch when there are fewer (`train_batches`, cut
    by `limit_train_batches`): on small data the configured interval would log no training step at all."""
    every, limit = config.trainer.log_every_n_steps, config.trainer.limit_train_batches
    if train_batches is None:
        return every
    if isinstance(limit, int):
        train_batches = min(train_batches, limit)
    elif isinstance(limit, float):
        train_batches = int(train_batches * limit)
    if 0 < train_batches < every:
        logger.info("logging every %d steps: an epoch has %d training batches", train_batches, train_batches)
        return train_batches
    return every


def build_trainer(
    config: TrainConfig, run_dir: Path, train_batches: Optional[int] = None, started: Optional[float] = None
) -> L.Trainer:
    """The Trainer: epochs, devices and strategy, precision, callbacks, the loggers (CSV first, into the run
    folder), and checkpoint files written atomically. `train_batches` (an epoch's training batches) caps the
    logging interval; `started` is when the run began (its wall clock)."""
    params, trainer = config.train_parameters, config.trainer
    use_torch_leaf_spec()
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
        log_every_n_steps=logging_interval(config, train_batches),
        callbacks=build_callbacks(config, run_dir, started),
        logger=build_loggers(config, run_dir),
        default_root_dir=run_dir,
        num_sanity_val_steps=0,
        enable_model_summary=False,  # Lightning's own; the ModelSummary callback above gives the summary
        **device_settings(config),
        **limits,
    )
