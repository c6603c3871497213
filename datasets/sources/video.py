"""`video`: mp4/avi/webm/mov files named by the annotations, decoded with decord (only the sampled frames), with
OpenCV as the fallback when decord is not installed or cannot read a file."""

import logging
from pathlib import Path
from typing import Callable, Optional

import cv2
import numpy as np
import torch
from torch import Tensor

from datasets.annotations import ClipRecord, load_annotated_records
from datasets.archives import FileTree
from datasets.errors import BadSamples, DataError
from datasets.sources.base import Picker, Source

try:
    import decord
except ImportError:  # decord has no wheel for some platforms; OpenCV then decodes everything
    decord = None
DECORD_ERRORS = (RuntimeError, decord.DECORDError) if decord else (RuntimeError,)

# pylint: disable=no-member  # cv2 is a compiled extension whose members pylint cannot see

logger = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".avi", ".webm", ".mov", ".mkv", ".m4v")
# (number of frames, fps or None) -> the frame indexes to decode
Chooser = Callable[[int, Optional[float]], list[int]]


def read_video_decord(path: Path, choose: Chooser) -> Tensor:
    """uint8 RGB `[T, 3, H, W]` of the chosen frames; decord seeks to them and decodes nothing else."""
    if decord is None:
        raise RuntimeError("decord is not installed")
    # One decoding thread: DataLoader workers decode clips in parallel, and decord's own pool would oversubscribe the
    # cores (measured: opening and decoding are both faster with 1 thread, see benchmarks/bench_data.py).
    reader = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=1)
    indices = choose(len(reader), reader.get_avg_fps() or None)
    return torch.from_numpy(reader.get_batch(indices).asnumpy()).permute(0, 3, 1, 2).contiguous()


def _opencv_frame_count(path: Path, capture: "cv2.VideoCapture") -> int:
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    if count > 0:
        return count
    # Some containers (webm, say) do not store the count: walk the stream once.
    counter = cv2.VideoCapture(str(path))
    count = 0
    while counter.grab():
        count += 1
    counter.release()
    return count


def read_video_opencv(path: Path, choose: Chooser) -> Tensor:
    """uint8 RGB `[T, 3, H, W]` of the chosen frames, reading the stream in order up to the last one (OpenCV's
    seeking is not frame-exact for every codec, so it is not used)."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise DataError(f"{path}: cannot decode video (OpenCV cannot open it)")
        indices = choose(_opencv_frame_count(path, capture), capture.get(cv2.CAP_PROP_FPS) or None)
        wanted, frames = set(indices), {}
        for index in range(max(indices) + 1):
            if not capture.grab():
                raise DataError(f"{path}: cannot decode video: the stream ends at frame {index}, before {max(indices)}")
            if index in wanted:
                ok, frame = capture.retrieve()
                if not ok:
                    raise DataError(f"{path}: cannot decode video frame {index}")
                frames[index] = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()
    return torch.from_numpy(np.stack([frames[i] for i in indices])).permute(0, 3, 1, 2).contiguous()


def read_video(path: Path, choose: Chooser) -> Tensor:
    """decord, else OpenCV; a file neither can read raises DataError naming it."""
    if not path.is_file():
        raise DataError(f"{path}: no such video file")
    try:
        return read_video_decord(path, choose)
    except DECORD_ERRORS as error:
        logger.debug("%s: decord failed (%s); trying OpenCV", path, error)
    return read_video_opencv(path, choose)


class VideoSource(Source):
    """Video files in a folder, named (relative to it) by the annotations; `start`/`end` in frames or seconds."""

    format = "video"

    def records_at(self, location: str, bad: BadSamples) -> list[ClipRecord]:
        tree = FileTree(location)
        kept = []
        for record in load_annotated_records(location, self.entry, self.heads_by_mode, bad):
            if tree.exists(record.name):
                kept.append(record)
            else:
                bad.report(DataError(f"{record.origin}: video {tree.describe(record.name)} does not exist"))
        return kept

    def read(self, record: ClipRecord, pick: Picker) -> Tensor:
        path = FileTree(str(record.root)).local_path(record.name)

        def choose(length: int, fps: Optional[float]) -> list[int]:
            first, last = self.span(record, fps, length)
            return pick(first, last, fps, str(path))

        return read_video(path, choose)
