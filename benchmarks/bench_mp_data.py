"""Reading MP_Data recordings, in one run: the raw tree (`format: mp_data`, one `.npy` per frame) from a folder and
from a .zip, against the same clips packed by `data_preprocessing/pack_mp_data.py` (one `.npz` per clip, read by
`format: landmarks`).

Data: generated trees of 1662- and 258-value vectors (`--labels` x `--sequences` x 30 frames; nothing is
downloaded), and, when `../shared/data/mediapipe_signers` is on the machine, its two published raw recordings
(the zip read in place; extracted to a temporary folder for the folder figure). Each clip is read through
`ClipDataset` (no DataLoader workers): every frame, and 8 TSN-sampled frames (what training reads). Each figure is
clips/s, the median of `--repeats` passes (the four readers take turns in each round); the ratios are packed / raw.
Packed files hold the parts read (pose and hands), as `pack_mp_data.py --parts` writes them for such a run; "with
face" holds every part of the vectors.

Usage (from the repository root):
    python benchmarks/bench_mp_data.py [--labels 4] [--sequences 25] [--repeats 5]
"""

import argparse
import contextlib
import io
import logging
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from data_preprocessing import pack_mp_data
from datasets.clip_dataset import ClipDataset
from datasets.errors import BadSamples
from datasets.sources.landmarks import LandmarksSource
from datasets.sources.mp_data import MpDataSource
from utils.config_data import DatasetEntry
from utils.config_schema import HeadConfig

FRAMES, SEGMENTS = 30, 8
PARTS = ["pose", "left_hand", "right_hand"]  # what the clips are read with (the entries' default)
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mediapipe_signers"
REAL_TREES = {"dmohazab": "dmohazab_FYDPASL/MP_Data", "Rishi-11-2": "Rishi-11-2_Sign_Language_Detection/MP_Data"}


def write_tree(root: Path, labels: int, sequences: int, length: int) -> Path:
    """A generated MP_Data tree: `labels` x `sequences` x 30 frames of random vectors of `length`."""
    generator = np.random.default_rng(0)
    for label in range(labels):
        for sequence in range(sequences):
            folder = root / f"sign{label}" / str(sequence)
            folder.mkdir(parents=True)
            for frame in range(FRAMES):
                np.save(folder / f"{frame}.npy", generator.random(length))
    return root


def zip_tree(root: Path, path: Path) -> Path:
    """The tree in a zip (deflated, as published trees are), under `MP_Data/`."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(root.rglob("*.npy")):
            archive.write(file, f"MP_Data/{file.relative_to(root).as_posix()}")
    return path


def clips_per_second(sources: dict[str, object], segments: int, repeats: int) -> dict[str, float]:
    """{name: clips/s} reading every clip of each source with `segments` frames each: the median of `repeats`
    passes, the sources taking turns in each round so that load from other processes hits them alike."""
    datasets = {
        name: ClipDataset(source.records(BadSamples()), segments, lambda clip: clip, train=True)
        for name, source in sources.items()
    }
    times: dict[str, list[float]] = {name: [] for name in datasets}
    for _ in range(repeats):
        for name, dataset in datasets.items():
            start = time.perf_counter()
            list(map(dataset.__getitem__, range(len(dataset))))  # every clip read: what is timed
            times[name].append(time.perf_counter() - start)
    return {name: len(datasets[name]) / statistics.median(times[name]) for name in datasets}


def pack(folder: str, packed: Path, parts: list[str]) -> float:
    """Pack the tree at `folder` into `packed` (its output hidden); returns the seconds it took."""
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        status = pack_mp_data.main([folder, "--output_dir", str(packed), "--parts", *parts])
    if status != 0:
        raise RuntimeError(f"packing {folder} failed")
    return time.perf_counter() - started


def bench_tree(name: str, folder: str, archive: str, work: Path, repeats: int) -> list[str]:
    """Table rows of one tree (its folder and zip locations): pack it (the parts read, and all parts), then read
    it the four ways."""
    pack_seconds = pack(folder, work / "packed", PARTS)
    pack(folder, work / "packed_all", ["pose", "left_hand", "right_hand", "face"])
    labels = len({p.parent.name for p in (work / "packed").rglob("*.npz")})
    heads = {"gloss": {"gloss": HeadConfig(num_class=max(labels, 2))}}
    sources = {
        "folder": MpDataSource(DatasetEntry(path=folder, format="mp_data", heads=["gloss"]), heads),
        "zip": MpDataSource(DatasetEntry(path=archive, format="mp_data", heads=["gloss"]), heads),
    } | {
        kind: LandmarksSource(
            DatasetEntry(path=str(work / kind), format="landmarks", annotation_files={"gloss": "annotations.csv"}),
            heads,
        )
        for kind in ("packed", "packed_all")
    }
    rows = []
    for frames, segments in (("every frame", 1000), (f"{SEGMENTS} TSN frames", SEGMENTS)):
        speeds = clips_per_second(sources, segments, repeats)
        clips = len(sources["packed"].records(BadSamples()))
        raw_folder, raw_zip, packed, packed_all = (speeds[k] for k in ("folder", "zip", "packed", "packed_all"))
        rows.append(
            f"| {name} | {clips} | {frames} | {raw_folder:,.0f} | {raw_zip:,.0f} | {packed:,.0f} | {packed_all:,.0f}"
            f" | {packed / raw_folder:.1f} | {packed / raw_zip:.1f} | {clips / pack_seconds:,.0f} |"
        )
    return rows


def generated_rows(work: Path, args: argparse.Namespace) -> list[str]:
    """Rows of the generated trees of 1662- and 258-value vectors."""
    rows = []
    for length in (1662, 258):
        root = write_tree(work / f"gen{length}" / "MP_Data", args.labels, args.sequences, length)
        archive = zip_tree(root, work / f"gen{length}.zip")
        name = f"generated, {length}-vectors"
        rows += bench_tree(name, str(root), f"{archive}/MP_Data", work / f"gen{length}", args.repeats)
    return rows


def shared_rows(work: Path, repeats: int) -> list[str]:
    """Rows of the published raw recordings (empty when the shared data is absent)."""
    raw = SHARED / "mp_data_raw_samples.zip"
    if not raw.is_file():
        print(f"({raw} is not on this machine: published recordings not measured)")
        return []
    with zipfile.ZipFile(raw) as archive:
        archive.extractall(work / "shared")
    rows = []
    for signer, inner in REAL_TREES.items():
        folder, location = str(work / "shared" / inner), f"{raw}/{inner}"
        rows += bench_tree(f"published, {signer}", folder, location, work / signer, repeats)
    return rows


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point: prints one markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=int, default=4, help="label folders of each generated tree")
    parser.add_argument("--sequences", type=int, default=25, help="sequences per label (30 frames each)")
    parser.add_argument("--repeats", type=int, default=5, help="passes per figure (the median is printed)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    print(f"torch threads {torch.get_num_threads()}, numpy {np.__version__}; medians of {args.repeats} passes")
    print("MP_Data clips (30 frames each) read by ClipDataset, clips/s; parts pose, left_hand, right_hand\n")
    print(
        "| data | clips | frames read | raw folder | raw zip | packed .npz | packed, with face | packed / folder |",
        end="",
    )
    print(" packed / zip | packing clips/s |\n|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        rows = generated_rows(Path(folder), args) + shared_rows(Path(folder), args.repeats)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
