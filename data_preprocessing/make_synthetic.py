"""Make a small, learnable, seeded synthetic sign dataset in the HearAI on-disk format.

Each clip is a folder of JPEG frames showing a cartoon hand whose handshape, palm orientation, start location
(3x3 grid) and movement are its HamNoSys-like labels. Gloss clips show one of `GLOSSES` (a fixed combination of
the five attributes); letter clips are single frames of one of `LETTERS` (a handshape and palm orientation) at a
random location. Same seed -> byte-identical frames. `--landmarks` also writes the drawn hand's 21 joints per clip
to `landmarks/<clip>.npz` (`data_preprocessing/synthetic_landmarks.py`; equal arrays for the same seed, though
not equal bytes: the .npz zip records the time); the frames are the same with or without it.

Usage (from the repository root):
    python data_preprocessing/make_synthetic.py --output_dir data/synthetic [--seed 0] [--overwrite] [--landmarks]
"""

import argparse
import json
import logging
import os
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, NoReturn, Optional

import cv2
import numpy as np
from tqdm import tqdm

from data_preprocessing import synthetic_drawing as drawing
from data_preprocessing.frames_to_videos import frames_to_videos
from data_preprocessing.synthetic_landmarks import write_clip_landmarks

# pylint: disable=no-member  # cv2 is a compiled extension whose members pylint cannot see


logger = logging.getLogger(__name__)

GLOSS_ANNOTATION = "gloss.txt"
HAMNOSYS_ANNOTATION = "hamnosys.txt"
LETTERS_ANNOTATION = "letters.txt"
CLASS_NAMES_FILE = "class_names.json"
PROPERTIES_FILE = "properties.json"
LANDMARKS_DIR = "landmarks"  # with --landmarks: <output_dir>/landmarks/<clip>.npz
FPS = 25
HAMNOSYS_HEADS = [
    "hand_shape_base_form",
    "hand_position_palm_orientation",
    "hand_location_x",
    "hand_location_y",
    "hand_movement",
]


class SignForm(NamedTuple):
    """The five HamNoSys-like attributes of a sign, in `HAMNOSYS_HEADS` order."""

    handshape: str
    orientation: str
    location_x: str
    location_y: str
    movement: str


# Every attribute value is shared by 2-4 glosses, so no single attribute identifies a gloss; HELLO/BYE, YES/NO and
# COME/GO differ only in movement, so a model must look at more than one frame. No gloss moves off the frame edge.
GLOSSES: dict[str, SignForm] = {
    "HELLO": SignForm("flat", "up", "right", "top", "left"),
    "BYE": SignForm("flat", "up", "right", "top", "down"),
    "YES": SignForm("fist", "down", "centre", "bottom", "up"),
    "NO": SignForm("fist", "down", "centre", "bottom", "none"),
    "COME": SignForm("index", "left", "left", "middle", "right"),
    "GO": SignForm("index", "left", "left", "middle", "circle"),
    "THANKS": SignForm("thumb_out", "right", "centre", "top", "down"),
    "GOOD": SignForm("thumb_out", "up", "left", "bottom", "right"),
    "PLEASE": SignForm("v", "right", "right", "middle", "circle"),
    "SEE": SignForm("v", "down", "left", "top", "none"),
    "PLAY": SignForm("y", "right", "right", "bottom", "left"),
    "CALL": SignForm("y", "left", "centre", "middle", "up"),
}
# Letters are static (one frame, no movement): (handshape, palm orientation). D and G differ only in orientation.
LETTERS: dict[str, tuple[str, str]] = {
    "A": ("fist", "up"),
    "B": ("flat", "up"),
    "D": ("index", "up"),
    "G": ("index", "left"),
    "V": ("v", "up"),
    "Y": ("y", "up"),
}
CLASS_NAMES: dict[str, list[str]] = {
    "gloss": list(GLOSSES),
    "hand_shape_base_form": list(drawing.HANDSHAPES),
    "hand_position_palm_orientation": list(drawing.ORIENTATION_ANGLES),
    "hand_location_x": list(drawing.LOCATIONS_X),
    "hand_location_y": list(drawing.LOCATIONS_Y),
    "hand_movement": list(drawing.MOVEMENTS),
    "letter": list(LETTERS),
}


@dataclass(frozen=True)
class _Clip:
    """One planned clip: its folder name, annotation file, label id, form and random generator."""

    name: str
    annotation: str
    label: int
    form: SignForm
    rng: np.random.Generator


def hamnosys_ids(form: SignForm) -> list[int]:
    """Class ids of a sign form, in `HAMNOSYS_HEADS` order."""
    return [CLASS_NAMES[head].index(value) for head, value in zip(HAMNOSYS_HEADS, form)]


def _plan(seed: int, clips_per_gloss: int, letter_clips_per_letter: int) -> list[_Clip]:
    """All clips with their own generators. Each generator is seeded from (seed, kind, class, index), so a clip
    does not change when the number of clips of another class changes."""
    clips = []
    for gloss_id, (gloss, form) in enumerate(GLOSSES.items()):
        for k in range(clips_per_gloss):
            rng = np.random.default_rng([seed, 0, gloss_id, k])
            clips.append(_Clip(f"{gloss.lower()}_{k:04d}", GLOSS_ANNOTATION, gloss_id, form, rng))
    cells = [(x, y) for y in drawing.LOCATIONS_Y for x in drawing.LOCATIONS_X]
    for letter_id, (letter, (handshape, orientation)) in enumerate(LETTERS.items()):
        # Cycle through the nine cells in a shuffled order, so that locations stay balanced within each letter.
        cycle = np.resize(np.arange(len(cells)), letter_clips_per_letter)
        order = np.random.default_rng([seed, 1, letter_id]).permutation(cycle)
        for k in range(letter_clips_per_letter):
            form = SignForm(handshape, orientation, *cells[order[k]], "none")
            rng = np.random.default_rng([seed, 2, letter_id, k])
            clips.append(_Clip(f"letter_{letter.lower()}_{k:04d}", LETTERS_ANNOTATION, letter_id, form, rng))
    return clips


def _write_clip(root: Path, clip: _Clip, image_size: int, frames: tuple[int, int], landmarks: bool) -> int:
    """Render and write one clip's frames and properties (and its landmarks). Returns its number of frames."""
    is_letter = clip.annotation == LETTERS_ANNOTATION
    num_frames = 1 if is_letter else int(clip.rng.integers(frames[0], frames[1] + 1))
    start = (drawing.LOCATIONS_X[clip.form.location_x], drawing.LOCATIONS_Y[clip.form.location_y])
    spec = drawing.ClipSpec(clip.form.handshape, clip.form.orientation, start, clip.form.movement, num_frames)
    folder = root / clip.name
    folder.mkdir()
    images, track = drawing.render_clip_and_track(clip.rng, spec, image_size)
    for i, frame in enumerate(images):
        # JPEG quality is fixed so that output bytes depend only on the pixels.
        if not cv2.imwrite(str(folder / f"{clip.name}_{i}.jpg"), frame[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92]):
            raise OSError(f"could not write a frame into {folder}")
    properties = {"fps": FPS, "width": image_size, "height": image_size, "num_frames": num_frames}
    (folder / PROPERTIES_FILE).write_text(json.dumps(properties) + "\n", encoding="utf-8")
    if landmarks:
        write_clip_landmarks(root / LANDMARKS_DIR / f"{clip.name}.npz", track, spec.handshape, FPS, image_size)
    return num_frames


def _readme(frames: tuple[int, int]) -> str:
    """Description of the generated dataset and of its label semantics."""
    rows = "\n".join(f"| {i} | {name} | " + " | ".join(form) + " |" for i, (name, form) in enumerate(GLOSSES.items()))
    letters = "\n".join(f"| {i} | {name} | {hs} | {ori} |" for i, (name, (hs, ori)) in enumerate(LETTERS.items()))
    return f"""# Synthetic sign dataset

Made by `data_preprocessing/make_synthetic.py`: a cartoon hand in front of a random textured background and a
signer silhouette. Same seed, same files. Frames: `<clip>/<clip>_<i>.jpg` (RGB), `<clip>/properties.json`.

Annotation files, one line per clip: `name start_frame end_frame labels...` (frames inclusive).

- `{GLOSS_ANNOTATION}`: `gloss` id, for the gloss clips ({frames[0]}-{frames[1]} frames).
- `{HAMNOSYS_ANNOTATION}`: `{' '.join(HAMNOSYS_HEADS)}` ids, for every clip.
- `{LETTERS_ANNOTATION}`: `letter` id, for the letter clips (single frames, movement `none`).
`{CLASS_NAMES_FILE}` gives the class names of every head in id order. Label semantics:

- handshape: which fingers are extended (`flat` = four fingers, `thumb_out` = a fist with the thumb out,
  `y` = thumb and little finger);
- palm orientation: the direction the fingers point (the hand is rotated as a whole, +-10 degrees jitter);
- location x / y: the cell of a 3x3 grid where the hand starts (frame fractions {list(drawing.LOCATIONS_X.values())});
- movement: the path over the clip (`circle` is clockwise and bends towards the frame centre).

Nuisances: background colour and texture, signer silhouette, skin and sleeve colour, hand scale (+-15%), position
(+-4% of the frame), rotation, clip length, movement timing and amplitude, pixel noise.

## Glosses
| id | gloss | handshape | orientation | location x | location y | movement |
|---|---|---|---|---|---|---|
{rows}

## Letters
| id | letter | handshape | orientation |
|---|---|---|---|
{letters}
"""


def _check_arguments(seed: int, counts: tuple[int, int], image_size: int, frames: tuple[int, int]) -> None:
    if seed < 0:
        raise ValueError(f"seed must be >= 0 (got {seed})")
    if min(counts) < 0 or max(counts) == 0:
        raise ValueError(f"clip counts must be >= 0 and not both 0 (got {counts[0]} and {counts[1]})")
    if image_size < 16:
        raise ValueError(f"image_size must be >= 16 (got {image_size})")
    if not 1 <= frames[0] <= frames[1]:
        raise ValueError(f"need 1 <= min_frames <= max_frames (got {frames[0]} and {frames[1]})")


def _check_output_dir(output_dir: Path, overwrite: bool) -> None:
    """Refuse a non-empty output folder, unless overwriting one that this tool made (never an arbitrary folder)."""
    if output_dir.exists() and not output_dir.is_dir():
        raise FileExistsError(f"{output_dir} exists and is not a folder")
    if not output_dir.is_dir() or not any(output_dir.iterdir()):
        return
    if not overwrite:
        raise FileExistsError(f"{output_dir} exists and is not empty (use --overwrite to replace it)")
    if not (output_dir / CLASS_NAMES_FILE).is_file():
        raise FileExistsError(f"{output_dir} does not look like a synthetic dataset; refusing to delete it")


def make_synthetic_dataset(
    output_dir: Path,
    seed: int = 0,
    clips_per_gloss: int = 30,
    letter_clips_per_letter: int = 30,
    image_size: int = 64,
    min_frames: int = 12,
    max_frames: int = 20,
    overwrite: bool = False,
    landmarks: bool = False,
) -> Path:
    """Write the dataset into `output_dir` and return it.

    The files are written into a temporary sibling folder that is renamed into place only when complete, so an
    interrupted run never leaves a dataset that looks whole. Raises FileExistsError if `output_dir` is not empty
    (with `overwrite`, a previously generated dataset is replaced once the new one is complete). `landmarks`: also
    write each clip's hand joints to `<output_dir>/landmarks/<clip>.npz`.
    """
    output_dir = Path(output_dir)
    _check_arguments(seed, (clips_per_gloss, letter_clips_per_letter), image_size, (min_frames, max_frames))
    _check_output_dir(output_dir, overwrite)
    target = Path(os.path.abspath(output_dir))  # so that "." or "x/.." still have a real name and parent
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.parent / f".{target.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
    partial.mkdir()
    try:
        counts, frames = (clips_per_gloss, letter_clips_per_letter), (min_frames, max_frames)
        _write_dataset(partial, seed, counts, image_size, frames, landmarks)
        _check_output_dir(output_dir, overwrite)  # again: the folder may have been filled while we were writing
        if target.is_dir():
            shutil.rmtree(target)
        partial.rename(target)
    finally:
        if partial.exists():
            shutil.rmtree(partial)
    return output_dir


def _write_dataset(
    root: Path, seed: int, counts: tuple[int, int], image_size: int, frames: tuple[int, int], landmarks: bool
) -> None:
    """Write every clip (and its landmarks), the annotation files, the class names and the README into `root`."""
    clips = _plan(seed, *counts)
    if landmarks:
        (root / LANDMARKS_DIR).mkdir()
    lines: dict[str, list[str]] = {GLOSS_ANNOTATION: [], HAMNOSYS_ANNOTATION: [], LETTERS_ANNOTATION: []}
    for clip in tqdm(clips, desc="writing clips", unit="clip"):
        num_frames = _write_clip(root, clip, image_size, frames, landmarks)
        span = f"{clip.name} 0 {num_frames - 1}"
        lines[clip.annotation].append(f"{span} {clip.label}")
        lines[HAMNOSYS_ANNOTATION].append(f"{span} " + " ".join(map(str, hamnosys_ids(clip.form))))
    for file_name, file_lines in lines.items():
        (root / file_name).write_text("".join(line + "\n" for line in file_lines), encoding="utf-8")
    (root / CLASS_NAMES_FILE).write_text(json.dumps(CLASS_NAMES, indent=2) + "\n", encoding="utf-8")
    (root / "README.md").write_text(_readme(frames), encoding="utf-8")
    logger.info(
        "wrote %d clips (%d gloss, %d letter)", len(clips), len(lines[GLOSS_ANNOTATION]), len(lines[LETTERS_ANNOTATION])
    )


class _OneLineParser(argparse.ArgumentParser):
    """Argument errors as a single line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def non_negative_int(text: str) -> int:
    """argparse type: an int >= 0 (argparse names this function in its messages)."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (got {value})")
    return value


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = _OneLineParser(prog="make_synthetic.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--output_dir", type=Path, required=True, help="folder to create (must be empty or absent)")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="random seed (same seed, same files)")
    parser.add_argument("--clips_per_gloss", type=non_negative_int, default=30, help="clips per gloss class")
    parser.add_argument(
        "--letter_clips_per_letter", type=non_negative_int, default=30, help="single-frame clips per letter"
    )
    parser.add_argument("--image_size", type=int, default=64, help="frame width and height in pixels")
    parser.add_argument("--overwrite", action="store_true", help="replace a dataset previously made by this tool")
    parser.add_argument("--videos_dir", type=Path, help="also write the gloss clips as mp4 + annotations.csv here")
    parser.add_argument("--landmarks", action="store_true", help="also write each clip's hand joints (landmarks/)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        path = make_synthetic_dataset(
            args.output_dir,
            seed=args.seed,
            clips_per_gloss=args.clips_per_gloss,
            letter_clips_per_letter=args.letter_clips_per_letter,
            image_size=args.image_size,
            overwrite=args.overwrite,
            landmarks=args.landmarks,
        )
        if args.videos_dir:
            frames_to_videos(path, args.videos_dir, {GLOSS_ANNOTATION: ["gloss"], HAMNOSYS_ANNOTATION: HAMNOSYS_HEADS})
    except (ValueError, OSError) as error:
        print(f"make_synthetic.py: error: {error}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
