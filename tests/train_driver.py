"""train.py with test instruments, for tests that need processes of their own (test_ddp.py, test_resume.py).

`python -m tests.train_driver <train.py arguments>` (Lightning's DDP launcher starts the other processes with the
same command). The environment switches the instruments on:
- `DRIVER_RECORD_DIR`: every process writes `rank<r>.json` there: the clips of its batches per stage, its training
  losses and batch sizes, its checkpoint folder, and which of train.py's writers it called;
- `DRIVER_KILL_AT=<epoch>:<batch>`: the process kills itself with SIGKILL as that training batch starts;
- `DRIVER_KILL_IN_SAVE=<file name>:<n>`: the n-th write of that checkpoint file stops halfway with SIGKILL.
"""

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable
from unittest import mock

import lightning as L
import torch

import train
from training import run, trainer_factory
from training.fault_tolerance import AtomicCheckpointIO

ROOT = Path(__file__).resolve().parents[1]


def _rank() -> int:
    return int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", 0)))


class Recorder(L.Callback):
    """Collects what this process saw and writes it to `<folder>/rank<r>.json` after every stage."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen: dict[str, Any] = {"clips": {}, "train_losses": [], "writers": []}

    def _clips(self, trainer: L.Trainer, split: str, batch: dict[str, Any]) -> None:
        key = f"{trainer.state.fn.value}/{split}"
        self.seen["clips"].setdefault(key, []).extend(meta["clip_id"] for meta in batch["meta"])

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, _) -> None:
        self._clips(trainer, "train", batch)
        self.seen["train_losses"].append([float(outputs["loss"]), len(batch["mask"])])

    def on_validation_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, *_) -> None:
        self._clips(trainer, "val", batch)

    def teardown(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        self.seen["checkpoint_dir"] = trainer.checkpoint_callback.dirpath
        self.seen["world_size"] = trainer.world_size
        self.save()

    def save(self) -> None:
        """Write what was recorded so far."""
        (self.folder / f"rank{_rank()}.json").write_text(json.dumps(self.seen), encoding="utf-8")


class SendSignal(L.Callback):
    """Sends `signum` to this process as training batch `batch` of epoch `epoch` starts."""

    def __init__(self, epoch: int, batch: int, signum: int) -> None:
        self.at, self.signum = (epoch, batch), signum

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int):
        if (trainer.current_epoch, batch_idx) == self.at:
            os.kill(os.getpid(), self.signum)


def _killed_while_saving(name: str, nth: int) -> type:
    """AtomicCheckpointIO whose n-th write of `name` writes half the bytes, then SIGKILLs the process."""
    real_save = torch.save

    def half_then_kill(checkpoint: dict, handle: Any) -> None:
        buffer = io.BytesIO()
        real_save(checkpoint, buffer)
        handle.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        handle.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    class KilledWhileSaving(AtomicCheckpointIO):
        """See `_killed_while_saving`."""

        writes = 0

        def save_checkpoint(self, checkpoint: dict, path: Any, storage_options: Any = None) -> None:
            KilledWhileSaving.writes += Path(path).name == name
            if Path(path).name == name and KilledWhileSaving.writes == nth:
                with mock.patch.object(torch, "save", half_then_kill):
                    super().save_checkpoint(checkpoint, path, storage_options)
            super().save_checkpoint(checkpoint, path, storage_options)

    return KilledWhileSaving


def instrument(extra: list[L.Callback]) -> Callable[[], None]:
    """Add `extra` callbacks to every Trainer that train.py builds; returns the function that undoes it."""
    original = trainer_factory.build_callbacks
    patcher = mock.patch.object(trainer_factory, "build_callbacks", lambda *args: original(*args) + extra)
    patcher.start()
    return patcher.stop


def _record_writers(recorder: Recorder) -> None:
    """Note which process calls the writers of run files."""
    for name in ("dump_config", "write_summary", "write_run_report"):
        original = getattr(run, name)

        def wrapper(*args: Any, _original: Callable = original, _name: str = name, **kwargs: Any) -> Any:
            recorder.seen["writers"].append(_name)
            recorder.save()
            return _original(*args, **kwargs)

        setattr(run, name, wrapper)


def main() -> int:
    """Switch the instruments on from the environment, then run train.py's main."""
    extra: list[L.Callback] = []
    if os.environ.get("DRIVER_RECORD_DIR"):
        recorder = Recorder(Path(os.environ["DRIVER_RECORD_DIR"]))
        _record_writers(recorder)
        extra.append(recorder)
    if os.environ.get("DRIVER_KILL_AT"):
        epoch, batch = map(int, os.environ["DRIVER_KILL_AT"].split(":"))
        extra.append(SendSignal(epoch, batch, signal.SIGKILL))
    if os.environ.get("DRIVER_KILL_IN_SAVE"):
        name, nth = os.environ["DRIVER_KILL_IN_SAVE"].split(":")
        trainer_factory.AtomicCheckpointIO = _killed_while_saving(name, int(nth))
    instrument(extra)
    return train.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())


def launch(
    config_path: Path, overrides: list[str], env: dict[str, str], timeout: float = 600, launcher: tuple[str, ...] = ()
) -> Any:
    """Run the driver (`train.py --model_config_path config_path --set ...`) in a new session with `env` added,
    behind `launcher` (e.g. torchrun's arguments); on timeout the whole session (DDP workers included) is killed.
    Returns the CompletedProcess."""
    python = [sys.executable, "-m", "torch.distributed.run", *launcher] if launcher else [sys.executable]
    command = [*python, "-m", "tests.train_driver", "--model_config_path", str(config_path)]
    for override in overrides:
        command += ["--set", override]
    with subprocess.Popen(
        command,
        cwd=ROOT,
        env=os.environ | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    return subprocess.CompletedProcess(command, process.returncode, out, err)
