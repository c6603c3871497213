"""Train a multi-head sign-language model: `python3 train.py --model_config_path train_config.yml`.

The last line printed is `run_dir: <path>`, the folder holding the resolved config, checkpoints,
metrics, reports and summary.json. Bad config or data: a message naming the file and key or
line, and exit status 2.
"""

import argparse
import logging
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Optional

import lightning as L
import torch

from data_preprocessing.make_synthetic import make_synthetic_dataset
from datasets.data_module import SignDataModule
from datasets.errors import DataError
from utils.config import ConfigError, TrainConfig, dump_config, load_config
from utils.freeze_scheduler import FreezeScheduler
from utils.lightning_module import SignClassifier
from utils.run_artifacts import (
    METRIC_NAMES,
    collect_predictions,
    format_summary_lines,
    make_run_dir,
    split_metrics,
    write_csv,
    write_summary,
    write_text_reports,
)
from utils.trainer_factory import build_trainer

logger = logging.getLogger("train")


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model_config_path", default="train_config.yml", help="the YAML config")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a config key (repeatable), e.g. --set train_parameters.epochs=3",
    )
    return parser.parse_args(argv)


def ensure_datasets(config: TrainConfig) -> None:
    """Generate the built-in synthetic dataset where the config asks for it and it is missing."""
    if not config.general_parameters.make_synthetic_if_missing:
        return
    for entry in config.general_parameters.datasets():
        if not Path(entry.path).is_dir():
            logger.info("generating the synthetic dataset in %s", entry.path)
            make_synthetic_dataset(Path(entry.path), seed=config.general_parameters.seed)


def build_data(config: TrainConfig) -> SignDataModule:
    """The data module, set up (annotations read and split)."""
    general = config.general_parameters
    heads_by_mode = {m: config.heads[m] for m in config.train_parameters.modes()}
    data = SignDataModule(
        general.datasets(),
        heads_by_mode,
        config.train_parameters,
        config.augmentations_parameters,
        ratio_train_test=general.ratio_train_test,
        workers=general.workers,
        seed=general.seed,
    )
    data.setup()
    return data


def evaluate_best(trainer: L.Trainer, module: SignClassifier, data: SignDataModule) -> dict[str, Any]:
    """Validation figures of the best checkpoint (of the last weights under fast_dev_run)."""
    checkpoint = None if trainer.fast_dev_run else "best"
    logged = trainer.validate(module, datamodule=data, ckpt_path=checkpoint, verbose=False)[0]
    per_head = split_metrics(logged, "val")
    # A head with no labelled validation sample has no figures; it is listed with nulls, not left out.
    per_head = {head: per_head.get(head, dict.fromkeys(METRIC_NAMES)) for head in module.heads}
    return {"val": per_head, "total_loss": {"val": logged.get("val/loss")}}


def finish_run(run_dir: Path, trainer: L.Trainer, module: SignClassifier, data: SignDataModule, started: float) -> dict:
    """Evaluate, write summary.json and the reports, copy the weights to `path_to_save` if set."""
    summary = evaluate_best(trainer, module, data)
    summary |= {
        "wall_time_seconds": round(time.time() - started, 1),
        "samples": data.split_counts(),
        "epochs_trained": trainer.current_epoch,
        "best_checkpoint": trainer.checkpoint_callback.best_model_path or None,
    }
    write_summary(run_dir, summary)
    write_text_reports(run_dir / "report", "val", collect_predictions(module, data.val_dataloader()), data.class_names)
    save_to = module.config.general_parameters.path_to_save
    if save_to and summary["best_checkpoint"]:
        Path(save_to).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(summary["best_checkpoint"], save_to)
    return summary


def run(config: TrainConfig) -> Path:
    """Train, evaluate and write the run folder; returns its path."""
    started = time.time()
    L.seed_everything(config.general_parameters.seed, workers=True)
    ensure_datasets(config)
    data = build_data(config)
    run_dir = make_run_dir(config.general_parameters.runs_dir, config.general_parameters.experiment_name)
    dump_config(config, run_dir / "config.yml")
    write_csv(data.split_rows(), run_dir / "split.csv")
    module = SignClassifier(config.model_dump(mode="json"), data.class_names)
    if config.freeze_scheduler is not None:
        FreezeScheduler(config.freeze_scheduler).check_names(module.model)
    trainer = build_trainer(config, run_dir)
    trainer.fit(module, datamodule=data)
    summary = finish_run(run_dir, trainer, module, data, started)
    for line in format_summary_lines(summary):
        print(line)
    return run_dir


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    torch.set_float32_matmul_precision("high")
    try:
        config = load_config(Path(args.model_config_path), tuple(args.overrides))
        run_dir = run(config)
    except (ConfigError, DataError) as error:
        print(f"error: {error.args[0] if error.args else error}", file=sys.stderr)
        return 2
    print(f"run_dir: {run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
