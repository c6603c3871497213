"""Inference speed of the default model and of a landmark model in PyTorch and in ONNX Runtime, and the frames/s of
webcam.py on a video.

Builds the `train_config.yml` architecture with random weights (speed does not depend on them), exports it with
inference/export_onnx.py into a temporary folder, and prints in one run, for both runtimes:
  - latency: milliseconds per clip at batch 1 (median over `--repeats` runs after warm-up);
  - throughput: clips per second at batch 32 (median over `--repeats` batches);
  - webcam.py: frames per second of its stream loop (decode, preprocess, a prediction every `--stride` frames over a
    sliding window, drawing, writing the annotated video) on a generated 640x480 video file;
and the ONNX Runtime / PyTorch ratio of each. A clip is `num_segments` frames of the validation frame size.

Then the same for a landmark model (`--landmark_config`, default configs/signers_gloss.yml: its landmark extractor
and transformer, random weights), a clip being `num_segments` frames of random landmarks; its
webcam.py run is on a 640x480 video of a signer (an ASL Alphabet photo from ../shared/data, upscaled, drifting by a
few pixels: MediaPipe tracks the body in every frame and the hand in most), and the loop's time per frame is split
into MediaPipe Holistic's and the model's (a prediction every `--stride` frames), with the model's share of the
loop's time, which must stay under 10%. Without ../shared/data that part is skipped with a message.

Usage (from the repository root):
    python benchmarks/bench_infer.py [--config train_config.yml] [--repeats 15] [--video_frames 150] [--threads 1]
    python benchmarks/bench_infer.py --landmarks_only --threads 1          # the landmark model only
"""

import argparse
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Callable, Optional

import cv2
import numpy as np
import torch

from inference import webcam
from inference.export_onnx import example_frames, example_inputs, export_onnx
from inference.predictor import Predictor, load_predictor
from training.lightning_module import SignClassifier
from utils.config import load_config

# pylint: enable=wrong-import-position
# pylint: disable=no-member  # cv2 is a compiled extension whose members pylint cannot see

THROUGHPUT_BATCH = 32
ASL_ALPHABET = Path(__file__).resolve().parents[2] / "shared" / "data" / "asl_alphabet" / "asl_alphabet_64px.zip"
PERSON_PHOTO = "official_test/R/R_test.jpg"  # a signer whose body and hand MediaPipe Holistic finds, upscaled
MAX_MODEL_SHARE = 10.0  # percent of the camera loop's time


def median_seconds(run: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    """Median wall time of `run()` over `repeats` calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def model_speed(predictor: Predictor, repeats: int) -> tuple[float, float]:
    """(ms per clip at batch 1, clips/s at batch 32) on random full-length clips."""
    length = predictor.num_segments

    def run(batch: int) -> Callable[[], object]:
        inputs = example_inputs(predictor.config, batch, length)  # random frames and/or landmarks
        inputs["mask"][:] = True  # full-length clips
        return lambda: predictor.logits(inputs.get("frames"), inputs["mask"], inputs.get("landmarks"))

    latency = median_seconds(run(1), repeats)
    per_batch = median_seconds(run(THROUGHPUT_BATCH), max(3, repeats // 3), warmup=1)
    return 1000 * latency, THROUGHPUT_BATCH / per_batch


def write_video(path: Path, frames: int) -> Path:
    """A 640x480, 25 fps MP4 of a bright disc moving over a gradient (something for the model to look at)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (640, 480))
    background = np.broadcast_to(np.linspace(40, 160, 640, dtype=np.uint8)[None, :, None], (480, 640, 3))
    for index in range(frames):
        frame = np.ascontiguousarray(background)
        centre = (320 + int(150 * np.cos(index / 10)), 240 + int(100 * np.sin(index / 10)))
        cv2.circle(frame, centre, 60, (90, 170, 230), -1)
        writer.write(frame)
    writer.release()
    return path


def write_person_video(path: Path, frames: int) -> Path:
    """A 640x480, 25 fps MP4 of a signer: `PERSON_PHOTO` upscaled to 480x480, drifting by a few pixels."""
    with zipfile.ZipFile(ASL_ALPHABET) as archive:
        photo = cv2.imdecode(np.frombuffer(archive.read(PERSON_PHOTO), np.uint8), cv2.IMREAD_COLOR)
    photo = cv2.resize(photo, (480, 480), interpolation=cv2.INTER_CUBIC)
    canvas = cv2.copyMakeBorder(photo, 0, 0, 80, 80, cv2.BORDER_REPLICATE)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (640, 480))
    for index in range(frames):
        shift = np.float32([[1, 0, 3 * np.sin(index / 4)], [0, 1, 2 * np.cos(index / 5)]])
        writer.write(cv2.warpAffine(canvas, shift, (640, 480), borderMode=cv2.BORDER_REPLICATE))
    writer.release()
    return path


def camera_loop(model: Path, video: Path, output: Path, stride: int, threads: int) -> webcam.StreamStats:
    """webcam.py's headless run on `video`, exactly as its command line runs it: frames/s and where the time went."""
    args = ["--checkpoint", str(model), "--source", str(video), "--headless", "--output", str(output)]
    return webcam.stream(webcam.parse_args(args + ["--stride", str(stride), "--threads", str(threads)]))


def save_checkpoint(module: SignClassifier, path: Path) -> None:
    """What `inference.predictor.load_module` reads from a train.py checkpoint: the config, class names and weights."""
    torch.save({"hyper_parameters": dict(module.hparams), "state_dict": module.state_dict()}, path)


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=Path("train_config.yml"), help="the model architecture")
    parser.add_argument("--repeats", type=int, default=15, help="timed runs at batch 1 (a third of it at batch 32)")
    parser.add_argument("--video_frames", type=int, default=150, help="frames of the generated video")
    parser.add_argument("--stride", type=int, default=4, help="webcam.py predicts every this many frames")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="CPU threads of both runtimes")
    parser.add_argument(
        "--landmark_config", type=Path, default=Path("configs/signers_gloss.yml"), help="the landmark model"
    )
    parser.add_argument("--landmarks_only", action="store_true", help="measure the landmark model only")
    return parser.parse_args(argv)


def measure(
    module: SignClassifier, args: argparse.Namespace, folder: Path, video: Path
) -> tuple[dict[str, list[float]], float]:
    """{runtime: [ms/clip at batch 1, clips/s at batch 32, webcam.py frames/s on `video`, MediaPipe ms/frame, model
    ms/frame, the model's share of the loop's time in %]} and the ONNX export time in seconds."""
    models = {"PyTorch": folder / "model.ckpt", "ONNX Runtime": folder / "model.onnx"}
    save_checkpoint(module, models["PyTorch"])
    started = time.perf_counter()
    export_onnx(module, models["ONNX Runtime"])
    export_seconds = time.perf_counter() - started
    results = {}
    for name, model in models.items():
        predictor = load_predictor(model, threads=args.threads)
        latency, throughput = model_speed(predictor, args.repeats)
        stats = camera_loop(model, video, folder / "annotated.mp4", args.stride, args.threads)
        per_frame = 1000 / max(stats.frames, 1)
        split = [stats.landmark_seconds * per_frame, stats.model_seconds * per_frame]
        results[name] = [latency, throughput, stats.fps, *split, 100 * stats.model_seconds / stats.seconds]
    return results, export_seconds


def random_module(config_path: Path) -> SignClassifier:
    """The architecture of a config with random weights (speed does not depend on them) and made-up class names."""
    torch.manual_seed(0)
    config = load_config(config_path)
    heads = config.selected_heads()
    class_names = {head: [f"{head}_{i}" for i in range(cfg.num_class)] for head, cfg in heads.items()}
    return SignClassifier(config, class_names).eval()


def print_rows(rows: list[str], results: dict[str, list[float]]) -> None:
    """One line per row: PyTorch's value, ONNX Runtime's and their ratio."""
    print(f"{'':<52}{'PyTorch':>10}{'ONNX Runtime':>14}{'ONNX/PyTorch':>14}")
    for index, row in enumerate(rows):
        torch_value, onnx_value = results["PyTorch"][index], results["ONNX Runtime"][index]
        ratio = onnx_value / torch_value if torch_value else float("nan")
        print(f"{row:<52}{torch_value:>10.1f}{onnx_value:>14.1f}{ratio:>14.2f}")


def landmark_table(args: argparse.Namespace) -> None:
    """Measure the landmark model and print its table (skipped with a message without ../shared/data)."""
    if not ASL_ALPHABET.is_file():
        print(f"landmark model: skipped (the video of a signer is made from {ASL_ALPHABET}, which is not here)")
        return
    module = random_module(args.landmark_config)
    config = module.config
    with tempfile.TemporaryDirectory() as folder:
        video = write_person_video(Path(folder) / "signer.mp4", args.video_frames)
        results, export_seconds = measure(module, args, Path(folder), video)
    landmarks, joints = config.feature_extractor.landmarks, example_inputs(config, 1, 1)["landmarks"].shape[2]
    print(
        f"\nlandmark model ({args.landmark_config}): {landmarks.name} over {landmarks.layout} + "
        f"{config.transformer.name}; a clip is {config.train_parameters.num_segments} frames of {joints} joints x 3; "
        f"{args.threads} CPU thread(s) per runtime; ONNX export took {export_seconds:.1f} s"
    )
    print_rows(
        [
            "latency at batch 1 (ms/clip, median)",
            f"throughput at batch {THROUGHPUT_BATCH} (clips/s)",
            f"webcam.py, video of a signer, stride {args.stride} (frames/s)",
            "  MediaPipe Holistic (ms per frame)",
            "  the model (ms per frame)",
            "  the model's share of the loop's time (%)",
        ],
        results,
    )
    worst = max(values[-1] for values in results.values())
    verdict = "OK" if worst < MAX_MODEL_SHARE else "TOO HIGH: the model is a bottleneck"
    print(f"the model's share of the camera loop: at most {worst:.1f}% (limit {MAX_MODEL_SHARE:.0f}%): {verdict}")


def frames_table(args: argparse.Namespace) -> None:
    """Measure the model of frames (`--config`) and print its table."""
    module = random_module(args.config)
    config = module.config
    heads = config.selected_heads()
    with tempfile.TemporaryDirectory() as folder:
        video = write_video(Path(folder) / "stream.mp4", args.video_frames)
        results, export_seconds = measure(module, args, Path(folder), video)
    extractor, encoder = config.feature_extractor, config.transformer
    print(
        f"model: {extractor.name} {extractor.model_path} + {encoder.name}, {len(heads)} heads; a clip is "
        f"{config.train_parameters.num_segments} frames of {tuple(example_frames(config, 1, 1).shape[2:])}; "
        f"{args.threads} CPU thread(s) per runtime; ONNX export took {export_seconds:.1f} s"
    )
    print_rows(
        [
            "latency at batch 1 (ms/clip, median)",
            f"throughput at batch {THROUGHPUT_BATCH} (clips/s)",
            f"webcam.py on a 640x480 video, stride {args.stride} (frames/s)",
        ],
        results,
    )


def main(argv: Optional[list[str]] = None) -> int:
    """Measure and print the tables."""
    args = parse_args(argv)
    if not args.landmarks_only:
        frames_table(args)
    landmark_table(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
