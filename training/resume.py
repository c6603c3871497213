"""`--resume last|PATH`: which checkpoint, which run folder, and a metrics.csv that spans the whole training.

A run resumed from `<run>/checkpoints/<name>.ckpt` continues in `<run>`: Lightning restores the weights, optimiser,
learning-rate schedule, epoch and step, the best-checkpoint and early-stopping state, and our random-generator
state; the freeze scheduler's phase follows the restored epoch or step. A checkpoint from anywhere else starts a new
run folder from that state.

Lightning's CSV logger starts `metrics.csv` afresh, so before training the rows logged up to the checkpoint are put
aside (`metrics_before_resume.csv`) and afterwards they are put back in front of the new ones.
"""

import logging
from pathlib import Path
from typing import Any, Optional

import pandas as pd
from torch import nn

from training.checkpoints import CheckpointError, read_checkpoint
from training.fault_tolerance import remove_partial_writes
from utils.config import ConfigError
from utils.config_data import GeneralParameters

logger = logging.getLogger(__name__)

EARLIER_METRICS = "metrics_before_resume.csv"


def find_checkpoint(resume: str, general: GeneralParameters) -> Path:
    """`last`: the newest `last.ckpt` among the runs of `experiment_name`; otherwise the path itself, which must be a
    whole checkpoint of train.py (checked before a run folder is made for it)."""
    if resume != "last":
        path = Path(resume)
        if not path.is_file():
            raise ConfigError(f"--resume {resume}: no such checkpoint file")
        read_resume_checkpoint(path)
        return path
    runs = Path(general.runs_dir) / general.experiment_name
    candidates = list(runs.glob("*/checkpoints/last.ckpt"))
    if not candidates:
        raise ConfigError(
            f"--resume last: no run of experiment {general.experiment_name!r} has {runs}/*/checkpoints/last.ckpt"
        )
    return max(candidates, key=lambda path: path.stat().st_mtime)


def run_dir_of(checkpoint: Path) -> Optional[Path]:
    """The run folder a checkpoint belongs to (`<run>/checkpoints/x.ckpt` beside `<run>/config.yml`), if any."""
    run_dir = checkpoint.resolve().parent.parent
    is_run = checkpoint.resolve().parent.name == "checkpoints" and (run_dir / "config.yml").is_file()
    return run_dir if is_run else None


def read_resume_checkpoint(checkpoint: Path) -> dict[str, Any]:
    """The contents of the checkpoint to resume from; a file that is not a whole checkpoint of train.py (cut short,
    another kind of file) is a `ConfigError` naming it."""
    try:
        contents = read_checkpoint(checkpoint)
    except CheckpointError as error:
        raise ConfigError(f"--resume {error}") from error
    if "global_step" not in contents or "optimizer_states" not in contents:
        raise ConfigError(f"--resume {checkpoint}: holds weights only, not a training state to continue from")
    return contents


def checkpoint_step(checkpoint: Path) -> int:
    """The optimiser step a checkpoint was saved at."""
    return int(read_resume_checkpoint(checkpoint)["global_step"])


def check_weights_fit(checkpoint: Path, module: nn.Module) -> None:
    """The checkpoint's weights must fit the model the config describes, name for name and shape for shape (else a
    `ConfigError` naming the first differences, before training starts)."""
    saved, own = read_resume_checkpoint(checkpoint)["state_dict"], module.state_dict()
    problems = [f"{name} is missing" for name in own if name not in saved]
    problems += [f"{name} is not in this model" for name in saved if name not in own]
    problems += [
        f"{name} is {list(saved[name].shape)}, here {list(own[name].shape)}"
        for name in own
        if name in saved and saved[name].shape != own[name].shape
    ]
    if problems:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        raise ConfigError(
            f"--resume {checkpoint}: its weights do not fit the model this config describes ({shown}); resume with"
            " the config it was trained with (config.yml in its run folder)"
        )


def set_aside_metrics(run_dir: Path, step: int) -> None:
    """Keep the rows of `metrics.csv` (and of rows set aside by an earlier resume) logged before `step`."""
    parts = [pd.read_csv(path) for path in (run_dir / EARLIER_METRICS, run_dir / "metrics.csv") if path.is_file()]
    if parts:
        # A resume that failed before training left both files whole: their rows are the same ones, kept once.
        frame = pd.concat(parts, ignore_index=True).drop_duplicates()
        frame[frame["step"] < step].to_csv(run_dir / EARLIER_METRICS, index=False)


def restore_metrics(run_dir: Path) -> None:
    """Put the rows set aside before training back in front of those logged since."""
    earlier = run_dir / EARLIER_METRICS
    if not earlier.is_file():
        return
    parts = [pd.read_csv(path) for path in (earlier, run_dir / "metrics.csv") if path.is_file()]
    pd.concat(parts, ignore_index=True).to_csv(run_dir / "metrics.csv", index=False)
    earlier.unlink()
    logger.info("metrics.csv: %s rows from before the resume put back", len(parts[0]))


def prepare_resume(run_dir: Path, checkpoint: Path) -> None:
    """Before resuming in `run_dir`: remove half-written checkpoint files, set the earlier metrics aside."""
    remove_partial_writes(run_dir / "checkpoints")
    set_aside_metrics(run_dir, checkpoint_step(checkpoint))
    logger.info("resuming %s from %s", run_dir, checkpoint)
