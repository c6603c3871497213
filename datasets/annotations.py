"""Annotation files: the HearAI space-separated txt, or a CSV with a header; and the clip record they fill.

- HearAI txt: `name start end label_1 ... label_k`, one label per head of the file's classification mode.
- CSV (`.csv`, or gzipped `.csv.gz`): a header naming `path` (required), `start`, `end`, `signer`, `split` and one
  column per head (any other column is ignored; `columns` in the dataset entry renames the file's columns to these).
Labels are class ids or class names (`-1` or an empty CSV cell: no label). Both stay raw tokens here; the
vocabulary (`datasets/vocabulary.py`) turns them into ids once every dataset is read. A clip missing from a
mode's file gets -1 (no label) for that mode's heads.
"""

import csv
import gzip
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from datasets.archives import dataset_folder
from datasets.errors import BadSamples, DataError
from datasets.vocabulary import NO_LABEL
from utils.config_data import DatasetEntry
from utils.config_schema import HeadConfig

PROPERTIES_FILE = "properties.json"
CSV_FIELDS = ("path", "start", "end", "signer", "split")
TRAIN_SPLIT_NAMES = ("", "train")  # own-split values that mean "use for training/validation"

logger = logging.getLogger(__name__)


@dataclass
class ClipRecord:
    """One clip: which dataset holds it (`root`), its name in there, which frames, and its labels.

    `start`/`end` are frames (or seconds, when the dataset says so); `end=None` means to the clip's end.
    `tokens` are the raw labels as written ({head: id or name}); `labels` the class ids ({head: id}, -1 = none).
    `split` is the dataset's own split (None = to be split), `origin` the `file:line` it came from, and `reader`
    the source that reads it (None: a HearAI frame folder).
    """

    root: Path
    name: str
    start: float = 0
    end: Optional[float] = None
    labels: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    signer: Optional[str] = None
    split: Optional[str] = None
    origin: str = ""
    reader: Any = field(default=None, repr=False, compare=False)

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

    def key(self) -> tuple[str, str, str, str]:
        """What identifies the clip in a split file: source, name, start, end."""
        return str(self.root), self.name, format_time(self.start), format_time(self.end)


def format_time(value: Optional[float]) -> str:
    """A start/end as written in split files: `12`, `1.5`, or empty for "to the end"."""
    return "" if value is None or value == "" else f"{float(value):g}"


def parse_time(text: str, unit: str, where: str) -> float:
    """A start/end value: an int in frames, a number in seconds."""
    try:
        value = int(text) if unit == "frames" else float(text)
    except ValueError as error:
        kind = "integers" if unit == "frames" else "numbers (seconds)"
        raise DataError(f"{where}: frame numbers and labels must be {kind}; got {text!r}") from error
    if value < 0:
        raise DataError(f"{where}: start and end must be >= 0; got {text}")
    return value


def _check_range(where: str, start: float, end: Optional[float]) -> None:
    if end is not None and end < start:
        raise DataError(f"{where}: need 0 <= start_frame <= end_frame; got {start:g} {end:g}")


def _txt_record(where: str, line: str, heads: list[str], unit: str) -> ClipRecord:
    parts = line.split()
    if len(parts) != 3 + len(heads):
        expected = f"name, start, end and {len(heads)} labels ({', '.join(heads)})"
        raise DataError(f"{where}: expected {expected}; got {line!r}")
    start, end = (parse_time(p, unit, where) for p in parts[1:3])
    _check_range(where, start, end)
    tokens = {h: t for h, t in zip(heads, parts[3:]) if t != str(NO_LABEL)}
    return ClipRecord(Path(), parts[0], start, end, tokens=tokens, origin=where)


def _read_txt(path: Path, heads: list[str], unit: str, bad: BadSamples) -> list[ClipRecord]:
    lines = path.read_text(encoding="utf-8").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()  # trailing blank lines are not annotation lines
    records = []
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("#"):
            continue
        try:
            if not line.strip():
                raise DataError(f"{path}:{number}: empty annotation line")
            records.append(_txt_record(f"{path}:{number}", line, heads, unit))
        except DataError as error:
            bad.report(error)
    return records


def _csv_record(where: str, row: dict[str, str], heads: list[str], unit: str) -> ClipRecord:
    if not any(value.strip() for value in row.values()):
        raise DataError(f"{where}: empty annotation line")
    if not row["path"].strip():
        raise DataError(f"{where}: empty path")
    start = parse_time(row["start"], unit, where) if row.get("start", "").strip() else 0
    end = parse_time(row["end"], unit, where) if row.get("end", "").strip() else None
    _check_range(where, start, end)
    tokens = {h: row[h].strip() for h in heads if row.get(h, "").strip() not in ("", str(NO_LABEL))}
    split = row.get("split", "").strip()
    return ClipRecord(
        Path(),
        row["path"].strip(),
        start,
        end,
        tokens=tokens,
        signer=row.get("signer", "").strip() or None,
        split=None if split.lower() in TRAIN_SPLIT_NAMES else split,
        origin=where,
    )


def is_csv(path: Path) -> bool:
    """Whether an annotation file is a CSV (`.csv` or gzipped `.csv.gz`) rather than HearAI txt."""
    return path.name.lower().endswith((".csv", ".csv.gz"))


def _read_csv(path: Path, heads: list[str], columns: dict[str, Optional[str]], unit: str, bad: BadSamples):
    renames = {theirs: ours for ours, theirs in columns.items() if theirs}
    ignored = {ours for ours, theirs in columns.items() if not theirs}
    opened = gzip.open if path.suffix.lower() == ".gz" else open
    with opened(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = [renames.get(name.strip(), name.strip()) for name in next(reader, [])]
        header = [name if name not in ignored else f"ignored:{name}" for name in header]
        if "path" not in header:
            raise DataError(f"{path}:1: no 'path' column in {header}; name yours with `columns: {{path: <name>}}`")
        records = []
        for row in reader:
            where = f"{path}:{reader.line_num}"
            try:
                if len(row) != len(header):
                    if not any(cell.strip() for cell in row):
                        raise DataError(f"{where}: empty annotation line")
                    raise DataError(f"{where}: expected {len(header)} columns ({', '.join(header)}), got {len(row)}")
                records.append(_csv_record(where, dict(zip(header, row)), heads, unit))
            except DataError as error:
                bad.report(error)
    return records


def read_annotations(
    path: Path,
    heads: list[str],
    bad: BadSamples,
    columns: Optional[dict[str, Optional[str]]] = None,
    unit: str = "frames",
) -> list[ClipRecord]:
    """One annotation file (`.csv` or `.csv.gz`: with a header; else HearAI txt whose labels are `heads` in order) as
    records with raw label tokens; a bad line raises (or is skipped and counted by `bad`), naming the file and line."""
    if is_csv(path):
        records = _read_csv(path, heads, columns or {}, unit, bad)
    else:
        records = _read_txt(path, heads, unit, bad)
    if not records:
        raise DataError(f"{path}: no annotation lines")
    return records


def _merge(records: dict[tuple, ClipRecord], new: list[ClipRecord]) -> None:
    """Records of one clip from several modes' files become one record with all their labels."""
    for record in new:
        known = records.setdefault((record.name, record.start, record.end), record)
        if known is not record:
            known.tokens.update(record.tokens)
            known.origin = f"{known.origin} and {record.origin}"  # so that an error names both lines
            known.signer = known.signer or record.signer
            known.split = known.split or record.split


def load_annotated_records(
    location: str, entry: DatasetEntry, heads_by_mode: dict[str, dict[str, HeadConfig]], bad: BadSamples
) -> list[ClipRecord]:
    """Every annotated clip of one dataset location, labels merged over the selected modes' files.

    Annotation files are looked up in the dataset's folder (`dataset_folder`). A txt file labels its mode's heads;
    a CSV file can label any selected head (one column each). `entry.heads`, if set, limits the heads labelled.
    """
    folder = dataset_folder(location)
    all_heads = [h for heads in heads_by_mode.values() for h in heads]
    files = entry.annotation_files or {}
    records: dict[tuple, ClipRecord] = {}
    found: list[Path] = []
    for mode, heads in heads_by_mode.items():
        path = folder / files[mode] if mode in files else None
        if path is None or not path.is_file():
            logger.info("%s: no %s annotation file (%s); its heads are unlabelled there", location, mode, path)
            continue
        if path in found:
            continue  # one CSV labelling the heads of several modes
        found.append(path)
        heads_here = all_heads if is_csv(path) else list(heads)
        _merge(records, read_annotations(path, heads_here, bad, entry.columns, entry.time_unit))
    if not found:
        wanted = [files.get(m) for m in heads_by_mode]
        raise DataError(f"{location}: none of the annotation files {wanted} exists in {folder}")
    for record in records.values():
        record.root = Path(location)
        if entry.heads is not None:
            record.tokens = {h: t for h, t in record.tokens.items() if h in entry.heads}
    return list(records.values())
