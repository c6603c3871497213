"""Parse HamNoSys 4 notations into HearAI head labels, with the command line of HearAI's parse-hamnosys.

Reads parse-hamnosys's source format (6 space-separated columns `Name Start End Dict Word Hamnosys`) or a CSV
with a HamNoSys column, and writes parse-hamnosys's output file (`-df`, same columns and class ids), a HearAI
annotation file for training (`--annotation_file`, `name start end label...` with -1 = none) and the heads' class
names (`class_names.json` beside the annotation file). Lines that cannot be parsed go to the error file (`-ef`)
with the reason; a summary line says how many.

Usage (from the repository root):
    python data_preprocessing/parse_hamnosys.py -sf source.txt -df parsed.txt -ef errors.txt
    python data_preprocessing/parse_hamnosys.py -sf signs.csv --hamnosys_column hamnosys \\
        --annotation_file data/mydata/hamnosys.txt -ef errors.tsv
"""

import argparse
import csv
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, Optional

from data_preprocessing import hamnosys_symbols as sym
from data_preprocessing.hamnosys_parser import HamNoSysLabels, HamNoSysParseError, parse_hamnosys
from datasets.errors import DataError

logger = logging.getLogger(__name__)

SOURCE_COLUMNS = ["Name", "Start", "End", "Dict", "Word", "Hamnosys"]
_HAND_COLUMNS = {
    "Handshape - Baseform": "hand_shape_base_form",
    "Handshape - Thumb position": "hand_shape_thumb_position",
    "Handshape - Bending": "hand_shape_bending",
    "Handposition - Extended finger direction": "hand_position_finger_direction",
    "Handposition - Palm orientation": "hand_position_palm_orientation",
}
# parse-hamnosys's output columns after Name Start End, each with the head whose class names its ids use.
OUTPUT_COLUMNS: dict[str, str] = {
    "Symmetry operator": "symmetry_operator",
    "NonDom first": "nondominant_first",
    **{
        f"{hand} - {column}{suffix}": prefix + head
        for hand, prefix in (("Dominant", ""), ("NONDominant", "nondominant_"))
        for suffix in ("", "2")
        for column, head in _HAND_COLUMNS.items()
    },
    "Handposition - LR": "hand_location_x",
    "Handposition - TB": "hand_location_y",
    "Handposition - Distance": "hand_location_distance",
}
EXTRA_CLASS_NAMES = {"nondominant_first": ["dominant first", "non-dominant first"]}
# parse-hamnosys writes these columns as integers and all others as floats ("8.0", "NaN"); so do we.
_INTEGER_COLUMNS = {
    "Symmetry operator",
    "NonDom first",
    "Dominant - Handshape - Thumb position",
    "Dominant - Handshape - Bending",
    "Handposition - Distance",
}
HEAD_PRESETS = {"all": sym.HEADS, "hearai": sym.HEADS[:8]}


@dataclass(frozen=True)
class SourceRecord:
    """One notation to parse and where it came from (`line` counts from 1, header included)."""

    line: int
    name: str
    start: str
    end: str
    hamnosys: str


@dataclass(frozen=True)
class Failure:
    """A source line that gave no labels, and why."""

    line: int
    name: str
    reason: str
    hamnosys: str


@dataclass(frozen=True)
class CsvColumns:
    """Column names of a CSV source."""

    name: str = "name"
    start: str = "start"
    end: str = "end"
    hamnosys: str = "hamnosys"


def _read_source_format(path: Path) -> tuple[list[SourceRecord], list[Failure]]:
    records, failures = [], []
    # utf-8-sig: a byte-order mark (Windows editors write one) is not part of the first sign's name.
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < len(SOURCE_COLUMNS):
            reason = f"expected {len(SOURCE_COLUMNS)} space-separated columns ({' '.join(SOURCE_COLUMNS)})"
            failures.append(Failure(number, parts[0], f"{reason}, got {len(parts)}", line))
            continue
        # HamNoSys is the last column; spaces inside it mean nothing.
        records.append(SourceRecord(number, parts[0], parts[1], parts[2], "".join(parts[5:])))
    return records, failures


def _read_csv(
    path: Path, separator: str, columns: CsvColumns, require_frames: bool
) -> tuple[list[SourceRecord], list[Failure]]:
    records, failures = [], []
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.DictReader(file, delimiter=separator)
        header = reader.fieldnames or []
        wanted = list(vars(columns).values()) if require_frames else [columns.hamnosys]
        missing = [c for c in wanted if c not in header]
        if missing:
            raise DataError(f"{path}: no column {', '.join(map(repr, missing))} (columns: {header})")
        for row in reader:
            given = sum(row[column] is not None for column in header)  # DictReader fills a short row with None
            if given < len(header):
                reason = f"expected {len(header)} columns ({', '.join(header)}), got {given}"
                text = separator.join(value for value in row.values() if isinstance(value, str))
                failures.append(Failure(reader.line_num, row[header[0]] or "", reason, text))
                continue
            record = [row.get(columns.name) or "", row.get(columns.start) or "", row.get(columns.end) or ""]
            records.append(SourceRecord(reader.line_num, *record, row[columns.hamnosys] or ""))
    return records, failures


def read_source(
    path: Path,
    input_format: str = "auto",
    separator: str = ",",
    columns: CsvColumns = CsvColumns(),
    require_frames: bool = True,
) -> tuple[list[SourceRecord], list[Failure]]:
    """Notations of a parse-hamnosys source file or a CSV (`input_format` `auto` picks CSV for `.csv`/`.tsv`, whose
    separator then defaults to a tab). Lines too short to hold a notation come back as failures. Without
    `require_frames` a CSV needs only its HamNoSys column."""
    if not path.is_file():
        raise DataError(f"{path}: source file does not exist")
    try:
        if input_format == "csv" or (input_format == "auto" and path.suffix.lower() in (".csv", ".tsv")):
            tsv = path.suffix.lower() == ".tsv" and separator == ","
            return _read_csv(path, "\t" if tsv else separator, columns, require_frames)
        return _read_source_format(path)
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error})") from error
    except csv.Error as error:
        raise DataError(f"{path}: unreadable CSV ({error})") from error


def parse_records(
    records: list[SourceRecord], require_frames: bool = True
) -> tuple[list[tuple[SourceRecord, HamNoSysLabels]], list[Failure]]:
    """Labels of each record; records that cannot be parsed (or, with `require_frames`, whose frame numbers are
    not integers) fail."""
    parsed, failures = [], []
    for record in records:
        try:
            if require_frames and not (record.start.strip().isdigit() and record.end.strip().isdigit()):
                raise HamNoSysParseError(f"start and end must be frame numbers, got {record.start!r} {record.end!r}")
            parsed.append((record, parse_hamnosys(record.hamnosys)))
        except HamNoSysParseError as error:
            failures.append(Failure(record.line, record.name, str(error), record.hamnosys))
    return parsed, failures


def output_values(labels: HamNoSysLabels) -> list[Optional[int]]:
    """The values of `OUTPUT_COLUMNS` for one notation (None = NaN)."""
    values = [labels.symmetry, labels.nondominant_first, *labels.hand_values()]
    return values + [labels.location_lr, labels.location_tb, labels.distance]


def _format(value: Optional[int], column: str) -> str:
    if value is None:
        return "NaN"
    return str(value) if column in _INTEGER_COLUMNS else str(float(value))


def write_output_file(path: Path, parsed: list[tuple[SourceRecord, HamNoSysLabels]]) -> None:
    """parse-hamnosys's destination file: a header, then `Name Start End` and the class of each column."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, delimiter=" ", lineterminator="\n")
        writer.writerow(["Name", "Start", "End", *OUTPUT_COLUMNS])
        for record, labels in parsed:
            values = [_format(v, c) for v, c in zip(output_values(labels), OUTPUT_COLUMNS)]
            writer.writerow([record.name, record.start, record.end, *values])


def write_error_file(path: Path, failures: list[Failure]) -> None:
    """Tab-separated: source line, name, reason, notation."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, delimiter="\t", lineterminator="\n")
        writer.writerow(["line", "name", "reason", "hamnosys"])
        writer.writerows((f.line, f.name, f.reason, f.hamnosys) for f in sorted(failures, key=lambda f: f.line))


def write_annotation_file(path: Path, parsed: list[tuple[SourceRecord, HamNoSysLabels]], heads: list[str]) -> None:
    """HearAI annotation lines `name start end label...`, one label per head in `heads` order (-1 = none)."""
    lines = []
    for record, labels in parsed:
        by_head = labels.head_labels()
        lines.append(
            " ".join([record.name, record.start.strip(), record.end.strip()] + [str(by_head[h]) for h in heads])
        )
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def write_class_names(path: Path, heads: list[str]) -> None:
    """Class names of `heads` into a `class_names.json`, keeping the entries of other heads already there."""
    existing = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    existing |= {head: sym.CLASS_NAMES[head] for head in heads}
    path.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def expand_heads(names: list[str]) -> list[str]:
    """Head names, with the presets `all` (every head) and `hearai` (HearAI's eight hamnosys heads)."""
    heads = [head for name in names for head in HEAD_PRESETS.get(name, [name])]
    unknown = [h for h in heads if h not in sym.NUM_CLASSES]
    if unknown:
        raise DataError(f"unknown head(s) {', '.join(unknown)}; known: {', '.join(sym.HEADS)} (or all, hearai)")
    return heads


class _OneLineParser(argparse.ArgumentParser):
    """Argument errors as a single line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _arguments(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = _OneLineParser(prog="parse_hamnosys.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("-sf", "--src_file", type=Path, required=True, help="source file (6-column format or CSV)")
    parser.add_argument("-df", "--dst_file", type=Path, help="parse-hamnosys output file to write")
    parser.add_argument("-ef", "--err_file", type=Path, help="file for the lines that cannot be parsed (TSV)")
    parser.add_argument("-af", "--annotation_file", type=Path, help="HearAI annotation file to write")
    parser.add_argument("--heads", nargs="+", default=["all"], help="annotation heads, in order (all, hearai)")
    parser.add_argument("--input_format", choices=["auto", "parse-hamnosys", "csv"], default="auto")
    parser.add_argument("--separator", default=",", help="CSV separator (default ','; tab for .tsv)")
    for field_name, default in vars(CsvColumns()).items():
        parser.add_argument(f"--{field_name}_column", default=default, help=f"CSV column of the {field_name}")
    args = parser.parse_args(argv)
    if args.dst_file is None and args.annotation_file is None:
        parser.error("give -df/--dst_file and/or -af/--annotation_file")
    return args


def _write_outputs(args: argparse.Namespace, parsed: list, failures: list[Failure], heads: list[str]) -> None:
    if args.dst_file:
        write_output_file(args.dst_file, parsed)
    if args.annotation_file:
        write_annotation_file(args.annotation_file, parsed, heads)
        write_class_names(args.annotation_file.parent / "class_names.json", heads)
    if args.err_file:
        write_error_file(args.err_file, failures)
    else:
        for failure in failures:
            logger.warning("%s:%d: %s: %s", args.src_file, failure.line, failure.name, failure.reason)


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = _arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        heads = expand_heads(args.heads)
        columns = CsvColumns(args.name_column, args.start_column, args.end_column, args.hamnosys_column)
        records, failures = read_source(args.src_file, args.input_format, args.separator, columns)
        parsed, parse_failures = parse_records(records)
        failures += parse_failures
        _write_outputs(args, parsed, failures, heads)
    except (DataError, OSError, json.JSONDecodeError) as error:
        print(f"parse_hamnosys.py: error: {error}", file=sys.stderr)
        return 2
    total = len(parsed) + len(failures)
    share = 100.0 * len(parsed) / total if total else 0.0
    where = f" (listed in {args.err_file})" if args.err_file and failures else ""
    print(f"parsed {len(parsed)} of {total} lines ({share:.1f}%); {len(failures)} could not be parsed{where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
