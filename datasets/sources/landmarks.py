"""`landmarks`: per-clip landmark files named by the annotations: `.npz` (this project's format), Google ISLR
`.parquet` and pose-format `.pose` (see `datasets/landmark_files.py`); in a folder or inside a .zip/.tar."""

from pathlib import PurePosixPath

from torch import Tensor

from datasets.annotations import ClipRecord, load_annotated_records
from datasets.archives import FileTree
from datasets.errors import BadSamples, DataError
from datasets.landmark_files import READERS, load_landmarks, picked_window
from datasets.sources.base import Picker, Source


class LandmarksSource(Source):
    """Samples carry `landmarks` float `[T, J, 3]` (NaN = not detected) for the entry's `landmark_parts`."""

    format = "landmarks"
    modality = "landmarks"

    def __init__(self, entry, heads_by_mode) -> None:
        super().__init__(entry, heads_by_mode)
        self.trees: dict[str, FileTree] = {}

    def records_at(self, location: str, bad: BadSamples) -> list[ClipRecord]:
        tree = self.trees.setdefault(location, FileTree(location))
        kept = []
        for record in load_annotated_records(location, self.entry, self.heads_by_mode, bad):
            suffix = PurePosixPath(record.name).suffix.lower()
            if suffix not in READERS:
                bad.report(DataError(f"{record.origin}: {record.name}: landmark files are {', '.join(READERS)}"))
            elif not tree.exists(record.name):
                bad.report(DataError(f"{record.origin}: landmark file {tree.describe(record.name)} does not exist"))
            else:
                kept.append(record)
        return kept

    def read(self, record: ClipRecord, pick: Picker) -> Tensor:
        tree = self.trees.setdefault(str(record.root), FileTree(str(record.root)))
        landmarks, fps, name = load_landmarks(tree, record.name, list(self.entry.landmark_parts))
        span = self.span(record, fps, len(landmarks))
        return picked_window(landmarks, span, fps, pick, (name, list(self.entry.landmark_parts)))
