"""Landmarks of the synthetic signer: the drawn hand's 21 joints per frame, as a `.npz` in the extractor's format.

The drawn hand is written as the signer's `right_hand` (MediaPipe's joint order: wrist, thumb 1-4, index 5-8,
middle 9-12, ring 13-16, pinky 17-20), x and y as fractions of the frame, z 0, no visibility (NaN, as for hands in
`extract_landmarks.py`); `pose` and `left_hand` are NaN (not detected). Curled fingers' joints lie on the palm.
`<landmarks folder>/<clip>.npz` is the layout `extract_landmarks.py` writes for a folder of clip folders, so a
`frames` dataset finds them with `landmarks_path` (docs/landmarks.md).
"""

from pathlib import Path

import numpy as np

from data_preprocessing.synthetic_drawing import HandTrack, track_joints
from datasets.landmark_files import PART_SIZES, joint_names, save_landmarks_npz

PARTS = ["pose", "left_hand", "right_hand"]
HAND_OFFSET = PART_SIZES["pose"] + PART_SIZES["left_hand"]  # where right_hand.0 sits in the layout


def clip_landmarks(track: HandTrack, handshape: str) -> np.ndarray:
    """float32 `[T, 75, 4]` over `PARTS`: the drawn right hand's x, y (frame fractions), z = 0; NaN elsewhere."""
    joints = track_joints(track, handshape)
    landmarks = np.full((len(joints), len(joint_names(PARTS)), 4), np.nan, dtype=np.float32)
    hand = slice(HAND_OFFSET, HAND_OFFSET + PART_SIZES["right_hand"])
    landmarks[:, hand, :2] = joints
    landmarks[:, hand, 2] = 0.0
    return landmarks


def write_clip_landmarks(path: Path, track: HandTrack, handshape: str, fps: float, image_size: int) -> None:
    """Write one clip's landmarks to `path` (a `.npz` of `datasets.landmark_files`)."""
    save_landmarks_npz(path, clip_landmarks(track, handshape), joint_names(PARTS), fps, (image_size, image_size))
