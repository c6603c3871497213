"""CPU speed of the landmark models and of the landmark extractor, in one run.

Model speeds are clips per CPU second of this process (the median over `--repeats` calls after warm-up, random
weights, eval mode): on a shared machine wall time would also count the neighbours; with `--threads 1` it is the
speed of one free core. Prints:
  - the whole models compared on unseen signers (`configs/signers_gloss.yml`, `SIGNER_MODELS`: landmarks_gcn or
    landmarks_mlp per frame, then the config's transformer or conv_transformer, then the gloss head): parameters and
    clips/s at batch 1 and 32 on clips of the config's length (16 frames, 75 joints), and the minor page faults of one
    batch-32 call (fresh memory the allocator had to map: what made landmarks_gcn slower per clip at batch 32);
  - `landmarks_gcn` and `landmarks_mlp` (the defaults of `feature_extractor.landmarks`: layout `upper_body_hands`,
    channels 64-64-128-128, temporal kernel 9, D = 256) as feature extractors alone: clips/s at batch 1 and 32,
    clips of 32 frames of 75 joints (pose and both hands), the left hand missing in half of the frames; and the
    GCN / MLP ratio;
  - the extractor (`data_preprocessing/extract_landmarks.py`, MediaPipe Holistic of the pinned mediapipe, one process):
    frames/s on a generated 640x480 video, and on how many frames MediaPipe found a person. A generated video has no
    person in it, so only the detectors run; on real signers the landmark models run too and it is slower.

Usage (from the repository root; `--threads 1` for the one-core figures of docs/cross_validation.md):
    python benchmarks/bench_landmarks.py [--repeats 10] [--video_frames 100] [--threads N] [--no_extractor]
"""

import argparse
import logging
import resource
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch

from benchmarks.bench_infer import write_video
from data_preprocessing.extract_landmarks import Job, Settings, extract_clip
from datasets.landmark_files import joint_names
from datasets.media_inputs import find_inputs
from models.registry import LANDMARK_EXTRACTORS
from training.model_factory import build_model
from utils.config import load_config
from utils.config_schema import LandmarkExtractorConfig

# pylint: enable=wrong-import-position

FRAMES = 32
BATCHES = (1, 32)
JOINTS = joint_names(["pose", "left_hand", "right_hand"])
REPRESENTATION_SIZE = 256
SIGNERS_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "signers_gloss.yml"
# The models compared on unseen signers: `--set` overrides of configs/signers_gloss.yml (also run by results.py).
SIGNER_MODELS = {
    "landmarks_gcn + transformer": ("feature_extractor.landmarks.name=landmarks_gcn",),
    "landmarks_mlp + transformer": ("feature_extractor.landmarks.name=landmarks_mlp",),
    "landmarks_mlp + conv_transformer": (
        "feature_extractor.landmarks.name=landmarks_mlp",
        "transformer.name=conv_transformer",
    ),
}


def median_cpu_seconds(run: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    """Median CPU time of `run()` over `repeats` calls, after `warmup` untimed ones: the process's own time, so that
    on a shared machine the figure is the model's (wall time would also count the neighbours); with one thread it
    is the wall time of a free core."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        started = time.process_time()
        run()
        times.append(time.process_time() - started)
    return statistics.median(times)


def clips(batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`[batch, 32, 75, 3]` landmarks (left hand missing in every other frame) and a full mask."""
    landmarks = torch.rand(batch, FRAMES, len(JOINTS), 3)
    landmarks[:, ::2, 33:54] = float("nan")
    return landmarks, torch.ones(batch, FRAMES, dtype=torch.bool)


def model_throughput(name: str, repeats: int) -> dict[int, float]:
    """Clips/s of one landmark extractor at each batch size."""
    options = LandmarkExtractorConfig(name=name).model_dump(exclude={"name"})
    model = LANDMARK_EXTRACTORS[name](JOINTS, REPRESENTATION_SIZE, **options).eval()
    speeds = {}
    with torch.inference_mode():
        for batch in BATCHES:
            landmarks, mask = clips(batch)
            speeds[batch] = batch / median_cpu_seconds(partial(model, landmarks, mask), repeats)
    return speeds


def page_faults(run: Callable[[], object]) -> int:
    """Minor page faults of one call of `run()`: pages of fresh memory the process touched for the first time."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    run()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def signer_model_speed(overrides: tuple[str, ...], repeats: int) -> dict[str, float]:
    """Parameters, clips/s at batch 1 and 32 and page faults of a batch-32 call of one whole model of
    configs/signers_gloss.yml (random weights, eval mode, clips of `num_segments` frames, 75 joints)."""
    config = load_config(SIGNERS_CONFIG, overrides)
    model = build_model(config).eval()
    frames = config.train_parameters.num_segments
    figures = {"parameters": sum(p.numel() for p in model.parameters())}
    with torch.inference_mode():
        for batch in BATCHES:
            landmarks = clips(batch)[0][:, :frames]
            mask = torch.ones(batch, frames, dtype=torch.bool)
            call = partial(model, None, mask, landmarks)
            figures[f"batch {batch}"] = batch / median_cpu_seconds(call, repeats)
        figures["page faults"] = page_faults(call)
    return figures


def extractor_speed(frames: int) -> tuple[float, int]:
    """(frames/s, frames with a person found) of the extractor on a generated video."""
    with tempfile.TemporaryDirectory() as folder:
        video = write_video(Path(folder) / "generated.mp4", frames)
        (item,) = find_inputs(video)
        started = time.perf_counter()
        landmarks, _, _ = extract_clip(Job(item, Path(folder) / "out.npz", still=False), Settings())
        seconds = time.perf_counter() - started
    found = int((~np.isnan(landmarks[:, :33, 0])).any(axis=1).sum())
    return len(landmarks) / seconds, found


def main(argv: Optional[list[str]] = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per measurement (median)")
    parser.add_argument("--video_frames", type=int, default=100, help="frames of the generated video")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--no_extractor", action="store_true", help="skip the MediaPipe extractor measurement")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    print(f"whole models of {SIGNERS_CONFIG.name} (clips of its num_segments frames x 75 joints):")
    for name, overrides in SIGNER_MODELS.items():
        figures = signer_model_speed(overrides, args.repeats)
        print(
            f"  {name:34s} {figures['parameters']:>9,d} parameters  batch  1: {figures['batch 1']:8.1f} clips/s"
            f"  batch 32: {figures['batch 32']:8.1f} clips/s  ({figures['page faults']:,d} page faults per batch)"
        )
    print(f"landmark extractors alone, default sizes (clips of {FRAMES} frames x 75 joints):")
    speeds = {name: model_throughput(name, args.repeats) for name in ("landmarks_gcn", "landmarks_mlp")}
    for name, by_batch in speeds.items():
        print(f"{name:14s} " + "  ".join(f"batch {b:2d}: {s:8.1f} clips/s" for b, s in by_batch.items()))
    ratios = "  ".join(f"batch {b:2d}: {speeds['landmarks_gcn'][b] / speeds['landmarks_mlp'][b]:.3f}" for b in BATCHES)
    print(f"gcn / mlp      {ratios}")
    if args.no_extractor:
        return 0
    fps, found = extractor_speed(args.video_frames)
    print(
        f"extractor      {fps:.1f} frames/s (MediaPipe Holistic, 640x480, {args.video_frames} frames, one process;"
        f" a person found in {found} of them)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
