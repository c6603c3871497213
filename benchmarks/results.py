"""The results table (docs/results.md): train each shipped config on its data with train.py, print what it reached.

Each experiment is one `train.py` run (a separate process, timed from start to exit) whose `summary.json` gives the
figures of the best checkpoint; the Sign MNIST seed models of benchmarks/seed_models.py run in the same harness.
An experiment whose data is missing from ../shared/data is skipped with the reason. The table states the data, the
split, the epochs, the wall time and the machine; it is printed and written to `<output_dir>/results.md` beside each
run's log.

Usage (from the repository root):
    python benchmarks/results.py                              # every experiment (about an hour on 2 cores)
    python benchmarks/results.py --only sign_mnist seed_mlp   # some of them (--list names them)
    python benchmarks/results.py --only signers_gcn signers_mlp signers_conv_transformer   # unseen signers, 5 folds
"""

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Optional

import torch

from benchmarks import seed_models
from benchmarks.signer_results import SIGNER_EXPERIMENTS, cv_rows
from benchmarks.tables import markdown_table
from benchmarks.train_runs import run_train_py
from utils.config import read_yaml
from utils.config_schema import AugmentationsParameters

# pylint: enable=wrong-import-position

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SIGN_MNIST_TRAIN = DATA / "sign_mnist" / "sign_mnist_train.csv.gz"
SIGN_MNIST_TEST = DATA / "sign_mnist" / "sign_mnist_test.csv.gz"
COLUMNS = {
    "experiment": "experiment",
    "data": "data, split",
    "model": "model",
    "epochs": "epochs",
    "minutes": "wall (min)",
    "head": "head",
    "accuracy": "accuracy",
    "f1_weighted": "weighted F1",
    "ece": "ECE",  # expected calibration error (15 bins) of the model's own probabilities
    "ece_calibrated": "ECE calibrated",  # ... after temperature scaling fitted on the validation split
    "temperature": "T",
    "note": "goal / note",
}


@dataclass(frozen=True)
class Experiment:
    """One train.py run: its config, `--set` overrides, the data it needs and the splits to report."""

    config: str
    data: str  # what the table's "data" column says
    needs: Optional[Path]  # skipped when this path is missing (None: the data is generated)
    model: str
    overrides: tuple[str, ...] = ()
    splits: tuple[str, ...] = ("test",)
    note: str = ""
    cv: int = 0  # K > 0: `train.py --cv K`, one row of mean ± std over the folds (benchmarks/signer_results.py)


SILFA = DATA / "silfa_mediapipe_parquet"
ASL = DATA / "asl_alphabet"
ASL_SPLITS = ("test", "official_test")
SIGNERS_ZIP = DATA / "mediapipe_signers" / "mediapipe_signers.zip"


def shipped_training(recipe_config: str, shipped_config: str) -> tuple[str, ...]:
    """`--set` overrides that turn the out-of-distribution recipe of `recipe_config` back into the training of the
    shipped config it was made from: the shipped augmentations (a key the shipped config leaves out gets the schema's
    default), epochs and learning-rate decay. The "before" of docs/out_of_distribution.md."""
    recipe, shipped = (read_yaml(ROOT / path) for path in (recipe_config, shipped_config))
    augmentations = shipped["augmentations_parameters"]
    defaults = AugmentationsParameters().model_dump()
    overrides = [
        f"augmentations_parameters.{key}={json.dumps(augmentations.get(key, defaults[key]))}"
        for key in recipe["augmentations_parameters"]
    ]
    training = shipped["train_parameters"]
    overrides += [f"train_parameters.{key}={training[key]}" for key in ("epochs", "multiply_lr_step")]
    return tuple(overrides)


EXPERIMENTS: dict[str, Experiment] = {
    "synthetic": Experiment(
        "train_config.yml",
        "built-in synthetic, 20% validation",
        None,
        "resnet10t + 2-layer transformer",
        splits=("val",),
    ),
    "sign_mnist": Experiment(
        "configs/sign_mnist.yml",
        "Sign MNIST, official test (7,172)",
        SIGN_MNIST_TRAIN,
        "small_cnn (93k params)",
        note="goal: accuracy >= 0.999, F1 >= 0.999, <= 10 min",
    ),
    "asl_small_cnn": Experiment(
        "configs/asl_alphabet.yml",
        "ASL Alphabet 64px, test (2,900) / official (28)",
        ASL,
        "small_cnn_strided",
        splits=ASL_SPLITS,
        note="goal: test >= 0.995 and 28/28",
    ),
    "asl_small_cnn_5ep": Experiment(
        "configs/asl_alphabet.yml",
        "ASL Alphabet 64px, test (2,900) / official (28)",
        ASL,
        "small_cnn_strided",
        ("train_parameters.epochs=5",),
        ASL_SPLITS,
        note="5 epochs (time budget on the shared machine): the calibration row of docs/calibration.md",
    ),
    "asl_resnet18": Experiment(
        "configs/asl_alphabet.yml",
        "ASL Alphabet 64px, test (2,900) / official (28)",
        ASL,
        "resnet18 (scratch)",
        ("feature_extractor.model_path=resnet18", "train_parameters.epochs=3"),
        ASL_SPLITS,
        note="3 epochs (time budget); the small CNN gets 20",
    ),
    "asl_efficientnet_b0": Experiment(
        "configs/asl_alphabet.yml",
        "ASL Alphabet 64px, test (2,900) / official (28)",
        ASL,
        "efficientnet_b0 (scratch)",
        ("feature_extractor.model_path=efficientnet_b0", "train_parameters.epochs=3"),
        ASL_SPLITS,
        note="3 epochs (time budget); the small CNN gets 20",
    ),
    "silfa_gcn": Experiment(
        "configs/landmarks_silfa.yml", "SILFA landmarks, 15% stratified test", SILFA, "landmarks_gcn"
    ),
    "silfa_mlp": Experiment(
        "configs/landmarks_silfa.yml",
        "SILFA landmarks, 15% stratified test",
        SILFA,
        "landmarks_mlp",
        ("feature_extractor.landmarks.name=landmarks_mlp",),
    ),
}
# Unseen signers: 5-fold leave-signers-out cross-validation of each model (docs/cross_validation.md).
SIGNERS_DATA = "mediapipe_signers: 8 glosses, 13 signers, 5-fold leave-signers-out test"
EXPERIMENTS |= {
    key: Experiment("configs/signers_gloss.yml", SIGNERS_DATA, SIGNERS_ZIP, model, overrides, note=note, cv=5)
    for key, (model, overrides, note) in SIGNER_EXPERIMENTS.items()
}
# Cross-dataset tests (docs/out_of_distribution.md): the other dataset's test split is never trained or validated on;
# `<key>_before` trains as the shipped config does (its augmentations, epochs and decay), `<key>_after` with the
# recipe config as it is. `needs` names one data folder; train.py names the other if it is missing.
CROSS_DATASET = {  # key: (recipe config, shipped config, data), (model, splits)
    "sign_mnist_to_asl": (
        ("configs/sign_mnist_to_asl.yml", "configs/sign_mnist.yml", "Sign MNIST (24 letters) -> ASL Alphabet test"),
        ("small_cnn", ("test", "asl_alphabet_test")),
    ),
    "asl_to_sign_mnist": (
        ("configs/asl_alphabet_to_sign_mnist.yml", "configs/asl_alphabet.yml", "ASL Alphabet (24) -> Sign MNIST test"),
        ("small_cnn_strided", (*ASL_SPLITS, "sign_mnist_test")),
    ),
}
EXPERIMENTS |= {
    f"{key}_{when}": Experiment(
        config, data, ASL, model, shipped_training(config, shipped) if when == "before" else (), splits, note
    )
    for key, ((config, shipped, data), (model, splits)) in CROSS_DATASET.items()
    for when, note in (("before", "as the shipped config trains"), ("after", "out-of-distribution recipe"))
}


def experiment_name(key: str) -> str:
    """The `experiment_name` of a row's run: its runs are in `runs/<experiment_name>/<time>/`."""
    return f"results_{key}"


# Stage 2 of the ASL recipe: fine-tunes the newest run of `asl_to_sign_mnist_after` (run that one first).
EXPERIMENTS["asl_to_sign_mnist_finetuned"] = replace(
    EXPERIMENTS["asl_to_sign_mnist_after"],
    config="configs/asl_alphabet_to_sign_mnist_finetune.yml",
    overrides=(f"feature_extractor.init_from=runs/{experiment_name('asl_to_sign_mnist_after')}",),
    note="recipe, then 5 epochs of the shipped augmentations",
)
SEED_MODELS: dict[str, Callable[[argparse.Namespace], dict]] = {
    "seed_mlp": lambda args: seed_models.train_seed_mlp(SIGN_MNIST_TRAIN, SIGN_MNIST_TEST),
    "seed_cnn": lambda args: seed_models.train_seed_cnn(SIGN_MNIST_TRAIN, SIGN_MNIST_TEST, budget_s=args.seed_cnn_s),
}


def machine() -> str:
    """One line on where the figures come from (the load average says how busy the shared machine was)."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return f"{cpu}, {len(os.sched_getaffinity(0))} cores, torch {torch.__version__}, load average {load}"


def run_train(key: str, experiment: Experiment, log_dir: Path) -> tuple[Path, float]:
    """Run train.py for one experiment; its output goes to `<log_dir>/<key>.log`. Returns (run dir, seconds)."""
    overrides = (f"general_parameters.experiment_name={experiment_name(key)}", *experiment.overrides)
    started = time.perf_counter()
    run_dir = run_train_py(experiment.config, overrides, log_dir / f"{key}.log", cv_args(experiment.cv))
    return run_dir, time.perf_counter() - started


def cv_args(folds: int) -> tuple[str, ...]:
    """train.py's `--cv K` arguments (none for a single run)."""
    return ("--cv", str(folds)) if folds else ()


def experiment_rows(key: str, experiment: Experiment, log_dir: Path) -> list[dict]:
    """One row per reported split and head, from the run's summary.json."""
    base = {"experiment": key, "data": experiment.data, "model": experiment.model}
    if experiment.needs is not None and not experiment.needs.exists():
        return [base | {"note": f"skipped: {experiment.needs} is missing"}]
    run_dir, seconds = run_train(key, experiment, log_dir)
    if experiment.cv:
        return cv_rows(base | {"minutes": seconds / 60}, run_dir, experiment.overrides, experiment.note)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    base |= {"epochs": summary["epochs_trained"], "minutes": seconds / 60, "note": experiment.note}
    temperatures = summary.get("calibration", {}).get("temperatures", {})
    rows = []
    for split in experiment.splits:
        count = summary["samples"].get(split, 0)
        for head, figures in summary[split].items():
            correct = round(figures["accuracy"] * count)
            rows.append(
                base
                | {"head": head, "accuracy": figures["accuracy"], "f1_weighted": figures["f1_weighted"]}
                | {"ece": figures.get("ece"), "ece_calibrated": figures.get("ece_calibrated")}
                | {"temperature": temperatures.get(head)}
                | {"data": f"{experiment.data}: {split}, {correct}/{count} right"}
            )
    return rows


def seed_rows(key: str, args: argparse.Namespace) -> list[dict]:
    """The seed model's row, in the table's columns."""
    if not SIGN_MNIST_TRAIN.exists():
        return [{"experiment": key, "note": f"skipped: {SIGN_MNIST_TRAIN} is missing"}]
    result = SEED_MODELS[key](args)
    return [
        {
            "experiment": key,
            "data": "Sign MNIST, official test (7,172)",
            "model": result["model"],
            "epochs": result["epochs"],
            "minutes": result["wall_s"] / 60,
            "head": "letter",
            "accuracy": result["test_accuracy"],
            "f1_weighted": result["f1_weighted"],
            "note": result["note"],
        }
    ]


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    names = [*EXPERIMENTS, *SEED_MODELS]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=names, default=names, metavar="NAME", help=", ".join(names))
    parser.add_argument("--list", action="store_true", help="print the experiments and exit")
    parser.add_argument("--output_dir", type=Path, default=ROOT / "runs" / "results", help="logs and results.md")
    parser.add_argument("--seed_cnn_s", type=float, default=300, help="training budget of the seed 5-block CNN")
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    """Run the chosen experiments in order, print the table; 1 if any run failed (the others still run)."""
    args = parse_args(argv)
    if args.list:
        for key, experiment in EXPERIMENTS.items():
            cv = f" --cv {experiment.cv}" if experiment.cv else ""
            print(f"{key}: {experiment.config} {' '.join(experiment.overrides)}{cv}")
        print("\n".join(SEED_MODELS))
        return 0
    log_dir = args.output_dir / time.strftime("%Y%m%d-%H%M%S")
    if log_dir.exists():  # another results.py started in the same second
        log_dir = log_dir.with_name(f"{log_dir.name}-{os.getpid()}")
    log_dir.mkdir(parents=True)
    start_machine, rows, status = machine(), [], 0
    for key in args.only:
        print(f"running {key}" + (f" (log: {log_dir / key}.log)" if key in EXPERIMENTS else ""), flush=True)
        try:
            rows += experiment_rows(key, EXPERIMENTS[key], log_dir) if key in EXPERIMENTS else seed_rows(key, args)
        except RuntimeError as error:
            rows.append({"experiment": key, "note": f"failed: {error}"})
            status = 1
    text = f"{markdown_table(rows, COLUMNS)}\n\nMachine: {start_machine} at the start; {machine()} at the end.\n"
    (log_dir / "results.md").write_text(text, encoding="utf-8")
    print(text + f"\nwritten to {log_dir / 'results.md'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
