"""Run a trained model on a camera or a video file read as a stream, and draw what it sees and predicts.

Usage (from the repository root):
    python inference/webcam.py --checkpoint best.ckpt --source 0                       # camera 0 in a window; q quits
    python inference/webcam.py --checkpoint model.onnx --source clip.mp4 --headless --output annotated.mp4

Every frame is preprocessed as in validation (a model that reads landmarks: MediaPipe Holistic in tracking mode
gives its landmarks, as data_preprocessing/extract_landmarks.py runs it over a video) and kept in a sliding window
of the last `--window` frames; every `--stride` frames the model sees `num_segments` of them, picked by the
validation sampling. The frame shows the region of interest (the part of the frame the model sees: `--roi`, then the
validation resize and centre crop for a model of frames), the skeleton MediaPipe found (landmark models), the
frames/s with the time per frame spent in landmark extraction and in the model, and each head's best class
(calibrated probability), greyed out below `--threshold`; below `--min_confidence` a head shows `unknown`.
`--headless` writes the annotated video instead of opening a window. A source that cannot be opened: a message
naming it and exit status 2.
"""

import argparse
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import cv2
import numpy as np

from datasets.errors import DataError
from inference.confidence import UNKNOWN, add_min_confidence_argument
from inference.predictor import RUNTIMES, InferenceError, Predictor, load_predictor, top_k
from inference.skeleton_drawing import draw_skeleton
from inference.stream_window import SlidingWindow
from utils.config import ConfigError
from utils.config_schema import AugmentationsParameters

# pylint: enable=wrong-import-position
# pylint: disable=no-member  # cv2 is a compiled extension whose members pylint cannot see

Box = tuple[int, int, int, int]  # x, y, width, height in frame pixels
CONFIDENT, UNSURE, ROI_COLOUR = (80, 220, 80), (170, 170, 170), (0, 200, 255)  # BGR


@dataclass
class StreamSettings:
    """How the stream is sampled, predicted and drawn."""

    window: int = 32
    stride: int = 4
    threshold: float = 0.5
    roi: Optional[Box] = None
    max_frames: Optional[int] = None
    min_confidence: float = 0.0


@dataclass
class StreamStats:
    """What a run processed."""

    frames: int = 0
    predictions: int = 0
    seconds: float = 0.0
    last: Optional[list[str]] = None
    landmark_seconds: float = 0.0  # in MediaPipe Holistic
    model_seconds: float = 0.0  # in the model

    @property
    def fps(self) -> float:
        """Frames processed per second of wall time (decoding, model, drawing and writing included)."""
        return self.frames / self.seconds if self.seconds else 0.0

    def split(self) -> str:
        """Milliseconds per frame spent in landmark extraction, in the model, and in the rest (decoding, drawing,
        writing, preprocessing)."""
        per_frame = 1000 / max(self.frames, 1)
        rest = self.seconds - self.landmark_seconds - self.model_seconds
        return (
            f"landmarks {self.landmark_seconds * per_frame:.1f} ms, model {self.model_seconds * per_frame:.1f} ms, "
            f"rest {rest * per_frame:.1f} ms per frame"
        )


def seen_region(roi: Box, augmentations: AugmentationsParameters) -> Box:
    """The part of `roi` (frame pixels) that survives the validation resize and centre crop, in frame pixels."""
    x, y, width, height = roi
    if not augmentations.apply_center_crop:
        return roi
    scale = augmentations.resize_size / min(height, width) if augmentations.apply_resize else 1.0
    size = augmentations.center_crop_size
    crop_h, crop_w = (size, size) if isinstance(size, int) else size
    box_h, box_w = min(height, round(crop_h / scale)), min(width, round(crop_w / scale))
    return x + (width - box_w) // 2, y + (height - box_h) // 2, box_w, box_h


def crop_roi(frame: np.ndarray, roi: Optional[Box]) -> tuple[np.ndarray, Box]:
    """The BGR frame's region of interest as RGB `[h, w, 3]`, and its box (by default the whole frame)."""
    x, y, width, height = roi or (0, 0, frame.shape[1], frame.shape[0])
    return cv2.cvtColor(frame[y : y + height, x : x + width], cv2.COLOR_BGR2RGB), (x, y, width, height)


def prediction_lines(
    predictor: Predictor, probabilities: dict[str, np.ndarray], min_confidence: float = 0.0
) -> list[tuple[str, float]]:
    """One `(text, probability)` per head: `head: best class 0.91`, or `head: unknown (best class 0.31)` below
    `min_confidence`."""
    lines = []
    for head in predictor.heads:
        name, probability = top_k(probabilities[head], predictor.class_names[head], 1)[0]
        text = f"{name} {probability:.2f}" if probability >= min_confidence else f"{UNKNOWN} ({name} {probability:.2f})"
        lines.append((f"{head}: {text}", probability))
    return lines


def draw(frame: np.ndarray, roi: Box, lines: list[tuple[str, float]], threshold: float, speed: str) -> None:
    """Draw the region of interest, the `speed` line and each head's prediction (grey below `threshold`), in place."""
    x, y, width, height = roi
    cv2.rectangle(frame, (x, y), (x + width, y + height), ROI_COLOUR, 2)
    scale = max(0.35, frame.shape[0] / 900)
    step = int(28 * scale) + 4
    for row, (text, probability) in enumerate([(speed, 1.0)] + lines):
        origin = (6, step * (row + 1))
        colour = CONFIDENT if probability >= threshold else UNSURE
        # A dark outline keeps the text legible on any background.
        cv2.putText(frame, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(frame, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)


def run_stream(
    predictor: Predictor, capture: cv2.VideoCapture, settings: StreamSettings, sink: Callable[[np.ndarray], bool]
) -> StreamStats:
    """Read `capture` to its end (or `max_frames`), predicting and drawing; `sink` gets each annotated BGR frame and
    returns False to stop."""
    window = SlidingWindow(predictor, settings.window, capture.get(cv2.CAP_PROP_FPS) or None, "the stream")
    stats, lines, started = StreamStats(), [], time.perf_counter()
    try:
        while settings.max_frames is None or stats.frames < settings.max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            region, roi = crop_roi(frame, settings.roi)
            window.push(region)
            if stats.frames % settings.stride == 0:
                lines = window_lines(window, settings.min_confidence)
                stats.predictions += 1
            stats.frames += 1
            stats.seconds = time.perf_counter() - started
            stats.landmark_seconds, stats.model_seconds = window.landmark_seconds, window.model_seconds
            draw_frame(frame, window, roi, lines, settings.threshold, stats)
            stats.last = [text for text, _ in lines]
            if not sink(frame):
                break
    finally:
        window.close()
    return stats


def window_lines(window: SlidingWindow, min_confidence: float) -> list[tuple[str, float]]:
    """Each head's line for the model's prediction on the window (`prediction_lines`), or one line saying that
    MediaPipe found nobody in it."""
    result = window.predict()
    if isinstance(result, str):
        return [(result, 0.0)]
    return prediction_lines(window.predictor, result, min_confidence)


def draw_frame(
    frame: np.ndarray,
    window: SlidingWindow,
    roi: Box,
    lines: list[tuple[str, float]],
    threshold: float,
    stats: StreamStats,
) -> None:
    """Annotate one frame: the last skeleton MediaPipe found in the region of interest (landmark models), the
    region the model sees, the frames/s with its split, and the predictions."""
    predictor = window.predictor
    if window.spec is not None and window.latest is not None:
        draw_skeleton(frame, window.latest, window.spec, roi)
    # MediaPipe sees the whole region of interest; a model of frames its validation resize and centre crop.
    seen = seen_region(roi, predictor.config.augmentations_parameters) if "frames" in predictor.inputs else roi
    per_frame = 1000 / max(stats.frames, 1)
    speed = f"{stats.fps:.1f} fps"
    if window.spec is not None:
        speed += f" | landmarks {stats.landmark_seconds * per_frame:.0f} ms"
    speed += f" | model {stats.model_seconds * per_frame:.1f} ms"
    draw(frame, seen, lines, threshold, speed)


def open_source(source: str) -> cv2.VideoCapture:
    """A camera (`0`, `1`, ...) or a video file, opened; a `DataError` names a source that cannot be opened."""
    if not source.isdigit() and not Path(source).is_file():
        raise DataError(f"--source {source}: no such video file (give a file or a camera number such as 0)")
    capture = cv2.VideoCapture(int(source) if source.isdigit() else source)
    if not capture.isOpened():
        raise DataError(f"--source {source}: cannot open this {'camera' if source.isdigit() else 'video'}")
    return capture


def parse_roi(text: Optional[str], capture: cv2.VideoCapture) -> Optional[Box]:
    """`--roi x,y,w,h` inside the frame, or None for the whole frame."""
    if text is None:
        return None
    frame_w, frame_h = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    try:
        x, y, width, height = (int(part) for part in text.split(","))
    except ValueError as error:
        raise DataError(f"--roi {text}: expected four integers x,y,width,height") from error
    if min(x, y) < 0 or min(width, height) < 1 or x + width > frame_w or y + height > frame_h:
        raise DataError(f"--roi {text}: must lie inside the {frame_w}x{frame_h} frame")
    return x, y, width, height


def video_writer(path: Path, capture: cv2.VideoCapture) -> cv2.VideoWriter:
    """An MP4 writer with the source's frame size and rate."""
    size = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), capture.get(cv2.CAP_PROP_FPS) or 25, size)
    if not writer.isOpened():
        raise DataError(f"--output {path}: cannot write a video there")
    return writer


def show(frame: np.ndarray) -> bool:
    """Show a frame in a window; False once q or Esc is pressed."""
    cv2.imshow("sign recognition (q quits)", frame)
    return cv2.waitKey(1) & 0xFF not in (ord("q"), 27)


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, type=Path, help="a train.py checkpoint (.ckpt) or .onnx")
    parser.add_argument("--source", default="0", help="a camera number (default 0) or a video file")
    parser.add_argument("--runtime", choices=RUNTIMES, help="torch or onnx (default: from the model file's suffix)")
    parser.add_argument("--headless", action="store_true", help="write the annotated video to --output, no window")
    parser.add_argument("--output", type=Path, help="the annotated video (.mp4), needed with --headless")
    parser.add_argument("--window", type=int, default=32, help="frames in the sliding window (default 32)")
    parser.add_argument("--stride", type=int, default=4, help="predict every this many frames (default 4)")
    parser.add_argument("--threshold", type=float, default=0.5, help="grey out predictions below this probability")
    add_min_confidence_argument(parser)
    parser.add_argument("--roi", help="x,y,width,height: the part of the frame to give the model (default all)")
    parser.add_argument("--max_frames", type=int, help="stop after this many frames")
    parser.add_argument("--threads", type=int, help="CPU threads for the model (default: the runtime's own)")
    args = parser.parse_args(argv)
    if args.headless and args.output is None:
        parser.error("--headless needs --output annotated.mp4")
    # Without a display OpenCV's Qt window aborts the whole process, so refuse before that.
    if (
        not args.headless
        and sys.platform.startswith("linux")
        and not os.environ.keys() & {"DISPLAY", "WAYLAND_DISPLAY"}
    ):
        parser.error("no display to open a window on: use --headless --output annotated.mp4")
    if args.window < 1 or args.stride < 1:
        parser.error("--window and --stride must be >= 1")
    return args


def stream(args: argparse.Namespace) -> StreamStats:
    """Open the model, the source and the output, run the stream, and release them all."""
    predictor = load_predictor(args.checkpoint, args.runtime, args.threads)
    capture = open_source(args.source)
    writer = None
    try:
        roi = parse_roi(args.roi, capture)
        writer = video_writer(args.output, capture) if args.output is not None else None

        def sink(frame: np.ndarray) -> bool:
            if writer is not None:
                writer.write(frame)
            return True if args.headless else show(frame)

        settings = StreamSettings(args.window, args.stride, args.threshold, roi, args.max_frames, args.min_confidence)
        return run_stream(predictor, capture, settings, sink)
    finally:
        capture.release()
        if writer is not None:
            writer.release()
        if not args.headless:
            cv2.destroyAllWindows()


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        stats = stream(args)
    except (ConfigError, DataError, InferenceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"processed {stats.frames} frames ({stats.predictions} predictions) in {stats.seconds:.1f} s: ", end="")
    print(f"{stats.fps:.1f} frames/s; {stats.split()}")
    print("last prediction: " + "; ".join(stats.last or ["none"]))
    if args.output is not None:
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
