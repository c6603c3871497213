"""What every data source does: list its clips (with raw labels) and read one clip's frames or landmarks."""

import logging
from pathlib import Path
from typing import ClassVar, Optional

from torch import Tensor

from datasets.annotations import ClipRecord
from datasets.archives import dataset_folder
from datasets.errors import BadSamples, DataError
from datasets.paired_landmarks import PairedLandmarks
from datasets.sampling import Picker
from utils.config_data import DatasetEntry
from utils.config_schema import HeadConfig

logger = logging.getLogger(__name__)


class Source:
    """One `data_paths` entry. Subclasses set `format` and `modality` and implement `records_at` and `read`.

    Every record gets the entry's `signer` where its annotations name none, and its labels mapped through the
    entry's `label_aliases` (before class names are looked up).

    A source is attached to each of its records (`record.reader`) and pickled into DataLoader workers, so it
    holds no open file handle. `paired`: the clips' landmark files, for a frames/video entry with `landmarks_path`.
    """

    format: ClassVar[str] = ""
    modality: ClassVar[str] = "frames"  # the sample key it fills: "frames" (uint8 [T, 3, H, W]) or "landmarks"

    def __init__(self, entry: DatasetEntry, heads_by_mode: dict[str, dict[str, HeadConfig]]) -> None:
        self.entry = entry
        self.heads_by_mode = heads_by_mode
        self.paired = PairedLandmarks(entry) if entry.landmarks_path else None
        selected = [h for heads in heads_by_mode.values() for h in heads]
        unknown = sorted(set(entry.heads or []) - set(selected))
        if unknown:
            raise DataError(f"data_paths entry {entry.path}: heads {unknown} are not selected heads {selected}")
        unknown = sorted(h for h, a in entry.label_aliases.items() if isinstance(a, dict) and h not in selected)
        if unknown:
            raise DataError(f"data_paths entry {entry.path}: label_aliases of {unknown}: not selected heads {selected}")

    def records(self, bad: BadSamples) -> list[ClipRecord]:
        """Every clip of the dataset and of its own test split(s) (`record.split` names the test split); with
        `test_split`, the clips at `path` are that test split too."""
        records = []
        for split, location in [(self.entry.test_split, self.entry.path), *self.entry.test_paths().items()]:
            for record in self.records_at(location, bad):
                missing = self.paired.missing(record) if self.paired else None
                if missing:
                    bad.report(missing)
                    continue
                record.reader = self
                record.split = split or record.split
                record.signer = record.signer or self.entry.signer
                record.tokens = {head: self.alias(head, token) for head, token in record.tokens.items()}
                records.append(record)
        return self.listed_only(records)

    def listed_only(self, records: list[ClipRecord]) -> list[ClipRecord]:
        """With `only_listed_classes`: the records whose every label is one of its head's `class_names` (a subset
        of a corpus's classes, such as the glosses with several signers); otherwise all of them."""
        if not self.entry.only_listed_classes:
            return records
        heads = {h: cfg for by_head in self.heads_by_mode.values() for h, cfg in by_head.items()}
        listed = {h: set(cfg.class_names) for h, cfg in heads.items() if cfg.class_names}
        if not listed:
            raise DataError(f"data_paths entry {self.entry.path}: only_listed_classes needs the heads' class_names")
        kept = [r for r in records if all(t in listed[h] for h, t in r.tokens.items() if h in listed)]
        logger.info("%s: %d of %d clips have listed classes", self.entry.path, len(kept), len(records))
        return kept

    def alias(self, head: str, token: str) -> str:
        """A raw label of `head` after the entry's `label_aliases` (`{alias: class name}` for every head, or
        `{head: {alias: class name}}` for one); a label that is no alias stays as it is."""
        aliases = self.entry.label_aliases
        own = aliases.get(head)
        if isinstance(own, dict) and token in own:
            return own[token]
        found = aliases.get(token)
        return found if isinstance(found, str) else token

    def records_at(self, location: str, bad: BadSamples) -> list[ClipRecord]:
        """The clips at one location (the dataset's `path` or a `test_path`), labels as raw tokens."""
        raise NotImplementedError

    def read(self, record: ClipRecord, pick: Picker) -> Tensor:
        """The picked frames of one clip: uint8 `[T, 3, H, W]` (frames) or float `[T, J, 3]` (landmarks)."""
        raise NotImplementedError

    def verify(self, record: ClipRecord) -> None:
        """Checks beyond reading the clip, made when bad samples are skipped (none by default)."""

    def folders(self) -> list[Path]:
        """Folders that may hold a `class_names.json` for this dataset."""
        return [dataset_folder(self.entry.path)]

    def single_head(self) -> str:
        """The head labelled by a source that has one label per sample (Sign MNIST, image folders)."""
        if not self.entry.heads or len(self.entry.heads) != 1:
            where = f"data_paths entry {self.entry.path}"
            raise DataError(f"{where}: format {self.format} labels one head; name it with heads: [<head>]")
        return self.entry.heads[0]

    def span(self, record: ClipRecord, fps: Optional[float], length: Optional[int]) -> tuple[int, int]:
        """The clip's first and last frame: seconds converted with `fps`, an open end set to `length - 1`; an
        end past the clip is an error naming the record."""
        start, end = record.start, record.end
        if self.entry.time_unit == "seconds":
            if fps is None:
                raise DataError(f"{record.origin}: start/end are in seconds but {record.name} has no fps")
            start, end = start * fps, None if end is None else end * fps
        if end is None and length is None:
            raise DataError(f"{record.origin}: {record.name} needs an end frame")
        last = length - 1 if end is None else int(round(end))
        if length is not None and last >= length:
            raise DataError(f"{record.origin}: end frame {last} is past the last frame {length - 1} of {record.name}")
        return int(round(start)), last
