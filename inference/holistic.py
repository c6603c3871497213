"""MediaPipe Holistic at inference: the landmarks a landmark model reads, from a clip's frames or from a live stream.

The extractor's own code and settings run here (`data_preprocessing/extract_landmarks.py`: Holistic from the pinned
mediapipe, tracking across the frames of a video or frame folder, an image on its own), and the joints are then
placed as the training data reader places them (`datasets/landmark_files.py`): float `[T, J, 3]` (x, y, z) of the
training config's `landmark_parts`, NaN where a joint was not detected. Joint selection and normalisation happen
inside the model, as in training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from data_preprocessing.extract_landmarks import Settings, extract_item, frame_landmarks, open_clip_detector
from datasets.errors import DataError
from datasets.images import IMAGE_SUFFIXES
from datasets.landmark_files import joint_names, place_joints
from datasets.media_inputs import InputItem, has_suffix
from models.skeleton_layouts import FACE_SUBSET, LAYOUTS, SkeletonLayout, layout_indices
from utils.config import TrainConfig
from utils.config_data import landmark_parts

NOBODY = "no hands or body detected"


class NobodyDetected(DataError):
    """A clip in which MediaPipe found none of the joints the model reads; the message names the clip."""


@dataclass(frozen=True)
class LandmarkSpec:
    """What a landmark model reads: the training data's `parts` (in order), its skeleton `layout`, and the
    extraction settings that give those parts (the face points only when the data has a face)."""

    parts: tuple[str, ...]
    layout: SkeletonLayout
    settings: Settings

    @property
    def joints(self) -> list[str]:
        """The joints of a clip as the model gets them: `pose.0` ... of `parts`, in order (J of `[T, J, 3]`)."""
        return joint_names(list(self.parts))

    @property
    def model_joints(self) -> list[int]:
        """Where the layout's joints (those the model reads) sit among `joints`."""
        return layout_indices(self.layout, self.joints)

    def place(self, extracted: np.ndarray) -> np.ndarray:
        """The extractor's float `[T, J_extracted, 4]` (in `settings.layout()` order) -> float32 `[T, J, 3]`."""
        return place_joints(list(self.parts), len(extracted), self.settings.layout(), extracted)


def landmark_spec(config: TrainConfig) -> LandmarkSpec:
    """The landmarks of a model that reads them (`feature_extractor.use_landmarks`)."""
    parts = tuple(landmark_parts(config.general_parameters.datasets()))
    layout = LAYOUTS[config.feature_extractor.landmarks.layout]
    face_points = {int(joint.partition(".")[2]) for joint in layout.joints if joint.startswith("face.")}
    # The layouts read the face subset at most; `all` (the refined mesh) only if a layout ever needs more.
    face = "none" if "face" not in parts else "subset" if face_points <= set(FACE_SUBSET) else "all"
    return LandmarkSpec(parts, layout, Settings(face=face))


def is_still(item: InputItem) -> bool:
    """Whether Holistic sees the clip as a still image (no tracking): an image file or a CSV row."""
    return item.label is not None or has_suffix(Path(item.name), IMAGE_SUFFIXES)


def clip_landmarks(item: InputItem, spec: LandmarkSpec) -> tuple[np.ndarray, Optional[float]]:
    """Holistic over every frame of a clip, in order: (float32 `[N, J, 3]`, fps or None). MediaPipe errors on a
    frame become a DataError naming the clip."""
    try:
        extracted, fps, _ = extract_item(item, is_still(item), spec.settings)
    except RuntimeError as error:  # MediaPipe reports a frame it cannot process this way
        raise DataError(f"{item.name}: MediaPipe Holistic failed: {error}") from error
    return spec.place(extracted), fps


def check_detected(landmarks: np.ndarray, spec: LandmarkSpec, name: str) -> None:
    """Raise `NobodyDetected` when none of the model's joints is present in any frame of `[T, J, 3]`."""
    if np.isnan(landmarks[:, spec.model_joints]).any(axis=-1).all():
        raise NobodyDetected(f"{name}: {NOBODY}")


class StreamLandmarks:
    """Holistic in tracking mode over a live stream, one frame at a time (as the extractor runs over a video)."""

    def __init__(self, spec: LandmarkSpec, fps: Optional[float]) -> None:
        self.spec = spec
        self.fps = fps
        self.frames = 0
        self.detector = open_clip_detector(spec.settings, still=False)

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        """The next frame, uint8 RGB `[H, W, 3]` -> float32 `[J, 3]` (NaN = not detected)."""
        extracted = frame_landmarks(self.detector, rgb, self.frames, self.fps, self.spec.settings)
        self.frames += 1
        return self.spec.place(extracted[None])[0]

    def close(self) -> None:
        """Release the MediaPipe graph."""
        self.detector.close()
