"""Surviving crashes and interrupts: atomic checkpoint files, random-generator state in checkpoints, a last
checkpoint on Ctrl-C or SIGTERM.

Lightning ends `Trainer.fit` with `SystemExit` on Ctrl-C (after the callbacks' `on_exception`) and on SIGTERM (its
handler stops at the next batch and raises `SIGTERMException`); `fit_or_interrupt` turns both into a return value so
that train.py can still evaluate and write the reports of what was trained.
"""

import logging
import os
import random
import signal
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

import lightning as L
import numpy as np
import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO
from lightning.pytorch.trainer.states import TrainerFn
from lightning.pytorch.utilities.exceptions import SIGTERMException

from datasets.errors import DataError, error_message

logger = logging.getLogger(__name__)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes a checkpoint to a temporary file beside the target, syncs it to disk and renames it over the target:
    a kill at any moment leaves the previous file or the new one, never a truncated one.

    (Lightning's own writer stages the file in the system's temporary folder and then moves it, which is a plain copy
    whenever that folder is on another file system, as /tmp often is.)
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Optional[Any] = None) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options (got {storage_options!r})")
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as handle:
            temporary = Path(handle.name)
            try:
                torch.save(checkpoint, handle)
                handle.flush()
                os.fsync(handle.fileno())
            except BaseException:
                temporary.unlink()
                raise
        os.replace(temporary, target)
        # The rename is durable only once the folder's entry is on disk too.
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def remove_partial_writes(checkpoint_dir: Path) -> None:
    """Delete the temporary files of writes that a kill interrupted (`.best.ckpt.<random>`)."""
    for leftover in checkpoint_dir.glob(".*.ckpt.*"):
        logger.info("removing %s, left by an interrupted checkpoint write", leftover)
        leftover.unlink()


class RngState(L.Callback):
    """Stores the states of the random generators (torch, CUDA, NumPy, Python) in every checkpoint and restores them
    on resume, so that a resumed run draws the shuffles and augmentations of a run that never stopped."""

    def state_dict(self) -> dict[str, Any]:
        _, numpy_key, position, has_gauss, gauss = np.random.get_state()
        return {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            # As tensors and plain values: checkpoints load with torch.load(weights_only=True).
            "numpy_key": torch.from_numpy(numpy_key.astype(np.int64)),
            "numpy_rest": [int(position), int(has_gauss), float(gauss)],
            "python": random.getstate(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        torch.set_rng_state(state_dict["torch"])
        if state_dict["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["cuda"])
        position, has_gauss, gauss = state_dict["numpy_rest"]
        key = state_dict["numpy_key"].numpy().astype(np.uint32)
        np.random.set_state(("MT19937", key, position, has_gauss, gauss))
        random.setstate(state_dict["python"])


def interrupt_name(exception: BaseException) -> Optional[str]:
    """`SIGINT` for Ctrl-C, `SIGTERM` for Lightning's SIGTERM exit, None for anything else."""
    if isinstance(exception, KeyboardInterrupt):
        return "SIGINT"
    return "SIGTERM" if isinstance(exception, SIGTERMException) else None


class SaveOnInterrupt(L.Callback):
    """On Ctrl-C, SIGTERM or a data error while fitting: saves `path` (the run's last.ckpt) with the state reached,
    mid-epoch included, so that `--resume last` continues from there. `interrupted` names the signal, `failed` holds
    the data error's message."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.interrupted: Optional[str] = None
        self.failed: Optional[str] = None

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        self.interrupted = interrupt_name(exception)
        self.failed = error_message(exception) if isinstance(exception, DataError) else None
        stopped = self.interrupted or self.failed
        if stopped is None or trainer.state.fn != TrainerFn.FITTING or trainer.sanity_checking:
            return
        trainer.save_checkpoint(self.path)
        logger.warning(
            "%s: saved %s at epoch %d, step %d; continue with --resume last (or --resume %s)",
            self.interrupted or "data error",
            self.path,
            trainer.current_epoch,
            trainer.global_step,
            self.path,
        )


class TrainingFailed(DataError):
    """Bad data stopped the training; the last checkpoint is saved. The message says what, where, and what to do."""

    def __init__(self, message: str, checkpoint: Path, skipping: bool) -> None:
        advice = (
            "fix the file"
            if skipping
            else "set general_parameters.skip_bad_samples: true to skip bad samples (listed in skipped_samples.csv),"
            " or fix the file"
        )
        super().__init__(
            f"{message}. Training stopped; its state is saved in {checkpoint}: {advice}, then continue with"
            " --resume last"
        )
        self.checkpoint = checkpoint


def fit_or_interrupt(
    trainer: L.Trainer, module: L.LightningModule, data: L.LightningDataModule, checkpoint: Optional[Path]
) -> Optional[str]:
    """`trainer.fit`, resumed from `checkpoint` if given; returns the interrupting signal's name, or None. A data
    error raises `TrainingFailed` once the last checkpoint is saved."""
    saver = next(callback for callback in trainer.callbacks if isinstance(callback, SaveOnInterrupt))
    try:
        trainer.fit(module, datamodule=data, ckpt_path=checkpoint)
    except SystemExit:
        if saver.interrupted is None:
            raise
    except DataError as error:
        skipping = bool(getattr(getattr(data, "bad", None), "skip", False))
        raise TrainingFailed(error_message(error), saver.path, skipping) from error
    return saver.interrupted


class WallClock(L.Callback):
    """The wall time of a run summed over its parts: every checkpoint carries the seconds spent up to its saving,
    and a resumed run starts counting from there (summary.json's `wall_time_seconds`)."""

    def __init__(self, started: Optional[float] = None) -> None:
        self.started = time.time() if started is None else started
        self.earlier = 0.0

    def seconds(self) -> float:
        """Seconds of this part (since `started`) and of the parts before a resume."""
        return self.earlier + time.time() - self.started

    def state_dict(self) -> dict[str, Any]:
        return {"seconds": self.seconds()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.earlier = float(state_dict["seconds"])


class TrainingInterrupted(Exception):
    """Training stopped on a signal after the run folder was written (last checkpoint, summary.json, reports)."""

    def __init__(self, run_dir: Path, signal_name: str) -> None:
        super().__init__(f"{signal_name}: training interrupted; continue with --resume last")
        self.run_dir = run_dir
        self.exit_status = 128 + signal.Signals[signal_name].value
