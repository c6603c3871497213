"""`image_folder`: a class-per-folder tree of images (`<class>/<file>`, e.g. ASL Alphabet), in a folder or read
straight from a .zip/.tar (`data/asl.zip/train`). Each image is a one-frame clip labelled with its folder name."""

import logging
from pathlib import Path, PurePosixPath

from torch import Tensor

from datasets.annotations import ClipRecord
from datasets.archives import FileTree
from datasets.errors import BadSamples, DataError
from datasets.images import IMAGE_SUFFIXES, decode_image
from datasets.sources.base import Picker, Source

logger = logging.getLogger(__name__)


class ImageFolderSource(Source):
    """Images of any size and mode, converted to RGB; the class is the first folder below the location."""

    format = "image_folder"

    def __init__(self, entry, heads_by_mode) -> None:
        super().__init__(entry, heads_by_mode)
        self.head = self.single_head()
        self.trees: dict[str, FileTree] = {}

    def records_at(self, location: str, bad: BadSamples) -> list[ClipRecord]:
        tree = self.trees.setdefault(location, FileTree(location))
        records, loose = [], 0
        for name in tree.files():
            path = PurePosixPath(name)
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            if len(path.parts) < 2:
                loose += 1  # an image beside the class folders has no class
                continue
            records.append(
                ClipRecord(Path(location), name, 0, 0, tokens={self.head: path.parts[0]}, origin=tree.describe(name))
            )
        if loose:
            logger.warning("%s: %d images outside any class folder were not used", location, loose)
        if not records:
            raise DataError(f"{location}: no images in class folders (<class>/<image>)")
        return records

    def read(self, record: ClipRecord, pick: Picker) -> Tensor:
        del pick  # a one-frame clip whatever the sampling
        tree = self.trees.setdefault(str(record.root), FileTree(str(record.root)))
        return decode_image(tree.read_bytes(record.name), tree.describe(record.name)).unsqueeze(0)
