"""MediaPipe Holistic, one RGB frame at a time -> the landmarks of the chosen parts as float32 `[J, 4]`.

Two back ends with one interface (`detect(rgb, timestamp_ms)`):
- `HolisticSolution`: `mediapipe.solutions.holistic` (legacy API). mediapipe 0.10.21, the version this project
  pins, carries its models inside the wheel, so nothing is downloaded. Its pose model is `pose_landmark_full`
  (model_complexity 1, the only one in the wheel); with `refine_face` the face has 478 points (iris included),
  otherwise 468.
- `HolisticTask`: the Tasks API's `HolisticLandmarker` with a user-supplied `.task` model file (newer MediaPipe
  releases have no legacy solutions and no bundled models: download `holistic_landmarker.task` from MediaPipe's model
  page yourself and pass it with `--model`). Its face has 478 points.
Channels are x, y (fractions of the frame width and height), z (on x's scale) and visibility, which MediaPipe gives
for pose joints only (NaN elsewhere). A part that is not detected in a frame is NaN throughout.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Optional, Protocol

import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

from datasets.landmark_files import PART_SIZES

logger = logging.getLogger(__name__)

CHANNELS = 4  # x, y, z, visibility


class Detector(Protocol):
    """What the extractor needs of a back end."""

    def detect(self, rgb: np.ndarray, timestamp_ms: int) -> dict[str, list[Any]]:
        """uint8 `[H, W, 3]` RGB -> {part: its landmarks (objects with x, y, z, maybe visibility), [] if none}."""

    def close(self) -> None:
        """Release the MediaPipe graph."""


class HolisticSolution:
    """`mediapipe.solutions.holistic.Holistic`; `static` for unrelated images (no tracking between frames)."""

    def __init__(self, static: bool, refine_face: bool) -> None:
        # model_complexity 1 is the pose model inside the wheel; 0 and 2 would be downloaded.
        self.holistic = mp.solutions.holistic.Holistic(
            static_image_mode=static, model_complexity=1, refine_face_landmarks=refine_face
        )

    def detect(self, rgb: np.ndarray, timestamp_ms: int) -> dict[str, list[Any]]:
        """See `Detector.detect`; the legacy graph keeps its own clock, so `timestamp_ms` is not used."""
        del timestamp_ms
        results = self.holistic.process(rgb)
        found = {
            "pose": results.pose_landmarks,
            "left_hand": results.left_hand_landmarks,
            "right_hand": results.right_hand_landmarks,
            "face": results.face_landmarks,
        }
        return {part: list(value.landmark) if value is not None else [] for part, value in found.items()}

    def close(self) -> None:
        """Release the graph."""
        self.holistic.close()


class HolisticTask:
    """The Tasks API's `HolisticLandmarker` from a `.task` file; `static` for unrelated images."""

    def __init__(self, model_path: Path, static: bool) -> None:
        """Raises ValueError naming the file if MediaPipe cannot load it."""
        mode = vision.RunningMode.IMAGE if static else vision.RunningMode.VIDEO
        options = vision.HolisticLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)), running_mode=mode
        )
        try:
            self.landmarker = vision.HolisticLandmarker.create_from_options(options)
        except RuntimeError as error:  # MediaPipe reports an unreadable or wrong model file this way
            raise ValueError(f"{model_path}: not a MediaPipe holistic landmarker model: {error}") from error
        self.static = static

    def detect(self, rgb: np.ndarray, timestamp_ms: int) -> dict[str, list[Any]]:
        """See `Detector.detect`; video mode needs increasing timestamps."""
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        result = self.landmarker.detect(image) if self.static else self.landmarker.detect_for_video(image, timestamp_ms)
        return {
            "pose": result.pose_landmarks,
            "left_hand": result.left_hand_landmarks,
            "right_hand": result.right_hand_landmarks,
            "face": result.face_landmarks,
        }

    def close(self) -> None:
        """Release the graph."""
        self.landmarker.close()


def open_detector(model_path: Optional[Path], static: bool, refine_face: bool) -> Detector:
    """The Tasks back end when a `.task` file is given, else the legacy solution (models in the wheel)."""
    if model_path is not None:
        return HolisticTask(model_path, static)
    return HolisticSolution(static, refine_face)


def _visibility(point: Any) -> float:
    """A landmark's visibility, NaN where MediaPipe does not give one (hands, face)."""
    if hasattr(point, "HasField"):  # a protobuf landmark of the legacy API
        return point.visibility if point.HasField("visibility") else np.nan
    return np.nan if getattr(point, "visibility", None) is None else point.visibility


def part_array(points: list[Any], part: str, indices: Optional[list[int]] = None) -> np.ndarray:
    """One part's landmarks -> float32 `[n, 4]` for MediaPipe indices `indices` (default: all of the part); NaN rows
    where the part was not detected or has fewer points (a 468-point face has no iris points)."""
    indices = list(range(PART_SIZES[part])) if indices is None else indices
    out = np.full((len(indices), CHANNELS), np.nan, dtype=np.float32)
    for row, index in enumerate(indices):
        if index < len(points):
            point = points[index]
            out[row] = (point.x, point.y, point.z, _visibility(point))
    return out
