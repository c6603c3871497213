"""Convert a folder of videos into the HearAI frames layout: `<clip>/<clip>_<i>.jpg`, a `properties.json` per clip
(fps, width, height, frame count, source video and range) and `annotations.csv` (`path,start,end,signer,<head>...`,
read by the `frames` source).

Clips come from `--labels` (a CSV with `path` relative to `--input_dir`, optional `start`/`end` in frames or
seconds, `signer`, `split` and one column per head), or else every video under `--input_dir`, labelled with its
parent folder's name when `--folder_label HEAD` is given. Parallel (`--workers`), resumable (a clip whose folder
is complete is skipped; each clip is written to a temporary folder and renamed when done), with a progress bar.

Usage (from the repository root):
    python data_preprocessing/videos_to_frames.py --input_dir videos --output_dir data/my_frames --labels labels.csv
"""

import argparse
import csv
import json
import logging
import multiprocessing
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path, PurePosixPath
from typing import Optional

from PIL import Image
from tqdm import tqdm

from datasets.annotations import CSV_FIELDS, PROPERTIES_FILE, ClipRecord, read_annotations
from datasets.errors import BadSamples, DataError
from datasets.sources.video import VIDEO_SUFFIXES, read_video

logger = logging.getLogger(__name__)
ANNOTATIONS_CSV = "annotations.csv"
CHUNK = 64  # frames decoded at once, so long videos do not fill the memory


def plan_clips(
    input_dir: Path, labels: Optional[Path], folder_label: Optional[str], unit: str
) -> tuple[list[tuple[str, ClipRecord]], list[str]]:
    """([(unique clip folder name, record)], head names) from the labels CSV or the videos in the folder."""
    if labels is not None:
        with labels.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), [])
        heads = [h for h in header if h not in CSV_FIELDS]
        records = read_annotations(labels, heads, BadSamples(), unit=unit)
    else:
        videos = sorted(p.relative_to(input_dir).as_posix() for p in input_dir.rglob("*") if p.suffix in VIDEO_SUFFIXES)
        heads = [folder_label] if folder_label else []
        records = [
            ClipRecord(input_dir, v, tokens={folder_label: PurePosixPath(v).parent.name} if folder_label else {})
            for v in videos
        ]
    if not records:
        raise DataError(f"{labels or input_dir}: no videos to convert")
    seen: dict[str, int] = {}
    clips = []
    for record in records:
        base = PurePosixPath(record.name).with_suffix("").as_posix().replace("/", "__")
        seen[base] = seen.get(base, -1) + 1
        clips.append((base if seen[base] == 0 else f"{base}_{seen[base]}", record))
    return clips, heads


def _save_frames(video: Path, first: int, last: int, folder: Path, name: str) -> tuple[int, int]:
    """Decode frames `first..last` chunk by chunk into `folder`; returns (height, width)."""
    size = (0, 0)
    for chunk_start in range(first, last + 1, CHUNK):
        wanted = list(range(chunk_start, min(chunk_start + CHUNK, last + 1)))
        frames = read_video(video, lambda length, fps, wanted=wanted: wanted)
        for index, frame in zip(wanted, frames):
            Image.fromarray(frame.permute(1, 2, 0).numpy()).save(folder / f"{name}_{index - first}.jpg", quality=95)
        size = tuple(frames.shape[2:])
    return size


def convert_clip(input_dir: Path, output_dir: Path, name: str, record: ClipRecord, seconds: bool) -> int:
    """Write one clip's frames and properties into `<output_dir>/<name>` (skipped when already complete);
    returns its frame count."""
    video = input_dir / record.name
    done = output_dir / name / PROPERTIES_FILE
    if done.is_file():
        return json.loads(done.read_text(encoding="utf-8"))["num_frames"]
    probe: dict = {}
    read_video(video, lambda length, fps: probe.update(length=length, fps=fps) or [0])
    scale = probe["fps"] if seconds else 1
    first = int(round(record.start * scale))
    last = probe["length"] - 1 if record.end is None else int(round(record.end * scale))
    if not 0 <= first <= last < probe["length"]:
        raise DataError(f"{video}: frames {first}-{last} are outside the video's 0-{probe['length'] - 1}")
    partial = output_dir / f".{name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    height, width = _save_frames(video, first, last, partial, name)
    properties = {"fps": probe["fps"], "width": width, "height": height, "num_frames": last - first + 1}
    properties |= {"source": record.name, "source_start_frame": first, "source_end_frame": last}
    (partial / PROPERTIES_FILE).write_text(json.dumps(properties) + "\n", encoding="utf-8")
    shutil.rmtree(output_dir / name, ignore_errors=True)
    partial.rename(output_dir / name)
    return last - first + 1


def write_annotations(output_dir: Path, clips: list[tuple[str, ClipRecord]], counts: dict, heads: list[str]) -> Path:
    """`annotations.csv` of the converted clips (frames are numbered from 0 in each clip folder)."""
    path = output_dir / ANNOTATIONS_CSV
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["path", "start", "end", "signer", "split", *heads])
        writer.writeheader()
        for name, record in clips:
            if name not in counts:
                continue
            row = {"path": name, "start": 0, "end": counts[name] - 1}
            row |= {"signer": record.signer or "", "split": record.split or ""}
            writer.writerow(row | {h: record.tokens.get(h, "") for h in heads})
    return path


def videos_to_frames(args: argparse.Namespace) -> tuple[Path, dict[str, str]]:
    """Convert every clip; returns (annotations.csv, {video: error} of the clips that failed)."""
    clips, heads = plan_clips(args.input_dir, args.labels, args.folder_label, args.time_unit)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    counts, failed = {}, {}
    seconds = args.time_unit == "seconds"
    # "spawn": a forked child can inherit a decoder's lock held by one of the parent's threads and hang.
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        jobs = {pool.submit(convert_clip, args.input_dir, args.output_dir, n, r, seconds): (n, r) for n, r in clips}
        for job in tqdm(as_completed(jobs), total=len(jobs), desc="videos to frames", unit="clip"):
            name, record = jobs[job]
            try:
                counts[name] = job.result()
            except DataError as error:
                failed[record.name] = str(error)
    return write_annotations(args.output_dir, clips, counts, heads), failed


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point; returns the exit status (2 if a video could not be converted)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input_dir", type=Path, required=True, help="the folder holding the videos")
    parser.add_argument("--output_dir", type=Path, required=True, help="the frames dataset to write (or complete)")
    parser.add_argument("--labels", type=Path, help="CSV: path,start,end,signer,split,<head>... (path: a video)")
    parser.add_argument("--folder_label", metavar="HEAD", help="without --labels: a video's folder is its HEAD label")
    parser.add_argument("--time_unit", choices=["frames", "seconds"], default="frames", help="of start/end")
    parser.add_argument("--workers", type=int, default=2, help="parallel processes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        path, failed = videos_to_frames(args)
    except (DataError, OSError) as error:
        print(f"videos_to_frames.py: error: {error}", file=sys.stderr)
        return 2
    for video, error in failed.items():
        print(f"videos_to_frames.py: error: {video}: {error}", file=sys.stderr)
    print(path)
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
