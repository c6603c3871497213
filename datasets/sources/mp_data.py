"""`mp_data`: webcam + MediaPipe recordings in the layout `MP_Data/<label>/<sequence>/<frame>.npy` (a folder, a
.zip/.tar, or a folder inside one: `repo.zip/repo/MP_Data`), read as they are; see `datasets/mp_data_files.py`.

The label folder's name labels the entry's one head (`heads: [gloss]`), after `label_aliases`; the signer comes
from the entry's annotation CSV (`path` = `<label>/<sequence>`, `signer`, `split`), else from its `signer` key.
Reading 30 small files per clip is slow: `data_preprocessing/pack_mp_data.py` packs a tree into `.npz` files that
the `landmarks` source reads.
"""

from collections.abc import Sequence as Positions
from pathlib import Path, PurePosixPath
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from datasets.annotations import ClipRecord, read_annotations
from datasets.archives import FileTree, dataset_folder
from datasets.errors import BadSamples, DataError
from datasets.landmark_files import place_joints
from datasets.mp_data_files import Sequence, find_sequences, read_vectors, unpack_vectors
from datasets.sources.base import Picker, Source
from datasets.vocabulary import class_names_from_files


class MpDataSource(Source):
    """Samples carry `landmarks` float `[T, J, 3]` of the entry's `landmark_parts` (NaN = not detected); only the
    picked frames' files are read."""

    format = "mp_data"
    modality = "landmarks"

    def __init__(self, entry, heads_by_mode) -> None:
        super().__init__(entry, heads_by_mode)
        self.head = self.single_head()
        self.trees: dict[str, FileTree] = {}
        self.sequences: dict[tuple[str, str], Sequence] = {}  # (location, record name) -> its frame files

    def _tree(self, location: str) -> FileTree:
        return self.trees.setdefault(location, FileTree(location))

    def _annotated(self, location: str, bad: BadSamples) -> dict[str, ClipRecord]:
        """The entry's annotation CSV rows (signer, split) by `<label>/<sequence>`; none without a CSV."""
        files = self.entry.annotation_files or {}
        folder = dataset_folder(location)
        paths = sorted({folder / files[m] for m in self.heads_by_mode if m in files})
        rows: dict[str, ClipRecord] = {}
        for path in paths:
            if path.suffix.lower() == ".csv" and path.is_file():
                for row in read_annotations(path, [], bad, self.entry.columns):
                    rows[str(PurePosixPath(row.name.strip("/")))] = row
        return rows

    def _label_problem(self, label: str, names: Optional[list[str]]) -> str:
        """Why a label folder cannot label the head: it is neither a class name nor an alias of one."""
        if names is None or self.alias(self.head, label) in names:
            return ""
        shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
        return f"label folder {label!r} is neither a class name of head {self.head} ({shown}) nor in label_aliases"

    def records_at(self, location: str, bad: BadSamples) -> list[ClipRecord]:
        tree = self._tree(location)
        rows = self._annotated(location, bad)
        names = self.heads[self.head].class_names or class_names_from_files(self.folders()).get(self.head)
        records = []
        for sequence in find_sequences(tree):
            problem = sequence.problem or self._label_problem(sequence.label, names)
            if problem:
                bad.report(DataError(f"{tree.describe(sequence.folder)}: {problem}"))
                continue
            row = rows.get(sequence.key)
            record = ClipRecord(
                Path(location),
                sequence.folder,
                tokens={self.head: sequence.label},
                signer=row.signer if row else None,
                split=row.split if row else None,
                origin=tree.describe(sequence.folder),
            )
            self.sequences[(location, sequence.folder)] = sequence
            records.append(record)
        if not records:
            raise DataError(f"{location}: no usable MP_Data sequences")
        return records

    @property
    def heads(self) -> dict:
        """Every selected head's config, by name."""
        return {h: cfg for heads in self.heads_by_mode.values() for h, cfg in heads.items()}

    def landmarks(self, record: ClipRecord, indexes: Positions[int]) -> np.ndarray:
        """Frames `indexes` of a sequence -> float32 `[len(indexes), J, 3]` of the entry's `landmark_parts`."""
        tree = self._tree(str(record.root))
        sequence = self.sequences[(str(record.root), record.name)]
        vectors = read_vectors(tree, [sequence.frames[i] for i in indexes])
        values, names = unpack_vectors(vectors, self.entry.mp_data_hand, tree.describe(sequence.frames[indexes[0]]))
        return place_joints(list(self.entry.landmark_parts), len(values), names, values)

    def read(self, record: ClipRecord, pick: Picker) -> Tensor:
        count = len(self.sequences[(str(record.root), record.name)].frames)
        where = self._tree(str(record.root)).describe(record.name)
        landmarks = self.landmarks(record, pick(0, count - 1, None, where))
        if np.isnan(landmarks).all() and np.isnan(self.landmarks(record, range(count))).all():
            parts = list(self.entry.landmark_parts)
            raise DataError(f"{where}: every landmark of {parts} is NaN (nothing detected)")
        return torch.from_numpy(landmarks)

    def verify(self, record: ClipRecord) -> None:
        """Every frame file must be readable, not only those a clip's sampling picks."""
        self.landmarks(record, range(len(self.sequences[(str(record.root), record.name)].frames)))
