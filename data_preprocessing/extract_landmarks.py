"""Extract MediaPipe Holistic landmarks from videos, frame folders and images: one `.npz` file per clip.

Usage (from the repository root):
    python data_preprocessing/extract_landmarks.py INPUT [INPUT ...] --output_dir landmarks/
        [--workers 2] [--face none|subset|all] [--model holistic_landmarker.task] [--folder_is_clip] [--overwrite]

An INPUT is a video (.mp4, .avi, .webm, .mov, .mkv, .m4v), an image (a one-frame clip), a frame folder (HearAI's
`<clip>/<clip>_<i>.jpg`, or any folder of images with --folder_is_clip), or a folder holding any of these at any
depth. Each clip becomes `<output_dir>/<its path relative to INPUT>.npz` (suffix replaced; an INPUT that is itself
a clip gives `<output_dir>/<its name>.npz`), so annotation files can name the `.npz` files in the same layout.

The file format (read by the `landmarks` data source, `datasets/landmark_files.py`, which writes it too):
- `landmarks`: float32 `[T, J, 4]`: x, y (fractions of the frame width and height), z (MediaPipe's relative depth,
  on x's scale) and visibility (given for pose joints only; NaN for hand and face points). A part not detected in a
  frame is NaN in all four channels.
- `layout`: str `[J]`, each joint's name `<part>.<MediaPipe index>`: `pose.0`-`pose.32`, `left_hand.0`-`.20`,
  `right_hand.0`-`.20` (the signer's own left and right), then with `--face` the face points (`face.61`, ...;
  `subset`: the 41 points of the `upper_body_hands_face` layout, `all`: 478 points).
- `fps`: float, the video's frame rate (a frame folder's `properties.json`; NaN for images and when unknown).
- `frame_size`: int `[2]`, (height, width) in pixels.

The legacy Holistic solution runs by default: mediapipe 0.10.21 carries its models, so nothing is downloaded.
`--model PATH` runs the Tasks API's HolisticLandmarker from a `.task` file instead (for newer MediaPipe releases,
which bundle no models; download the file yourself). Images are processed independently; the frames of a video or
frame folder in order, with tracking. Clips whose `.npz` exists are skipped (resumable; files are written under a
temporary name and renamed when complete); `--overwrite` redoes them. Exit status 0; 2 for a bad argument or if any
clip could not be read (each is named at the end, the others are still written).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Iterator, Optional

import numpy as np
from tqdm import tqdm

from data_preprocessing.landmark_detectors import Detector, open_detector, part_array
from datasets.errors import DataError
from datasets.images import IMAGE_SUFFIXES
from datasets.landmark_files import PART_SIZES, save_landmarks_npz
from datasets.media_inputs import InputItem, find_inputs, has_suffix
from models.skeleton_layouts import FACE_SUBSET

# pylint: enable=wrong-import-position

logger = logging.getLogger(__name__)

BODY_PARTS = ("pose", "left_hand", "right_hand")
CHUNK_FRAMES = 64  # frames decoded at a time, so that a long video never sits in memory whole
DEFAULT_FPS = 30.0  # for the Tasks API's video clock when a clip has no frame rate


@dataclass(frozen=True)
class Settings:
    """What to extract: the face points (`none`, `subset`, `all`) and the back end (`model`: a .task file)."""

    face: str = "none"
    model: Optional[Path] = None

    def layout(self) -> list[str]:
        """The joint names of every frame, in order."""
        names = [f"{part}.{i}" for part in BODY_PARTS for i in range(PART_SIZES[part])]
        return names + [f"face.{i}" for i in self.face_indices()]

    def face_indices(self) -> list[int]:
        """The MediaPipe indices of the face points kept."""
        return {"none": [], "subset": list(FACE_SUBSET), "all": list(range(PART_SIZES["face"]))}[self.face]


@dataclass(frozen=True)
class Job:
    """One clip: how to read it, where its `.npz` goes, and whether it is a still image (no tracking)."""

    item: InputItem
    output: Path
    still: bool


def output_path(clip: Path, root: Path, output_dir: Path) -> Path:
    """Where the `.npz` of `clip` (a file or folder found under the INPUT `root`) goes."""
    relative = clip.relative_to(root) if clip != root else Path(clip.name)
    return output_dir / relative.with_name((relative.name if clip.is_dir() else relative.stem) + ".npz")


def plan_jobs(inputs: list[Path], output_dir: Path, folder_is_clip: bool) -> list[Job]:
    """Every clip under the inputs; a DataError names a missing input or two clips that would share an output."""
    jobs: dict[Path, Job] = {}
    for root in inputs:
        for item in find_inputs(root, folder_is_clip=folder_is_clip):
            if item.label is not None:  # a Sign MNIST CSV row: a 28x28 crop, no person for Holistic to find
                logger.warning("skipping %s: CSV rows are not extracted", item.name)
                continue
            clip = Path(item.name)
            job = Job(item, output_path(clip, root, output_dir), still=has_suffix(clip, IMAGE_SUFFIXES))
            if job.output in jobs:
                raise DataError(f"{jobs[job.output].item.name} and {item.name} would both be written to {job.output}")
            jobs[job.output] = job
    return list(jobs.values())


def read_chunks(item: InputItem) -> Iterator[tuple[np.ndarray, Optional[float]]]:
    """The clip's frames in order, `CHUNK_FRAMES` at a time: (uint8 RGB `[t, H, W, 3]`, fps or None)."""
    start, info = 0, {}

    def pick(length: int, fps: Optional[float], name: str) -> list[int]:
        del name
        info.update(length=length, fps=fps)
        return list(range(start, min(length, start + CHUNK_FRAMES)))

    while True:
        frames = item.read(pick)  # an image ignores `pick`: it is one frame
        if len(frames) == 0:
            raise DataError(f"{item.name}: no frames")
        yield frames.permute(0, 2, 3, 1).numpy(), info.get("fps")
        start += CHUNK_FRAMES
        if start >= info.get("length", len(frames)):
            return


def open_clip_detector(settings: Settings, still: bool) -> Detector:
    """Holistic for one clip: `still` (an image) without tracking, else tracking across the clip's frames."""
    return open_detector(settings.model, static=still, refine_face=settings.face == "all")


def frame_landmarks(
    detector: Detector, rgb: np.ndarray, index: int, fps: Optional[float], settings: Settings
) -> np.ndarray:
    """Frame `index` of a clip, uint8 RGB `[H, W, 3]` -> float32 `[J, 4]` in `settings.layout()` order, NaN where a
    part is not detected. Frames must come in order: a tracking detector needs increasing timestamps."""
    found = detector.detect(rgb, int(index * 1000 / (fps or DEFAULT_FPS)))
    parts = [part_array(found[part], part) for part in BODY_PARTS]
    if settings.face != "none":
        parts.append(part_array(found["face"], "face", settings.face_indices()))
    return np.concatenate(parts)


def extract_item(
    item: InputItem, still: bool, settings: Settings
) -> tuple[np.ndarray, Optional[float], tuple[int, int]]:
    """One clip -> (float32 `[T, J, 4]`, fps or None, (height, width))."""
    detector = open_clip_detector(settings, still)
    rows, fps, size = [], None, (0, 0)
    try:
        for frames, fps in read_chunks(item):
            size = frames.shape[1:3]
            rows += [frame_landmarks(detector, rgb, len(rows) + row, fps, settings) for row, rgb in enumerate(frames)]
    finally:
        detector.close()
    return np.stack(rows), fps, (int(size[0]), int(size[1]))


def extract_clip(job: Job, settings: Settings) -> tuple[np.ndarray, Optional[float], tuple[int, int]]:
    """One job's clip -> (float32 `[T, J, 4]`, fps or None, (height, width))."""
    return extract_item(job.item, job.still, settings)


def extract_job(job: Job, settings: Settings) -> tuple[str, int, str]:
    """Extract and write one clip; returns (clip name, frames written, error message or "")."""
    try:
        landmarks, fps, size = extract_clip(job, settings)
        job.output.parent.mkdir(parents=True, exist_ok=True)
        partial = job.output.with_name(job.output.stem + ".partial.npz")
        save_landmarks_npz(partial, landmarks, settings.layout(), fps, size)
        os.replace(partial, job.output)  # complete files only: an interrupted run leaves no .npz to skip
    except (DataError, ValueError, OSError, RuntimeError) as error:  # decord and MediaPipe raise RuntimeError
        return job.item.name, 0, str(error)
    return job.item.name, len(landmarks), ""


def run_jobs(jobs: list[Job], settings: Settings, workers: int) -> tuple[int, list[str]]:
    """Extract every job (in `workers` processes when > 1) with a progress bar; (frames written, errors)."""
    frames, errors = 0, []
    progress = tqdm(total=len(jobs), unit="clip", desc="extracting landmarks")
    if workers > 1:
        # spawn, not fork: MediaPipe graphs and threads must not be copied from a parent process.
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            results = (f.result() for f in as_completed([pool.submit(extract_job, job, settings) for job in jobs]))
            for name, count, error in results:
                frames, errors = frames + count, errors + ([f"{name}: {error}"] if error else [])
                progress.update()
                progress.set_postfix(frames=frames)
    else:
        for job in jobs:
            name, count, error = extract_job(job, settings)
            frames, errors = frames + count, errors + ([f"{name}: {error}"] if error else [])
            progress.update()
            progress.set_postfix(frames=frames)
    progress.close()
    return frames, errors


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    """The command line (argparse exits with status 2 on a bad one)."""
    parser = argparse.ArgumentParser(prog="extract_landmarks.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("inputs", type=Path, nargs="+", help="videos, images, frame folders, or folders of these")
    parser.add_argument("--output_dir", type=Path, required=True, help="where the .npz files go")
    parser.add_argument("--workers", type=int, default=1, help="parallel processes (default 1)")
    parser.add_argument("--face", choices=("none", "subset", "all"), default="none", help="face points to keep")
    parser.add_argument("--model", type=Path, help="a MediaPipe holistic_landmarker .task file (Tasks API)")
    parser.add_argument("--folder_is_clip", action="store_true", help="every folder of images is one clip")
    parser.add_argument("--overwrite", action="store_true", help="extract clips whose .npz exists again")
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings(face=args.face, model=args.model)
    try:
        if args.model is not None:
            if not args.model.is_file():
                raise DataError(f"--model {args.model}: no such file")
            open_detector(args.model, static=True, refine_face=False).close()  # fail now on a bad model file
        jobs = plan_jobs(args.inputs, args.output_dir, args.folder_is_clip)
    except (DataError, ValueError) as error:
        print(f"extract_landmarks.py: error: {error}", file=sys.stderr)
        return 2
    todo = [job for job in jobs if args.overwrite or not job.output.is_file()]
    started = time.perf_counter()
    frames, errors = run_jobs(todo, settings, max(1, args.workers))
    seconds = time.perf_counter() - started
    print(
        f"extracted {len(todo) - len(errors)} clips ({frames} frames, {frames / max(seconds, 1e-9):.1f} frames/s),"
        f" skipped {len(jobs) - len(todo)} already done, {len(errors)} failed; output: {args.output_dir}"
    )
    for error in errors:
        print(f"extract_landmarks.py: error: {error}", file=sys.stderr)
    return 2 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
