"""Nothing at run time leaves the machine: a short training (with the MLflow logger), predict.py and export_onnx.py run
with every non-loopback name lookup and connection refused and written down (tests/network_guard/sitecustomize.py),
in a home folder of their own, which nothing may write a config or id file into (MLflow's telemetry keeps its
installation id in ~/.config/mlflow)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_tiny_config

ROOT = Path(__file__).resolve().parents[1]
GUARD = Path(__file__).resolve().parent / "network_guard"
# Settings of the caller's that would point a run at a server, or would switch the telemetry off for it: the project
# must switch it off by itself.
CLEARED = ("MLFLOW_TRACKING_URI", "MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK", "NEPTUNE_API_TOKEN", "NEPTUNE_PROJECT")


def _guarded_env(tmp_path: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in CLEARED and not name.startswith("XDG_")}
    home = tmp_path / "home"
    home.mkdir()
    return env | {
        "PYTHONPATH": os.pathsep.join([str(GUARD), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "NETWORK_GUARD_LOG": str(tmp_path / "network_attempts.log"),
        "HOME": str(home),
        "OMP_NUM_THREADS": "1",
    }


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"{args[0]} failed:\n{result.stderr[-3000:]}"
    return result


def _attempts(env: dict[str, str]) -> str:
    log = Path(env["NETWORK_GUARD_LOG"])
    return log.read_text(encoding="utf-8") if log.is_file() else ""


def assert_clean_console(result: subprocess.CompletedProcess) -> None:
    """A clean run prints no Python warning and no advertisement, each log line once, on stderr with the progress
    bars; stdout holds only the result lines."""
    lines = result.stderr.replace("\r", "\n").splitlines()
    assert not [line for line in lines if re.search(r"\w+Warning\b|warnings.warn|💡", line)], result.stderr[-3000:]
    logged = [line for line in lines if line.startswith(("INFO ", "WARNING "))]
    assert len(logged) == len(set(logged)), "a log line printed twice"
    results = ("val ", "test ", "mlflow: ", "run_dir: ")
    assert all(line.startswith(results) for line in result.stdout.splitlines()), result.stdout


@pytest.mark.slow
def test_training_predict_and_export_reach_no_other_machine(tmp_path, tiny_dataset):
    env = _guarded_env(tmp_path)
    config = write_tiny_config(tmp_path, tiny_dataset)
    # The default logging interval (10 steps), more than the 2 batches of an epoch here: Lightning would warn.
    settings = ["--set", "logging.loggers=[csv, mlflow]", "--set", "trainer.log_every_n_steps=10"]
    trained = _run(["train.py", "--model_config_path", str(config), *settings], env)
    assert_clean_console(trained)
    run_dir = Path(trained.stdout.strip().splitlines()[-1].removeprefix("run_dir: "))
    checkpoint = run_dir / "checkpoints" / "best.ckpt"
    image = next(tiny_dataset.glob("*/*.jpg"))
    _run(["inference/predict.py", "--checkpoint", str(checkpoint), "--input", str(image)], env)
    _run(["inference/export_onnx.py", "--checkpoint", str(checkpoint), "--output", str(tmp_path / "m.onnx")], env)
    assert _attempts(env) == ""
    written = sorted(str(path.relative_to(env["HOME"])) for path in Path(env["HOME"]).rglob("*"))
    assert not [path for path in written if "mlflow" in path], written


def test_the_guard_catches_a_lookup(tmp_path):
    """The guard itself: a lookup of another host fails and is written down; loopback is let through."""
    env = _guarded_env(tmp_path)
    probe = (
        "import socket\n"
        "socket.getaddrinfo('localhost', 80)\n"
        "try:\n    socket.getaddrinfo('example.org', 443)\nexcept OSError as error:\n    print(error)\n"
        "try:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\nexcept OSError as error:\n    print(error)\n"
    )
    result = _run(["-c", probe], env)
    assert result.stdout.count("network guard") == 2
    attempts = _attempts(env)
    assert "getaddrinfo('example.org')" in attempts and "192.0.2.1" in attempts and "localhost" not in attempts
