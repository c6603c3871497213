"""One `train.py` run as its own process, as the benchmarks start them: its output to a log file, its run folder
read from the `run_dir: ...` line train.py prints last."""

import subprocess
import sys
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parents[1]


def run_train_py(config: str, overrides: Iterable[str], log: Path, extra_args: Iterable[str] = ()) -> Path:
    """`train.py --model_config_path config --set ... [extra_args]` from the repository root, its output in `log`.

    Returns the run folder (for `--cv K`, the cross-validation folder); a failed run raises RuntimeError naming the
    exit status and the log.
    """
    command = [sys.executable, "train.py", "--model_config_path", config]
    for override in overrides:
        command += ["--set", override]
    command += list(extra_args)
    with log.open("w", encoding="utf-8") as output:
        finished = subprocess.run(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, check=False)
    lines = log.read_text(encoding="utf-8").splitlines()
    run_dir = next((line.split(": ", 1)[1] for line in reversed(lines) if line.startswith("run_dir: ")), None)
    if finished.returncode != 0 or run_dir is None:
        raise RuntimeError(f"train.py exited with status {finished.returncode}; see {log}")
    return ROOT / run_dir
