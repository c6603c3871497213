"""MP_Data recordings: the webcam + MediaPipe layout `MP_Data/<label>/<sequence>/<frame>.npy`.

Many public projects record signs with MediaPipe Holistic and save each frame as one flat float vector, the parts'
coordinates concatenated; the vector's length says which parts it holds:
- 1662: pose 33 x (x, y, z, visibility) | face 468 x (x, y, z) | left hand 21 x 3 | right hand 21 x 3;
- 258: pose 33 x 4 | left hand 21 x 3 | right hand 21 x 3;
- 126: left hand 21 x 3 | right hand 21 x 3;
- 63: one hand, 21 x 3, in the slot the dataset names (`left_hand` or `right_hand`).
A part the recorder did not detect is written as zeros: a part that is exactly 0 in all its coordinates in a frame
becomes NaN here. Frames are ordered by their number (`10.npy` after `9.npy`) and must be numbered from 0 (or 1)
without gaps; the label is the label folder's name. Joints are named as in the landmark `.npz` format
(`pose.0`, `face.467`, `left_hand.20`, ...; `datasets/landmark_files.py`), so both read into the same layout.
"""

import io
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Iterable, Optional

import numpy as np

from datasets.archives import FileTree
from datasets.errors import DataError

logger = logging.getLogger(__name__)

HAND_SLOTS = ("left_hand", "right_hand")
# vector length -> its parts in order: (part, joints, values per joint); 63 (one hand) is placed by the dataset
VECTOR_LAYOUTS: dict[int, tuple[tuple[str, int, int], ...]] = {
    1662: (("pose", 33, 4), ("face", 468, 3), ("left_hand", 21, 3), ("right_hand", 21, 3)),
    258: (("pose", 33, 4), ("left_hand", 21, 3), ("right_hand", 21, 3)),
    126: (("left_hand", 21, 3), ("right_hand", 21, 3)),
    63: (("hand", 21, 3),),
}
KNOWN_LENGTHS = (
    "1662 (pose 33x4 | face 468x3 | left hand 21x3 | right hand 21x3), 258 (pose 33x4 | left hand | right hand),"
    " 126 (left hand | right hand) or 63 (one hand)"
)
FRAME_NAME = re.compile(r"^(\d+)\.npy$")


@dataclass(frozen=True)
class Sequence:
    """One recording: `<root>/<label>/<name>/` with its frame files in frame order (paths relative to the tree's
    location); `problem` says why it cannot be used (a gap in the frame numbers, a badly named frame file)."""

    root: str
    label: str
    name: str
    frames: tuple[str, ...]
    problem: str = ""

    @property
    def folder(self) -> str:
        """The sequence folder, relative to the tree's location."""
        return str(PurePosixPath(self.root, self.label, self.name))

    @property
    def key(self) -> str:
        """`<label>/<sequence>`: how annotation files and packed files name it (relative to the MP_Data root)."""
        return f"{self.label}/{self.name}"


def _natural(text: str) -> tuple:
    """Sort key that puts `2` before `10` (sequence folders are numbered)."""
    return tuple(int(piece) if piece.isdigit() else piece for piece in re.split(r"(\d+)", text))


def _frame_problem(numbers: list[int], names: list[str]) -> str:
    bad_names = [n for n in names if not FRAME_NAME.match(n)]
    if bad_names:
        return f"frame files must be named <number>.npy; got {bad_names[:3]}"
    if len(set(numbers)) != len(numbers):
        return f"a frame number appears twice in {sorted(names, key=_natural)[:5]} ..."
    first = min(numbers)
    missing = sorted(set(range(first, max(numbers) + 1)) - set(numbers))
    if first not in (0, 1) or missing:
        gap = missing[:5] if missing else list(range(first))[:5]
        return f"frame(s) {gap} missing: frames must be numbered from 0 (or 1) without gaps"
    return ""


def _sequence(root: str, label: str, name: str, files: list[str]) -> Sequence:
    stems = [PurePosixPath(f).name for f in files]
    numbers = [int(m.group(1)) for s in stems if (m := FRAME_NAME.match(s))]
    problem = _frame_problem(numbers, stems)
    order = sorted(range(len(files)), key=lambda i: _natural(stems[i]))
    return Sequence(root, label, name, tuple(files[i] for i in order), problem)


def _hidden(path: PurePosixPath) -> bool:
    """macOS archive debris (`__MACOSX/`, `._x.npy`) and hidden files are not recordings."""
    return any(part.startswith(".") or part == "__MACOSX" for part in path.parts)


def find_sequences(tree: FileTree) -> list[Sequence]:
    """Every sequence under the tree, sorted by label then sequence. The MP_Data root is the one folder whose
    `<label>/<sequence>/<frame>.npy` holds every `.npy` file (the location itself, or one folder inside it); a
    tree whose `.npy` files imply several roots is an error listing them."""
    grouped: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for name in tree.files():
        path = PurePosixPath(name)
        if path.suffix.lower() == ".npy" and len(path.parts) >= 3 and not _hidden(path):
            root = str(PurePosixPath(*path.parts[:-3])) if len(path.parts) > 3 else ""
            grouped[(root, path.parts[-3], path.parts[-2])].append(name)
    roots = sorted({root for root, _, _ in grouped})
    if not roots:
        raise DataError(f"{tree.location}: no <label>/<sequence>/<frame>.npy files (an MP_Data folder)")
    if len(roots) > 1:
        shown = ", ".join(f"{tree.location}/{r}" if r else tree.location for r in roots[:5])
        raise DataError(
            f"{tree.location}: .npy files lie under several MP_Data roots ({shown}{' ...' if len(roots) > 5 else ''});"
            " point path at one of them (a folder inside a .zip is addressed as file.zip/inner/MP_Data)"
        )
    if roots[0]:
        logger.info("%s: MP_Data root %s", tree.location, roots[0])
    order = sorted(grouped, key=lambda key: (key[1], _natural(key[2])))
    return [_sequence(*key, grouped[key]) for key in order]


def read_vector(data: bytes, where: str) -> np.ndarray:
    """One frame file's bytes -> float64 `[L]`, L a known vector length; anything else is a DataError naming
    `where` (the file)."""
    try:
        vector = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise DataError(f"{where}: cannot read the frame: {error}") from error
    if not isinstance(vector, np.ndarray) or not np.issubdtype(vector.dtype, np.number):
        raise DataError(f"{where}: a frame must be a numeric vector, got {type(vector).__name__}")
    vector = vector.reshape(-1).astype(np.float64)
    if len(vector) not in VECTOR_LAYOUTS:
        raise DataError(f"{where}: a vector of length {len(vector)}; MP_Data frame vectors are {KNOWN_LENGTHS}")
    return vector


def read_vectors(tree: FileTree, frames: Iterable[str]) -> np.ndarray:
    """The frame files `frames` (paths in `tree`), in order -> float64 `[T, L]`; frames of different lengths are a
    DataError naming the file."""
    vectors: list[np.ndarray] = []
    for frame in frames:
        vector = read_vector(tree.read_bytes(frame), tree.describe(frame))
        if vectors and len(vector) != len(vectors[0]):
            raise DataError(f"{tree.describe(frame)}: a vector of length {len(vector)} after {len(vectors[0])}")
        vectors.append(vector)
    return np.stack(vectors)


def unpack_vectors(vectors: np.ndarray, hand: Optional[str], where: str) -> tuple[np.ndarray, list[str]]:
    """Frame vectors `[T, L]` -> (float32 `[T, J, 4]`: x, y, z, visibility (NaN but for pose joints), joint names
    `<part>.<index>`). A part that is all zeros (x, y, z) in a frame is NaN there. `hand`: the slot of a 63-vector
    (`left_hand` or `right_hand`); without it a 63-vector is a DataError naming `where`."""
    layout = VECTOR_LAYOUTS[vectors.shape[1]]
    if vectors.shape[1] == 63:
        if hand not in HAND_SLOTS:
            raise DataError(f"{where}: 63-vectors hold one hand; say which with mp_data_hand: left_hand|right_hand")
        layout = ((hand, 21, 3),)
    blocks, names, offset = [], [], 0
    for part, joints, channels in layout:
        block = np.full((len(vectors), joints, 4), np.nan, dtype=np.float32)
        block[:, :, :channels] = vectors[:, offset : offset + joints * channels].reshape(-1, joints, channels)
        block[(block[:, :, :3] == 0).all(axis=(1, 2))] = np.nan  # zeros: not detected in that frame
        blocks.append(block)
        names += [f"{part}.{index}" for index in range(joints)]
        offset += joints * channels
    return np.concatenate(blocks, axis=1), names
