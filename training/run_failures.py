"""Runs that fail leave nothing half-done: a folder says why it failed, or is not left behind at all.

- Before training (bad config found late, bad data, every sample skipped): a run folder made for this run is
  removed, unless it has something to show (the list of skipped samples); then it keeps that list and a summary.json
  whose `failed` says why.
- During training, a data error ends the run like an interrupt: last.ckpt is saved (training/fault_tolerance.py),
  and summary.json says what was trained and why it stopped (`failed`).
"""

import logging
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import lightning as L

from datasets.csv_rows import write_csv
from datasets.data_module import SignDataModule
from datasets.errors import AllSamplesSkipped, error_message
from training.fault_tolerance import TrainingFailed, WallClock
from training.resume import restore_metrics
from training.run_artifacts import write_summary
from training.trainer_factory import monitor_outcome

logger = logging.getLogger(__name__)

SKIPPED_SAMPLES_FILE = "skipped_samples.csv"


@dataclass
class Preparation:
    """What the preparation of a run has built so far (for the message and files of a failure)."""

    data: Optional[SignDataModule] = None


@contextmanager
def cleaned_up_on_failure(run_dir: Path, fresh: bool) -> Iterator[Preparation]:
    """Wraps the preparation of a run (data, model, trainer). If it fails and `fresh` (the folder was made for this
    run, not a resumed one), the folder is removed, or kept with the skipped samples and a summary.json saying why."""
    preparation = Preparation()
    try:
        yield preparation
    except BaseException as error:  # any failure, Ctrl-C included; re-raised
        if not fresh:
            raise
        kept = _keep_or_remove(run_dir, preparation, error)
        if isinstance(error, AllSamplesSkipped) and kept:
            raise AllSamplesSkipped(error.dataset, str(run_dir / SKIPPED_SAMPLES_FILE)) from error
        raise


def _keep_or_remove(run_dir: Path, preparation: Preparation, error: BaseException) -> bool:
    """Remove the folder of a run that failed before training, or, when samples were skipped, keep their list and a
    summary.json whose `failed` is the error; whether the folder is kept."""
    problems = preparation.data.bad.problems if preparation.data is not None else []
    if not problems:
        shutil.rmtree(run_dir, ignore_errors=True)
        logger.info("removed %s: the run failed before training", run_dir)
        return False
    write_csv([{"problem": problem} for problem in problems], run_dir / SKIPPED_SAMPLES_FILE)
    if isinstance(error, AllSamplesSkipped):
        message = str(AllSamplesSkipped(error.dataset, str(run_dir / SKIPPED_SAMPLES_FILE)))
    else:
        message = error_message(error) if isinstance(error, Exception) else type(error).__name__
    write_summary(run_dir, {"failed": message, "skipped_samples": len(problems)})
    logger.warning("the run failed before training; %s keeps %s and summary.json", run_dir, SKIPPED_SAMPLES_FILE)
    return True


def wall_time(trainer: L.Trainer) -> float:
    """Seconds since the run began, the earlier parts of a resumed run included."""
    clock = next(callback for callback in trainer.callbacks if isinstance(callback, WallClock))
    return round(clock.seconds(), 1)


def trained_summary(trainer: L.Trainer, data: SignDataModule) -> dict[str, Any]:
    """What summary.json says of the training, whatever its outcome."""
    return {
        "skipped_samples": len(data.bad),
        "wall_time_seconds": wall_time(trainer),
        "samples": data.split_counts(),
        "epochs_trained": trainer.current_epoch,
        "best_checkpoint": trainer.checkpoint_callback.best_model_path or None,
        "monitor": monitor_outcome(trainer),
    }


def write_failed_run(run_dir: Path, trainer: L.Trainer, data: SignDataModule, failure: TrainingFailed) -> None:
    """summary.json of a run that bad data stopped during training (nothing evaluated: the data is not to be
    trusted), the skipped samples, and metrics.csv whole again after a resume."""
    summary = trained_summary(trainer, data) | {
        "last_checkpoint": str(failure.checkpoint),
        "interrupted": None,
        "failed": str(failure),
    }
    write_summary(run_dir, summary)
    restore_metrics(run_dir)
    if data.bad.problems:
        write_csv([{"problem": problem} for problem in data.bad.problems], run_dir / SKIPPED_SAMPLES_FILE)
