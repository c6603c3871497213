"""Processes and run state: nothing left running or half-done (issue 15)."""

import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
from mlflow import MlflowClient

import train
from inference.demo_app import run_forwarding_signals
from tests.conftest import write_tiny_config
from training.fault_tolerance import WallClock
from training.loggers.factory import MLFLOW_RUN_ID_FILE, continued_mlflow_run


def _signal_once_started(started: Path, number: int) -> threading.Thread:
    """Sends `number` to this process once the child has written `started`."""

    def send() -> None:
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), number)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def test_demo_launcher_passes_sigterm_and_sigint_to_streamlit_and_waits(tmp_path):
    handlers = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    for number in (signal.SIGTERM, signal.SIGINT):
        started, pid_file = tmp_path / f"started{number}", tmp_path / f"pid{number}"
        child = (
            "import os, pathlib, time\n"
            f"pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))\n"
            f"pathlib.Path({str(started)!r}).touch()\n"
            "time.sleep(120)\n"
        )
        sender = _signal_once_started(started, number)
        began = time.monotonic()
        status = run_forwarding_signals([sys.executable, "-c", child])
        sender.join()
        assert status == 128 + number
        assert time.monotonic() - began < 60
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            pass
        else:
            raise AssertionError(f"the child {pid} still runs after the launcher got signal {number}")
    assert {number: signal.getsignal(number) for number in handlers} == handlers  # the launcher's are put back


def test_wall_clock_adds_the_parts_before_a_resume():
    first = WallClock(started=time.time() - 5)
    resumed = WallClock(started=time.time() - 2)
    resumed.load_state_dict(first.state_dict())  # what a checkpoint carries from the first part
    assert 7 <= resumed.seconds() < 9


def test_resumed_run_continues_its_mlflow_run_and_a_killed_one_is_marked(tmp_path, caplog):
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    run = client.create_run(client.create_experiment("e"))  # RUNNING, as a SIGKILLed run stays
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    assert continued_mlflow_run(client, run_dir) is None  # a new run folder: a new MLflow run
    (run_dir / MLFLOW_RUN_ID_FILE).write_text(run.info.run_id, encoding="utf-8")
    with caplog.at_level(logging.INFO):
        assert continued_mlflow_run(client, run_dir) == run.info.run_id
    assert "marked KILLED" in caplog.text
    continued = client.get_run(run.info.run_id).info
    assert continued.status == "RUNNING" and continued.end_time is not None  # the killed part's end is recorded
    (run_dir / MLFLOW_RUN_ID_FILE).write_text("0" * 32, encoding="utf-8")  # the store no longer has it
    assert continued_mlflow_run(client, run_dir) is None


@pytest.mark.slow
def test_resume_after_a_kill_continues_the_mlflow_run_and_the_wall_time(tmp_path, tiny_dataset, capsys):
    config = write_tiny_config(tmp_path, tiny_dataset)
    args = ["--model_config_path", str(config), "--set", "logging.loggers=[csv, mlflow]"]
    args += ["--set", "train_parameters.classification_mode=gloss"]
    assert train.main(args) == 0
    run_dir = Path(capsys.readouterr().out.strip().splitlines()[-1].removeprefix("run_dir: "))
    last = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    carried = last["callbacks"]["WallClock"]["seconds"]  # the first part's time, up to its last checkpoint
    client = MlflowClient(f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}")
    run_id = (run_dir / MLFLOW_RUN_ID_FILE).read_text(encoding="utf-8")
    client.update_run(run_id, status="RUNNING")  # as if the process had been killed before it could finish
    resume = ["--resume", str(run_dir / "checkpoints" / "last.ckpt"), "--set", "train_parameters.epochs=2"]
    assert train.main(args + resume) == 0
    (experiment,) = [e for e in client.search_experiments() if e.name != "Default"]
    runs = client.search_runs([experiment.experiment_id])
    assert [run.info.run_id for run in runs] == [run_id] and runs[0].info.status == "FINISHED"
    assert len(client.get_metric_history(run_id, "val/loss")) == 2  # one point per epoch, both parts
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["epochs_trained"] == 2 and summary["wall_time_seconds"] > carried > 0
