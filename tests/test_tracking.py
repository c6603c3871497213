"""One tiny run with the MLflow, TensorBoard and Neptune (offline) loggers on, read back from each store."""

import contextlib
import io
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from mlflow import MlflowClient
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import train
from tests.conftest import write_tiny_config
from training.calibration import ECE_NAMES
from training.loggers.neptune_logger import resolve_mode
from utils.config_schema import HEAD_METRIC_NAMES

TRACKING_ENV = ("NEPTUNE_API_TOKEN", "NEPTUNE_MODE", "NEPTUNE_DATA_DIRECTORY", "NEPTUNE_PROJECT", "MLFLOW_TRACKING_URI")
HEADS = {"gloss", "letter"}


@pytest.fixture(scope="module", name="tracked_run")
def fixture_tracked_run(tmp_path_factory, tiny_dataset) -> dict:
    """Train once with mlflow and tensorboard in `logging.loggers` and HearAI's `neptune: true` (no token: offline)."""
    config = write_tiny_config(tmp_path_factory.mktemp("tracked"), tiny_dataset)
    overrides = [
        "logging.loggers=[mlflow, tensorboard]",
        "general_parameters.neptune=true",
        "logging.figures=true",
        "trainer.early_stopping_patience=1",
        "train_parameters.classification_mode=[gloss, letters]",  # two heads: fewer figures to draw
    ]
    output = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(output):
        for name in TRACKING_ENV:
            patch.delenv(name, raising=False)
        status = train.main(["--model_config_path", str(config)] + [arg for o in overrides for arg in ("--set", o)])
    assert status == 0
    lines = output.getvalue().splitlines()
    printed = dict(line.split(": ", 1) for line in lines if line.split(":")[0] in ("mlflow", "neptune", "run_dir"))
    return {"run_dir": Path(printed["run_dir"]), "printed": printed}


def _csv_series(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """`metrics.csv` as {metric name: [(step, value), ...]}."""
    frame = pd.read_csv(run_dir / "metrics.csv")
    return {
        column: [
            (int(step), float(value)) for step, value in zip(frame["step"], frame[column]) if not math.isnan(value)
        ]
        for column in frame.columns
        if column != "step"
    }


def _assert_same_series(got: list[tuple[int, float]], expected: list[tuple[int, float]], name: str) -> None:
    assert [step for step, _ in got] == [step for step, _ in expected], name
    assert [value for _, value in got] == pytest.approx([value for _, value in expected]), name


def _neptune_operations(run_dir: Path) -> list[dict]:
    """The operations the offline Neptune client queued (what `neptune sync` would upload)."""
    logs = sorted(run_dir.glob(".neptune/offline/run__*/data-*.log"))
    assert logs, f"no Neptune offline data under {run_dir / '.neptune'}"
    return [json.loads(line)["obj"] for log in logs for line in log.read_text().splitlines() if line.strip()]


def test_mlflow_store_holds_metrics_params_tags_and_report(tracked_run):
    run_dir = tracked_run["run_dir"]
    uri = tracked_run["printed"]["mlflow"].removeprefix("MLFLOW_DISABLE_TELEMETRY=true mlflow ui --backend-store-uri ")
    assert uri == f"sqlite:///{run_dir.parents[1] / 'mlflow.db'}"  # the default store sits in the runs folder
    client = MlflowClient(uri)
    (run,) = client.search_runs([client.get_experiment_by_name("synthetic_multitask").experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.tags["run_dir"] == str(run_dir)
    assert run.data.tags["classification_mode"] == "gloss+letters"
    assert run.data.tags["transformer"] == "sign_language_transformer"
    assert run.data.tags["feature_extractor"] == "cnn_extractor:resnet10t"
    assert run.data.tags["monitor"] == "val/loss" and run.data.tags["early_stopping_patience"] == "1"
    assert run.data.params["config/trainer/monitor"] == "val/loss"
    assert run.data.params["config/train_parameters/batch_size"] == "4"
    expected = _csv_series(run_dir)
    best = {name for name in run.data.metrics if name.startswith("val_best/")}
    assert set(run.data.metrics) - best == set(expected)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert run.data.metrics["val_best/gloss/f1_weighted"] == pytest.approx(summary["val"]["gloss"]["f1_weighted"])
    assert len(best) == len(HEAD_METRIC_NAMES + ECE_NAMES) * len(HEADS)
    for name in ("val/loss", "train/loss_step", "train/lr", "val/gloss/accuracy", "val/letter/f1_macro"):
        history = sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, name))
        _assert_same_series(history, sorted(expected[name]), name)
    artifacts = {item.path for item in client.list_artifacts(run.info.run_id, "report")}
    assert {"report/index.html", "report/curves_loss.png", "report/val_gloss_confusion_matrix.png"} <= artifacts
    assert {"summary.json", "config.yml"} <= {item.path for item in client.list_artifacts(run.info.run_id)}


def test_neptune_offline_folder_holds_the_same_metrics(tracked_run):
    run_dir = tracked_run["run_dir"]
    assert tracked_run["printed"]["neptune"].startswith(
        f"offline (no NEPTUNE_API_TOKEN or NEPTUNE_MODE=offline), data in {run_dir}"
    )
    operations = _neptune_operations(run_dir)
    series: dict[str, list[tuple[int, float]]] = {}
    for op in operations:
        if op["type"] == "LogFloats":
            series.setdefault("/".join(op["path"]), []).extend((v["step"], v["value"]) for v in op["values"])
    expected = _csv_series(run_dir)
    assert set(series) == set(expected)
    for name in set(expected) - {"epoch"}:  # Lightning logs `epoch` twice per step; Neptune keeps the first
        _assert_same_series(series[name], expected[name], name)
    tags = {value for op in operations if op["type"] == "AddStrings" for value in op["values"]}
    assert "classification_mode:gloss+letters" in tags
    assigned = {"/".join(op["path"]): op.get("value") for op in operations if op["type"].startswith("Assign")}
    assert assigned["parameters/config/trainer/monitor"] == "val/loss"
    assert assigned["outcome/monitor"] == "val/loss"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert assigned["val_best/letter/accuracy"] == pytest.approx(summary["val"]["letter"]["accuracy"])
    uploads = {"/".join(op["path"]) for op in operations if op["type"] == "UploadFile"}
    assert {"report/index_html", "report/val_gloss_pr_roc_png", "summary_json"} <= uploads


def test_tensorboard_has_the_same_scalar_names(tracked_run):
    run_dir = tracked_run["run_dir"]
    events = EventAccumulator(str(run_dir / "tensorboard"))
    events.Reload()
    assert set(_csv_series(run_dir)) <= set(events.Tags()["scalars"])


def test_report_files_are_images_and_the_index_links_them(tracked_run):
    report = tracked_run["run_dir"] / "report"
    pictures = sorted(report.glob("*.png"))
    names = {path.name for path in pictures}
    assert {"curves_loss.png", "curves_accuracy.png", "curves_f1.png"} <= names
    for head in HEADS:
        assert {f"val_{head}_confusion_matrix.png", f"val_{head}_pr_roc.png"} <= names
        assert (report / f"val_{head}_classification_report.txt").is_file()
    for path in pictures:
        with Image.open(path) as image:
            image.verify()
            assert image.format == "PNG" and min(image.size) >= 300, path.name
    index = (report / "index.html").read_text()
    assert all(f'src="{name}"' in index for name in names)
    assert "val_predictions.csv" in index


def test_summary_records_the_monitor_decision(tracked_run):
    summary = json.loads((tracked_run["run_dir"] / "summary.json").read_text())
    monitor = summary["monitor"]
    assert monitor["monitor"] == "val/loss" and monitor["mode"] == "min"
    val_losses = [value for _, value in _csv_series(tracked_run["run_dir"])["val/loss"]]
    assert len(val_losses) == 1  # one epoch; the best checkpoint's re-evaluation is not appended to the curve
    assert monitor["best_score"] == pytest.approx(val_losses[0])
    assert summary["total_loss"]["val"] == pytest.approx(val_losses[0], rel=1e-4)  # the same weights, evaluated again
    assert monitor["early_stopping_patience"] == 1 and monitor["stopped_early"] is False


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("trainer.monitor=val/glos/accuracy", "trainer.monitor: 'val/glos/accuracy' is not logged"),
        ("trainer.monitor=val/gloss/accuracy", "trainer.monitor_mode: 'min' would keep the worst val/gloss/accuracy"),
        ("logging.loggers=[mlflow, wandb]", "logging.loggers.1: Input should be 'csv', 'mlflow', 'tensorboard'"),
    ],
)
def test_bad_monitor_or_logger_is_a_config_error(tiny_config_path, capsys, override, message):
    assert train.main(["--model_config_path", str(tiny_config_path), "--set", override]) == 2
    assert message in capsys.readouterr().err


def test_bad_neptune_mode_is_an_error(tiny_config_path, capsys, monkeypatch):
    monkeypatch.setenv("NEPTUNE_MODE", "online")
    assert train.main(["--model_config_path", str(tiny_config_path), "--set", "logging.loggers=[neptune]"]) == 2
    assert "NEPTUNE_MODE: must be one of offline, debug, async, sync (got 'online')" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("environ", "mode"),
    [
        ({}, "offline"),
        ({"NEPTUNE_API_TOKEN": "token"}, "async"),
        ({"NEPTUNE_MODE": "async"}, "offline"),  # no token: nowhere to send to
        ({"NEPTUNE_MODE": "debug"}, "debug"),
        ({"NEPTUNE_MODE": "offline", "NEPTUNE_API_TOKEN": "token"}, "offline"),
    ],
)
def test_neptune_mode_follows_token_and_neptune_mode(environ, mode):
    assert resolve_mode(environ) == mode
