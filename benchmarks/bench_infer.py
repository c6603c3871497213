"""Inference speed of the default model in PyTorch and in ONNX Runtime, and the frames/s of webcam.py on a video.

Builds the `train_config.yml` architecture with random weights (speed does not depend on them), exports it with
inference/export_onnx.py into a temporary folder, and prints in one run, for both runtimes:
  - latency: milliseconds per clip at batch 1 (median over `--repeats` runs after warm-up);
  - throughput: clips per second at batch 32 (median over `--repeats` batches);
  - webcam.py: frames per second of its stream loop (decode, preprocess, a prediction every `--stride` frames over a
    sliding window, drawing, writing the annotated video) on a generated 640x480 video file;
and the ONNX Runtime / PyTorch ratio of each. A clip is `num_segments` frames of the validation frame size.

Usage (from the repository root):
    python benchmarks/bench_infer.py [--config train_config.yml] [--repeats 15] [--video_frames 150]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

import cv2
import numpy as np
import torch

from inference import webcam
from inference.export_onnx import example_frames, export_onnx
from inference.predictor import Predictor, load_predictor
from training.lightning_module import SignClassifier
from utils.config import load_config

# pylint: enable=wrong-import-position
# pylint: disable=no-member  # cv2 is a compiled extension whose members pylint cannot see

THROUGHPUT_BATCH = 32


def median_seconds(run: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    """Median wall time of `run()` over `repeats` calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def model_speed(predictor: Predictor, repeats: int) -> tuple[float, float]:
    """(ms per clip at batch 1, clips/s at batch 32) on random full-length clips."""
    length = predictor.num_segments
    single = example_frames(predictor.config, 1, length), torch.ones(1, length, dtype=torch.bool)
    batch = example_frames(predictor.config, THROUGHPUT_BATCH, length)
    mask = torch.ones(THROUGHPUT_BATCH, length, dtype=torch.bool)
    latency = median_seconds(lambda: predictor.logits(*single), repeats)
    per_batch = median_seconds(lambda: predictor.logits(batch, mask), max(3, repeats // 3), warmup=1)
    return 1000 * latency, THROUGHPUT_BATCH / per_batch


def write_video(path: Path, frames: int) -> Path:
    """A 640x480, 25 fps MP4 of a bright disc moving over a gradient (something for the model to look at)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (640, 480))
    background = np.broadcast_to(np.linspace(40, 160, 640, dtype=np.uint8)[None, :, None], (480, 640, 3))
    for index in range(frames):
        frame = np.ascontiguousarray(background)
        centre = (320 + int(150 * np.cos(index / 10)), 240 + int(100 * np.sin(index / 10)))
        cv2.circle(frame, centre, 60, (90, 170, 230), -1)
        writer.write(frame)
    writer.release()
    return path


def webcam_fps(model: Path, video: Path, output: Path, stride: int, threads: int) -> float:
    """Frames/s of webcam.py's headless run on `video`, exactly as its command line runs it."""
    args = ["--checkpoint", str(model), "--source", str(video), "--headless", "--output", str(output)]
    return webcam.stream(webcam.parse_args(args + ["--stride", str(stride), "--threads", str(threads)])).fps


def save_checkpoint(module: SignClassifier, path: Path) -> None:
    """What `inference.predictor.load_module` reads from a train.py checkpoint: the config, class names and weights."""
    torch.save({"hyper_parameters": dict(module.hparams), "state_dict": module.state_dict()}, path)


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=Path("train_config.yml"), help="the model architecture")
    parser.add_argument("--repeats", type=int, default=15, help="timed runs at batch 1 (a third of it at batch 32)")
    parser.add_argument("--video_frames", type=int, default=150, help="frames of the generated video")
    parser.add_argument("--stride", type=int, default=4, help="webcam.py predicts every this many frames")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="CPU threads of both runtimes")
    return parser.parse_args(argv)


def measure(module: SignClassifier, args: argparse.Namespace, folder: Path) -> tuple[dict[str, list[float]], float]:
    """{runtime: [ms/clip at batch 1, clips/s at batch 32, webcam.py frames/s]} and the export time in seconds."""
    models = {"PyTorch": folder / "model.ckpt", "ONNX Runtime": folder / "model.onnx"}
    save_checkpoint(module, models["PyTorch"])
    started = time.perf_counter()
    export_onnx(module, models["ONNX Runtime"])
    export_seconds = time.perf_counter() - started
    video = write_video(folder / "stream.mp4", args.video_frames)
    results = {}
    for name, model in models.items():
        predictor = load_predictor(model, threads=args.threads)
        latency, throughput = model_speed(predictor, args.repeats)
        fps = webcam_fps(model, video, folder / "annotated.mp4", args.stride, args.threads)
        results[name] = [latency, throughput, fps]
    return results, export_seconds


def main(argv: Optional[list[str]] = None) -> int:
    """Measure and print the table."""
    args = parse_args(argv)
    torch.manual_seed(0)
    config = load_config(args.config)
    heads = config.selected_heads()
    class_names = {head: [f"{head}_{i}" for i in range(cfg.num_class)] for head, cfg in heads.items()}
    module = SignClassifier(config, class_names).eval()
    with tempfile.TemporaryDirectory() as folder:
        results, export_seconds = measure(module, args, Path(folder))
    extractor, encoder = config.feature_extractor, config.transformer
    print(
        f"model: {extractor.name} {extractor.model_path} + {encoder.name}, {len(heads)} heads; a clip is "
        f"{config.train_parameters.num_segments} frames of {tuple(example_frames(config, 1, 1).shape[2:])}; "
        f"{args.threads} CPU thread(s) per runtime; ONNX export took {export_seconds:.1f} s"
    )
    rows = [
        "latency at batch 1 (ms/clip, median)",
        f"throughput at batch {THROUGHPUT_BATCH} (clips/s)",
        f"webcam.py on a 640x480 video, stride {args.stride} (frames/s)",
    ]
    print(f"{'':<48}{'PyTorch':>10}{'ONNX Runtime':>14}{'ONNX/PyTorch':>14}")
    for index, row in enumerate(rows):
        torch_value, onnx_value = results["PyTorch"][index], results["ONNX Runtime"][index]
        print(f"{row:<48}{torch_value:>10.1f}{onnx_value:>14.1f}{onnx_value / torch_value:>14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
