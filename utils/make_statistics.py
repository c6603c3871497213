"""Class statistics of an annotation file: a bar chart per head, an overview figure and a table.

Reads (detected from the content):
- a HearAI annotation file `name start end label...` without header (-1 = no label); its label columns are the
  HamNoSys heads of `data_preprocessing/hamnosys_symbols.py` when there are 14 (or HearAI's first 8), else
  `label_1`, `label_2`, ...;
- a file with a header row, e.g. parse-hamnosys's output: every column except name/start/end (NaN = no label);
- a file holding HamNoSys strings (parse-hamnosys's 6-column source format, or a .csv/.tsv with a `hamnosys`
  column), parsed on the fly.
Class ids of known heads are labelled with their HamNoSys symbol names. Writes `<column>.png` per head,
`overview.png`, `statistics.csv` (per head: labelled, classes never seen, imbalance ratio), `class_counts.csv` and
`statistics.md` (both tables) to the output directory.

Usage (from the repository root):
    python utils/make_statistics.py --file_path F --output_directory D [--separator " "] [--heads H ...]
"""

import argparse
import csv
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, Optional

from data_preprocessing import hamnosys_symbols as sym
from data_preprocessing.parse_hamnosys import (
    EXTRA_CLASS_NAMES,
    HEAD_PRESETS,
    OUTPUT_COLUMNS,
    CsvColumns,
    parse_records,
    read_source,
)
from datasets.errors import DataError
from utils.statistics_plots import head_chart, overview_chart

FRAME_COLUMNS = {"name", "start", "end"}
MISSING = {"", "nan", "none", "-1"}


@dataclass
class LabelColumn:
    """One label column: its name, the head whose class names it uses, the names, and its labels (-1 = none)."""

    name: str
    head: str
    class_names: list[str]
    labels: list[int]

    def counts(self) -> list[int]:
        """How often each class id occurs."""
        counter = Counter(self.labels)
        return [counter[class_id] for class_id in range(len(self.class_names))]

    def summary(self) -> dict[str, object]:
        """The table row of this column."""
        counts = self.counts()
        seen = [c for c in counts if c]
        never = [f"{i} {n}" for i, (n, c) in enumerate(zip(self.class_names, counts)) if not c]
        top = max(range(len(counts)), key=counts.__getitem__)
        return {
            "column": self.name,
            "head": self.head,
            "classes": len(counts),
            "labelled": sum(counts),
            "without_label": len(self.labels) - sum(counts),
            "classes_seen": len(seen),
            "never_seen": "; ".join(never),
            "most_common": f"{top} {self.class_names[top]}",
            "most_common_count": counts[top],
            "imbalance_ratio": round(max(seen) / min(seen), 2) if seen else "",
        }


def _class_names(path: Path, name: str, labels: list[int]) -> tuple[str, list[str]]:
    head = OUTPUT_COLUMNS.get(name, name)
    names = sym.CLASS_NAMES.get(head) or EXTRA_CLASS_NAMES.get(head)
    if names is None:
        return head, [str(i) for i in range(max(labels, default=0) + 1)]
    bad = [label for label in labels if label >= len(names)]
    if bad:
        raise DataError(f"{path}: column {name}: class id {bad[0]} is outside 0..{len(names) - 1} of head {head}")
    return head, names


def _label(path: Path, number: int, column: str, text: str) -> int:
    text = text.strip()
    if text.lower() in MISSING:
        return -1
    try:
        value = float(text)
    except ValueError:
        value = -0.5
    if value == -1:
        return -1
    if value < 0 or value != int(value):
        raise DataError(f"{path}:{number}: column {column}: {text!r} is not a class id")
    return int(value)


def _default_names(count: int) -> list[str]:
    for heads in HEAD_PRESETS.values():
        if len(heads) == count:
            return list(heads)
    return [f"label_{i}" for i in range(1, count + 1)]


def _numeric_columns(path: Path, lines: list[str], separator: str) -> list[LabelColumn]:
    rows = enumerate(csv.reader(lines, delimiter=separator, skipinitialspace=True), start=1)
    numbered = [(n, row) for n, row in rows if row and not row[0].startswith("#")]
    if not numbered:
        raise DataError(f"{path}: no lines")
    first = numbered[0][1]
    has_header = len(first) < 3 or not all(f.strip().lstrip("-").isdigit() for f in first[1:3])
    if has_header:
        indexes = [i for i, name in enumerate(first) if name.strip().lower() not in FRAME_COLUMNS]
        names, numbered = [first[i].strip() for i in indexes], numbered[1:]
    else:
        indexes = list(range(3, len(first)))
        names = _default_names(len(indexes))
    values: list[list[int]] = [[] for _ in names]
    for number, row in numbered:
        if len(row) != len(first):
            raise DataError(f"{path}:{number}: expected {len(first)} fields like line 1, got {len(row)}")
        for column, index in enumerate(indexes):
            values[column].append(_label(path, number, names[column], row[index]))
    return [LabelColumn(name, *_class_names(path, name, labels), labels) for name, labels in zip(names, values)]


def _hamnosys_columns(path: Path, separator: str, hamnosys_column: str) -> tuple[list[LabelColumn], int]:
    csv_separator = "," if separator == " " else separator
    columns = CsvColumns(hamnosys=hamnosys_column)
    records, failures = read_source(path, "auto", csv_separator, columns, require_frames=False)
    parsed, parse_failures = parse_records(records, require_frames=False)
    labels = [labels.head_labels() for _, labels in parsed]
    table = [LabelColumn(head, head, sym.CLASS_NAMES[head], [row[head] for row in labels]) for head in sym.HEADS]
    return table, len(failures) + len(parse_failures)


def load_columns(
    path: Path, separator: str = " ", heads: Optional[list[str]] = None, hamnosys_column: str = "hamnosys"
) -> tuple[list[LabelColumn], int]:
    """The label columns of a file (see the module docstring), restricted to `heads` (column or head names) when
    given, and how many HamNoSys lines could not be parsed."""
    if not path.is_file():
        raise DataError(f"{path}: file does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error})") from error
    if any("\ue000" <= char <= "\ue0ff" for char in text):
        columns, unparsed = _hamnosys_columns(path, separator, hamnosys_column)
    else:
        columns, unparsed = _numeric_columns(path, text.splitlines(), separator), 0
    if heads:
        heads = [head for name in heads for head in HEAD_PRESETS.get(name, [name])]
        unknown = [h for h in heads if all(h not in (c.name, c.head) for c in columns)]
        if unknown:
            raise DataError(f"{path}: no column {', '.join(unknown)} (columns: {', '.join(c.name for c in columns)})")
        columns = [c for c in columns if c.name in heads or c.head in heads]
    return columns, unparsed


def _file_name(column: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.]+", "_", column).strip("_") + ".png"


def _markdown(rows: list[dict[str, object]]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + " --- |" * len(keys)]
    lines += ["| " + " | ".join(str(row[k]).replace("|", "\\|") for k in keys) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_tables(directory: Path, columns: list[LabelColumn], source: Path, unparsed: int) -> list[dict[str, object]]:
    """`statistics.csv`, `class_counts.csv` and `statistics.md`; returns the summary rows."""
    summary = [column.summary() for column in columns]
    counts = [
        {"column": c.name, "class_id": i, "class_name": name, "count": count}
        for c in columns
        for i, (name, count) in enumerate(zip(c.class_names, c.counts()))
    ]
    for file_name, rows in (("statistics.csv", summary), ("class_counts.csv", counts)):
        with (directory / file_name).open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    note = f"\n{unparsed} line(s) of HamNoSys could not be parsed and are not counted.\n" if unparsed else ""
    parts = [f"# Class statistics of `{source}`\n{note}\n", _markdown(summary)]
    for column in columns:
        rows = [
            {"class_id": r["class_id"], "name": r["class_name"], "count": r["count"]}
            for r in counts
            if r["column"] == column.name
        ]
        parts += [f"\n## {column.name}\n\n", _markdown(rows)]
    (directory / "statistics.md").write_text("".join(parts), encoding="utf-8")
    return summary


def make_statistics(file_path: Path, output_directory: Path, separator: str = " ", **options) -> list[dict]:
    """Charts and tables of `file_path` into `output_directory`; `options` go to `load_columns`. Returns the
    summary rows."""
    columns, unparsed = load_columns(file_path, separator, **options)
    if not columns or not any(column.labels for column in columns):
        raise DataError(f"{file_path}: no labels to count")
    output_directory.mkdir(parents=True, exist_ok=True)
    summary = write_tables(output_directory, columns, file_path, unparsed)
    charts = []
    for column, row in zip(columns, summary):
        ratio = f"imbalance {row['imbalance_ratio']}:1" if row["labelled"] else "no labels"
        seen = f"{row['classes_seen']} of {row['classes']} classes seen"
        title = f"{column.name}\n{row['labelled']} labelled, {seen}, {ratio}"
        head_chart(output_directory / _file_name(column.name), title, column.counts(), column.class_names)
        charts.append((column.name, column.counts(), column.class_names))
    overview_chart(output_directory / "overview.png", charts)
    return summary


class _OneLineParser(argparse.ArgumentParser):
    """Argument errors as a single line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = _OneLineParser(prog="make_statistics.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--file_path", type=Path, required=True, help="annotation file or file of HamNoSys strings")
    parser.add_argument("--output_directory", type=Path, required=True, help="where charts and tables go")
    parser.add_argument("--separator", default=" ", help="field separator (default: a space)")
    parser.add_argument("--heads", nargs="+", help="only these columns (column or head names)")
    parser.add_argument("--hamnosys_column", default="hamnosys", help="HamNoSys column of a CSV source")
    args = parser.parse_args(argv)
    try:
        summary = make_statistics(
            args.file_path,
            args.output_directory,
            args.separator,
            heads=args.heads,
            hamnosys_column=args.hamnosys_column,
        )
    except (DataError, OSError) as error:
        print(f"make_statistics.py: error: {error}", file=sys.stderr)
        return 2
    for row in summary:
        ratio = f"imbalance {row['imbalance_ratio']}" if row["labelled"] else "no labels"
        print(
            f"{row['column']}: {row['labelled']} labelled, {row['classes_seen']}/{row['classes']} classes seen, {ratio}"
        )
    print(f"charts and tables in {args.output_directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
