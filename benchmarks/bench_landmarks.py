"""CPU speed of the landmark models and of the landmark extractor, in one run.

Prints:
  - `landmarks_gcn` and `landmarks_mlp` (the defaults of `feature_extractor.landmarks`: layout `upper_body_hands`,
    channels 64-64-128-128, temporal kernel 9, D = 256) as feature extractors alone, random weights, eval mode: clips/s
    at batch 1 and at batch 32, clips of 32 frames of 75 joints (pose and both hands) with the left hand missing in
    half of the frames; medians over `--repeats` runs after warm-up; and the GCN / MLP ratio;
  - the extractor (`data_preprocessing/extract_landmarks.py`, MediaPipe Holistic of the pinned mediapipe, one process):
    frames/s on a generated 640x480 video, and on how many frames MediaPipe found a person. A generated video has no
    person in it, so only the detectors run; on real signers the landmark models run too and it is slower.

Usage (from the repository root):
    python benchmarks/bench_landmarks.py [--repeats 10] [--video_frames 100] [--threads N]
"""

import argparse
import logging
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from benchmarks.bench_infer import median_seconds, write_video
from data_preprocessing.extract_landmarks import Job, Settings, extract_clip
from datasets.landmark_files import joint_names
from datasets.media_inputs import find_inputs
from models.registry import LANDMARK_EXTRACTORS
from utils.config_schema import LandmarkExtractorConfig

# pylint: enable=wrong-import-position

FRAMES = 32
BATCHES = (1, 32)
JOINTS = joint_names(["pose", "left_hand", "right_hand"])
REPRESENTATION_SIZE = 256


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
            speeds[batch] = batch / median_seconds(partial(model, landmarks, mask), repeats)
    return speeds


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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; clips of {FRAMES} frames x 75 joints")
    speeds = {name: model_throughput(name, args.repeats) for name in ("landmarks_gcn", "landmarks_mlp")}
    for name, by_batch in speeds.items():
        print(f"{name:14s} " + "  ".join(f"batch {b:2d}: {s:8.1f} clips/s" for b, s in by_batch.items()))
    ratios = "  ".join(f"batch {b:2d}: {speeds['landmarks_gcn'][b] / speeds['landmarks_mlp'][b]:.3f}" for b in BATCHES)
    print(f"gcn / mlp      {ratios}")
    fps, found = extractor_speed(args.video_frames)
    print(
        f"extractor      {fps:.1f} frames/s (MediaPipe Holistic, 640x480, {args.video_frames} frames, one process;"
        f" a person found in {found} of them)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
