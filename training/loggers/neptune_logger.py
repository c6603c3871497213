"""A Lightning logger over the `neptune` 1.x client (Lightning's own NeptuneLogger raises since Neptune's sunset).

Token and project come from `NEPTUNE_API_TOKEN` and `NEPTUNE_PROJECT_NAME` (HearAI's name; `NEPTUNE_PROJECT`
also works); `NEPTUNE_MODE` is offline, debug, async or sync. With no token the run is offline: the client
writes its operations under `<run_dir>/.neptune/` (or `$NEPTUNE_DATA_DIRECTORY`), and
`neptune sync --path <run_dir> --project WORKSPACE/PROJECT` uploads them to any Neptune server later.
"""

import logging
import os
from argparse import Namespace
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional, Union

import neptune
from lightning.pytorch.loggers.logger import Logger, rank_zero_experiment
from lightning.pytorch.utilities.rank_zero import rank_zero_only
from neptune.utils import stringify_unsupported

from utils.config import ConfigError

logger = logging.getLogger(__name__)

MODES = ("offline", "debug", "async", "sync")


def resolve_mode(environ: Mapping[str, str]) -> str:
    """`NEPTUNE_MODE` if set, else async with a token and offline without; online modes need a token."""
    requested = environ.get("NEPTUNE_MODE")
    if requested is not None and requested not in MODES:
        raise ConfigError(f"NEPTUNE_MODE: must be one of {', '.join(MODES)} (got {requested!r})")
    has_token = bool(environ.get("NEPTUNE_API_TOKEN"))
    if requested in ("async", "sync") and not has_token:
        logger.warning("NEPTUNE_MODE=%s but NEPTUNE_API_TOKEN is not set: logging to Neptune offline", requested)
        return "offline"
    return requested or ("async" if has_token else "offline")


@contextmanager
def _default_env(name: str, value: str) -> Iterator[None]:
    """Set an environment variable for the block unless the user set it already."""
    if name in os.environ:
        yield
        return
    os.environ[name] = value
    try:
        yield
    finally:
        del os.environ[name]


class NeptuneClientLogger(Logger):
    """Metrics as Neptune series under their Lightning names, hyperparameters under `parameters/`."""

    def __init__(self, run_dir: Path, run_name: str, tags: list[str]) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.run_name = run_name
        self.tags = tags
        self.mode = resolve_mode(os.environ)
        self.project = os.environ.get("NEPTUNE_PROJECT_NAME") or os.environ.get("NEPTUNE_PROJECT")
        if self.mode in ("async", "sync") and not self.project:
            raise ConfigError("NEPTUNE_PROJECT_NAME: must name WORKSPACE/PROJECT when NEPTUNE_API_TOKEN is set")
        self._run: Optional[neptune.Run] = None
        # Neptune drops a series value whose step is not above the last one; Lightning logs `epoch` at the
        # same step from the train and the validation epoch ends, so repeats are skipped here instead.
        self._last_step: dict[str, int] = {}

    @property
    def name(self) -> str:
        return "neptune"

    @property
    def version(self) -> str:
        return self.run_name

    @property
    def data_directory(self) -> Path:
        """Where an offline run writes its operations (what `neptune sync --path` needs is its parent)."""
        return Path(os.environ.get("NEPTUNE_DATA_DIRECTORY", self.run_dir / ".neptune"))

    @property
    @rank_zero_experiment
    def experiment(self) -> neptune.Run:
        """The Neptune run, started on first use."""
        if self._run is None:
            with _default_env("NEPTUNE_DATA_DIRECTORY", str(self.run_dir / ".neptune")):
                self._run = neptune.init_run(
                    project=self.project,
                    mode=self.mode,
                    name=self.run_name,
                    tags=self.tags,
                    source_files=[],
                    git_ref=False,
                    capture_stdout=False,
                    capture_stderr=False,
                    capture_hardware_metrics=False,
                )
            logger.info("neptune: %s", self.describe())
        return self._run

    def describe(self) -> str:
        """One line saying where the data goes."""
        if self.mode == "offline":
            return (
                f"offline (no NEPTUNE_API_TOKEN or NEPTUNE_MODE=offline), data in {self.data_directory}/offline;"
                f" upload with: neptune sync --path {self.data_directory.parent} --project WORKSPACE/PROJECT"
            )
        if self.mode == "debug":
            return "debug mode: nothing is stored"
        return f"{self.mode} to project {self.project}"

    @rank_zero_only
    def log_hyperparams(self, params: Union[dict[str, Any], Namespace], *args: Any, **kwargs: Any) -> None:
        params = vars(params) if isinstance(params, Namespace) else dict(params)
        self.experiment["parameters"] = stringify_unsupported(params)

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: Optional[int] = None) -> None:
        for key, value in metrics.items():
            if step is not None:
                if step <= self._last_step.get(key, -1):
                    continue
                self._last_step[key] = step
            self.experiment[key].append(float(value), step=step)

    @rank_zero_only
    def log_files(self, files: dict[str, Path]) -> None:
        """Upload files; keys are Neptune field paths such as `report/val_gloss_confusion_matrix_png`."""
        for key, path in files.items():
            self.experiment[key].upload(str(path))

    @rank_zero_only
    def log_fields(self, fields: dict[str, Any]) -> None:
        """Assign single values (the run's outcome: best score, stopped epoch, ...)."""
        for key, value in fields.items():
            self.experiment[key] = stringify_unsupported(value)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        """Lightning calls this after each fit, validate and test: flush, and stop only on failure."""
        if self._run is None:
            return
        if status == "success":
            self._run.wait()
            return
        self._run["sys/failed"] = True
        self.close()

    @rank_zero_only
    def close(self) -> None:
        """Stop the run (train.py calls this once the reports are uploaded)."""
        if self._run is not None:
            self._run.stop()
            self._run = None
