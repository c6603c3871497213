"""Clips of any source as samples of the contract in DESIGN.md, and a check that every clip can be read."""

from typing import Any, Callable, Optional

from torch import Tensor
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from datasets.annotations import ClipRecord
from datasets.errors import DataError
from datasets.sampling import sample_indices
from datasets.sources.frames import FRAME_FOLDERS


class ClipDataset(Dataset):
    """Records -> samples: `frames` float `[T, 3, H, W]` (transformed) or `landmarks` float `[T, J, 3]`,
    `labels` {head: id, -1 = none}, `meta` {source, clip_id, signer}.

    T is at most `num_segments` (TSN segments, or `time` seconds apart); shorter clips give fewer frames and
    collate pads and masks them. Each record is read by its source (`record.reader`; none: a frame folder).
    """

    def __init__(
        self,
        records: list[ClipRecord],
        num_segments: int,
        transform: Callable[[Tensor], Tensor],
        train: bool,
        time: Optional[float] = None,
        landmark_transform: Optional[Callable[[Tensor], Tensor]] = None,
    ) -> None:
        self.records = records
        self.landmark_transform = landmark_transform  # datasets/landmark_transforms.py (training only)
        self.num_segments = num_segments
        self.transform = transform
        self.train = train
        self.time = time

    def __len__(self) -> int:
        return len(self.records)

    def pick(self, first: int, last: int, fps: Optional[float], where: str) -> list[int]:
        """The frame indexes of one clip to read (see `datasets/sampling.py`)."""
        if self.time is not None and fps is None:
            raise DataError(f"{where}: time sampling needs the clip's fps, which is not given")
        return sample_indices(first, last, self.num_segments, self.time, fps, self.train)

    def __getitem__(self, index: int) -> dict[str, Any]:
        record = self.records[index]
        reader = record.reader or FRAME_FOLDERS
        data = reader.read(record, self.pick)
        sample: dict[str, Any] = {
            "labels": dict(record.labels),
            "meta": {"source": str(record.root), "clip_id": record.name, "signer": record.signer},
        }
        if reader.modality == "frames":
            sample["frames"] = self.transform(data)
        else:
            sample["landmarks"] = data if self.landmark_transform is None else self.landmark_transform(data)
        return sample


class _Probe(Dataset):
    """Reads each clip once as validation would; returns the error message, or "" when the clip is fine."""

    def __init__(self, dataset: ClipDataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> str:
        record = self.dataset.records[index]
        try:
            _ = self.dataset[index]
            (record.reader or FRAME_FOLDERS).verify(record)
        except DataError as error:
            return str(error)
        return ""


def unreadable_clips(records: list[ClipRecord], workers: int, frames_per_clip: int = 64) -> dict[int, str]:
    """{record index: error} of the clips that cannot be read (corrupt or missing files, all-NaN landmarks),
    reading up to `frames_per_clip` evenly spaced frames of each (and, for frame folders, checking every frame
    file exists)."""
    probe = _Probe(ClipDataset(records, frames_per_clip, lambda clip: clip, train=False))
    loader = DataLoader(probe, batch_size=None, num_workers=workers)
    errors = tqdm(loader, desc="checking clips", unit="clip", total=len(probe), mininterval=2)
    return {index: message for index, message in enumerate(errors) if message}
