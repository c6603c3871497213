"""Predict signs with a trained model: each head's top-k classes for images, videos, frame folders and CSV rows.

Usage (from the repository root):
    python inference/predict.py --checkpoint runs/<experiment>/<time>/checkpoints/best.ckpt --input clip.mp4
    python inference/predict.py --checkpoint best.ckpt --input sign_mnist_test.csv.gz --rows 0:100 --output results.csv
    python inference/predict.py --checkpoint model.onnx --runtime onnx --input photos/ --top_k 3 --output results.json

`--input` is an image, a video, a folder of frames (HearAI layout `<clip>/<clip>_<i>.jpg`), a Sign MNIST CSV
(`label,pixel1..pixel784`, also .csv.gz) or a folder of these; for a landmarks-only model also landmark files (.npz,
.parquet, .pose) and MP_Data sequence folders (`<sequence>/<frame>.npy`). Frames are picked and preprocessed exactly
as for validation; a model that reads landmarks gets MediaPipe Holistic's over the clip's frames, as
data_preprocessing/extract_landmarks.py extracts them (docs/landmark_inference.md). A clip in which MediaPipe finds
nobody is reported as such ("no hands or body detected") instead of a prediction. Probabilities are calibrated (the
temperatures fitted on the validation split, stored in the model file). With `--min_confidence P` a head whose best
probability is below P answers `unknown`; the top-k is still printed and written (JSON: `answers` beside `heads`;
CSV: the `answer` column). A bad input or model file: a message naming it and exit status 2.
"""

import argparse
import csv
import json
import logging
import sys
from pathlib import Path
from typing import Any, Iterator, Optional, Union

import numpy as np
from torch import Tensor
from tqdm import tqdm

from datasets.errors import DataError
from datasets.media_inputs import parse_rows
from inference.confidence import UNKNOWN, add_min_confidence_argument, best_or_unknown
from inference.holistic import NOBODY, NobodyDetected
from inference.model_inputs import ClipReader, Item
from inference.predictor import RUNTIMES, InferenceError, Predictor, load_predictor, top_k
from utils.config import ConfigError

# pylint: enable=wrong-import-position

OUTPUT_SUFFIXES = (".csv", ".json")
CSV_COLUMNS = ["input", "label", "head", "answer", "rank", "class", "probability"]


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, type=Path, help="a train.py checkpoint (.ckpt) or .onnx")
    parser.add_argument("--input", required=True, type=Path, help="image, video, frame folder, CSV, or a folder")
    parser.add_argument("--top_k", type=int, default=5, help="classes to show per head (default 5)")
    parser.add_argument("--output", type=Path, help="also write the results to this .csv or .json file")
    parser.add_argument("--runtime", choices=RUNTIMES, help="torch or onnx (default: from the model file's suffix)")
    parser.add_argument("--rows", help="CSV data rows START:STOP (0-based, header excluded); default all")
    parser.add_argument("--batch_size", type=int, default=8, help="clips per forward pass (default 8)")
    parser.add_argument(
        "--folder_is_clip",
        action="store_true",
        help="read every folder of images as one clip, whatever its file names (default: only HearAI frame folders)",
    )
    add_min_confidence_argument(parser)
    args = parser.parse_args(argv)
    if args.top_k < 1 or args.batch_size < 1:
        parser.error("--top_k and --batch_size must be >= 1")
    if args.output is not None and args.output.suffix.lower() not in OUTPUT_SUFFIXES:
        parser.error(f"--output {args.output}: must end in .csv or .json")
    return args


def predict_items(
    predictor: Predictor, reader: ClipReader, items: list[Item], batch_size: int
) -> Iterator[tuple[Item, Union[dict[str, np.ndarray], str]]]:
    """(item, {head: probabilities `[C]`}, or the message why there are none) for every item, in order, with a
    progress bar over many items. Clips go to the model in batches of up to `batch_size` clips of one frame size;
    a clip in which MediaPipe finds nobody gets `NOBODY` instead of a prediction."""
    batch: list[tuple[Item, dict[str, Tensor]]] = []
    with tqdm(total=len(items), unit="clip", disable=len(items) < 2, file=sys.stderr) as progress:
        for item in items:
            try:
                clip = reader.read(item).inputs
            except NobodyDetected:
                yield from _predict_batch(predictor, batch, progress)
                progress.update()
                yield item, NOBODY
                continue
            if batch and (len(batch) == batch_size or _frame_size(batch[0][1]) != _frame_size(clip)):
                yield from _predict_batch(predictor, batch, progress)
            batch.append((item, clip))
        yield from _predict_batch(predictor, batch, progress)


def _frame_size(clip: dict[str, Tensor]) -> Optional[tuple[int, ...]]:
    """What clips of one batch must share: the frames' size (landmarks all have the same joints)."""
    return tuple(clip["frames"].shape[1:]) if "frames" in clip else None


def _predict_batch(
    predictor: Predictor, batch: list[tuple[Item, dict[str, Tensor]]], progress: tqdm
) -> Iterator[tuple[Item, dict[str, np.ndarray]]]:
    """Predict the clips of `batch` and empty it."""
    if not batch:
        return
    items, results = [item for item, _ in batch], predictor.predict([clip for _, clip in batch])
    batch.clear()
    progress.update(len(items))
    yield from zip(items, results)


def result_record(
    item: Item, probabilities: Union[dict[str, np.ndarray], str], predictor: Predictor, k: int, threshold: float = 0.0
) -> dict:
    """One input's result: `{input, label, answers: {head: class or unknown}, heads: {head: [{class, probability},
    ...]}}`, best class first; a head answers `unknown` when its best probability is below `threshold`. Without
    probabilities (`probabilities` is the reason, e.g. `NOBODY`): every head answers the reason, no classes, and
    `message` says it."""
    if isinstance(probabilities, str):
        answers = {head: probabilities for head in predictor.heads}
        heads: dict[str, list] = {head: [] for head in predictor.heads}
        return {"input": item.name, "label": item.label, "answers": answers, "heads": heads, "message": probabilities}
    heads = {
        head: [{"class": name, "probability": p} for name, p in top_k(values, predictor.class_names[head], k)]
        for head, values in probabilities.items()
    }
    answers = {
        head: best_or_unknown(values, predictor.class_names[head], threshold) for head, values in probabilities.items()
    }
    return {"input": item.name, "label": item.label, "answers": answers, "heads": heads}


def format_record(record: dict[str, Any]) -> str:
    """The lines printed for one input: its name, then each head's classes with probabilities."""
    label = "" if record["label"] is None else f"  (label {record['label']})"
    lines = [f"{record['input']}{label}"]
    if "message" in record:
        return "\n".join(lines + [f"  {record['message']}"])
    width = max(len(head) for head in record["heads"])
    for head, ranked in record["heads"].items():
        classes = "  ".join(f"{entry['class']} {entry['probability']:.3f}" for entry in ranked)
        unsure = f"{UNKNOWN}:  " if record["answers"][head] == UNKNOWN else ""
        lines.append(f"  {head:<{width}}  {unsure}{classes}")
    return "\n".join(lines)


def write_results(records: list[dict[str, Any]], path: Path) -> None:
    """JSON: the records as they are. CSV: one row per input, head and rank (columns `CSV_COLUMNS`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(records, indent=1), encoding="utf-8")
        return
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        for record in records:
            if "message" in record:  # one row per head, its answer the reason why there are no classes
                writer.writerows(
                    [record["input"], record["label"], head, record["message"], "", "", ""] for head in record["heads"]
                )
            for head, ranked in record["heads"].items():
                for rank, entry in enumerate(ranked, start=1):
                    answer = record["answers"][head]
                    writer.writerow(
                        [record["input"], record["label"], head, answer, rank, entry["class"], entry["probability"]]
                    )


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Load the model, predict every input (printing each result) and return the records."""
    predictor = load_predictor(args.checkpoint, args.runtime)
    reader = ClipReader(predictor)
    items = reader.find(args.input, parse_rows(args.rows), args.folder_is_clip)
    records = []
    for item, probabilities in predict_items(predictor, reader, items, args.batch_size):
        records.append(result_record(item, probabilities, predictor, args.top_k, args.min_confidence))
        tqdm.write(format_record(records[-1]))
    return records


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        records = run(args)
    except (ConfigError, DataError, InferenceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.output is not None:
        write_results(records, args.output)
        print(f"wrote {len(records)} results to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
