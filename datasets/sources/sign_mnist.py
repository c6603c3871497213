"""`sign_mnist_csv`: Sign Language MNIST, `label,pixel1..pixel784` (plain or .gz), one 28x28 grey image a row.

Labels 0-24 without 9 (J and Z need motion, so the dataset has neither): 24 classes, label k is the letter
chr(65 + k). Labels are given as letter names, so the head's classes are the letters (`A`..`Y` without `J`)
and other letter datasets can label the same head. A row is a one-frame clip; `path` is the train CSV and
`test_path` the test CSV.
"""

import gzip
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from datasets.annotations import ClipRecord
from datasets.errors import BadSamples, DataError
from datasets.sources.base import Picker, Source

SIDE = 28
COLUMNS = 1 + SIDE * SIDE
LABELS = [k for k in range(25) if k != 9]


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        raise DataError(f"{path}: no such Sign MNIST CSV file")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return handle.read().splitlines()


def _row(where: str, line: str) -> np.ndarray:
    """One data line -> int64 [785]; a malformed one raises naming `where`."""
    cells = line.split(",")
    if not line.strip():
        raise DataError(f"{where}: empty line")
    if len(cells) != COLUMNS:
        raise DataError(f"{where}: expected {COLUMNS} values (label, pixel1..pixel784), got {len(cells)}")
    try:
        return np.array(cells, dtype=np.int64)
    except ValueError as error:
        raise DataError(f"{where}: values must be integers: {error}") from error


def _check(where: str, row: np.ndarray) -> None:
    if row[0] not in LABELS:
        raise DataError(f"{where}: label {row[0]} is not a Sign MNIST class (0-24 without 9, which is J)")
    if row[1:].min() < 0 or row[1:].max() > 255:
        raise DataError(f"{where}: pixels must be 0-255")


def read_sign_mnist(path: Path, bad: BadSamples) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """(uint8 images [N, 28, 28] of the rows, [(line number, label)] of the good rows; bad rows are reported)."""
    lines = _lines(path)
    if not lines or not lines[0].startswith("label,"):
        raise DataError(f"{path}:1: expected the header label,pixel1,...,pixel784")
    body = lines[1:]
    while body and not body[-1].strip():
        body.pop()
    parsed = np.ones(len(body), dtype=bool)
    try:  # the fast path: numpy parses the whole file at once
        if any(line.count(",") != COLUMNS - 1 for line in body):
            raise ValueError("ragged")
        values = np.loadtxt(body, delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError:  # a bad line somewhere: parse line by line to name it
        values = np.zeros((len(body), COLUMNS), dtype=np.int64)
        for position, line in enumerate(body):
            try:
                values[position] = _row(f"{path}:{position + 2}", line)
            except DataError as error:
                parsed[position] = False
                bad.report(error)
    good = []
    for position in np.flatnonzero(parsed):
        where = f"{path}:{position + 2}"
        try:
            _check(where, values[position])
            good.append((int(position) + 2, int(values[position, 0])))
        except DataError as error:
            bad.report(error)
    return values[:, 1:].clip(0, 255).astype(np.uint8).reshape(-1, SIDE, SIDE), good


class SignMnistSource(Source):
    """Rows of Sign MNIST CSV files, held in memory (27,455 + 7,172 rows are 27 MB)."""

    format = "sign_mnist_csv"

    def __init__(self, entry, heads_by_mode) -> None:
        super().__init__(entry, heads_by_mode)
        self.head = self.single_head()
        self.images: dict[str, np.ndarray] = {}

    def records_at(self, location: str, bad: BadSamples) -> list[ClipRecord]:
        images, rows = read_sign_mnist(Path(location), bad)
        self.images[location] = images
        if not rows:
            raise DataError(f"{location}: no usable rows")
        return [
            ClipRecord(
                Path(location),
                str(number - 1),
                0,
                0,
                tokens={self.head: chr(65 + label)},
                origin=f"{location}:{number}",
            )
            for number, label in rows
        ]

    def read(self, record: ClipRecord, pick: Picker) -> Tensor:
        del pick  # a one-frame clip whatever the sampling
        image = torch.from_numpy(self.images[str(record.root)][int(record.name) - 1])
        return image.expand(1, 3, SIDE, SIDE).contiguous()
