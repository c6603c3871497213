"""Phonology of signs never seen: ASL-LEX heads tested on glosses left out of training (docs/phonology.md).

Reads `configs/signers_phonology_unseen.yml` (the 11 phonology heads on every clip of mediapipe_signers whose gloss
has an ASL-LEX entry), deals the signs into K gloss folds (`datasets/gloss_folds.py`: test = fold k, val = fold
k+1, train = the rest) and runs train.py once per fold with that fold's split file. For each head it reports the
test accuracy over the folds (mean ± std) against the majority-class baseline: the class most frequent among the
fold's training clips, predicted for every test clip. Because hello and thanks hold 28% of the clips, it also gives
the gloss-balanced accuracy (each test gloss weighs the same). Nothing is tuned on the test folds: the settings are
the config's, and each fold's checkpoint is chosen on its val glosses.

Usage (from the repository root; about 10 min per fold on one core):
    python benchmarks/phonology_unseen.py [--folds 5] [--set train_parameters.epochs=10 ...]
Writes `<output_dir>/<time>/unseen.md` and `unseen.json` beside each fold's train.py log and split file.
"""

import argparse
import csv
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from statistics import mean, stdev
from typing import Optional

from benchmarks.tables import markdown_table
from benchmarks.train_runs import run_train_py
from datasets.data_module import SignDataModule
from datasets.gloss_folds import TEST, gloss_folds, write_fold_split
from datasets.splits import TRAIN
from utils.config import load_config

ROOT = Path(__file__).resolve().parents[1]
CONFIG = "configs/signers_phonology_unseen.yml"
NEEDS = (ROOT.parent / "shared" / "data" / "mediapipe_signers", ROOT.parent / "shared" / "data" / "asl_lex")
COLUMNS = {
    "head": "head",
    "classes": "classes in test (mean)",
    "accuracy": "accuracy",
    "majority": "majority baseline",
    "balanced": "gloss-balanced accuracy",
    "majority_balanced": "gloss-balanced majority",
}


def run_fold(config: str, split_file: Path, name: str, overrides: list[str], log: Path) -> Path:
    """train.py on one fold (its output in `log`); returns the run folder."""
    fold = (f"general_parameters.split_file={split_file}", f"general_parameters.experiment_name={name}")
    return run_train_py(config, [*fold, *overrides], log)


def predicted_ids(run_dir: Path, names: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    """{head: {clip id: predicted class id}} from the run's test predictions."""
    path = run_dir / "report" / "test_predictions.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {head: {row["clip_id"]: names[head].index(row[f"{head}_predicted"]) for row in rows} for head in names}


def scores(truth: list[tuple[str, int]], guess: list[int]) -> tuple[float, float]:
    """(clip accuracy, gloss-balanced accuracy) of `guess` against `truth` = [(sign, class id)]."""
    by_sign: dict[str, list[bool]] = defaultdict(list)
    for (sign, label), predicted in zip(truth, guess):
        by_sign[sign].append(label == predicted)
    hits = [hit for values in by_sign.values() for hit in values]
    return mean(hits), mean(mean(values) for values in by_sign.values())


def fold_figures(data: SignDataModule, signs: list[str], fold: dict, predicted: dict) -> dict[str, dict]:
    """Per head: the model's and the majority baseline's test accuracy (clip and gloss-balanced) on one fold."""
    figures = {}
    for head in data.class_names:
        train = [data.records[i].labels[head] for i in fold[TRAIN] if data.records[i].labels[head] >= 0]
        tested = [i for i in fold[TEST] if data.records[i].labels[head] >= 0]
        if not train or not tested:
            continue
        majority = Counter(train).most_common(1)[0][0]
        truth = [(signs[i], data.records[i].labels[head]) for i in tested]
        model = scores(truth, [predicted[head][data.records[i].name] for i in tested])
        baseline = scores(truth, [majority] * len(tested))
        figures[head] = {
            "accuracy": model[0],
            "balanced": model[1],
            "majority": baseline[0],
            "majority_balanced": baseline[1],
            "classes": len({label for _, label in truth}),
        }
    return figures


def table_rows(per_fold: list[dict[str, dict]]) -> list[dict]:
    """One row per head: each figure as `mean ± std` over the folds."""
    rows = []
    for head in per_fold[0]:
        values = [fold[head] for fold in per_fold if head in fold]
        row: dict = {"head": head, "classes": f"{mean(v['classes'] for v in values):.1f}"}
        for key in ("accuracy", "majority", "balanced", "majority_balanced"):
            numbers = [v[key] for v in values]
            row[key] = f"{mean(numbers):.3f} ± {stdev(numbers):.3f}"
        rows.append(row)
    return rows


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=CONFIG, help=f"a phonology-only config (default {CONFIG})")
    parser.add_argument("--folds", type=int, default=5, help="gloss folds (default 5)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")
    parser.add_argument("--output_dir", type=Path, default=ROOT / "runs" / "benchmarks" / "phonology_unseen")
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    """Run every fold, print and write the table; 2 when the data is missing."""
    args = parse_args(argv)
    missing = [str(path) for path in NEEDS if not path.exists()]
    if missing and args.config == CONFIG:
        print(f"skipped: {', '.join(missing)} not found (the shared data is not beside this checkout)")
        return 2
    config = load_config(ROOT / args.config, tuple(args.overrides))
    data = SignDataModule.from_config(config)
    data.setup()
    signs = [str(data.options["phonology"].entry_of(record)) for record in data.records]
    out = args.output_dir / time.strftime("%Y%m%d-%H%M%S")
    per_fold, started = [], time.perf_counter()
    for number, fold in enumerate(gloss_folds(signs, args.folds, config.general_parameters.seed)):
        split_file = write_fold_split(data.records, fold, out / f"fold_{number}_split.csv")
        print(f"fold {number}: test signs {sorted({signs[i] for i in fold[TEST]})}", flush=True)
        run_dir = run_fold(
            args.config, split_file, f"phonology_unseen_fold_{number}", args.overrides, out / f"{number}.log"
        )
        per_fold.append(fold_figures(data, signs, fold, predicted_ids(run_dir, data.class_names)))
    rows = table_rows(per_fold)
    minutes = (time.perf_counter() - started) / 60
    text = f"{markdown_table(rows, COLUMNS)}\n\n{args.folds} gloss folds of {args.config}; {minutes:.0f} min.\n"
    (out / "unseen.md").write_text(text, encoding="utf-8")
    (out / "unseen.json").write_text(json.dumps({"per_fold": per_fold, "rows": rows}, indent=2), encoding="utf-8")
    print(text + f"written to {out / 'unseen.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
