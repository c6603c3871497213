"""Pack an MP_Data tree (`<label>/<sequence>/<frame>.npy`, webcam + MediaPipe recordings) into one landmark `.npz`
per sequence and an annotation CSV, which the `landmarks` data source reads (one file per clip instead of 30).

Usage (from the repository root):
    python data_preprocessing/pack_mp_data.py INPUT --output_dir data/packed [--signer NAME] [--head gloss]
        [--hand left_hand|right_hand] [--parts pose left_hand right_hand face] [--overwrite]

INPUT is an MP_Data folder, a .zip/.tar holding one, or a folder inside an archive (`repo.zip/repo/MP_Data`); the
vector layouts, the zeros-mean-not-detected rule and the frame numbering are those of the `mp_data` source
(`datasets/mp_data_files.py`). Each sequence becomes `<output_dir>/[<signer>/]<label>/<sequence>.npz` in the
landmark `.npz` format (`landmarks` float32 `[T, J, 4]`: x, y, z, visibility (pose only); NaN = not detected;
`layout` joint names; `fps` NaN and `frame_size` (0, 0): the recordings do not say); `--parts` keeps only some
parts (the face is 84% of a 1662-vector: leave it out when training on body and hands). `annotations.csv` in
`--output_dir` gets one row per sequence: `path,<head>,signer`, the label being the label folder's name as it is
(map free-text labels with the dataset entry's `label_aliases`). Packing several trees (one `--signer` each) into
one folder makes one multi-signer dataset: their rows are merged.

Resumable: sequences whose `.npz` exists are skipped (each file is written under a temporary name and renamed when
complete); `--overwrite` packs them again. Exit status 0; 2 for a bad input, or if any sequence could not be packed
(each is named on stderr; the others are still written).
"""

import argparse
import csv
import logging
import os
import sys
import time
from pathlib import Path, PurePosixPath
from typing import Optional

from tqdm import tqdm

from datasets.archives import FileTree
from datasets.errors import DataError
from datasets.landmark_files import PART_SIZES, save_landmarks_npz
from datasets.mp_data_files import HAND_SLOTS, Sequence, find_sequences, read_vectors, unpack_vectors

logger = logging.getLogger(__name__)
ANNOTATIONS_CSV = "annotations.csv"


def packed_path(sequence: Sequence, signer: Optional[str]) -> str:
    """Where a sequence's `.npz` goes, relative to the output folder: `[<signer>/]<label>/<sequence>.npz`."""
    if {sequence.label, sequence.name} & {".", ".."}:
        raise DataError(f"{sequence.folder}: a label or sequence folder named . or .. cannot be written")
    return str(PurePosixPath(signer or "", sequence.label, f"{sequence.name}.npz"))


def pack_sequence(tree: FileTree, sequence: Sequence, output: Path, args: argparse.Namespace) -> int:
    """Write one sequence's landmarks `[T, J, 4]` of the parts `args.parts` to `output` (atomically); returns T.
    Raises DataError naming the sequence folder or frame file when it cannot be read."""
    if sequence.problem:
        raise DataError(f"{tree.describe(sequence.folder)}: {sequence.problem}")
    vectors = read_vectors(tree, sequence.frames)
    landmarks, layout = unpack_vectors(vectors, args.hand, tree.describe(sequence.frames[0]))
    kept = [index for index, name in enumerate(layout) if name.partition(".")[0] in args.parts]
    if not kept:
        raise DataError(f"{tree.describe(sequence.folder)}: its {vectors.shape[1]}-vectors hold none of {args.parts}")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.stem}.partial.npz")
    save_landmarks_npz(partial, landmarks[:, kept], [layout[i] for i in kept], fps=None, frame_size=(0, 0))
    os.replace(partial, output)
    return len(landmarks)


def merge_annotations(path: Path, rows: list[dict[str, str]], head: str) -> None:
    """Write `rows` (`path`, `<head>`, `signer`) to the annotation CSV at `path`, keeping the rows of other paths
    that it already holds (other trees packed into the same folder); written atomically."""
    fields = ["path", head, "signer"]
    kept: list[dict[str, str]] = []
    if path.is_file():
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames != fields:
                raise DataError(f"{path}: has the columns {reader.fieldnames}, not {fields}; pass the same --head")
            kept = list(reader)
    new = {row["path"] for row in rows}
    merged = sorted([row for row in kept if row["path"] not in new] + rows, key=lambda row: row["path"])
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(merged)
    os.replace(partial, path)


def pack_tree(args: argparse.Namespace) -> tuple[list[dict[str, str]], list[str], tuple[int, int]]:
    """Pack every sequence of `args.input`: (annotation rows of the sequences packed or already there, errors,
    (sequences packed now, frames packed now))."""
    tree = FileTree(args.input)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    rows, errors, packed, frames = [], [], 0, 0
    for sequence in tqdm(find_sequences(tree), desc="packing", unit="sequence", mininterval=1):
        try:
            relative = packed_path(sequence, args.signer)
            output = args.output_dir / relative
            if args.overwrite or not output.is_file():
                frames += pack_sequence(tree, sequence, output, args)
                packed += 1
        except DataError as error:
            errors.append(str(error))
            continue
        rows.append({"path": relative, args.head: sequence.label, "signer": args.signer or ""})
    return rows, errors, (packed, frames)


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    """The command line (argparse exits with status 2 on a bad one)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", help="an MP_Data folder, a .zip/.tar, or a folder inside one (x.zip/repo/MP_Data)")
    parser.add_argument("--output_dir", type=Path, required=True, help="where the .npz files and annotations go")
    parser.add_argument("--signer", help="who recorded the tree: a subfolder and the signer column")
    parser.add_argument("--head", default="gloss", help="the annotation column of the label (default gloss)")
    parser.add_argument("--hand", choices=HAND_SLOTS, help="the slot of 63-value (one hand) vectors")
    parser.add_argument(
        "--parts", nargs="+", choices=list(PART_SIZES), default=list(PART_SIZES), help="parts to keep (default all)"
    )
    parser.add_argument("--overwrite", action="store_true", help="pack sequences whose .npz exists again")
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    started = time.perf_counter()
    try:
        rows, errors, (packed, frames) = pack_tree(args)
        merge_annotations(args.output_dir / ANNOTATIONS_CSV, rows, args.head)
    except (DataError, OSError) as error:
        print(f"pack_mp_data.py: error: {error}", file=sys.stderr)
        return 2
    seconds = max(time.perf_counter() - started, 1e-9)
    print(
        f"packed {packed} sequences ({frames} frames, {packed / seconds:.1f} sequences/s), skipped"
        f" {len(rows) - packed} already packed, {len(errors)} failed; annotations: {args.output_dir / ANNOTATIONS_CSV}"
    )
    for error in errors:
        print(f"pack_mp_data.py: error: {error}", file=sys.stderr)
    return 2 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
