"""One training run: plan its folder, build the data and the model, fit, evaluate each split once, write the run.

A run leaves `runs/<experiment>/<time>/`: config.yml, split.csv, checkpoints/, metrics.csv, report/ and
summary.json. `run()` returns the folder; Ctrl-C or SIGTERM end it with `TrainingInterrupted` once the folder is
written.
"""

import logging
import shutil
import time
from pathlib import Path
from typing import Any, Optional

import lightning as L
import torch

from data_preprocessing.make_synthetic import make_synthetic_dataset
from datasets.csv_rows import write_csv
from datasets.data_module import SignDataModule
from datasets.threads import limit_threads, resolve_threads
from training.calibration import calibrate_checkpoints
from training.distributed import RunPlan, agree_on_plan, plan_handed_down
from training.evaluation import evaluate_splits, output_temperatures, summarise
from training.fault_tolerance import TrainingFailed, TrainingInterrupted, fit_or_interrupt
from training.freeze_scheduler import FreezeScheduler
from training.init_from import load_pretrained
from training.lightning_module import SignClassifier
from training.loggers.factory import describe_loggers, publish_run
from training.pretraining import SignPreTrainer
from training.pretraining_run import finish_pretraining, pretraining_config, pretraining_lines
from training.reports.predictions import SplitPredictions
from training.reports.writer import write_run_report
from training.resume import check_weights_fit, find_checkpoint, prepare_resume, restore_metrics, run_dir_of
from training.run_artifacts import format_summary_lines, make_run_dir, write_summary
from training.run_failures import Preparation, cleaned_up_on_failure, trained_summary, write_failed_run
from training.trainer_factory import build_trainer
from utils.config import TrainConfig, dump_config

logger = logging.getLogger(__name__)


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


def load_best_weights(trainer: L.Trainer, module: SignClassifier) -> None:
    """Put the best checkpoint's weights in `module` (keep the last weights under fast_dev_run, or when training
    stopped before the first validation)."""
    best = trainer.checkpoint_callback.best_model_path
    if best and not trainer.fast_dev_run:
        state = torch.load(best, map_location=module.device, weights_only=True)["state_dict"]
        module.load_state_dict(state)


def evaluate(trainer: L.Trainer, module: SignClassifier, data: SignDataModule) -> dict[str, SplitPredictions]:
    """The best weights' outputs on val and every test split, calibrated on val (a temperature per head)."""
    load_best_weights(trainer, module)
    outputs = evaluate_splits(module, data)
    # The temperatures fitted on these outputs go into the checkpoints that hold the evaluated weights.
    callback = trainer.checkpoint_callback
    calibrate_checkpoints(callback.best_model_path, callback.last_model_path, output_temperatures(outputs))
    return outputs


def finish_run(
    run_dir: Path,
    trainer: L.Trainer,
    module: SignClassifier,
    data: SignDataModule,
    interrupted: Optional[str] = None,
) -> dict[str, Any]:
    """First process: evaluate each split once, write summary.json and the reports from those outputs, copy the
    weights to `path_to_save` if set. After an interrupt under DDP the other processes may be gone, so nothing is
    evaluated: summary.json says what was trained."""
    if not trainer.is_global_zero:
        return {}
    outputs = evaluate(trainer, module, data) if not (interrupted and trainer.world_size > 1) else {}
    summary = summarise(outputs, module.head_configs) | trained_summary(trainer, data) | {"interrupted": interrupted}
    write_summary(run_dir, summary)
    restore_metrics(run_dir)
    if outputs:
        write_run_report(run_dir, outputs, data.class_names, module.config, summary)
        publish_run(trainer.loggers, run_dir, summary, splits=list(outputs))
    save_to = module.config.general_parameters.path_to_save
    if save_to and summary["best_checkpoint"]:
        Path(save_to).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(summary["best_checkpoint"], save_to)
    return summary


def plan_run(config: TrainConfig, resume: Optional[str], new_dir: Optional[Path] = None) -> tuple[Path, Optional[Path]]:
    """First process only: make missing synthetic data; find the checkpoint to resume from and the run folder (the
    resumed run's own, or a new one: `new_dir` if given, e.g. a cross-validation fold's)."""
    ensure_datasets(config)
    general = config.general_parameters
    checkpoint = find_checkpoint(resume, general) if resume else None
    run_dir = run_dir_of(checkpoint) if checkpoint else None
    if run_dir is None and new_dir is not None:
        new_dir.mkdir(parents=True)
        return new_dir, checkpoint
    if run_dir is None:
        return make_run_dir(general.runs_dir, general.experiment_name), checkpoint
    prepare_resume(run_dir, checkpoint)
    return run_dir, checkpoint


def with_split_file(config: TrainConfig, split_file: Path) -> TrainConfig:
    """A copy of `config` that reads its split from `split_file` (a resumed run keeps its split)."""
    general = config.general_parameters.model_copy(update={"split_file": str(split_file)})
    return config.model_copy(update={"general_parameters": general})


def prepare(
    config: TrainConfig, plan: RunPlan, preparation: Preparation, started: float
) -> tuple[SignDataModule, SignClassifier, L.Trainer]:
    """The data (read, split, and saved with the config in the run folder), the model (checked against the
    checkpoint to resume from) and the trainer."""
    run_dir, kept_split = plan.run_dir, bool(plan.checkpoint and (plan.run_dir / "split.csv").is_file())
    if kept_split and not config.general_parameters.split_file:
        config = with_split_file(config, run_dir / "split.csv")
    if config.train_parameters.pre_training:
        config = pretraining_config(config)
    data = preparation.data = SignDataModule.from_config(config)
    data.setup()
    if plan.is_main:
        dump_config(config, run_dir / "config.yml")
        if not kept_split:
            write_csv(data.split_rows(), run_dir / "split.csv")
        data.save(run_dir)
    module = (SignPreTrainer if config.train_parameters.pre_training else SignClassifier)(config, data.class_names)
    if config.freeze_scheduler is not None:
        FreezeScheduler(config.freeze_scheduler).check_names(module.model)
    if plan.checkpoint is not None:
        check_weights_fit(plan.checkpoint, module)
    elif config.feature_extractor.init_from:
        load_pretrained(module.model, config.feature_extractor.init_from)
    trainer = build_trainer(config, run_dir, train_batches=len(data.train_dataloader()), started=started)
    return data, module, trainer


def run(config: TrainConfig, resume: Optional[str] = None, run_dir: Optional[Path] = None) -> Path:
    """Train (from a checkpoint if `resume` names one), evaluate and write the run folder (`run_dir`, a new folder,
    if given: else `<runs_dir>/<experiment>/<time>`); returns its path.
    Raises TrainingInterrupted, once the folder is written, if Ctrl-C or SIGTERM stopped the training, and
    TrainingFailed (a DataError) once last.ckpt and summary.json are written, if bad data stopped it. A run that fails
    before training removes its new folder (or keeps only the list of skipped samples and why it failed)."""
    started = time.time()
    limit_threads(resolve_threads(config.trainer.cpu_threads))
    torch.set_float32_matmul_precision("high")
    L.seed_everything(config.general_parameters.seed, workers=True)
    plan = agree_on_plan(config, lambda: plan_run(config, resume, run_dir))
    fresh = plan.is_main and not any(plan.run_dir.iterdir())
    with cleaned_up_on_failure(plan.run_dir, fresh) as preparation:
        data, module, trainer = prepare(config, plan, preparation, started)
    with plan_handed_down(plan):
        try:
            interrupted = fit_or_interrupt(trainer, module, data, plan.checkpoint)
        except TrainingFailed as failure:
            if plan.is_main:
                write_failed_run(plan.run_dir, trainer, data, failure)
            raise
    pre_training = config.train_parameters.pre_training
    summary = (finish_pretraining if pre_training else finish_run)(plan.run_dir, trainer, module, data, interrupted)
    if not plan.is_main:
        return plan.run_dir
    lines = pretraining_lines(summary) if pre_training else format_summary_lines(summary, ["val", *data.test_splits()])
    for line in lines + describe_loggers(config, trainer.loggers):
        print(line)
    if interrupted:
        raise TrainingInterrupted(plan.run_dir, interrupted)
    return plan.run_dir
