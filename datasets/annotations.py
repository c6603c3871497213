"""HearAI annotation files: `name start_frame end_frame label_1 ... label_k`, space separated.

One file per classification mode and dataset folder; a mode's labels go, in order, to that mode's
heads. A clip missing from a mode's file gets -1 (no label) for that mode's heads.
"""

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from datasets.errors import DataError
from utils.config_schema import DatasetEntry, HeadConfig

NO_LABEL = -1
CLASS_NAMES_FILE = "class_names.json"
PROPERTIES_FILE = "properties.json"

logger = logging.getLogger(__name__)


@dataclass
class ClipRecord:
    """One clip: where its frames are, which frames, and its label per head (-1 = none)."""

    root: Path
    name: str
    start: int
    end: int
    labels: dict[str, int] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        """The clip's frame folder."""
        return self.root / self.name

    def frame_path(self, index: int) -> Path:
        """HearAI frame naming: `<clip>/<clip>_<i>.jpg`."""
        return self.folder / f"{self.name}_{index}.jpg"

    def fps(self) -> Optional[float]:
        """The clip's frame rate from its `properties.json`, if it has one."""
        path = self.folder / PROPERTIES_FILE
        if not path.is_file():
            return None
        return float(json.loads(path.read_text(encoding="utf-8"))["fps"])


def _parse_line(path: Path, number: int, line: str, heads: dict[str, HeadConfig]) -> tuple[str, int, int, list[int]]:
    where = f"{path}:{number}"
    parts = line.split()
    if len(parts) != 3 + len(heads):
        expected = f"name, start, end and {len(heads)} labels ({', '.join(heads)})"
        raise DataError(f"{where}: expected {expected}; got {line!r}")
    try:
        start, end, *labels = (int(p) for p in parts[1:])
    except ValueError as error:
        raise DataError(f"{where}: frame numbers and labels must be integers; got {line!r}") from error
    if start < 0 or end < start:
        raise DataError(f"{where}: need 0 <= start_frame <= end_frame; got {start} {end}")
    for (head, cfg), label in zip(heads.items(), labels):
        if not NO_LABEL <= label < cfg.num_class:
            raise DataError(f"{where}: label {label} of head {head} is outside 0..{cfg.num_class - 1} (-1 = none)")
    return parts[0], start, end, labels


def read_annotation_file(path: Path, heads: dict[str, HeadConfig]) -> list[tuple[str, int, int, dict[str, int]]]:
    """Parse one file; each entry is (clip name, start, end, {head: label})."""
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, start, end, labels = _parse_line(path, number, line, heads)
        entries.append((name, start, end, dict(zip(heads, labels))))
    if not entries:
        raise DataError(f"{path}: no annotation lines")
    return entries


def load_dataset_records(entry: DatasetEntry, heads_by_mode: dict[str, dict[str, HeadConfig]]) -> list[ClipRecord]:
    """All clips of one dataset folder, with labels merged over the selected modes' files."""
    root = Path(entry.path)
    all_heads = [h for heads in heads_by_mode.values() for h in heads]
    records: dict[tuple[str, int, int], ClipRecord] = {}
    found_files = []
    for mode, heads in heads_by_mode.items():
        path = root / entry.annotation_files[mode]
        if not path.is_file():
            logger.info("%s: no %s annotation file (%s); its heads are unlabelled there", root, mode, path.name)
            continue
        found_files.append(path)
        for name, start, end, labels in read_annotation_file(path, heads):
            record = records.setdefault((name, start, end), ClipRecord(root, name, start, end))
            record.labels.update(labels)
    if not found_files:
        wanted = [entry.annotation_files[m] for m in heads_by_mode]
        raise DataError(f"{root}: none of the annotation files {wanted} exists")
    for record in records.values():
        for head in all_heads:
            record.labels.setdefault(head, NO_LABEL)
        if not record.folder.is_dir():
            raise DataError(f"{record.folder}: clip folder named in the annotations of {root} does not exist")
    return list(records.values())


def read_class_names(roots: list[Path], heads: dict[str, HeadConfig]) -> dict[str, list[str]]:
    """Class names per head: from the config, else the first dataset's `class_names.json`, else the ids."""
    from_files: dict[str, list[str]] = {}
    for root in roots:
        path = root / CLASS_NAMES_FILE
        if path.is_file():
            for head, names in json.loads(path.read_text(encoding="utf-8")).items():
                from_files.setdefault(head, names)
    names = {}
    for head, cfg in heads.items():
        candidate = cfg.class_names or from_files.get(head)
        if candidate is not None and len(candidate) != cfg.num_class:
            raise DataError(f"class names of head {head} ({len(candidate)}) do not match num_class {cfg.num_class}")
        names[head] = list(candidate) if candidate else [str(i) for i in range(cfg.num_class)]
    return names
