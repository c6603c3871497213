"""Does self-supervised pre-training make gloss recognition need fewer labels? (The table of docs/pretraining.md.)

Data: ../shared/data/mediapipe_signers (13 signers). Labelled task: configs/signers_gloss.yml (8 glosses, 820
sequences). Leave-signers-out: the K folds of `train.py --cv K` (datasets/signer_folds.py: signers dealt by
StratifiedGroupKFold, seed 1234; each fold tests its own signers and validates on other held-out signers). Per fold:

1. pre-training (configs/signers_pretrain.yml) on every sequence of the 78 glosses, labels unused, of the fold's
   training signers; validation on the val signers' sequences. The test signers' clips are never trained on (no
   transductive leak); their masked-joint loss is only reported.
2. fine-tuning of configs/signers_gloss.yml with 1, 3 and 5 labelled sequences per gloss per training signer
   (`general_parameters.train_shots`, drawn with seed 1234; the 1-shot clips are among the 3-shot ones) and with all
   labels, each from scratch and from the fold's pre-trained extractor and encoder (`feature_extractor.init_from`).

Both arms get the same budget: the same epochs, batch size, learning rate, splits and seed; no labelled validation
data is used to pick a checkpoint (the checkpoint of the lowest training loss is evaluated, and validation is off
during training), since a few-shot user would not have it. Every run is an ordinary train.py run folder under
`<output_dir>/runs/`; the table (mean and standard deviation over folds, and the gain paired per fold) goes to
`<output_dir>/fewshot.md` and `.json`, and the pre-training loss curves to `<output_dir>/pretraining_loss.png`.
Finished runs are reused when the command is run again with the same output_dir.

Usage (from the repository root; hours on 2 busy cores, one thread per run):
    python -m benchmarks.pretraining_fewshot
    python -m benchmarks.pretraining_fewshot --only_folds 1 --shots 1 full --pretrain_epochs 2 --epochs 5   # a look
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Optional

import pandas as pd
from matplotlib.figure import Figure

from benchmarks.results import machine
from benchmarks.tables import markdown_table
from benchmarks.train_runs import run_train_py
from datasets.csv_rows import write_csv
from datasets.data_module import SignDataModule
from datasets.signer_folds import fold_rows
from training.cross_validation import plan_folds
from utils.config import load_config

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "mediapipe_signers" / "mediapipe_signers.zip"
LABELLED, PRETRAIN = "configs/signers_gloss.yml", "configs/signers_pretrain.yml"
HEAD = "gloss"
TRIES = 2


def fold_splits(folds: int, output_dir: Path) -> list[tuple[Path, Path, list[str]]]:
    """Per fold (the folds of `train.py --cv K` on the labelled config): its split file for fine-tuning, a split
    file over every sequence of the corpus for pre-training (each signer in the same split), its test signers."""
    data, dealt, _ = plan_folds(load_config(ROOT / LABELLED), folds)
    everything = SignDataModule.from_config(load_config(ROOT / PRETRAIN))
    everything.setup()
    files = []
    for fold in dealt:
        signer_split = {str(data.records[i].signer): split for split, part in fold.splits().items() for i in part}
        labelled, pretrain = output_dir / f"fold{fold.number}.csv", output_dir / f"fold{fold.number}_pretrain.csv"
        write_csv(fold_rows(data.records, fold), labelled)
        rows = []
        for record in everything.records:
            source, clip, start, end = record.key()
            rows.append({"split": signer_split[str(record.signer)], "source": source, "clip": clip, "start": start})
            rows[-1] |= {"end": end, "signer": record.signer}
        write_csv(rows, pretrain)
        files.append((labelled, pretrain, fold.test_signers))
    return files


def train(config: str, overrides: list[str], log: Path, state: dict) -> Path:
    """A train.py run (reused if `state` has it); returns its run folder."""
    if log.stem in state and (Path(state[log.stem]) / "summary.json").is_file():
        return Path(state[log.stem])
    for attempt in range(TRIES):
        print(f"{time.strftime('%H:%M:%S')} {log.stem}" + (f" (attempt {attempt + 1})" if attempt else ""), flush=True)
        try:
            run_dir = run_train_py(config, overrides, log)
            break
        except RuntimeError:  # on a shared machine a run may be stopped from outside (SIGTERM: status 143)
            if attempt == TRIES - 1:
                raise
    state[log.stem] = str(run_dir)
    (log.parent / "state.json").write_text(json.dumps(state, indent=1), encoding="utf-8")
    return run_dir


def common(out: Path, split: Path, name: str) -> list[str]:
    """Overrides of every run of a fold (one thread: on a busy 2-core machine a second one makes it slower)."""
    return [
        f"general_parameters.split_file={split}",
        f"general_parameters.runs_dir={out / 'runs'}",
        f"general_parameters.experiment_name={name}",
        "trainer.cpu_threads=1",
    ]


def fine_tune(args: argparse.Namespace, split: Path, shots: Optional[int], init: Optional[Path]) -> list[str]:
    """Overrides of one fine-tuning run (the same budget for both arms)."""
    epochs, batch_size = (args.epochs, args.batch_size) if shots else (args.full_epochs, args.full_batch_size)
    overrides = common(args.output_dir, split, "fewshot") + [
        f"train_parameters.epochs={epochs}",
        f"train_parameters.batch_size={batch_size}",
        "trainer.monitor=train/loss_epoch",
        "trainer.monitor_mode=min",
        "trainer.limit_val_batches=0",
        "logging.figures=false",
    ]
    if shots is not None:
        overrides.append(f"general_parameters.train_shots={shots}")
    if init is not None:
        overrides.append(f"feature_extractor.init_from={init}")
    return overrides


def test_figures(run_dir: Path) -> dict:
    """Test accuracy and macro F1 of the gloss head, and the training clips."""
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    figures = summary["test"][HEAD]
    return {"accuracy": figures["accuracy"], "f1_macro": figures["f1_macro"], "train": summary["samples"]["train"]}


def run_fold(args: argparse.Namespace, fold: int, splits: tuple[Path, Path, list[str]], state: dict) -> list[dict]:
    """Pre-train, then fine-tune every shot count from scratch and pre-trained; one row per run."""
    split, pretrain_split, _ = splits
    pre_overrides = common(args.output_dir, pretrain_split, "pretrain") + [
        f"train_parameters.epochs={args.pretrain_epochs}"
    ]
    pretrained = train(PRETRAIN, pre_overrides, args.output_dir / f"pretrain_fold{fold}.log", state)
    rows = []
    for shots in args.shots:
        count = None if shots == "full" else int(shots)
        for arm, init in (("scratch", None), ("pretrained", pretrained)):
            log = args.output_dir / f"fold{fold}_shots{shots}_{arm}.log"
            run_dir = train(LABELLED, fine_tune(args, split, count, init), log, state)
            rows.append({"fold": fold, "shots": shots, "arm": arm, "run_dir": str(run_dir)} | test_figures(run_dir))
    return rows


def mean_sd(values: list[float]) -> str:
    """`mean ± sd` (sd over folds; 0 for one fold)."""
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {spread:.3f}"


def table(rows: list[dict]) -> list[dict]:
    """Per shot count: both arms' accuracy and macro F1 (mean ± sd over folds) and the paired gain."""
    frame = pd.DataFrame(rows)
    lines = []
    for shots, group in frame.groupby("shots", sort=False):
        arms = {arm: part.sort_values("fold") for arm, part in group.groupby("arm")}
        scratch, pre = arms["scratch"], arms["pretrained"]
        gain = (pre["accuracy"].to_numpy() - scratch["accuracy"].to_numpy()).tolist()
        lines.append(
            {
                "shots": shots,
                "train": f"{int(scratch['train'].mean())}",
                "scratch": mean_sd(scratch["accuracy"].tolist()),
                "pretrained": mean_sd(pre["accuracy"].tolist()),
                "gain": mean_sd(gain),
                "better": f"{sum(g > 0 for g in gain)}/{len(gain)}",
                "f1_scratch": mean_sd(scratch["f1_macro"].tolist()),
                "f1_pretrained": mean_sd(pre["f1_macro"].tolist()),
            }
        )
    return lines


COLUMNS = {
    "shots": "labelled seq. per gloss per signer",
    "train": "training clips (mean)",
    "scratch": "test accuracy, scratch",
    "pretrained": "test accuracy, pre-trained",
    "gain": "gain (paired)",
    "better": "folds better",
    "f1_scratch": "macro F1, scratch",
    "f1_pretrained": "macro F1, pre-trained",
}


def plot_pretraining(state: dict, folds: list[int], path: Path) -> None:
    """Train and validation loss of each fold's pre-training."""
    figure = Figure(figsize=(8, 4.5), layout="constrained")
    axes = figure.subplots(1, 1, squeeze=False)[0][0]
    for fold in folds:
        metrics = pd.read_csv(Path(state[f"pretrain_fold{fold}"]) / "metrics.csv")
        for column, style in (("train/loss_epoch", "--"), ("val/loss", "-")):
            rows = metrics[metrics[column].notna()]
            axes.plot(rows["epoch"], rows[column], style, color=f"C{fold}", label=f"fold {fold} {column}")
    axes.set_xlabel("epoch")
    axes.set_ylabel("masked-joint loss (smooth L1)")
    axes.legend(fontsize=7, ncol=2)
    axes.grid(alpha=0.3)
    figure.savefig(path, dpi=100)


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5, help="signer-group folds")
    parser.add_argument("--shots", nargs="+", default=["1", "3", "5", "full"], help="shot counts, or full")
    parser.add_argument("--pretrain_epochs", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=25, help="few-shot fine-tuning epochs, both arms")
    parser.add_argument("--batch_size", type=int, default=16, help="few-shot fine-tuning batch size, both arms")
    parser.add_argument("--full_epochs", type=int, default=15, help="all-label fine-tuning epochs, both arms")
    parser.add_argument("--full_batch_size", type=int, default=32, help="all-label fine-tuning batch size")
    parser.add_argument("--only_folds", type=int, nargs="+", help="run these folds only (1..K); the table has them")
    parser.add_argument("--output_dir", type=Path, default=ROOT / "runs" / "pretraining_fewshot")
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    """Run every fold, print and write the table."""
    args = parse_args(argv)
    if not DATA.is_file():
        print(f"skipped: {DATA} is missing")
        return 0
    args.output_dir = args.output_dir.resolve()
    args.output_dir.mkdir(parents=True, exist_ok=True)
    state_path = args.output_dir / "state.json"
    state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.is_file() else {}
    started, rows = machine(), []
    for fold, splits in enumerate(fold_splits(args.folds, args.output_dir), start=1):
        if args.only_folds and fold not in args.only_folds:
            continue
        print(f"fold {fold}: testing {', '.join(splits[2])}", flush=True)
        rows += run_fold(args, fold, splits, state)
    plot_pretraining(state, sorted({row["fold"] for row in rows}), args.output_dir / "pretraining_loss.png")
    text = markdown_table(table(rows), COLUMNS) + f"\n\nMachine: {started} at the start; {machine()} at the end.\n"
    (args.output_dir / "fewshot.md").write_text(text, encoding="utf-8")
    (args.output_dir / "fewshot.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(text + f"\nwritten to {args.output_dir / 'fewshot.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
