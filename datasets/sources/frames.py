"""`frames`: the HearAI layout, one folder of JPEG frames per clip (`<clip>/<clip>_<i>.jpg`)."""

from typing import Optional

import torch
from torch import Tensor

from datasets.annotations import PROPERTIES_FILE, ClipRecord, load_annotated_records
from datasets.errors import BadSamples, DataError
from datasets.images import read_image
from datasets.sources.base import Picker, Source
from utils.config_data import DatasetEntry


class FramesSource(Source):
    """Clip folders named by the annotations; `properties.json` in a clip folder gives its fps."""

    format = "frames"

    def records_at(self, location: str, bad: BadSamples) -> list[ClipRecord]:
        kept = []
        for record in load_annotated_records(location, self.entry, self.heads_by_mode, bad):
            if record.folder.is_dir():
                kept.append(record)
            else:
                bad.report(
                    DataError(f"{record.folder}: clip folder named in the annotations of {location} does not exist")
                )
        return kept

    def _span(self, record: ClipRecord) -> tuple[int, int, Optional[float]]:
        fps = record.fps()
        length = len(list(record.folder.glob(f"{record.name}_*.jpg"))) if record.end is None else None
        return *self.span(record, fps, length), fps

    def verify(self, record: ClipRecord) -> None:
        first, last, _ = self._span(record)
        for index in range(first, last + 1):
            if not record.frame_path(index).is_file():
                raise DataError(f"{record.frame_path(index)}: frame {index} of clip {record.name} is missing")

    def read(self, record: ClipRecord, pick: Picker) -> Tensor:
        first, last, fps = self._span(record)
        frames = []
        for index in pick(first, last, fps, str(record.folder / PROPERTIES_FILE)):
            path = record.frame_path(index)
            if not path.is_file():
                raise DataError(f"{path}: frame {index} of clip {record.name} (frames {first}-{last}) is missing")
            frames.append(read_image(path))
        sizes = {tuple(f.shape) for f in frames}
        if len(sizes) > 1:
            raise DataError(f"{record.folder}: frames of one clip differ in size: {sorted(sizes)}")
        return torch.stack(frames)


# Records made without a source (by inference code, say) are read as HearAI frame folders.
FRAME_FOLDERS = FramesSource(DatasetEntry(path="."), {})
