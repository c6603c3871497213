"""Landmark files -> one canonical array: `.npz` (this project's format), Google ISLR `.parquet`, pose-format `.pose`.

Canonical joints are MediaPipe Holistic's, grouped in parts: `pose` (33), `left_hand` (21), `right_hand` (21),
`face` (478: 468 face-mesh points + 10 iris points). A dataset picks its parts (`landmark_parts`); the array is
float32 `[T, J, 3]` (x, y, z), J the sum of the picked parts' sizes in that order, NaN where a joint was not
detected or the file does not have it. x and y are fractions of the frame width and height (MediaPipe's
normalised coordinates); z is on x's scale.

Zero means missing: a part that is exactly 0 in every coordinate of a frame (all its joints' x, y, z) is not a
detection but the zero-fill of tools that write "nothing detected" as zeros (the webcam + MediaPipe recipe of
`MP_Data` recordings, `datasets/mp_data_files.py`), so `.npz` files read as NaN there too (`zeros_to_nan`).

The `.npz` format (written by `save_landmarks_npz`, e.g. by the landmark extractor):
- `landmarks`: float32 `[T, J, C]`, C >= 3 (x, y, z, then optionally visibility), NaN where not detected (a part
  that is all zeros in a frame is read as NaN, see above);
- `layout`: str `[J]`, each joint's name `<part>.<MediaPipe index>`, e.g. `pose.0`, `right_hand.20`, `face.33`
  (so a face subset keeps its MediaPipe indexes);
- `fps`: float, the source's frame rate (NaN if unknown); `frame_size`: int `[2]`, (height, width) in pixels.
"""

import io
import zipfile
from pathlib import Path, PurePosixPath
from typing import Optional

import numpy as np
import pandas as pd
import torch
from pose_format import Pose

from datasets.archives import FileTree
from datasets.errors import DataError
from datasets.sampling import Picker

PART_SIZES = {"pose": 33, "left_hand": 21, "right_hand": 21, "face": 478}
# pose-format component names (MediaPipe Holistic) -> our part names; other components are not read.
POSE_FORMAT_PARTS = {
    "POSE_LANDMARKS": "pose",
    "LEFT_HAND_LANDMARKS": "left_hand",
    "RIGHT_HAND_LANDMARKS": "right_hand",
    "FACE_LANDMARKS": "face",
}


def joint_names(parts: list[str]) -> list[str]:
    """The canonical joint names of `parts`, in order: `pose.0` ... `pose.32`, `left_hand.0`, ..."""
    return [f"{part}.{index}" for part in parts for index in range(PART_SIZES[part])]


def save_landmarks_npz(
    path: Path, landmarks: np.ndarray, layout: list[str], fps: Optional[float], frame_size: tuple[int, int]
) -> None:
    """Write one clip's landmarks `[T, J, C]` (NaN = not detected) with its joint names, fps and (height, width)."""
    if landmarks.ndim != 3 or landmarks.shape[1] != len(layout) or landmarks.shape[2] < 3:
        raise ValueError(f"landmarks must be [T, J={len(layout)}, C>=3], got {landmarks.shape}")
    np.savez_compressed(
        path,
        landmarks=landmarks.astype(np.float32),
        layout=np.array(layout, dtype=str),
        fps=np.float32(np.nan if fps is None else fps),
        frame_size=np.array(frame_size, dtype=np.int32),
    )


def place_joints(parts: list[str], frames: int, names: list[str], values: np.ndarray) -> np.ndarray:
    """Put joints named `<part>.<index>` (values `[T, len(names), 3]`) at their canonical places; NaN elsewhere."""
    offsets, total = {}, 0
    for part in parts:
        offsets[part], total = total, total + PART_SIZES[part]
    out = np.full((frames, total, 3), np.nan, dtype=np.float32)
    source, target = [], []
    for position, name in enumerate(names):
        part, _, index = name.partition(".")
        if part in offsets and index.isdigit() and int(index) < PART_SIZES[part]:
            source.append(position)
            target.append(offsets[part] + int(index))
    out[:, target] = values[:, source, :3]
    return out


def zeros_to_nan(landmarks: np.ndarray, parts: list[str]) -> np.ndarray:
    """Canonical landmarks `[T, J, 3]` of `parts` (in order), with every part that is exactly 0 in all its known
    coordinates of a frame set to NaN (not detected), in place; returns the array."""
    offset = 0
    for part in parts:
        block = landmarks[:, offset : offset + PART_SIZES[part]]
        zero = (block == 0).any(axis=(1, 2)) & ((block == 0) | np.isnan(block)).all(axis=(1, 2))
        block[zero] = np.nan
        offset += PART_SIZES[part]
    return landmarks


def read_npz(data: bytes, parts: list[str]) -> tuple[np.ndarray, Optional[float]]:
    """An `.npz` clip -> (`[T, J, 3]`, fps or None); a part that is all zeros in a frame is NaN (not detected)."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        # np.load would take it for a pickle and complain about allow_pickle, which says nothing of the file.
        raise ValueError("not a landmark .npz file (an .npz is a zip archive of arrays; this file is not one)")
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        missing = {"landmarks", "layout"} - set(archive.files)
        if missing:
            raise ValueError(f"not a landmarks .npz: no {sorted(missing)} (keys: {archive.files})")
        landmarks, layout = archive["landmarks"], [str(n) for n in archive["layout"]]
        fps = float(archive["fps"]) if "fps" in archive.files else float("nan")
    if landmarks.ndim != 3 or landmarks.shape[1] != len(layout) or landmarks.shape[2] < 3:
        raise ValueError(f"landmarks {landmarks.shape} do not match a layout of {len(layout)} joints and C >= 3")
    placed = zeros_to_nan(place_joints(parts, len(landmarks), layout, landmarks), parts)
    return placed, None if np.isnan(fps) else fps


def read_islr_parquet(data: bytes, parts: list[str]) -> tuple[np.ndarray, Optional[float]]:
    """A Google ISLR parquet (`frame, type, landmark_index, x, y, z`, one row per frame and landmark) -> `[T, J, 3]`
    (the format has no fps)."""
    table = pd.read_parquet(io.BytesIO(data), columns=["frame", "type", "landmark_index", "x", "y", "z"])
    frames = np.sort(table["frame"].unique())
    names = (table["type"].astype(str) + "." + table["landmark_index"].astype(str)).to_numpy()
    unique_names, joint = np.unique(names, return_inverse=True)
    values = np.full((len(frames), len(unique_names), 3), np.nan, dtype=np.float32)
    values[np.searchsorted(frames, table["frame"].to_numpy()), joint] = table[["x", "y", "z"]].to_numpy(np.float32)
    return place_joints(parts, len(frames), list(unique_names), values), None


def _mediapipe_index(part: str, point: str) -> str:
    """A pose-format point name -> its MediaPipe index (face points are named by their index already)."""
    # Imported here: mediapipe takes about a second to import and only .pose files need its landmark names.
    import mediapipe as mp  # pylint: disable=import-outside-toplevel

    if part == "face":
        return point
    enum = mp.solutions.pose.PoseLandmark if part == "pose" else mp.solutions.hands.HandLandmark
    return str(enum[point].value) if point in enum.__members__ else "unknown"


def read_pose_format(data: bytes, parts: list[str]) -> tuple[np.ndarray, Optional[float]]:
    """A pose-format `.pose` file (first person) -> `[T, J, 3]`, pixels divided by the frame width/height."""
    pose = Pose.read(data)
    width, height = pose.header.dimensions.width, pose.header.dimensions.height
    points = np.ma.filled(np.ma.asarray(pose.body.data[:, 0, :, :3], dtype=np.float32), np.nan)
    points[np.asarray(pose.body.confidence[:, 0]) <= 0] = np.nan
    points = points / np.array([width, height, width], dtype=np.float32)
    names: list[str] = []
    for component in pose.header.components:
        part = POSE_FORMAT_PARTS.get(component.name)
        names += [f"{part}.{_mediapipe_index(part, p)}" if part else "other" for p in component.points]
    return place_joints(parts, len(points), names, points), float(pose.body.fps) or None


READERS = {".npz": read_npz, ".parquet": read_islr_parquet, ".pose": read_pose_format}


def load_landmarks(tree: FileTree, relative: str, parts: list[str]) -> tuple[np.ndarray, Optional[float], str]:
    """The landmark file `relative` in `tree`, read by its suffix's reader: (`[T, J, 3]`, fps or None, the file's
    name for messages). A file that cannot be read is a DataError naming it."""
    name = tree.describe(relative)
    reader = READERS[PurePosixPath(relative).suffix.lower()]
    try:
        landmarks, fps = reader(tree.read_bytes(relative), parts)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as error:
        raise DataError(f"{name}: cannot read landmarks: {error}") from error
    return landmarks, fps, name


def picked_window(
    landmarks: np.ndarray, span: tuple[int, int], fps: Optional[float], pick: Picker, where: tuple[str, list[str]]
) -> torch.Tensor:
    """The picked frames of frames `span` (first, last) of a file's landmarks, as a tensor; a window in which every
    landmark is NaN (nothing detected) is a DataError naming the file and parts (`where`)."""
    name, parts = where
    first, last = span
    window = landmarks[first : last + 1]
    if np.isnan(window).all():
        raise DataError(f"{name}: every landmark of {parts} is NaN (nothing detected)")
    return torch.from_numpy(window[[i - first for i in pick(first, last, fps, name)]])
