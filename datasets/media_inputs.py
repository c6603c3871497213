"""What a trained model can be run on: images, videos, frame folders, Sign MNIST CSV rows, and folders of these.

`find_inputs(path)` lists the clips under a path as `InputItem`s; `item.read(sampler)` decodes one clip as uint8
`[T, 3, H, W]`, reading only the frames that `sampler` (the model's validation sampling) picks. A static image or a
CSV row is a one-frame clip.
"""

import logging
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Optional

import torch
from torch import Tensor

from datasets.annotations import PROPERTIES_FILE, ClipRecord
from datasets.errors import BadSamples, DataError
from datasets.images import IMAGE_SUFFIXES, read_image
from datasets.sources.sign_mnist import SIDE, read_sign_mnist
from datasets.sources.video import VIDEO_SUFFIXES
from datasets.sources.video import read_video as read_video_file

logger = logging.getLogger(__name__)

CSV_SUFFIXES = (".csv", ".csv.gz")
SUPPORTED = (
    f"an image ({', '.join(IMAGE_SUFFIXES)}), a video ({', '.join(VIDEO_SUFFIXES)}), "
    f"a Sign MNIST CSV ({', '.join(CSV_SUFFIXES)}) or a folder of these / of frames"
)

# (number of frames, fps or None, clip name) -> the frame indexes to read.
FrameSampler = Callable[[int, Optional[float], str], list[int]]


@dataclass(frozen=True)
class InputItem:
    """One clip to predict: its name, how to read it, and its label when the source has one (CSV rows)."""

    name: str
    read: Callable[[FrameSampler], Tensor]
    label: Optional[int] = None


def natural_key(path: Path) -> list:
    """Sort key that puts `x_2.jpg` before `x_10.jpg`."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def has_suffix(path: Path, suffixes: tuple[str, ...]) -> bool:
    """Whether the file name ends in one of `suffixes` (case-insensitive; `.csv.gz` counts as a whole)."""
    return path.name.lower().endswith(suffixes)


def parse_rows(text: Optional[str]) -> slice:
    """`--rows a:b` (0-based data rows, header excluded, b exclusive), `a:`, `:b` or `a` -> a slice."""
    if text is None:
        return slice(0, None)
    match = re.fullmatch(r"\s*(\d*)\s*(:?)\s*(\d*)\s*", text)
    if not match or not (match[1] or match[3]) or (match[3] and not match[2]):
        raise DataError(f"--rows {text!r}: expected START:STOP, START: or :STOP with 0-based row numbers")
    start = int(match[1] or 0)
    stop = start + 1 if not match[2] else (int(match[3]) if match[3] else None)
    if stop is not None and stop <= start:
        raise DataError(f"--rows {text!r}: STOP must be greater than START")
    return slice(start, stop)


def read_still(path: Path, sampler: FrameSampler) -> Tensor:
    """An image file as a one-frame uint8 clip `[1, 3, H, W]` (there is nothing to sample)."""
    del sampler  # one frame
    return read_image(path).unsqueeze(0)


def _loaded(clip: Tensor, sampler: FrameSampler) -> Tensor:
    """A clip already in memory (a CSV row), `[1, 3, H, W]`."""
    del sampler  # one frame
    return clip


def read_video(path: Path, sampler: FrameSampler) -> Tensor:
    """The sampled frames of a video file as uint8 RGB `[T, 3, H, W]` (decord, else OpenCV)."""
    return read_video_file(path, lambda length, fps: sampler(length, fps, str(path)))


def read_frame_folder(folder: Path, frames: list[Path], sampler: FrameSampler) -> Tensor:
    """The sampled frames of a frame folder (in natural name order) as uint8 `[T, 3, H, W]`."""
    fps = ClipRecord(root=folder.parent, name=folder.name, start=0, end=len(frames) - 1).fps()
    clip = [read_image(frames[i]) for i in sampler(len(frames), fps, str(folder))]
    sizes = {tuple(frame.shape) for frame in clip}
    if len(sizes) > 1:
        raise DataError(f"{folder}: frames of one clip differ in size: {sorted(sizes)}")
    return torch.stack(clip)


def clip_frames(folder: Path, folder_is_clip: bool) -> list[Path]:
    """The frames of `folder` if it is one clip, else [].

    A folder is a clip when it follows the HearAI layout (`<clip>/<clip>_<i>.jpg`, or has a `properties.json`), or
    when `folder_is_clip` says every folder of images is one.
    """
    images = sorted((p for p in folder.iterdir() if p.is_file() and has_suffix(p, IMAGE_SUFFIXES)), key=natural_key)
    frame_name = re.compile(rf"{re.escape(folder.name)}_\d+")
    hearai = (folder / PROPERTIES_FILE).is_file() or all(frame_name.fullmatch(p.stem) for p in images)
    return images if images and (folder_is_clip or hearai) else []


def read_csv_items(path: Path, rows: slice) -> list[InputItem]:
    """Sign MNIST rows `rows` (0-based data rows) of a CSV: one one-frame clip per row, with its label."""
    images, labelled = read_sign_mnist(path, BadSamples())  # a bad row raises a DataError naming its line
    selected = list(enumerate(labelled))[rows]
    if not selected:
        stop = "" if rows.stop is None else rows.stop
        raise DataError(f"{path}: no data rows in --rows {rows.start}:{stop} (it has {len(labelled)})")
    # images[line - 2]: line 1 is the header, so data line n holds row n - 2.
    clips = [torch.from_numpy(images[line - 2]).expand(1, 3, SIDE, SIDE) for _, (line, _) in selected]
    return [
        InputItem(f"{path}:{index}", partial(_loaded, clip), label)
        for (index, (_, label)), clip in zip(selected, clips)
    ]


def _file_inputs(path: Path, rows: slice) -> list[InputItem]:
    """The clips of one file; an unsupported file is an error."""
    if has_suffix(path, IMAGE_SUFFIXES):
        return [InputItem(str(path), partial(read_still, path))]
    if has_suffix(path, VIDEO_SUFFIXES):
        return [InputItem(str(path), partial(read_video, path))]
    if has_suffix(path, CSV_SUFFIXES):
        return read_csv_items(path, rows)
    raise DataError(f"{path}: unsupported input type (expected {SUPPORTED})")


def _folder_inputs(folder: Path, rows: slice, folder_is_clip: bool) -> list[InputItem]:
    """A frame folder as one clip, or every supported file and clip folder below `folder`."""
    frames = clip_frames(folder, folder_is_clip)
    if frames:
        return [InputItem(str(folder), partial(read_frame_folder, folder, frames))]
    items: list[InputItem] = []
    for entry in sorted(folder.iterdir(), key=natural_key):
        if entry.is_dir():
            items += _folder_inputs(entry, rows, folder_is_clip)
        elif has_suffix(entry, IMAGE_SUFFIXES + VIDEO_SUFFIXES + CSV_SUFFIXES):
            items += _file_inputs(entry, rows)
        else:
            logger.debug("skipping %s: not an input type", entry)
    return items


def find_inputs(path: Path, rows: slice = slice(0, None), folder_is_clip: bool = False) -> list[InputItem]:
    """Every clip under `path` (a file or a folder), in natural name order; a `DataError` names what is wrong."""
    path = Path(path)
    if path.is_file():
        return _file_inputs(path, rows)
    if not path.is_dir():
        raise DataError(f"{path}: no such file or folder")
    items = _folder_inputs(path, rows, folder_is_clip)
    if not items:
        raise DataError(f"{path}: nothing to predict inside (expected {SUPPORTED})")
    return items
