"""Does learning ASL-LEX phonology alongside the gloss help recognise signs by unseen people? (docs/phonology.md)

Runs leave-signers-out cross-validation (`train.py --cv K`) twice, with the same `--set` overrides: gloss alone
(`configs/signers_gloss.yml`) and gloss + the 11 phonology heads (`configs/signers_gloss_phonology.yml`, the same
config plus those heads; a test keeps the two in step). Both deal the same folds (the folds depend only on the
signers and the gloss labels; the script checks that the two `folds.csv` agree) and choose each fold's checkpoint on
val gloss accuracy. It prints the gloss head's test figures of each (mean ± std over folds), the per-fold
difference, and the phonology heads' test accuracy next to the majority class of each fold's training clips.

Usage (from the repository root):
    python benchmarks/phonology_multitask.py [--folds 5] [--set train_parameters.epochs=15 ...]
    python benchmarks/phonology_multitask.py --from_cv runs/<gloss cv> runs/<multi-task cv>   # tabulate only
Writes `<output_dir>/<time>/multitask.md` and `multitask.json` beside the train.py logs.
"""

import argparse
import csv
import json
import sys
import time
from pathlib import Path
from statistics import mean, stdev
from typing import Optional

from benchmarks.tables import markdown_table
from benchmarks.train_runs import run_train_py

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {"gloss alone": "configs/signers_gloss.yml", "gloss + phonology": "configs/signers_gloss_phonology.yml"}
NEEDS = (ROOT.parent / "shared" / "data" / "mediapipe_signers", ROOT.parent / "shared" / "data" / "asl_lex")


def run_cv(config: str, folds: int, overrides: list[str], log: Path) -> Path:
    """`train.py --cv` on one config (its output in `log`); returns the cross-validation folder."""
    return run_train_py(config, overrides, log, ("--cv", str(folds)))


def fold_assignment(cv_dir: Path) -> list[tuple[str, str, str]]:
    """(fold, split, clip) of every held-out clip, from the folder's folds.csv."""
    with (cv_dir / "folds.csv").open(encoding="utf-8", newline="") as handle:
        return sorted((row["fold"], row["split"], row["clip"]) for row in csv.DictReader(handle))


def per_fold(summary: dict, head: str, name: str = "accuracy") -> list[float]:
    """A head's test figure in each fold."""
    return [fold["test"][head][name] for fold in summary["folds"]]


def spread_text(values: list[float]) -> str:
    """`0.912 ± 0.046` over folds (sample standard deviation, as cv_summary.json has it)."""
    return f"{mean(values):.3f} ± {stdev(values):.3f}" if len(values) > 1 else f"{values[0]:.3f}"


def gloss_rows(summaries: dict[str, dict]) -> list[dict]:
    """One row per condition: the gloss head's test accuracy and weighted F1 over folds, pooled accuracy."""
    rows = []
    for condition, summary in summaries.items():
        accuracy = per_fold(summary, "gloss")
        rows.append(
            {
                "condition": condition,
                "accuracy": spread_text(accuracy),
                "f1": spread_text(per_fold(summary, "gloss", "f1_weighted")),
                "pooled": summary["pooled"]["test"]["gloss"]["accuracy"],
                "folds": " ".join(f"{value:.3f}" for value in accuracy),
            }
        )
    alone, multi = (per_fold(summary, "gloss") for summary in summaries.values())
    difference = [b - a for a, b in zip(alone, multi)]
    rows.append({"condition": "difference (multi-task - alone)", "accuracy": spread_text(difference)})
    rows[-1]["folds"] = " ".join(f"{value:+.3f}" for value in difference)
    return rows


def phonology_rows(summary: dict) -> list[dict]:
    """The multi-task run's phonology heads on the unseen signers' test clips, against each fold's majority baseline
    in the cross-validation summary (the most frequent class of the fold's training clips), both over folds alike."""
    rows = []
    for head in summary["mean"]["test"]:
        if head == "gloss":
            continue
        folds = [fold.get("majority_baseline", {}).get(head) for fold in summary["folds"]]
        baseline = [fold["accuracy"] for fold in folds if fold]
        majority = spread_text(baseline) if baseline else "n/a"  # n/a: a cross-validation made before baselines
        rows.append({"head": head, "accuracy": spread_text(per_fold(summary, head)), "majority": majority})
    return rows


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5, help="leave-signers-out folds (default 5)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")
    parser.add_argument("--from_cv", nargs=2, type=Path, metavar=("GLOSS_CV", "MULTITASK_CV"), help="tabulate only")
    parser.add_argument("--output_dir", type=Path, default=ROOT / "runs" / "benchmarks" / "phonology_multitask")
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    """Run (or read) both cross-validations, print and write the tables; 2 when the data is missing."""
    args = parse_args(argv)
    missing = [str(path) for path in NEEDS if not path.exists()]
    if missing and not args.from_cv:
        print(f"skipped: {', '.join(missing)} not found (the shared data is not beside this checkout)")
        return 2
    out = args.output_dir / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True)
    cv_dirs = dict(zip(CONFIGS, args.from_cv)) if args.from_cv else {}
    for condition, config in CONFIGS.items():
        if condition not in cv_dirs:
            print(f"running {condition}: {config} --cv {args.folds}", flush=True)
            cv_dirs[condition] = run_cv(config, args.folds, args.overrides, out / f"{Path(config).stem}.log")
    if len({tuple(fold_assignment(path)) for path in cv_dirs.values()}) != 1:
        raise RuntimeError(f"the two cross-validations dealt different folds: {list(cv_dirs.values())}")
    summaries = {c: json.loads((d / "cv_summary.json").read_text(encoding="utf-8")) for c, d in cv_dirs.items()}
    gloss = gloss_rows(summaries)
    phonology = phonology_rows(summaries["gloss + phonology"])
    columns = {"condition": "condition", "accuracy": "gloss test accuracy", "f1": "weighted F1"}
    columns |= {"pooled": "pooled accuracy", "folds": "per fold"}
    heads = {"head": "phonology head", "accuracy": "test accuracy", "majority": "majority baseline"}
    folders = ", ".join(f"{c}: {d}" for c, d in cv_dirs.items())
    text = "\n\n".join(
        [markdown_table(gloss, columns), markdown_table(phonology, heads), f"Same folds in both. Folders: {folders}"]
    )
    (out / "multitask.md").write_text(text + "\n", encoding="utf-8")
    record = {"cv_dirs": {c: str(d) for c, d in cv_dirs.items()}, "gloss": gloss, "phonology": phonology}
    (out / "multitask.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    print(text + f"\n\nwritten to {out / 'multitask.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
