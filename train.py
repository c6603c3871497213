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
from datasets.csv_rows import write_csv
from datasets.data_module import SignDataModule
from datasets.errors import DataError
from training.distributed import agree_on_plan, plan_handed_down
from training.fault_tolerance import TrainingInterrupted, fit_or_interrupt
from training.freeze_scheduler import FreezeScheduler
from training.lightning_module import SignClassifier
from training.loggers.factory import describe_loggers, publish_run
from training.reports.predictions import collect_predictions
from training.reports.writer import write_run_report
from training.resume import find_checkpoint, prepare_resume, restore_metrics, run_dir_of
from training.run_artifacts import (
    METRIC_NAMES,
    format_summary_lines,
    make_run_dir,
    split_metrics,
    write_summary,
)
from training.trainer_factory import build_trainer, monitor_outcome
from utils.config import ConfigError, TrainConfig, dump_config, load_config

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
    parser.add_argument(
        "--resume",
        metavar="last|PATH",
        help="continue from a checkpoint: `last` = the newest last.ckpt of the experiment's runs",
    )
    return parser.parse_args(argv)


def ensure_datasets(config: TrainConfig) -> None:
    """Generate the built-in synthetic dataset where the config asks for it and it is missing (with its landmarks,
    in `<path>/landmarks`, when the entry has a `landmarks_path`)."""
    if not config.general_parameters.make_synthetic_if_missing:
        return
    for entry in config.general_parameters.datasets():
        if not Path(entry.path).is_dir():
            logger.info("generating the synthetic dataset in %s", entry.path)
            landmarks = entry.landmarks_path is not None
            make_synthetic_dataset(Path(entry.path), seed=config.general_parameters.seed, landmarks=landmarks)


def build_data(config: TrainConfig) -> SignDataModule:
    """The data module, set up (annotations read and split)."""
    data = SignDataModule.from_config(config)
    data.setup()
    return data


def evaluated_checkpoint(trainer: L.Trainer) -> Optional[str]:
    """`best` once there is a best checkpoint; None (the weights in memory) otherwise."""
    return "best" if trainer.checkpoint_callback.best_model_path and not trainer.fast_dev_run else None


def evaluate_best(trainer: L.Trainer, module: SignClassifier, data: SignDataModule) -> dict[str, Any]:
    """Validation figures of the best checkpoint (of the last weights under fast_dev_run, or if training was
    interrupted before the first validation)."""
    checkpoint = evaluated_checkpoint(trainer)
    # These figures go to summary.json (and to MLflow/Neptune as `val_best/...`), not to the loggers as one
    # more point at the end of every validation curve.
    loggers, trainer.loggers = trainer.loggers, []
    try:
        logged = trainer.validate(module, datamodule=data, ckpt_path=checkpoint, verbose=False)[0]
    finally:
        trainer.loggers = loggers
    per_head = split_metrics(logged, "val")
    # A head with no labelled validation sample has no figures; it is listed with nulls, not left out.
    per_head = {head: per_head.get(head, dict.fromkeys(METRIC_NAMES)) for head in module.heads}
    return {"val": per_head, "total_loss": {"val": logged.get("val/loss")}}


def evaluate_tests(trainer: L.Trainer, module: SignClassifier, data: SignDataModule) -> dict[str, Any]:
    """Figures of the best checkpoint on each test split (`test`, then any other the datasets name)."""
    results: dict[str, Any] = {"total_loss": {}}
    for name in data.test_splits():
        data.test_split = name
        checkpoint = evaluated_checkpoint(trainer)
        logged = trainer.test(module, datamodule=data, ckpt_path=checkpoint, verbose=False)[0]
        per_head = split_metrics(logged, "test")
        results[name] = {head: per_head.get(head, dict.fromkeys(METRIC_NAMES)) for head in module.heads}
        results["total_loss"][name] = logged.get("test/loss")
    data.test_split = "test"
    return results


def write_reports(
    run_dir: Path, trainer: L.Trainer, module: SignClassifier, data: SignDataModule, summary: dict
) -> None:
    """`report/` for val and every test split, sent to MLflow/Neptune with summary.json and config.yml;
    the module holds the weights that were evaluated last (the best ones)."""
    loaders = {"val": data.val_dataloader()}
    for name in data.test_splits():
        data.test_split = name
        loaders[name] = data.test_dataloader()
    data.test_split = "test"
    predictions = {split: collect_predictions(module, loader) for split, loader in loaders.items()}
    write_run_report(run_dir, predictions, data.class_names, module.config, summary)
    publish_run(trainer.loggers, run_dir, summary, splits=list(loaders))


def finish_run(
    run_dir: Path,
    trainer: L.Trainer,
    module: SignClassifier,
    data: SignDataModule,
    started: float,
    interrupted: Optional[str] = None,
) -> dict:
    """Evaluate, write summary.json and the reports, copy the weights to `path_to_save` if set.

    Every process evaluates (the figures are gathered over all of them) and the first one writes. After an interrupt
    under DDP the other processes may be gone, so nothing is evaluated: summary.json says what was trained.
    """
    summary: dict[str, Any] = {}
    if not (interrupted and trainer.world_size > 1):
        summary = evaluate_best(trainer, module, data)
        tests = evaluate_tests(trainer, module, data)
        summary |= tests | {"total_loss": summary["total_loss"] | tests["total_loss"]}
    summary |= {
        "skipped_samples": len(data.bad),
        "wall_time_seconds": round(time.time() - started, 1),
        "samples": data.split_counts(),
        "epochs_trained": trainer.current_epoch,
        "best_checkpoint": trainer.checkpoint_callback.best_model_path or None,
        "monitor": monitor_outcome(trainer),
        "interrupted": interrupted,
    }
    if not trainer.is_global_zero:
        return summary
    write_summary(run_dir, summary)
    restore_metrics(run_dir)
    if "val" in summary:
        write_reports(run_dir, trainer, module, data, summary)
    save_to = module.config.general_parameters.path_to_save
    if save_to and summary["best_checkpoint"]:
        Path(save_to).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(summary["best_checkpoint"], save_to)
    return summary


def plan_run(config: TrainConfig, resume: Optional[str]) -> tuple[Path, Optional[Path]]:
    """First process only: make missing synthetic data; find the checkpoint to resume from and the run folder (the
    resumed run's own, or a new one)."""
    ensure_datasets(config)
    general = config.general_parameters
    checkpoint = find_checkpoint(resume, general) if resume else None
    run_dir = run_dir_of(checkpoint) if checkpoint else None
    if run_dir is None:
        return make_run_dir(general.runs_dir, general.experiment_name), checkpoint
    prepare_resume(run_dir, checkpoint)
    return run_dir, checkpoint


def run(config: TrainConfig, resume: Optional[str] = None) -> Path:
    """Train (from a checkpoint if `resume` names one), evaluate and write the run folder; returns its path.
    Raises TrainingInterrupted, once the folder is written, if Ctrl-C or SIGTERM stopped the training."""
    started = time.time()
    L.seed_everything(config.general_parameters.seed, workers=True)
    plan = agree_on_plan(config, lambda: plan_run(config, resume))
    run_dir, kept_split = plan.run_dir, bool(plan.checkpoint and (plan.run_dir / "split.csv").is_file())
    if kept_split and not config.general_parameters.split_file:
        config.general_parameters.split_file = str(run_dir / "split.csv")  # a resumed run keeps its split
    data = build_data(config)
    if plan.is_main:
        dump_config(config, run_dir / "config.yml")
        if not kept_split:
            write_csv(data.split_rows(), run_dir / "split.csv")
        data.save(run_dir)
    module = SignClassifier(config.model_dump(mode="json"), data.class_names)
    if config.freeze_scheduler is not None:
        FreezeScheduler(config.freeze_scheduler).check_names(module.model)
    trainer = build_trainer(config, run_dir)
    with plan_handed_down(plan):
        interrupted = fit_or_interrupt(trainer, module, data, plan.checkpoint)
    summary = finish_run(run_dir, trainer, module, data, started, interrupted)
    if not plan.is_main:
        return run_dir
    for line in format_summary_lines(summary, ["val", *data.test_splits()]) + describe_loggers(config, trainer.loggers):
        print(line)
    if interrupted:
        raise TrainingInterrupted(run_dir, interrupted)
    return run_dir


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    torch.set_float32_matmul_precision("high")
    try:
        config = load_config(Path(args.model_config_path), tuple(args.overrides))
        run_dir = run(config, args.resume)
    except (ConfigError, DataError) as error:
        print(f"error: {error.args[0] if error.args else error}", file=sys.stderr)
        return 2
    except TrainingInterrupted as stop:
        logger.warning("%s", stop)
        print(f"run_dir: {stop.run_dir}")
        return stop.exit_status
    print(f"run_dir: {run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
