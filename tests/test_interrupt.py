"""Ctrl-C (SIGINT) or SIGTERM in the middle of an epoch: train.py saves last.ckpt where training stopped, writes
summary.json and the reports of what was trained, prints `run_dir:` and exits with 128 + the signal's number."""

import contextlib
import io
import json
import signal
from pathlib import Path

import pytest
import torch

import train
from tests.conftest import write_tiny_config
from tests.train_driver import SendSignal
from training import trainer_factory

# Gloss only: 12 training clips, 3 batches of 4 per epoch.
SETTINGS = ["train_parameters.classification_mode=gloss", "trainer.limit_train_batches=null"]


@pytest.mark.parametrize(
    "signum, step",
    [
        (signal.SIGINT, 3),  # KeyboardInterrupt as batch 0 of epoch 1 starts: that batch is not trained
        (signal.SIGTERM, 4),  # Lightning finishes the batch that is running, then stops
    ],
    ids=["SIGINT", "SIGTERM"],
)
def test_signal_mid_epoch_saves_reports_and_exits_cleanly(tmp_path, tiny_dataset, monkeypatch, signum, step):
    original = trainer_factory.build_callbacks
    monkeypatch.setattr(trainer_factory, "build_callbacks", lambda *a: original(*a) + [SendSignal(1, 0, signum)])
    config_path = write_tiny_config(tmp_path, tiny_dataset)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = train.main(
            ["--model_config_path", str(config_path), "--set=train_parameters.epochs=3"]
            + [f"--set={setting}" for setting in SETTINGS]
        )
    assert status == 128 + signum
    run_dir = Path(output.getvalue().strip().splitlines()[-1].removeprefix("run_dir: "))
    last = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert (last["epoch"], last["global_step"]) == (1, step)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["interrupted"] == signal.Signals(signum).name
    assert summary["epochs_trained"] == 1 and summary["val"]["gloss"]["accuracy"] is not None
    assert (run_dir / "report" / "index.html").is_file()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Lightning put the handlers back
