"""The HearAI frames source: one folder of JPEG frames per clip, read into the sample contract."""

from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from datasets.annotations import PROPERTIES_FILE, ClipRecord
from datasets.errors import DataError
from datasets.sampling import sample_indices


def read_image(path: Path) -> Tensor:
    """Any image file as uint8 RGB `[3, H, W]` (grey, palette and alpha images converted the same way)."""
    try:
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"))
    except OSError as error:
        raise DataError(f"{path}: cannot decode image: {error}") from error
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1)


class FramesDataset(Dataset):
    """Clips as samples: `frames` float `[T, 3, H, W]`, `labels` {head: int}, `meta` {source, clip_id, signer}.

    T is at most `num_segments`; shorter clips give fewer frames (collate pads and masks them).
    """

    def __init__(
        self,
        records: list[ClipRecord],
        num_segments: int,
        transform: Callable[[Tensor], Tensor],
        train: bool,
        time: Optional[float] = None,
    ) -> None:
        self.records = records
        self.num_segments = num_segments
        self.transform = transform
        self.train = train
        self.time = time

    def __len__(self) -> int:
        return len(self.records)

    def _indices(self, record: ClipRecord) -> list[int]:
        fps = record.fps() if self.time is not None else None
        if self.time is not None and fps is None:
            raise DataError(f"{record.folder / PROPERTIES_FILE}: time sampling needs the clip's fps, file missing")
        return sample_indices(record.start, record.end, self.num_segments, self.time, fps, self.train)

    def read_frames(self, record: ClipRecord, indices: list[int]) -> Tensor:
        """uint8 `[T, 3, H, W]` of the given frame indexes; a missing or corrupt frame names its file."""
        frames = []
        for index in indices:
            path = record.frame_path(index)
            if not path.is_file():
                raise DataError(f"{path}: frame {index} of clip {record.name} (frames {record.start}-{record.end})")
            frames.append(read_image(path))
        sizes = {tuple(f.shape) for f in frames}
        if len(sizes) > 1:
            raise DataError(f"{record.folder}: frames of one clip differ in size: {sorted(sizes)}")
        return torch.stack(frames)

    def __getitem__(self, index: int) -> dict[str, Any]:
        record = self.records[index]
        frames = self.transform(self.read_frames(record, self._indices(record)))
        meta = {"source": str(record.root), "clip_id": record.name, "signer": None}
        return {"frames": frames, "labels": dict(record.labels), "meta": meta}
