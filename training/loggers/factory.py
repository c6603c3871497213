"""The experiment loggers named in `logging.loggers`, and what is sent to them once a run is over.

Every logger receives the same metric names (Lightning's `self.log` names), the resolved config as parameters
and the same tags; MLflow and Neptune also receive the report files, `summary.json` and `config.yml`.
"""

import logging
import os
from argparse import Namespace
from pathlib import Path
from typing import Any, Optional, Union

from lightning.fabric.loggers.logger import rank_zero_experiment
from lightning.fabric.utilities.logger import _convert_params, _flatten_dict
from lightning.pytorch.loggers import CSVLogger, Logger, MLFlowLogger, TensorBoardLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter
from lightning.pytorch.utilities import rank_zero_only
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from utils.config import TrainConfig

logger = logging.getLogger(__name__)

MLFLOW_RUN_ID_FILE = "mlflow_run_id.txt"


class _RunFolderWriter(ExperimentWriter):
    """Lightning's CSV writer, writing `metrics.csv` into the run folder, which holds the run's other files by design:
    an earlier `metrics.csv` is replaced (a resume has set its rows aside, training/resume.py) and the other files are
    kept, so Lightning's warning that they "will be deleted" is wrong here and is not given."""

    def _check_log_dir_exists(self) -> None:
        if self._fs.isfile(self.metrics_file_path):
            self._fs.rm_file(self.metrics_file_path)


class RunFolderCSVLogger(CSVLogger):
    """Lightning's CSV logger with `_RunFolderWriter`: `metrics.csv` and `hparams.yaml` in the run folder."""

    @property
    @rank_zero_experiment
    def experiment(self) -> ExperimentWriter:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = _RunFolderWriter(log_dir=self.log_dir)
        return self._experiment


class ContinuableMLFlowLogger(MLFlowLogger):
    """Lightning's MLflow logger, which may continue a run (`run_id`, on `--resume`). MLflow refuses to change a
    logged parameter, so only the parameters not logged yet are logged, and each changed one (more epochs, say) is kept
    as the tag `resumed/<name>` with its new value."""

    @rank_zero_only
    def log_hyperparams(self, params: Union[dict[str, Any], Namespace]) -> None:
        flat = {key: str(value)[:250] for key, value in _flatten_dict(_convert_params(params)).items()}
        logged = self.experiment.get_run(self.run_id).data.params
        super().log_hyperparams({key: value for key, value in flat.items() if key not in logged})
        for key, value in flat.items():
            if key in logged and logged[key] != value:
                self.experiment.set_tag(self.run_id, f"resumed/{key}", value)


def mlflow_tracking_uri(config: TrainConfig) -> str:
    """`logging.mlflow_tracking_uri`, else `$MLFLOW_TRACKING_URI`, else a SQLite store in the runs folder.

    (MLflow 3 refuses the plain `./mlruns` file store unless told otherwise; SQLite is its local default.)
    """
    default = f"sqlite:///{Path(config.general_parameters.runs_dir).resolve() / 'mlflow.db'}"
    return config.logging.mlflow_tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or default


def _mlflow(config: TrainConfig, run_dir: Path) -> MLFlowLogger:
    uri = mlflow_tracking_uri(config)
    # With the default local store the artifacts sit beside it; a server picks its own artifact store.
    local = uri.startswith("sqlite:///") and config.logging.mlflow_tracking_uri is None
    artifacts = (Path(config.general_parameters.runs_dir).resolve() / "mlartifacts").as_uri() if local else None
    client = MlflowClient(uri)
    run_id = continued_mlflow_run(client, run_dir) if rank_zero_only.rank == 0 else None
    experiment = config.general_parameters.experiment_name
    if run_id is None and rank_zero_only.rank == 0 and client.get_experiment_by_name(experiment) is None:
        client.create_experiment(experiment, artifact_location=artifacts)  # (Lightning would warn it was missing)
    mlflow_logger = ContinuableMLFlowLogger(
        experiment_name=experiment,
        run_name=run_dir.name,
        tracking_uri=uri,
        tags=config.tags() | {"run_dir": str(run_dir.resolve())},
        artifact_location=artifacts,
        run_id=run_id,
    )
    if rank_zero_only.rank == 0 and run_id is None:
        # The run's id, kept in the run folder: `--resume` continues this MLflow run instead of starting another.
        (run_dir / MLFLOW_RUN_ID_FILE).write_text(mlflow_logger.run_id, encoding="utf-8")
    return mlflow_logger


def continued_mlflow_run(client: MlflowClient, run_dir: Path) -> Optional[str]:
    """The MLflow run a resumed run folder logged to (None for a new run, or when the store no longer has it),
    set RUNNING again. A run still RUNNING was killed (SIGKILL, power loss) before it could say so: it is marked
    KILLED first, which records when that part ended."""
    path = run_dir / MLFLOW_RUN_ID_FILE
    if not path.is_file():
        return None
    run_id = path.read_text(encoding="utf-8").strip()
    try:
        status = client.get_run(run_id).info.status
    except MlflowException as error:
        logger.warning("%s names MLflow run %s, which the store does not have (%s): a new run", path, run_id, error)
        return None
    if status == "RUNNING":
        logger.warning("MLflow run %s was still RUNNING (its process was killed): marked KILLED", run_id)
        client.set_terminated(run_id, "KILLED")
    client.update_run(run_id, status="RUNNING")
    logger.info("continuing MLflow run %s", run_id)
    return run_id


def _neptune(config: TrainConfig, run_dir: Path) -> Logger:
    # Imported here: the neptune client takes seconds to import and most runs do not use it.
    from training.loggers.neptune_logger import NeptuneClientLogger  # pylint: disable=import-outside-toplevel

    tags = [f"{key}:{value}" for key, value in config.tags().items()]
    return NeptuneClientLogger(run_dir, f"{config.general_parameters.experiment_name}/{run_dir.name}", tags)


def build_loggers(config: TrainConfig, run_dir: Path) -> list[Logger]:
    """CSV (always, first: it writes `metrics.csv` in the run folder) then the others in config order."""
    builders = {
        "mlflow": _mlflow,
        "tensorboard": lambda _, folder: TensorBoardLogger(
            save_dir=folder, name="tensorboard", version="", default_hp_metric=False
        ),
        "neptune": _neptune,
    }
    loggers: list[Logger] = [RunFolderCSVLogger(save_dir=run_dir, name="", version="")]
    loggers += [builders[name](config, run_dir) for name in config.logger_names() if name != "csv"]
    return loggers


def describe_loggers(config: TrainConfig, loggers: list[Logger]) -> list[str]:
    """Where to look at the run: one command-line line per dashboard."""
    lines = []
    for item in loggers:
        if isinstance(item, MLFlowLogger):
            lines.append(
                f"mlflow: MLFLOW_DISABLE_TELEMETRY=true mlflow ui --backend-store-uri {mlflow_tracking_uri(config)}"
            )
        elif isinstance(item, TensorBoardLogger):
            lines.append(f"tensorboard: tensorboard --logdir {item.log_dir}")
        elif item.name == "neptune":
            lines.append(f"neptune: {item.describe()}")
    return lines


def _best_figures(summary: dict[str, Any], splits: list[str]) -> dict[str, float]:
    """summary.json's figures of the best checkpoint as `<split>_best/<head>/<metric>` (nulls left out); the
    name sorts them after the `<split>/...` curves in MLflow's chart sections."""
    return {
        f"{split}_best/{head}/{name}": value
        for split in splits
        for head, figures in summary.get(split, {}).items()
        for name, value in figures.items()
        if value is not None
    }


def publish_run(loggers: list[Logger], run_dir: Path, summary: dict[str, Any], splits: list[str]) -> None:
    """Send `report/`, `summary.json` and `config.yml` as artifacts, the best checkpoint's figures of `splits`
    as `<split>_best/...` metrics and the monitor's outcome as tags; then close the loggers."""
    paths = [run_dir / "summary.json", run_dir / "config.yml", *sorted((run_dir / "report").glob("*"))]
    files = {path.relative_to(run_dir).as_posix(): path for path in paths if path.is_file()}
    outcome = summary["monitor"] | {key: summary[key] for key in ("epochs_trained", "wall_time_seconds")}
    figures = _best_figures(summary, splits)
    for item in loggers:
        if isinstance(item, MLFlowLogger) and item.run_id:
            for name in ("summary.json", "config.yml"):
                item.experiment.log_artifact(item.run_id, str(run_dir / name))
            item.experiment.log_artifacts(item.run_id, str(run_dir / "report"), "report")
            for key, value in outcome.items():
                item.experiment.set_tag(item.run_id, key, str(value))
            item.log_metrics(figures)
        elif item.name == "neptune":
            item.log_files({relative.replace(".", "_"): path for relative, path in files.items()})
            item.log_fields({f"outcome/{key}": value for key, value in outcome.items()} | figures)
            item.close()
    logger.info("sent %d run files to %s", len(files), ", ".join(type(item).__name__ for item in loggers))
