"""`--resume`: a run killed with SIGKILL continues from its last checkpoint to the planned last epoch, as if it had
never stopped; checkpoint files are written atomically; `last` finds the newest run; bad values exit with status 2.
"""

import contextlib
import csv
import io
import json
import os
import signal
from pathlib import Path

import pytest
import torch

import train
from tests.conftest import write_tiny_config
from tests.train_driver import launch
from training.fault_tolerance import AtomicCheckpointIO
from training.checkpoints import load_classifier
from training.resume import find_checkpoint
from utils.config import ConfigError
from utils.config_data import GeneralParameters

# Gloss only: 12 training clips, 3 batches of 4 per epoch.
SETTINGS = ["train_parameters.classification_mode=gloss", "trainer.limit_train_batches=null"]


def _main(config_path: Path, *arguments: str) -> tuple[int, Path]:
    """train.main in this process with `--set` SETTINGS and `arguments`; (exit status, run folder)."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = train.main(["--model_config_path", str(config_path), *(f"--set={s}" for s in SETTINGS), *arguments])
    return status, Path(output.getvalue().strip().splitlines()[-1].removeprefix("run_dir: "))


def _load(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def test_run_killed_mid_epoch_resumes_to_the_planned_end(tmp_path, tiny_dataset):
    config_path = write_tiny_config(tmp_path, tiny_dataset)
    killed = launch(config_path, [*SETTINGS, "train_parameters.epochs=2"], {"DRIVER_KILL_AT": "1:1"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").glob("*/*")
    assert not (run_dir / "summary.json").exists()
    assert _load(run_dir / "checkpoints" / "last.ckpt")["global_step"] == 3  # the end of epoch 0

    status, resumed_dir = _main(config_path, "--set=train_parameters.epochs=2", "--resume", "last")
    assert status == 0 and resumed_dir == run_dir
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["epochs_trained"] == 2 and summary["interrupted"] is None
    last = _load(run_dir / "checkpoints" / "last.ckpt")
    assert (last["epoch"], last["global_step"]) == (1, 6)
    best = load_classifier(Path(summary["best_checkpoint"]))
    assert best.head_configs.keys() == {"gloss"}
    with (run_dir / "metrics.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    # One validation per epoch, the first logged before the kill; every training step once.
    assert [int(row["epoch"]) for row in rows if row["val/loss"]] == [0, 1]
    assert [int(row["step"]) for row in rows if row["train/loss_step"]] == list(range(6))


@pytest.mark.slow
def test_resumed_run_ends_as_one_that_never_stopped(tmp_path, tiny_dataset):
    # Weights, optimiser and schedule are restored, and the random draws (shuffle, augmentations) too.
    config_path = write_tiny_config(tmp_path, tiny_dataset)
    _, stopped_dir = _main(config_path, "--set=train_parameters.epochs=1")
    _, resumed_dir = _main(config_path, "--set=train_parameters.epochs=2", "--resume", "last")
    _, straight_dir = _main(config_path, "--set=train_parameters.epochs=2")
    assert resumed_dir == stopped_dir != straight_dir
    resumed, straight = (_load(run / "checkpoints" / "last.ckpt") for run in (resumed_dir, straight_dir))
    assert resumed["global_step"] == straight["global_step"] == 6
    for name, weights in straight["state_dict"].items():
        torch.testing.assert_close(resumed["state_dict"][name], weights, rtol=0, atol=0, msg=name)


@pytest.mark.slow
def test_kill_while_writing_a_checkpoint_leaves_the_previous_one(tmp_path, tiny_dataset):
    config_path = write_tiny_config(tmp_path, tiny_dataset)
    overrides = [*SETTINGS, "train_parameters.epochs=2"]
    killed = launch(config_path, overrides, {"DRIVER_KILL_IN_SAVE": "last.ckpt:2"})  # the save at the end of epoch 1
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").glob("*/*")
    assert list((run_dir / "checkpoints").glob(".last.ckpt.*"))  # the half-written file, under another name
    assert _load(run_dir / "checkpoints" / "last.ckpt")["global_step"] == 3

    status, _ = _main(config_path, "--set=train_parameters.epochs=2", "--resume", "last")
    assert status == 0
    assert _load(run_dir / "checkpoints" / "last.ckpt")["global_step"] == 6
    assert not list((run_dir / "checkpoints").glob(".last.ckpt.*"))


class _FailsToPickle:
    def __reduce__(self):
        raise RuntimeError("disk full")


def test_failed_write_keeps_the_previous_checkpoint(tmp_path):
    path = tmp_path / "checkpoints" / "best.ckpt"
    writer = AtomicCheckpointIO()
    writer.save_checkpoint({"weights": torch.ones(3)}, path)
    with pytest.raises(RuntimeError, match="disk full"):
        writer.save_checkpoint({"weights": torch.zeros(10_000), "broken": _FailsToPickle()}, path)
    torch.testing.assert_close(_load(path)["weights"], torch.ones(3))
    assert os.listdir(path.parent) == ["best.ckpt"]


def test_resume_last_is_the_newest_run_of_the_experiment(tmp_path):
    general = GeneralParameters(data_path="unused", runs_dir=str(tmp_path), experiment_name="exp")
    for name, written in [("20260102-000000", 1_000), ("20260101-000000", 2_000)]:  # the most recently written
        path = tmp_path / "exp" / name / "checkpoints" / "last.ckpt"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"")
        os.utime(path, (written, written))
    assert find_checkpoint("last", general).parent.parent.name == "20260101-000000"
    with pytest.raises(ConfigError, match="no run of experiment 'other'"):
        find_checkpoint("last", general.model_copy(update={"experiment_name": "other"}))


@pytest.mark.parametrize("value, message", [("last", "no run of experiment"), ("nowhere.ckpt", "no such checkpoint")])
def test_resume_without_a_checkpoint_exits_with_status_2(tmp_path, tiny_dataset, capsys, value, message):
    status = train.main(["--model_config_path", str(write_tiny_config(tmp_path, tiny_dataset)), "--resume", value])
    assert status == 2
    assert message in capsys.readouterr().err
