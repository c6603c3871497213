"""Tiny input files of every supported format, generated for the data-source tests."""

import gzip
import io
import zipfile
from pathlib import Path
from typing import Optional

import cv2
import numpy as np
import pandas as pd
import mediapipe as mp
from PIL import Image
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

from datasets.landmark_files import joint_names, save_landmarks_npz

# pylint: disable=no-member  # cv2 is a compiled extension whose members pylint cannot see


def sign_mnist_lines(labels: list[int]) -> list[str]:
    """Header and one row per label; row i's pixels are all `10 * i % 256`."""
    header = "label," + ",".join(f"pixel{i}" for i in range(1, 785))
    return [header] + [f"{label}," + ",".join([str(10 * i % 256)] * 784) for i, label in enumerate(labels)]


def write_sign_mnist(path: Path, labels: list[int], extra: tuple[str, ...] = ()) -> Path:
    """A Sign MNIST CSV (gzip when the name ends in .gz) with the given labels, then the `extra` raw lines."""
    text = "\n".join(sign_mnist_lines(labels) + list(extra)) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_video(
    path: Path, frames: int = 30, fps: float = 25.0, size: tuple[int, int] = (48, 64), moving: bool = False
) -> Path:
    """An mp4 whose frame i is a flat grey of brightness 8 * i (so frame indexes can be read back), or, `moving`,
    a drifting texture with a moving square (so the codec stores inter frames, as in real videos)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (size[1], size[0]))
    rows, columns = np.mgrid[: size[0], : size[1]]
    for i in range(frames):
        if moving:
            frame = np.stack([(np.sin((columns + 3 * i) / 9.0 + c) * 60 + 120) + rows / 4 for c in range(3)], -1)
            top, left = (2 * i) % (size[0] // 2), (3 * i) % (size[1] // 2)
            frame[top : top + size[0] // 4, left : left + size[1] // 4] = (230, 180, 140)
            writer.write(frame.astype(np.uint8))
        else:
            writer.write(np.full((*size, 3), 8 * i, dtype=np.uint8))
    writer.release()
    return path


def image_bytes(mode: str, size: tuple[int, int], fmt: str) -> bytes:
    """An image of the given PIL mode, size (width, height) and file format."""
    buffer = io.BytesIO()
    Image.new(mode, size, color=100 if mode in ("L", "P") else (100,) * len(mode)).save(buffer, format=fmt)
    return buffer.getvalue()


# class folder -> (file name, PIL mode, size, format): grey, palette, alpha and odd sizes on purpose
IMAGES = {
    "A": [("a1.jpg", "L", (20, 20), "JPEG"), ("a2.png", "RGBA", (12, 10), "PNG")],
    "B": [("b1.gif", "P", (16, 16), "GIF"), ("b2.jpg", "RGB", (30, 18), "JPEG")],
    "space": [("s1.bmp", "RGB", (8, 8), "BMP")],
}


def write_image_folder(root: Path) -> Path:
    """A class-per-folder tree of `IMAGES` under `root`."""
    for label, files in IMAGES.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        for name, mode, size, fmt in files:
            (root / label / name).write_bytes(image_bytes(mode, size, fmt))
    return root


def write_image_zip(path: Path, inner: str = "train") -> Path:
    """The same tree inside a zip, under the folder `inner`."""
    with zipfile.ZipFile(path, "w") as archive:
        for label, files in IMAGES.items():
            for name, mode, size, fmt in files:
                archive.writestr(f"{inner}/{label}/{name}", image_bytes(mode, size, fmt))
    return path


def write_npz(path: Path, frames: int = 6, nan: bool = False) -> Path:
    """A pose + right hand clip; frame t's right wrist x is t / 10 (all NaN with `nan`)."""
    layout = joint_names(["pose", "right_hand"])
    landmarks = np.random.default_rng(0).random((frames, len(layout), 4)).astype(np.float32)
    landmarks[:, 33, 0] = np.arange(frames) / 10
    if nan:
        landmarks[:] = np.nan
    save_landmarks_npz(path, landmarks, layout, fps=25.0, frame_size=(480, 640))
    return path


def write_islr_parquet(path: Path, frames: int = 3) -> Path:
    """A Google ISLR parquet: `frame,row_id,type,landmark_index,x,y,z`; the left hand is missing (NaN)."""
    rows = []
    for frame in range(frames):
        for part, count in (("face", 468), ("left_hand", 21), ("pose", 33), ("right_hand", 21)):
            for index in range(count):
                value = np.nan if part == "left_hand" else frame + index / 100
                rows.append((frame + 10, f"{frame}-{part}-{index}", part, index, value, value, value))
    table = pd.DataFrame(rows, columns=["frame", "row_id", "type", "landmark_index", "x", "y", "z"])
    table.to_parquet(path)
    return path


def write_pose(path: Path, frames: int = 5) -> Path:
    """A pose-format file with a right hand in a 200x100 frame at 30 fps; frame 2 is not detected."""
    component = PoseHeaderComponent(
        name="RIGHT_HAND_LANDMARKS",
        points=[h.name for h in mp.solutions.hands.HandLandmark],
        limbs=[],
        colors=[],
        point_format="XYZC",
    )
    header = PoseHeader(
        version=0.1, dimensions=PoseHeaderDimensions(width=200, height=100, depth=0), components=[component]
    )
    data = np.full((frames, 1, 21, 3), 50.0, dtype=np.float32)
    confidence = np.ones((frames, 1, 21), dtype=np.float32)
    confidence[2] = 0
    with path.open("wb") as handle:
        Pose(header, NumPyPoseBody(fps=30, data=np.ma.array(data), confidence=confidence)).write(handle)
    return path


# MP_Data frame vectors by length: (part, joints, values per joint), as the webcam + MediaPipe recipe writes them
MP_DATA_PARTS = {
    1662: (("pose", 33, 4), ("face", 468, 3), ("left_hand", 21, 3), ("right_hand", 21, 3)),
    258: (("pose", 33, 4), ("left_hand", 21, 3), ("right_hand", 21, 3)),
    126: (("left_hand", 21, 3), ("right_hand", 21, 3)),
    63: (("hand", 21, 3),),
}


def mp_vector(length: int, frame: int, zero_parts: tuple[str, ...] = ()) -> np.ndarray:
    """One MP_Data frame vector: every coordinate 0.5 (pose visibility 0.9) but each part's first joint's x, which
    is `(frame + 1) / 100` (so a frame can be told from its values); the parts in `zero_parts` are all zeros."""
    pieces = []
    for part, joints, channels in MP_DATA_PARTS[length]:
        block = np.full((joints, channels), 0.5)
        block[:, 3:] = 0.9  # pose visibility
        block[0, 0] = (frame + 1) / 100
        if part in zero_parts:
            block[:] = 0
        pieces.append(block.ravel())
    return np.concatenate(pieces)


def write_mp_sequence(folder: Path, frames: int, length: int = 258, zero: Optional[dict[int, tuple]] = None) -> Path:
    """`folder/<i>.npy` for i < `frames` (frame i's vector by `mp_vector`; `zero`: frame -> its parts all zeros)."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(frames):
        np.save(folder / f"{index}.npy", mp_vector(length, index, (zero or {}).get(index, ())))
    return folder


def write_mp_data(root: Path, labels: dict[str, int], frames: int = 12, length: int = 258) -> Path:
    """An MP_Data tree `root/<label>/<sequence>/<frame>.npy`: `labels[label]` sequences of `frames` frames each."""
    for label, sequences in labels.items():
        for sequence in range(sequences):
            write_mp_sequence(root / label / str(sequence), frames, length)
    return root


def zip_folder(folder: Path, path: Path, inner: str = "") -> Path:
    """A zip of every file under `folder`, stored under `inner/` (the folder's own name not included)."""
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, str(Path(inner, file.relative_to(folder).as_posix())))
    return path
