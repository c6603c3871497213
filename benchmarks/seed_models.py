"""The seed projects' Sign Language MNIST models, trained and evaluated in one harness on the real data.

Both read the CSVs with the project's reader (`datasets/sources/sign_mnist.py`), train on all 27,455 rows of the
train CSV and are evaluated on the official test CSV (7,172 rows), with Keras' defaults where the seeds say nothing
(the seeds were Keras models): Adam (lr 1e-3, epsilon 1e-7), batch 32, shuffled every epoch, Glorot-uniform weights
and zero biases, 25 softmax outputs (labels 0-24; 9 = J never occurs), sparse categorical cross-entropy.

- `seed_mlp`: 784-128-64-25, ReLU, dropout 0.2 after each hidden layer, pixels scaled to [0, 1], 10 epochs.
  `seed_mlp_raw` is the same on raw 0-255 pixels (a seed that forgot to normalise).
- `seed_cnn`: the input upsampled (bilinear) to 224x224, one grey channel; 5 blocks of conv3x3 ("same" padding) -
  BatchNorm - ReLU - max-pool 2, with 32, 64, 128, 256, 512 channels; flatten (7x7x512) - dense 128 - ReLU - dense 25.
  An epoch takes most of an hour on this CPU, so it trains for a time budget (`--cnn_budget_s`), and the row gives
  the median time per batch of 32, the epoch time extrapolated from it and the accuracy reached within the budget.

Usage (from the repository root; OMP_NUM_THREADS=1 on a shared machine):
    python benchmarks/seed_models.py [--train_csv ...] [--test_csv ...] [--cnn_budget_s 180] [--cnn_test_rows 1000]
"""

import argparse
import functools
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Iterator, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics.functional.classification import multiclass_accuracy, multiclass_f1_score

from benchmarks.tables import markdown_table
from datasets.errors import BadSamples, DataError
from datasets.sources.sign_mnist import read_sign_mnist

# pylint: enable=wrong-import-position

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "sign_mnist"
DEFAULT_TRAIN, DEFAULT_TEST = DATA_DIR / "sign_mnist_train.csv.gz", DATA_DIR / "sign_mnist_test.csv.gz"
OUTPUTS, BATCH, EVAL_BATCH, CNN_SIDE = 25, 32, 256, 224
CNN_CHANNELS = (32, 64, 128, 256, 512)
Prepare = Callable[[Tensor], Tensor]  # uint8 images [N, 28, 28] -> the model's input


@functools.lru_cache(maxsize=2)  # the models of one run share the train and test CSVs; nobody modifies the tensors
def load_split(path: Path) -> tuple[Tensor, Tensor]:
    """uint8 images `[N, 28, 28]` and int64 labels `[N]` of a Sign MNIST CSV; a bad row raises DataError."""
    images, rows = read_sign_mnist(Path(path), BadSamples())
    return torch.from_numpy(images), torch.tensor([label for _, label in rows])


def keras_init(model: nn.Module) -> nn.Module:
    """Keras' default initialisation: Glorot-uniform kernels, zero biases."""
    for layer in model.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return model


def seed_mlp() -> nn.Module:
    """784-128-64-25 with ReLU and dropout 0.2 after each hidden layer: `[N, 784]` -> logits `[N, 25]`."""
    return keras_init(
        nn.Sequential(
            *(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2)),
            *(nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.2)),
            nn.Linear(64, OUTPUTS),
        )
    )


def seed_cnn() -> nn.Module:
    """5 blocks conv3x3-BN-ReLU-maxpool2 (32..512 channels), flatten, dense 128, dense 25: `[N, 1, 224, 224]` ->
    logits `[N, 25]`."""
    blocks, channels = [], 1
    for width in CNN_CHANNELS:
        blocks += [nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2)]
        channels = width
    side = CNN_SIDE // 2 ** len(CNN_CHANNELS)
    head = [nn.Flatten(), nn.Linear(channels * side * side, 128), nn.ReLU(), nn.Linear(128, OUTPUTS)]
    return keras_init(nn.Sequential(*blocks, *head)).to(memory_format=torch.channels_last)


def mlp_input(scale: float) -> Prepare:
    """Images -> `[N, 784]` float pixels divided by `scale` (255: [0, 1]; 1: raw 0-255)."""
    return lambda images: images.reshape(len(images), -1).float() / scale


def cnn_input(images: Tensor) -> Tensor:
    """Images -> `[N, 1, 224, 224]` in [0, 1], bilinear upsampling, channels-last (faster convolutions on CPU)."""
    pixels = images.unsqueeze(1).float() / 255
    upsampled = F.interpolate(pixels, size=(CNN_SIDE, CNN_SIDE), mode="bilinear", align_corners=False)
    return upsampled.contiguous(memory_format=torch.channels_last)


def shuffled_batches(count: int, generator: torch.Generator) -> Iterator[Tensor]:
    """Row indices of batches of 32, epoch after epoch, reshuffled every epoch (the last batch may be short)."""
    while True:
        yield from torch.randperm(count, generator=generator).split(BATCH)


def fit(model: nn.Module, data: tuple[Tensor, Tensor], prepare: Prepare, steps: int, budget_s: float, seed: int):
    """Train for `steps` batches or until `budget_s` seconds have passed; returns each step's seconds."""
    images, labels = data
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)  # Keras' Adam defaults
    model.train()
    seconds: list[float] = []
    started = time.perf_counter()
    batches = shuffled_batches(len(labels), torch.Generator().manual_seed(seed))
    # At least one step, whatever the budget, so that there is a batch time to report.
    while not seconds or (len(seconds) < steps and time.perf_counter() - started < budget_s):
        index = next(batches)
        step_started = time.perf_counter()
        loss = F.cross_entropy(model(prepare(images[index])), labels[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seconds.append(time.perf_counter() - step_started)
    return seconds


def evaluate(model: nn.Module, data: tuple[Tensor, Tensor], prepare: Prepare) -> dict[str, float]:
    """Test accuracy and weighted F1 (torchmetrics; weighted by each class's test support)."""
    images, labels = data
    model.eval()
    with torch.inference_mode():
        predicted = torch.cat([model(prepare(part)).argmax(1) for part in images.split(EVAL_BATCH)])
    return {
        "test_accuracy": float(multiclass_accuracy(predicted, labels, OUTPUTS, average="micro")),
        "f1_weighted": float(multiclass_f1_score(predicted, labels, OUTPUTS, average="weighted")),
    }


def run_seed_model(
    name: str, model: nn.Module, prepare: Prepare, splits: tuple, limits: tuple[int, float, int]
) -> dict:
    """Train (`limits` = (max steps, time budget, seed)), evaluate on the test split, and return the result row."""
    (train, test), (steps, budget_s, seed) = splits, limits
    started = time.perf_counter()
    seconds = fit(model, train, prepare, steps, budget_s, seed)
    trained = time.perf_counter()
    figures = evaluate(model, test, prepare)
    per_batch = statistics.median(seconds[1:] or seconds)  # the first batch warms up (allocations, kernels)
    return {
        "model": name,
        **figures,
        "epochs": len(seconds) / math.ceil(len(train[1]) / BATCH),
        "wall_s": time.perf_counter() - started,
        "train_s": trained - started,
        "eval_s": time.perf_counter() - trained,
        "test_rows": len(test[1]),
        "per_batch_s": per_batch,
        "epoch_s_estimate": per_batch * math.ceil(len(train[1]) / BATCH),
        "threads": torch.get_num_threads(),
    }


def train_seed_mlp(train_csv: Path, test_csv: Path, epochs: int = 10, seed: int = 0, raw_pixels: bool = False) -> dict:
    """The seed MLP trained `epochs` epochs (batch 32) on the train CSV, evaluated on the whole test CSV."""
    torch.manual_seed(seed)
    splits = load_split(train_csv), load_split(test_csv)
    steps = epochs * math.ceil(len(splits[0][1]) / BATCH)
    name, scale = ("seed_mlp_raw", 1) if raw_pixels else ("seed_mlp", 255)
    row = run_seed_model(name, seed_mlp(), mlp_input(scale), splits, (steps, math.inf, seed))
    pixels = "raw 0-255 pixels" if raw_pixels else "pixels / 255"
    return row | {"note": f"784-128-64-25, dropout 0.2, {pixels}, Adam 1e-3, batch 32, {epochs} epochs, seed {seed}"}


def train_seed_cnn(
    train_csv: Path, test_csv: Path, budget_s: float = 180.0, seed: int = 0, test_rows: Optional[int] = 1000
) -> dict:
    """The seed CNN trained for `budget_s` seconds (batch 32); evaluated on `test_rows` evenly spaced rows of the
    test CSV (None: all of them; at 224x224 the whole test set takes about 6 minutes on one core)."""
    torch.manual_seed(seed)
    train, test = load_split(train_csv), load_split(test_csv)
    tested = f"all {len(test[1])}"
    if test_rows is not None and test_rows < len(test[1]):
        rows = torch.from_numpy(np.linspace(0, len(test[1]) - 1, test_rows).round().astype(np.int64))
        test, tested = (test[0][rows], test[1][rows]), f"{test_rows} evenly spaced"
    row = run_seed_model("seed_cnn", seed_cnn(), cnn_input, (train, test), (math.inf, budget_s, seed))
    return row | {
        "note": f"224x224, 5 conv blocks 32-512, trained {budget_s:g} s ({row['epochs'] * 100:.1f}% of an epoch), "
        f"tested on {tested} test rows; epoch estimate = median batch time x {math.ceil(len(train[1]) / BATCH)}"
    }


def data_paths(args: argparse.Namespace) -> tuple[Optional[tuple[Path, Path]], str]:
    """((train, test), "") when both CSVs exist; (None, reason) otherwise."""
    missing = [str(path) for path in (args.train_csv, args.test_csv) if not path.is_file()]
    if missing:
        return None, f"no Sign MNIST CSV at {', '.join(missing)}"
    return (args.train_csv, args.test_csv), ""


MODELS: dict[str, Callable[[Path, Path, argparse.Namespace], dict]] = {
    "seed_mlp": lambda train, test, args: train_seed_mlp(train, test, args.mlp_epochs, args.seed),
    "seed_mlp_raw": lambda train, test, args: train_seed_mlp(train, test, args.mlp_epochs, args.seed, True),
    "seed_cnn": lambda train, test, args: train_seed_cnn(
        train, test, args.cnn_budget_s, args.seed, args.cnn_test_rows or None
    ),
}
DEFAULT_MODELS = ["seed_mlp", "seed_cnn"]  # seed_mlp_raw only shows that unscaled pixels are not the seed's figure
COLUMNS = {
    "model": "model",
    "test_accuracy": "test accuracy",
    "f1_weighted": "weighted F1",
    "epochs": "epochs",
    "wall_s": "wall s",
    "per_batch_s": "s / batch of 32 (median)",
    "epoch_s_estimate": "s / epoch (estimate)",
    "test_rows": "test rows",
    "note": "note",
}


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train_csv", type=Path, help=f"default: {DEFAULT_TRAIN}")
    parser.add_argument("--test_csv", type=Path, help=f"default: {DEFAULT_TEST}")
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=DEFAULT_MODELS, help="which rows")
    parser.add_argument("--mlp_epochs", type=int, default=10)
    parser.add_argument("--cnn_budget_s", type=float, default=180.0, help="the CNN's training time budget")
    parser.add_argument("--cnn_test_rows", type=int, default=1000, help="test rows for the CNN (0: all 7,172)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.defaults = args.train_csv is None and args.test_csv is None
    args.train_csv, args.test_csv = args.train_csv or DEFAULT_TRAIN, args.test_csv or DEFAULT_TEST
    return args


def main(argv: Optional[list[str]] = None) -> int:
    """Train and evaluate the chosen seed models; print a markdown table."""
    args = parse_args(argv)
    paths, reason = data_paths(args)
    if paths is None:
        if args.defaults:  # the shared data is not on this machine: nothing to measure, not an error
            print(f"skipped: {reason}")
            return 0
        print(f"error: {reason}", file=sys.stderr)
        return 2
    try:
        rows = [MODELS[name](*paths, args) for name in args.models]
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Sign Language MNIST: train {paths[0]}, test {paths[1]}; {torch.get_num_threads()} CPU thread(s)\n")
    print(markdown_table(rows, COLUMNS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
