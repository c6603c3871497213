"""Leave-signers-out cross-validation as a run type: `train.py --cv K` trains K runs on K signer-group folds.

The folds come from `datasets/signer_folds.py` (StratifiedGroupKFold over signers, the config's seed; validation
signers held out inside each fold). The whole cross-validation lives in one folder:

    <runs_dir>/<experiment_name>/<time>/
        config.yml              the resolved config, as every fold ran it (except its split)
        folds.csv               fold, split and signer of every clip
        splits/fold_<k>.csv     fold k's split file (general_parameters.split_file of its run)
        fold_<k>/               fold k's own run folder: checkpoints, metrics, report/, summary.json
        cv_summary.json, cv_summary.md, per_signer.csv, test_<head>_confusion_matrix.{csv,png}

The validation share of a fold's training signers is the one a single run gives validation:
`(1 - ratio_train_test - ratio_test) / (1 - ratio_test)`; `ratio_test` itself is replaced by 1/K.
The folds run one after another in this process; Ctrl-C stops the cross-validation with the folds done so far kept.
"""

import json
import logging
import time
from pathlib import Path
from typing import Any

from datasets.csv_rows import write_csv
from datasets.data_module import SignDataModule
from datasets.errors import DataError
from datasets.signer_folds import Fold, fold_rows, signer_folds
from training.reports.cv_summary import (
    fold_figures,
    majority_baseline,
    summarise_folds,
    summary_lines,
    collect_test_predictions,
    write_cv_summary,
)
from training.run import run, with_split_file
from training.run_artifacts import make_run_dir
from utils.config import TrainConfig, dump_config

logger = logging.getLogger(__name__)


def validation_share(config: TrainConfig) -> float:
    """The share of a fold's training signers held out for validation (see the module docstring)."""
    general = config.general_parameters
    return (1 - general.ratio_train_test - general.ratio_test) / (1 - general.ratio_test)


def plan_folds(config: TrainConfig, folds: int) -> tuple[SignDataModule, list[Fold], int]:
    """The data (read and labelled once, to deal the folds) and the K folds with the seed that dealt them."""
    general = config.general_parameters
    if general.split_file:
        raise DataError(f"general_parameters.split_file ({general.split_file}): --cv makes its own splits; drop it")
    data = SignDataModule.from_config(config)
    data.setup()
    dealt, seed = signer_folds(data.records, folds, list(data.heads), general.seed, validation_share(config))
    return data, dealt, seed


def write_folds(cv_dir: Path, data: SignDataModule, dealt: list[Fold]) -> dict[int, Path]:
    """`folds.csv` and one split file per fold; returns {fold number: its split file}."""
    (cv_dir / "splits").mkdir()
    files, everything = {}, []
    for fold in dealt:
        rows = fold_rows(data.records, fold)
        files[fold.number] = cv_dir / "splits" / f"fold_{fold.number}.csv"
        write_csv(rows, files[fold.number])
        everything += [{"fold": fold.number} | row for row in rows if row["split"] != "train"]
    write_csv(everything, cv_dir / "folds.csv")
    return files


def cross_validate(config: TrainConfig, folds: int) -> Path:
    """Train and evaluate one run per fold, then write the summary over the folds; returns the CV folder."""
    started = time.time()
    data, dealt, seed = plan_folds(config, folds)
    general = config.general_parameters
    cv_dir = make_run_dir(general.runs_dir, general.experiment_name)
    dump_config(config, cv_dir / "config.yml")
    split_files = write_folds(cv_dir, data, dealt)
    results: list[dict[str, Any]] = []
    for fold in dealt:
        logger.info(
            "fold %d of %d: testing %s, validating on %s",
            fold.number,
            len(dealt),
            ", ".join(fold.test_signers),
            ", ".join(fold.val_signers),
        )
        run_dir = run(with_split_file(config, split_files[fold.number]), run_dir=cv_dir / f"fold_{fold.number}")
        results.append(fold_figures(fold, run_dir, majority_baseline(data.records, fold, data.class_names)))
    predictions = collect_test_predictions(cv_dir, results)
    summary = summarise_folds(results, predictions, data.class_names) | {
        "experiment": general.experiment_name,
        "fold_seed": seed,
        "validation_share": round(validation_share(config), 4),
        "wall_time_seconds": round(time.time() - started, 1),
    }
    write_cv_summary(cv_dir, summary, predictions, data.class_names, config.logging.figures)
    for line in summary_lines(summary):
        print(line)
    logger.info("cross-validation summary: %s", cv_dir / "cv_summary.md")
    return cv_dir


def read_summary(cv_dir: Path) -> dict[str, Any]:
    """A finished cross-validation's `cv_summary.json`."""
    return json.loads((cv_dir / "cv_summary.json").read_text(encoding="utf-8"))
