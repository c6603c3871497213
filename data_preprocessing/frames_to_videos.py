"""Turn a HearAI frames dataset into a video dataset: one .mp4 per clip plus `annotations.csv` with class names.

The clips are those of the first `--labels` file; every `--labels` file adds its heads' labels (names from the
dataset's `class_names.json` when it has them). The CSV (`path,start,end,<head>...`) is what the `video` source
reads, so this is also how `make_synthetic.py --videos_dir` makes a video dataset.

Usage (from the repository root):
    python data_preprocessing/frames_to_videos.py --input_dir data/synthetic --output_dir data/synthetic_videos \
        --labels gloss.txt=gloss --labels hamnosys.txt=hand_shape_base_form,hand_position_palm_orientation,...
"""

import argparse
import csv
import json
import logging
import sys
from pathlib import Path
from typing import Optional

import cv2
from tqdm import tqdm

from datasets.annotations import ClipRecord, read_annotations
from datasets.errors import BadSamples, DataError
from datasets.vocabulary import CLASS_NAMES_FILE

# pylint: disable=no-member  # cv2 is a compiled extension whose members pylint cannot see


logger = logging.getLogger(__name__)
ANNOTATIONS_CSV = "annotations.csv"


def write_video(record: ClipRecord, path: Path) -> None:
    """Frames `start..end` of a HearAI clip folder -> an mp4 (MPEG-4 part 2) at the clip's fps (25 if unknown)."""
    frames = [cv2.imread(str(record.frame_path(i))) for i in range(int(record.start), int(record.end) + 1)]
    if any(frame is None for frame in frames):
        raise DataError(f"{record.folder}: a frame of {int(record.start)}-{int(record.end)} is missing or corrupt")
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), record.fps() or 25.0, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()


def _label_name(token: str, names: Optional[list[str]]) -> str:
    return names[int(token)] if names and token.lstrip("-").isdigit() else token


def frames_to_videos(input_dir: Path, output_dir: Path, heads_by_file: dict[str, list[str]]) -> Path:
    """Write the videos and `annotations.csv` into `output_dir`; returns the CSV's path."""
    class_names_path = input_dir / CLASS_NAMES_FILE
    class_names = json.loads(class_names_path.read_text(encoding="utf-8")) if class_names_path.is_file() else {}
    clips: dict[tuple, ClipRecord] = {}
    for position, (file_name, heads) in enumerate(heads_by_file.items()):
        for record in read_annotations(input_dir / file_name, heads, BadSamples()):
            key = (record.name, record.start, record.end)
            if position == 0:
                clips[key] = record
            elif key in clips:
                clips[key].tokens.update(record.tokens)
    output_dir.mkdir(parents=True, exist_ok=True)
    heads = [h for file_heads in heads_by_file.values() for h in file_heads]
    rows = []
    for record in tqdm(clips.values(), desc="writing videos", unit="clip"):
        record.root = input_dir
        write_video(record, output_dir / f"{record.name}.mp4")
        labels = {h: _label_name(record.tokens[h], class_names.get(h)) if h in record.tokens else "" for h in heads}
        rows.append({"path": f"{record.name}.mp4", "start": 0, "end": int(record.end - record.start)} | labels)
    csv_path = output_dir / ANNOTATIONS_CSV
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["path", "start", "end", *heads])
        writer.writeheader()
        writer.writerows(rows)
    logger.info("wrote %d videos and %s", len(rows), csv_path)
    return csv_path


def _labels_argument(text: str) -> tuple[str, list[str]]:
    file_name, _, heads = text.partition("=")
    if not heads:
        raise argparse.ArgumentTypeError(f"expected FILE=HEAD[,HEAD...], got {text!r}")
    return file_name, heads.split(",")


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input_dir", type=Path, required=True, help="a HearAI frames dataset")
    parser.add_argument("--output_dir", type=Path, required=True, help="where the videos and annotations.csv go")
    parser.add_argument(
        "--labels",
        type=_labels_argument,
        action="append",
        required=True,
        metavar="FILE=HEAD[,HEAD...]",
        help="an annotation file of input_dir and the heads of its labels, in order (repeatable)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        print(frames_to_videos(args.input_dir, args.output_dir, dict(args.labels)))
    except (DataError, OSError) as error:
        print(f"frames_to_videos.py: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
