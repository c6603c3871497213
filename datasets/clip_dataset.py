"""Clips of any source as samples (`frames` and/or `landmarks`, `labels`, `meta`), and a check that every clip can be
read."""

from typing import Any, Callable, Optional, Sequence

from torch import Tensor
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from datasets.annotations import ClipRecord
from datasets.errors import DataError
from datasets.sampling import Picker, sample_indices
from datasets.sources.base import Source
from datasets.sources.frames import FRAME_FOLDERS
from datasets.threads import resolve_threads, worker_init

INPUTS = ("frames", "landmarks")


class ClipDataset(Dataset):
    """Records -> samples: `frames` float `[T, 3, H, W]` (transformed) and/or `landmarks` float `[T, J, 3]`,
    `labels` {head: id, -1 = none}, `meta` {source, clip_id, signer}.

    T is at most `num_segments` (TSN segments, or `time` seconds apart); shorter clips give fewer frames and
    collate pads and masks them. Each record is read by its source (`record.reader`; none: a frame folder).
    `inputs` limits what is read (the model's inputs); a frames/video source with landmark files (`paired`) gives
    both: the frames are picked once and the landmarks read at the same frame indexes.
    """

    def __init__(
        self,
        records: list[ClipRecord],
        num_segments: int,
        transform: Callable[[Tensor], Tensor],
        train: bool,
        time: Optional[float] = None,
        landmark_transform: Optional[Callable[[Tensor], Tensor]] = None,
        inputs: Sequence[str] = INPUTS,
    ) -> None:
        self.records = records
        self.inputs = tuple(inputs)
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
        sample: dict[str, Any] = {
            "labels": dict(record.labels),
            "meta": {"source": str(record.root), "clip_id": record.name, "signer": record.signer},
        }
        return sample | self.read_inputs(record, record.reader or FRAME_FOLDERS)

    def read_inputs(self, record: ClipRecord, reader: Source) -> dict[str, Tensor]:
        """`{"frames": ...}`, `{"landmarks": ...}` or both, as the source gives and `inputs` asks."""
        if reader.modality == "landmarks":
            return {"landmarks": self._augment(reader.read(record, self.pick))}
        paired = reader.paired if "landmarks" in self.inputs else None
        if paired is not None and "frames" not in self.inputs:
            return {"landmarks": self._augment(paired.clip(record, reader.span, self.pick))}
        picked: list[int] = []
        frames = {"frames": self.transform(reader.read(record, _recording(self.pick, picked)))}
        if paired is None:
            return frames
        return frames | {"landmarks": self._augment(paired.rows(record, picked))}

    def _augment(self, landmarks: Tensor) -> Tensor:
        return landmarks if self.landmark_transform is None else self.landmark_transform(landmarks)


def _recording(pick: Picker, picked: list[int]) -> Picker:
    """`pick` that also leaves the indexes it chose in `picked` (the last call's: a video read again by the
    fallback decoder picks again, and its frames are the ones returned)."""

    def recording_pick(first: int, last: int, fps: Optional[float], where: str) -> list[int]:
        picked[:] = pick(first, last, fps, where)
        return list(picked)

    return recording_pick


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


def unreadable_clips(
    records: list[ClipRecord], workers: int, threads: Optional[int] = None, frames_per_clip: int = 64
) -> dict[int, str]:
    """{record index: error} of the clips that cannot be read (corrupt or missing files, all-NaN landmarks),
    reading up to `frames_per_clip` evenly spaced frames of each (and, for frame folders, checking every frame
    file exists); `workers` data workers share `threads` CPU threads (default: the available cores)."""
    probe = _Probe(ClipDataset(records, frames_per_clip, lambda clip: clip, train=False))
    init = worker_init(resolve_threads(threads), workers)
    loader = DataLoader(probe, batch_size=None, num_workers=workers, worker_init_fn=init)
    errors = tqdm(loader, desc="checking clips", unit="clip", total=len(probe), mininterval=2)
    return {index: message for index, message in enumerate(errors) if message}
