"""Bar charts of class frequencies: one per head (classes named, never-seen classes marked) and an overview.

Figures are drawn with matplotlib's object API (`Figure`, rendered by Agg), so no display and no pyplot state.
"""

import os
from pathlib import Path

from matplotlib.figure import Figure

SEEN_COLOUR = "#3b75af"
NEVER_SEEN_COLOUR = "#c0392b"


def _tick_labels(names: list[str]) -> list[str]:
    return [f"{class_id} {name}" if name != str(class_id) else name for class_id, name in enumerate(names)]


def head_chart(path: Path, title: str, counts: list[int], names: list[str]) -> None:
    """One head's bar chart: a bar per class id, labelled `id name`, each with its count; a class that never
    occurs gets a red `0` so that it is not mistaken for a missing tick."""
    width = max(7.0, 0.32 * len(counts) + 2.5)
    figure = Figure(figsize=(width, 5.2), layout="constrained")
    axes = figure.add_subplot()
    positions = list(range(len(counts)))
    axes.bar(positions, counts, color=SEEN_COLOUR, width=0.75)
    peak = max(counts) if any(counts) else 1
    for position, count in zip(positions, counts):
        colour = SEEN_COLOUR if count else NEVER_SEEN_COLOUR
        axes.text(position, count + peak * 0.01, str(count), ha="center", va="bottom", fontsize=7, color=colour)
    axes.set_xticks(positions, _tick_labels(names), rotation=60 if len(counts) > 6 else 0, ha="right", fontsize=8)
    if len(counts) <= 6:
        for label in axes.get_xticklabels():
            label.set_horizontalalignment("center")
    for tick, count in zip(axes.get_xticklabels(), counts):
        if not count:
            tick.set_color(NEVER_SEEN_COLOUR)
    axes.set_ylim(0, peak * 1.12)
    axes.set_xlim(-0.7, len(counts) - 0.3)
    axes.set_ylabel("count")
    axes.set_title(title, fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    figure.savefig(path, dpi=110)


def _short_names(names: list[str]) -> tuple[str, list[str]]:
    """Class names without their common prefix (`extfingeru` -> `u`), and that prefix."""
    named = [name for name in names if name != "none"]
    prefix = os.path.commonprefix(named) if len(named) > 1 else ""
    if len(prefix) < 3 or any(name == prefix for name in named):
        return "", names
    return prefix, [name[len(prefix) :] if name.startswith(prefix) else name for name in names]


def _layout(charts: list[tuple[str, list[int], list[str]]], columns: int) -> list[tuple[int, int, int]]:
    """(row, first column, width) of each chart; a chart with many classes takes two grid cells."""
    places, row, column = [], 0, 0
    for _, counts, _ in charts:
        width = min(columns, 2 if len(counts) > 20 else 1)
        if column + width > columns:
            row, column = row + 1, 0
        places.append((row, column, width))
        column += width
    return places


def overview_chart(path: Path, charts: list[tuple[str, list[int], list[str]]]) -> None:
    """All heads in one figure, one small bar chart each (`(title, counts, class names)`), shares in percent."""
    columns = min(4, len(charts))
    places = _layout(charts, columns)
    rows = places[-1][0] + 1
    figure = Figure(figsize=(5.2 * columns, 4.0 * rows), layout="constrained")
    grid = figure.add_gridspec(rows, columns)
    for (title, counts, names), (row, column, width) in zip(charts, places):
        axes = figure.add_subplot(grid[row, column : column + width])
        total = sum(counts) or 1
        colours = [SEEN_COLOUR if count else NEVER_SEEN_COLOUR for count in counts]
        axes.bar(range(len(counts)), [100.0 * count / total for count in counts], color=colours, width=0.8)
        for position, count in enumerate(counts):
            if not count:  # an empty bar is invisible: mark the class
                axes.plot(position, 0, marker="x", color=NEVER_SEEN_COLOUR, markersize=6, markeredgewidth=1.5)
        prefix, short = _short_names(names)
        axes.set_xticks(range(len(counts)), short, rotation=90, fontsize=8)
        axes.tick_params(axis="y", labelsize=8)
        axes.set_ylabel("% of labelled", fontsize=8)
        axes.set_title(f"{title} ({prefix}...)" if prefix else title, fontsize=10)
        axes.grid(axis="y", alpha=0.3)
        axes.set_axisbelow(True)
    figure.suptitle("Class frequencies per head (red x: class never seen)", fontsize=13)
    figure.savefig(path, dpi=90)
