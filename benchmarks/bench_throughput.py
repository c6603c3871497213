"""Throughput, in one run, as ratios (issue 8, item 5):

1. training samples/s of the default config (`train_config.yml`, synthetic data) and of the Sign MNIST config
   (`configs/sign_mnist.yml`), each read as it is at run time: the project's data module and model (as train.py
   builds them) trained by Lightning for `--warmup` + `--steps` optimiser steps on real batches, no validation, no
   logger, no checkpoint. Per step: the step alone (forward, loss, backward, optimiser; from Lightning's batch start to
   batch end) and the whole iteration (batch start to the next batch start: data loading included). samples/s =
   batch_size / median time. The synthetic data is made in a temporary folder when `data/synthetic` is missing.
2. per-frame features of B clips of T frames: ours (`CnnExtractor`: the B*T frames through the backbone as one batch)
   vs HearAI's way (`MultiFrameFeatureExtractor`: a Python loop, one backbone call per clip), the same module and
   weights; forward in eval mode (BatchNorm on its running statistics, so both ways must give the same features:
   checked with allclose) and forward + backward in train mode (timing only: there BatchNorm normalises over
   whatever batch it is given, B*T frames or T, so the features differ by design). Medians of `--repeats` runs,
   the two ways timed in turns so that a busy machine slows both alike.

Usage (from the repository root; OMP_NUM_THREADS=1 on a shared machine):
    python benchmarks/bench_throughput.py [--configs train_config.yml configs/sign_mnist.yml] [--steps 20]
"""

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import lightning as L
import torch

from benchmarks.tables import markdown_table
from datasets.errors import DataError
from models.feature_extractors import CnnExtractor
from training.lightning_module import SignClassifier
from training.run import build_data, ensure_datasets
from utils.config import ConfigError, TrainConfig, check_data_paths, read_yaml, validate_config

DEFAULT_CONFIGS = [Path("train_config.yml"), Path("configs/sign_mnist.yml")]


class StepTimer(L.Callback):
    """Seconds of every training step (batch start to batch end) and iteration (batch start to next batch start)."""

    def __init__(self) -> None:
        self.steps: list[float] = []
        self.iterations: list[float] = []
        self.started: Optional[float] = None

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int):
        now = time.perf_counter()
        if self.started is not None:
            self.iterations.append(now - self.started)
        self.started = now

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs, batch, batch_idx: int):
        self.steps.append(time.perf_counter() - self.started)


def prepared_config(path: Path, scratch: Path) -> tuple[Optional[TrainConfig], str]:
    """(the validated config with its data in place, "") or (None, why its data is missing). A config that asks for
    missing synthetic data gets it generated in `scratch`, not in the checkout."""
    config = validate_config(read_yaml(path), str(path))
    general = config.general_parameters
    if general.make_synthetic_if_missing and not all(Path(entry.path).is_dir() for entry in general.datasets()):
        general.data_path = str(scratch / "synthetic")
    try:
        check_data_paths(config, str(path))
    except ConfigError as error:
        return None, str(error)
    ensure_datasets(config)
    return config, ""


def training_speed(config: TrainConfig, steps: int, warmup: int) -> dict[str, Any]:
    """Median step and iteration seconds of `warmup + steps` optimiser steps (the first `warmup` left out)."""
    L.seed_everything(config.general_parameters.seed, verbose=False)
    data = build_data(config)
    module = SignClassifier(config, data.class_names)
    timer = StepTimer()
    trainer = L.Trainer(
        accelerator="cpu",
        devices=1,
        max_steps=warmup + steps,
        limit_val_batches=0,
        num_sanity_val_steps=0,
        precision=config.trainer.precision,
        accumulate_grad_batches=config.trainer.accumulate_grad_batches,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[timer],
    )
    trainer.fit(module, datamodule=data)
    step, iteration = statistics.median(timer.steps[warmup:]), statistics.median(timer.iterations[warmup:])
    size = config.train_parameters.batch_size
    return {"step_ms": 1000 * step, "iteration_ms": 1000 * iteration, "step_sps": size / step, "sps": size / iteration}


def describe(config: TrainConfig) -> dict[str, Any]:
    """The columns that say what was trained."""
    params, extractor, augment = config.train_parameters, config.feature_extractor, config.augmentations_parameters
    size = augment.center_crop_size if augment.apply_center_crop else augment.resize_size
    return {
        "model": f"{extractor.model_path} + {config.transformer.name}, {len(config.selected_heads())} head(s)",
        "batch": params.batch_size,
        "frames": f"{params.num_segments} x {size}px",
        "workers": config.general_parameters.workers,
    }


def training_rows(paths: list[Path], steps: int, warmup: int) -> list[dict[str, Any]]:
    """One row per config: what it trains and its speed; the ratio to the first config's samples/s."""
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for path in paths:
            config, reason = prepared_config(path, Path(scratch))
            if config is None:
                rows.append({"config": str(path), "model": f"skipped: {reason}"})
                continue
            rows.append({"config": str(path)} | describe(config) | training_speed(config, steps, warmup))
    measured = [row for row in rows if "sps" in row]
    for row in measured:
        row["ratio"] = row["sps"] / measured[0]["sps"]
    return rows


def interleaved_medians(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each run, timed in turns (one warm-up round first), so that a change in the machine's load
    weighs on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(repeats + 1):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            if round_:
                times[name].append(time.perf_counter() - started)
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def hearai_loop(extractor: CnnExtractor) -> Callable[[torch.Tensor], torch.Tensor]:
    """HearAI's MultiFrameFeatureExtractor over our extractor's modules: `[B, T, 3, H, W]` -> `[B, T, D]`, one
    backbone call per clip (every frame real: HearAI had no padding mask)."""
    return lambda clips: torch.stack([extractor.projection(extractor.backbone(clip)) for clip in clips])


def extraction_row(extractor: CnnExtractor, clips: torch.Tensor, repeats: int, train_mode: bool) -> dict[str, Any]:
    """Median ms of both ways on `clips` (forward in eval mode, or forward + backward in train mode)."""
    mask = torch.ones(clips.shape[:2], dtype=torch.bool)
    ways = {"batched": lambda x: extractor(x, mask), "loop": hearai_loop(extractor)}
    extractor.train(train_mode)
    if train_mode:
        timed = {name: lambda way=way: way(clips).sum().backward() for name, way in ways.items()}
        difference = None
    else:
        with torch.inference_mode():
            batched, looped = ways["batched"](clips), ways["loop"](clips)
        difference = float((batched - looped).abs().max())
        if not torch.allclose(batched, looped, rtol=1e-4, atol=1e-5):
            raise AssertionError(f"the two ways disagree: largest difference {difference:.3g}")
        timed = {name: lambda way=way: torch.inference_mode()(way)(clips) for name, way in ways.items()}
    seconds = interleaved_medians(timed, repeats)
    return {
        "clips": f"{clips.shape[0]} x {clips.shape[1]}",
        "pass": "forward + backward (train)" if train_mode else "forward (eval)",
        "batched_ms": 1000 * seconds["batched"],
        "loop_ms": 1000 * seconds["loop"],
        "ratio": seconds["loop"] / seconds["batched"],
        "max_diff": difference,
    }


def extraction_rows(
    frames: Sequence[int] = (4, 8),
    batch: int = 16,
    size: int = 64,
    backbone: str = "resnet10t",
    representation_size: int = 128,
    repeats: int = 10,
) -> list[dict[str, Any]]:
    """Rows for `batch` clips of each length in `frames` (size x size pixels, random): forward, forward + backward."""
    torch.manual_seed(0)
    extractor = CnnExtractor(backbone, representation_size)
    rows = []
    for length in frames:
        clips = torch.rand(batch, length, 3, size, size)
        rows += [extraction_row(extractor, clips, repeats, train_mode) for train_mode in (False, True)]
    return rows


TRAINING_COLUMNS = {
    "config": "config",
    "model": "model",
    "batch": "batch",
    "frames": "frames / clip",
    "workers": "loader workers",
    "step_ms": "step ms (median)",
    "step_sps": "samples/s (step)",
    "iteration_ms": "iteration ms (median, with data loading)",
    "sps": "samples/s (iteration)",
    "ratio": "samples/s ratio to the first",
}
EXTRACTION_COLUMNS = {
    "clips": "B x T",
    "pass": "pass",
    "batched_ms": "one batch of B*T frames, ms",
    "loop_ms": "loop over clips, ms",
    "ratio": "loop / batched",
    "max_diff": "largest |difference|",
}


def at_least_two(text: str) -> int:
    """An integer >= 2: the iteration time needs two consecutive steps."""
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2 (got {value})")
    return value


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", type=Path, nargs="+", default=DEFAULT_CONFIGS, help="the first is the baseline")
    parser.add_argument("--steps", type=at_least_two, default=20, help="timed training steps per config (>= 2)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed training steps first")
    parser.add_argument("--backbone", default="resnet10t", help="timm model of the extraction comparison")
    parser.add_argument("--representation_size", type=int, default=128)
    parser.add_argument("--batch", type=int, default=16, help="clips per batch (B)")
    parser.add_argument("--frames", type=int, nargs="+", default=[4, 8], help="frames per clip (T), each a row")
    parser.add_argument("--size", type=int, default=64, help="frame side in pixels")
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per extraction figure (median)")
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    """Measure and print both tables."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        training = training_rows(args.configs, args.steps, args.warmup)
    except (ConfigError, DataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} CPU thread(s), load average "
        f"{os.getloadavg()[0]:.1f} at the end of training\n"
    )
    print(f"Training: {args.warmup} warm-up steps, then the median of {args.steps} optimiser steps per config\n")
    print(markdown_table(training, TRAINING_COLUMNS))
    print(
        f"\nPer-frame features: {args.backbone} (+ linear to {args.representation_size}), {args.size}x{args.size} "
        f"frames, every frame real; medians of {args.repeats} runs\n"
    )
    rows = extraction_rows(args.frames, args.batch, args.size, args.backbone, args.representation_size, args.repeats)
    print(markdown_table(rows, EXTRACTION_COLUMNS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
