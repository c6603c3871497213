"""Markdown tables for the benchmarks' output: rows of plain dicts, one column per chosen key."""

from typing import Optional, Sequence


def format_cell(value: object, digits: int = 4) -> str:
    """A float with `digits` significant digits (thousands grouped), None as "-", anything else as str; `|` escaped."""
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:,.{digits}g}" if abs(value) < 10**digits else f"{value:,.0f}"
    else:
        text = str(value)
    return text.replace("|", "\\|")


def markdown_table(rows: Sequence[dict], columns: Optional[dict[str, str]] = None, digits: int = 4) -> str:
    """A markdown table of `rows`: `columns` maps a row key to its header (default: every key of the first row).

    A key missing from a row is shown as "-".
    """
    if not rows:
        return ""
    columns = columns or {key: key for key in rows[0]}
    lines = ["| " + " | ".join(columns.values()) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(format_cell(row.get(key), digits) for key in columns) + " |" for row in rows]
    return "\n".join(lines)
