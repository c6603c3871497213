"""What a trained model reads of an input, for every model kind: frames, landmarks, or both (fused).

- A model of frames: the sampled frames of an image, video, frame folder or Sign MNIST CSV row, preprocessed as in
  validation (`datasets/media_inputs.py`, `Predictor.preprocess`).
- A landmark model on an image, video or frame folder: MediaPipe Holistic over the clip's frames, with the
  extractor's code and settings (`inference/holistic.py`), then the validation frame sampling.
- A landmark model on stored landmarks: a landmark file (`.npz`, ISLR `.parquet`, `.pose`; read by
  `datasets/landmark_files.py`) or an MP_Data sequence folder (`<sequence>/<frame>.npy`, read by
  `datasets/mp_data_files.py`), then the validation frame sampling.
- A fused model: the frames and the landmarks of the same sampled frames of one image, video or frame folder.
A clip in which MediaPipe (or the stored file) has none of the joints the model reads raises `NobodyDetected`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Optional, Union

import numpy as np
import torch
from torch import Tensor

from datasets.archives import FileTree
from datasets.errors import DataError
from datasets.images import IMAGE_SUFFIXES
from datasets.landmark_files import READERS, load_landmarks, place_joints
from datasets.media_inputs import SUPPORTED, InputItem, clip_frames, find_inputs, has_suffix, natural_key
from datasets.mp_data_files import FRAME_NAME, read_vectors, unpack_vectors
from datasets.sources.video import VIDEO_SUFFIXES
from inference.holistic import LandmarkSpec, check_detected, clip_landmarks, is_still, landmark_spec
from inference.predictor import Predictor

LANDMARK_SUFFIXES = tuple(READERS)  # .npz, .parquet, .pose
# Media among landmark files: a CSV there is an annotation file, and Holistic finds nobody in a 28x28 Sign MNIST crop.
MEDIA_SUFFIXES = IMAGE_SUFFIXES + VIDEO_SUFFIXES


@dataclass(frozen=True)
class LandmarkItem:
    """One clip of stored landmarks: `read(parts)` gives (float32 `[N, J, 3]` of those parts, NaN = not detected;
    fps or None)."""

    name: str
    read: Callable[[list[str]], tuple[np.ndarray, Optional[float]]]
    label: Optional[int] = None


Item = Union[InputItem, LandmarkItem]


@dataclass
class ModelClip:
    """One input as the model reads it: `inputs` `frames` float `[T, 3, H, W]` (preprocessed) and/or `landmarks`
    float `[T, J, 3]`; `frames`: the uint8 RGB frames `[T, H, W, 3]` the model saw (when asked for); `landmarks`:
    float32 `[T, J, 3]` at those frames (landmark models)."""

    name: str
    inputs: dict[str, Tensor]
    frames: Optional[np.ndarray] = None
    landmarks: Optional[np.ndarray] = None


def read_landmark_file(path: Path, parts: list[str]) -> tuple[np.ndarray, Optional[float]]:
    """A landmark file by its suffix's reader; a file that cannot be read is a DataError naming it."""
    landmarks, fps, _ = load_landmarks(FileTree(str(path.parent)), path.name, parts)
    return landmarks, fps


def sequence_frames(folder: Path) -> list[Path]:
    """The frame files of an MP_Data sequence folder (`0.npy`, `1.npy`, ...) in frame order; [] for other folders."""
    frames = [p for p in folder.iterdir() if p.is_file() and FRAME_NAME.match(p.name)]
    return sorted(frames, key=natural_key)


def read_sequence(
    folder: Path, frames: list[Path], hand: Optional[str], parts: list[str]
) -> tuple[np.ndarray, Optional[float]]:
    """An MP_Data sequence (one flat vector per frame; zeros = not detected) -> `[N, J, 3]` of `parts` (no fps)."""
    vectors = read_vectors(FileTree(str(folder)), [frame.name for frame in frames])
    values, names = unpack_vectors(vectors, hand, str(folder))
    return place_joints(parts, len(values), names, values), None


def _walk(folder: Path, rows: slice, folder_is_clip: bool, hand: Optional[str]) -> list[Item]:
    """The clips below `folder`: images, videos and frame folders (as `find_inputs` finds them), landmark files and
    MP_Data sequences."""
    if clip_frames(folder, folder_is_clip):
        return list(find_inputs(folder, rows, folder_is_clip))
    frames = sequence_frames(folder)
    if frames:
        return [LandmarkItem(str(folder), partial(read_sequence, folder, frames, hand))]
    items: list[Item] = []
    for entry in sorted(folder.iterdir(), key=natural_key):
        if entry.is_dir():
            items += _walk(entry, rows, folder_is_clip, hand)
        elif has_suffix(entry, LANDMARK_SUFFIXES):
            items.append(LandmarkItem(str(entry), partial(read_landmark_file, entry)))
        elif has_suffix(entry, MEDIA_SUFFIXES):
            items += find_inputs(entry, rows)
    return items


def find_model_inputs(
    path: Path, rows: slice, folder_is_clip: bool, landmark_files: bool, hand: Optional[str] = None
) -> list[Item]:
    """Every clip under `path` in natural name order; with `landmark_files` (a landmarks-only model) landmark files
    and MP_Data sequence folders too (`hand`: the slot of one-hand MP_Data vectors)."""
    path = Path(path)
    if has_suffix(path, LANDMARK_SUFFIXES) and path.is_file():
        if not landmark_files:
            raise DataError(f"{path}: a landmark file, but the model reads frames (feature_extractor.use_frames)")
        return [LandmarkItem(str(path), partial(read_landmark_file, path))]
    if not landmark_files or path.is_file() or not path.is_dir():
        return list(find_inputs(path, rows, folder_is_clip))
    items = _walk(path, rows, folder_is_clip, hand)
    if not items:
        raise DataError(f"{path}: nothing to predict inside (expected {SUPPORTED}, landmark files or MP_Data)")
    return items


class ClipReader:
    """Reads inputs for `predictor` exactly as validation reads its training data."""

    def __init__(self, predictor: Predictor) -> None:
        self.predictor = predictor
        config = predictor.config
        self.spec = landmark_spec(config) if "landmarks" in predictor.inputs else None
        datasets = config.general_parameters.datasets()
        self.hand = next((entry.mp_data_hand for entry in datasets if entry.mp_data_hand), None)

    def find(self, path: Path, rows: slice = slice(0, None), folder_is_clip: bool = False) -> list[Item]:
        """The clips under `path` that this model can read (see `find_model_inputs`)."""
        return find_model_inputs(path, rows, folder_is_clip, self.predictor.inputs == ("landmarks",), self.hand)

    def read(self, item: Item, keep_frames: bool = False) -> ModelClip:
        """One clip's model inputs; `keep_frames`: also the uint8 frames the model saw (media inputs only)."""
        if isinstance(item, LandmarkItem):
            return self._stored(item)
        if self.spec is None:
            raw = item.read(self.predictor.frame_indices)
            shown = raw.permute(0, 2, 3, 1).numpy() if keep_frames else None
            return ModelClip(item.name, {"frames": self.predictor.preprocess(raw)}, shown)
        return self._detected(item, self.spec, keep_frames)

    def _stored(self, item: LandmarkItem) -> ModelClip:
        if self.spec is None or "frames" in self.predictor.inputs:
            raise DataError(f"{item.name}: stored landmarks, but the model reads frames (feature_extractor.use_frames)")
        landmarks, fps = item.read(list(self.spec.parts))
        if len(landmarks) == 0:
            raise DataError(f"{item.name}: no frames")
        landmarks = landmarks[self.predictor.frame_indices(len(landmarks), fps, item.name)]
        check_detected(landmarks, self.spec, item.name)
        return ModelClip(item.name, {"landmarks": torch.from_numpy(landmarks)}, landmarks=landmarks)

    def _detected(self, item: InputItem, spec: LandmarkSpec, keep_frames: bool) -> ModelClip:
        """MediaPipe over every frame (tracking), then the frames the validation sampling picks."""
        every, fps = clip_landmarks(item, spec)
        check_detected(every, spec, item.name)  # before decoding the frames again
        inputs: dict[str, Tensor] = {}
        shown = None
        if "frames" in self.predictor.inputs or keep_frames:
            picked: list[int] = []
            raw = item.read(partial(_recording, self.predictor.frame_indices, picked))
            indices = picked or [0]  # an image or a CSV row is read without sampling: its one frame
            shown = raw.permute(0, 2, 3, 1).numpy() if keep_frames else None
            if "frames" in self.predictor.inputs:
                inputs["frames"] = self.predictor.preprocess(raw)
        else:
            # An image is its one frame (like read_still, it has no fps for time sampling to need).
            indices = [0] if is_still(item) else self.predictor.frame_indices(len(every), fps, item.name)
        if max(indices) >= len(every):
            raise DataError(f"{item.name}: MediaPipe saw {len(every)} frames, but the clip has frame {max(indices)}")
        landmarks = every[indices]
        check_detected(landmarks, spec, item.name)
        inputs["landmarks"] = torch.from_numpy(landmarks)
        return ModelClip(item.name, inputs, shown, landmarks)


def _recording(sampler: Callable, picked: list[int], num_frames: int, fps: Optional[float], name: str) -> list[int]:
    """`sampler`, also leaving the frame indexes it picks in `picked` (a video read again by the fallback decoder
    picks again: the last call's are the frames returned)."""
    picked[:] = sampler(num_frames, fps, name)
    return list(picked)
