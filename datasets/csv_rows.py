"""Rows of dicts written as CSV: split files, skipped-sample lists, predictions and run tables."""

import csv
from pathlib import Path
from typing import Any


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    """Rows of dicts as CSV, the columns in first-seen order."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
