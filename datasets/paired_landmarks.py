"""The landmarks of a frames or video dataset's clips (`landmarks_path`, `test_landmarks_path`): one `.npz` per clip,
in the layout `data_preprocessing/extract_landmarks.py` writes: `<landmarks location>/<clip path>.npz`, the clip
path being the annotation's (a frame folder `x` -> `x.npz`, a video `a/x.mp4` -> `a/x.npz`). Row i of a file is
frame i of its clip (frame folders numbered from 0, as `videos_to_frames.py` and `make_synthetic.py` write them).
"""

from pathlib import Path, PurePosixPath
from typing import Callable, Optional

import numpy as np
import torch
from torch import Tensor

from datasets.annotations import ClipRecord
from datasets.archives import FileTree
from datasets.errors import DataError
from datasets.landmark_files import load_landmarks, picked_window
from datasets.sampling import Picker
from utils.config_data import DatasetEntry

SUFFIX = ".npz"
# (record, fps, number of frames) -> (first, last) frame of the clip: the source's `span`
Span = Callable[[ClipRecord, Optional[float], Optional[int]], tuple[int, int]]


class PairedLandmarks:
    """Reads the landmark file of a clip of `entry` (a frames or video dataset with `landmarks_path`) as float
    `[T, J, 3]` of the entry's `landmark_parts`, NaN where not detected. Holds no open file handle (picklable)."""

    def __init__(self, entry: DatasetEntry) -> None:
        self.entry = entry
        self.locations = {str(Path(location)): where for location, where in entry.landmark_locations().items()}
        self.trees: dict[str, FileTree] = {}

    def _tree(self, record: ClipRecord) -> FileTree:
        location = self.locations[str(record.root)]
        return self.trees.setdefault(location, FileTree(location))

    @staticmethod
    def file_name(record: ClipRecord) -> str:
        """The clip's landmark file, relative to the landmarks location: its annotation path, suffix `.npz`."""
        name = PurePosixPath(record.name)
        return str(name.with_suffix(SUFFIX) if name.suffix else name.with_name(name.name + SUFFIX))

    def missing(self, record: ClipRecord) -> Optional[DataError]:
        """An error naming the clip's landmark file when it does not exist, else None."""
        tree = self._tree(record)
        if tree.exists(self.file_name(record)):
            return None
        return DataError(f"{record.origin}: landmark file {tree.describe(self.file_name(record))} does not exist")

    def load(self, record: ClipRecord) -> tuple[np.ndarray, Optional[float], str]:
        """The whole file: (`[N, J, 3]`, fps or None, the file's name for messages)."""
        return load_landmarks(self._tree(record), self.file_name(record), list(self.entry.landmark_parts))

    def rows(self, record: ClipRecord, indices: list[int]) -> Tensor:
        """The landmarks of the frames `indices` of the clip (those its frames were read at): `[len(indices), J, 3]`;
        a file with fewer frames is a DataError naming it."""
        landmarks, _, name = self.load(record)
        if max(indices) >= len(landmarks):
            raise DataError(
                f"{name}: has {len(landmarks)} frames of landmarks, but clip {record.name} reads frame {max(indices)}"
            )
        return torch.from_numpy(landmarks[indices])

    def clip(self, record: ClipRecord, span: Span, pick: Picker) -> Tensor:
        """The landmarks alone (a landmarks-only model): the file's frames are the clip's, picked as for `landmarks`
        datasets; a clip whose picked window is all NaN is a DataError, as there."""
        landmarks, fps, name = self.load(record)
        # An annotated end is checked here, so that the message names the landmark file.
        first, last = span(record, fps, None if record.end is not None else len(landmarks))
        if last >= len(landmarks):
            raise DataError(f"{name}: has {len(landmarks)} frames of landmarks, but clip {record.name} ends at {last}")
        return picked_window(landmarks, (first, last), fps, pick, (name, list(self.entry.landmark_parts)))
