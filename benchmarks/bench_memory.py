"""Memory of a training run of the default config over 3 epochs: does the process's RSS stay flat?

Trains `train_config.yml` (or `--config`) for `--epochs` epochs in this process, with the run folder (and the MLflow
store) in a temporary folder, and prints per epoch the resident set size (RSS) at the epoch's end (after its
validation) and the peak RSS so far; then the growth from the first epoch's end to the last one's, in MB and as a
ratio. Before training, the RSS after imports and data set-up is printed as the baseline.

Usage (from the repository root):
    python benchmarks/bench_memory.py [--config train_config.yml] [--epochs 3] [--set key.path=value ...]
"""

import argparse
import resource
import sys
import tempfile

from typing import Any, Optional
from unittest import mock

import lightning as L
import psutil

import train
from training import trainer_factory

# pylint: enable=wrong-import-position

MB = 2**20
FLAT_RATIO = 1.05  # "flat": the last epoch's RSS within 5% of the first epoch's


def rss_mb() -> float:
    """This process's resident set size now."""
    return psutil.Process().memory_info().rss / MB


def peak_mb() -> float:
    """This process's peak resident set size so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB


class MemoryProbe(L.Callback):
    """RSS and peak RSS at the start of training and at the end of every training epoch (after validation)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.rows.append({"when": "start", "rss": rss_mb(), "peak": peak_mb()})

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.rows.append({"when": f"epoch {trainer.current_epoch + 1}", "rss": rss_mb(), "peak": peak_mb()})


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="train_config.yml")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")
    return parser.parse_args(argv)


def report(rows: list[dict[str, Any]]) -> list[str]:
    """The table, then the growth between the first and the last epoch."""
    lines = [f"{'':<10} {'RSS MB':>9} {'peak MB':>9}"]
    lines += [f"{row['when']:<10} {row['rss']:>9.1f} {row['peak']:>9.1f}" for row in rows]
    first, last = rows[1], rows[-1]
    for name in ("rss", "peak"):
        ratio = last[name] / first[name]
        lines.append(
            f"{name} growth {first['when']} -> {last['when']}: {last[name] - first[name]:+.1f} MB"
            f" (x{ratio:.3f}: {'flat' if ratio <= FLAT_RATIO else 'GROWING'})"
        )
    return lines


def main(argv: Optional[list[str]] = None) -> int:
    """Train with the memory probe; print the table."""
    args = parse_args(argv)
    probe = MemoryProbe()
    original = trainer_factory.build_callbacks
    with (
        tempfile.TemporaryDirectory() as runs,
        mock.patch.object(trainer_factory, "build_callbacks", lambda *a: original(*a) + [probe]),
    ):
        overrides = [f"train_parameters.epochs={args.epochs}", f"general_parameters.runs_dir={runs}", *args.overrides]
        arguments = ["--model_config_path", args.config, *(f"--set={item}" for item in overrides)]
        status = train.main(arguments)
    if status != 0 or len(probe.rows) < 2:
        print(f"training failed (exit status {status})", file=sys.stderr)
        return status or 1
    print(f"config: {args.config}, {args.epochs} epochs, overrides: {args.overrides or 'none'}")
    print("\n".join(report(probe.rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
