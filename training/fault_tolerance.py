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
from pathlib import Path
from typing import Any, Optional

import lightning as L
import numpy as np
import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO
from lightning.pytorch.trainer.states import TrainerFn
from lightning.pytorch.utilities.exceptions import SIGTERMException

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
    """On Ctrl-C or SIGTERM while fitting: saves `path` (the run's last.ckpt) with the state reached, mid-epoch
    included, so that `--resume last` continues from there. `interrupted` names the signal."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.interrupted: Optional[str] = None

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        self.interrupted = interrupt_name(exception)
        if self.interrupted is None or trainer.state.fn != TrainerFn.FITTING or trainer.sanity_checking:
            return
        trainer.save_checkpoint(self.path)
        logger.warning(
            "%s: saved %s at epoch %d, step %d; continue with --resume last (or --resume %s)",
            self.interrupted,
            self.path,
            trainer.current_epoch,
            trainer.global_step,
            self.path,
        )


def fit_or_interrupt(
    trainer: L.Trainer, module: L.LightningModule, data: L.LightningDataModule, checkpoint: Optional[Path]
) -> Optional[str]:
    """`trainer.fit`, resumed from `checkpoint` if given; returns the interrupting signal's name, or None."""
    saver = next(callback for callback in trainer.callbacks if isinstance(callback, SaveOnInterrupt))
    try:
        trainer.fit(module, datamodule=data, ckpt_path=checkpoint)
    except SystemExit:
        if saver.interrupted is None:
            raise
    return saver.interrupted


class TrainingInterrupted(Exception):
    """Training stopped on a signal after the run folder was written (last checkpoint, summary.json, reports)."""

    def __init__(self, run_dir: Path, signal_name: str) -> None:
        super().__init__(f"{signal_name}: training interrupted; continue with --resume last")
        self.run_dir = run_dir
        self.exit_status = 128 + signal.Signals[signal_name].value
