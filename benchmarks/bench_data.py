"""Data-loading speed, in one run, on generated files (nothing is downloaded):

1. video decoding, decord vs OpenCV, on the same mp4 files (short clips and long videos): frames/s and clips/s
   reading every frame, and reading 8 TSN-sampled frames per clip (what training does);
2. every source format through the DataLoader (batch 16, 8 segments, 64x64 frames): clips/s with 0 and 2
   (persistent) workers, after one warm-up pass.

Each figure is the median of `--repeats` passes. Usage (from the repository root):
    python benchmarks/bench_data.py [--videos 8] [--frames 100] [--long_frames 750] [--size 240 320] [--repeats 3]
"""

import argparse
import logging
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch
from torch.utils.data import DataLoader

from data_preprocessing.make_synthetic import make_synthetic_dataset
from datasets.clip_dataset import ClipDataset
from datasets.collate import collate_clips
from datasets.errors import BadSamples
from datasets.sampling import segment_indices
from datasets.sources import SOURCES
from datasets.sources.video import read_video_decord, read_video_opencv
from datasets.transforms import build_transform
from datasets.vocabulary import assign_labels, build_vocabularies
from tests.data_factories import (
    write_image_zip,
    write_islr_parquet,
    write_npz,
    write_pose,
    write_sign_mnist,
    write_video,
)
from utils.config_data import DatasetEntry
from utils.config_schema import AugmentationsParameters, HeadConfig

SEGMENTS, BATCH = 8, 16
HEADS = {"labels": {"label": HeadConfig(num_class=2)}}


def median_time(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of `run()` in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_decoders(videos: list[Path], frames: int, repeats: int) -> list[str]:
    """Rows of the decoder table: frames/s and clips/s of decord and OpenCV, every frame or 8 sampled per clip."""
    rows = []
    for mode, choose in (
        ("every frame", lambda length, fps: list(range(length))),
        (f"{SEGMENTS} TSN frames", lambda length, fps: segment_indices(0, length - 1, SEGMENTS, random_offset=False)),
    ):
        decoded = len(videos) * (frames if mode == "every frame" else SEGMENTS)
        seconds = {
            name: median_time(lambda reader=reader, choose=choose: [reader(v, choose) for v in videos], repeats)
            for name, reader in (("decord", read_video_decord), ("OpenCV", read_video_opencv))
        }
        figures = " | ".join(f"{decoded / s:,.0f} | {len(videos) / s:,.1f}" for s in seconds.values())
        rows.append(f"| {mode} | {figures} | {seconds['OpenCV'] / seconds['decord']:.2f} |")
    return rows


def _entries(root: Path, videos: list[Path]) -> dict[str, DatasetEntry]:
    """One small dataset of every format, labelled with two classes."""
    frames_root = make_synthetic_dataset(root / "frames", clips_per_gloss=4, letter_clips_per_letter=0)
    (frames_root / "labels.csv").write_text(
        "path,label\n" + "".join(f"{p.name},{i % 2}\n" for i, p in enumerate(sorted(frames_root.glob("*_0*")))),
        encoding="utf-8",
    )
    (root / "videos.csv").write_text(
        "path,label\n" + "".join(f"{v.name},{i % 2}\n" for i, v in enumerate(videos)), encoding="utf-8"
    )
    landmarks = root / "landmarks"
    landmarks.mkdir()
    lines = ["path,label"]
    for i in range(16):
        name = [write_npz, write_islr_parquet, write_pose][i % 3](
            landmarks / f"{i}.{['npz', 'parquet', 'pose'][i % 3]}"
        )
        lines.append(f"{name.name},{i % 2}")
    (landmarks / "labels.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "frames": DatasetEntry(path=str(frames_root), annotation_files={"labels": "labels.csv"}),
        "video": DatasetEntry(path=str(videos[0].parent), format="video", annotation_files={"labels": "../videos.csv"}),
        "sign_mnist_csv": DatasetEntry(
            path=str(write_sign_mnist(root / "mnist.csv.gz", [0, 1] * 500)), format="sign_mnist_csv", heads=["label"]
        ),
        "image_folder": DatasetEntry(
            path=f"{write_image_zip(root / 'images.zip')}/train", format="image_folder", heads=["label"]
        ),
        "landmarks": DatasetEntry(path=str(landmarks), format="landmarks", annotation_files={"labels": "labels.csv"}),
    }


def bench_sources(root: Path, videos: list[Path], repeats: int) -> list[str]:
    """Rows of the source table: clips/s through the DataLoader with 0 and 2 workers."""
    transform = build_transform(AugmentationsParameters(resize_size=64, center_crop_size=64), train=True)
    rows = []
    for name, entry in _entries(root, videos).items():
        source = SOURCES[entry.format](entry, HEADS)
        records = source.records(BadSamples())
        if name == "image_folder":  # 5 images: read them 40 times over so that the timing means something
            records = records * 40
        heads = {"label": HeadConfig(num_class=len({r.tokens["label"] for r in records}))}
        records = assign_labels(records, build_vocabularies(records, heads, {}), heads, BadSamples())
        dataset = ClipDataset(records, SEGMENTS, transform, train=True)
        speeds = []
        for workers in (0, 2):
            loader = DataLoader(
                dataset,
                batch_size=BATCH,
                num_workers=workers,
                collate_fn=partial(collate_clips, pad_to=SEGMENTS),
                persistent_workers=workers > 0,  # as in training: workers start once, not every epoch
            )
            list(loader)  # warm-up: worker start-up, file caches
            speeds.append(len(dataset) / median_time(lambda loader=loader: list(loader), repeats))
        rows.append(f"| {name} | {len(dataset)} | {speeds[0]:,.1f} | {speeds[1]:,.1f} | {speeds[1] / speeds[0]:.2f} |")
    return rows


def print_decoder_table(root: Path, args: argparse.Namespace) -> list[Path]:
    """Decode the short clips (`--frames`) and two long videos (`--long_frames`); returns the short clips."""
    size = (args.size[0], args.size[1])
    print(f"Video decoding: MPEG-4 files of {size[1]}x{size[0]}, 25 fps, a key frame every 12 frames")
    print("| videos | frames read | decord frames/s | clips/s | OpenCV frames/s | clips/s | decord speed-up |")
    print("|---|---|---|---|---|---|---|")
    groups = {"short": (args.videos, args.frames), "long": (2, args.long_frames)}
    clips = {}
    for group, (count, frames) in groups.items():
        clips[group] = [
            write_video(root / group / f"v{i}.mp4", frames=frames, size=size, moving=True) for i in range(count)
        ]
        for row in bench_decoders(clips[group], frames, args.repeats):
            print(f"| {count} x {frames} frames {row}")
    return clips["short"]


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point: prints two markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=8, help="generated short clips")
    parser.add_argument("--frames", type=int, default=100, help="frames per short clip (4 s at 25 fps)")
    parser.add_argument("--long_frames", type=int, default=750, help="frames of each of 2 long videos (30 s)")
    parser.add_argument("--size", type=int, nargs=2, default=[240, 320], metavar=("H", "W"), help="frame size")
    parser.add_argument("--repeats", type=int, default=3, help="passes per figure (the median is printed)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    print(f"torch threads {torch.get_num_threads()}, numpy {np.__version__}; medians of {args.repeats} passes\n")
    with tempfile.TemporaryDirectory() as folder:
        videos = print_decoder_table(Path(folder), args)
        print(f"\nSources through the DataLoader (batch {BATCH}, {SEGMENTS} segments, 64x64 frames), clips/s")
        print("| source | clips | 0 workers | 2 workers | 2 / 0 |\n|---|---|---|---|---|")
        print("\n".join(bench_sources(Path(folder), videos, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
