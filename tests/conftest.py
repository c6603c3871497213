"""Shared fixtures: a tiny synthetic dataset and a config that trains on it in seconds."""

import contextlib
import io
import os
from pathlib import Path

import cv2
import pytest
import yaml

import train
from data_preprocessing.make_synthetic import make_synthetic_dataset
from inference import export_onnx
from tests import landmark_checkpoints
from utils.config import read_yaml

ROOT = Path(__file__).resolve().parents[1]
# The tests send nothing anywhere, whatever the caller's environment says: MLflow's documented telemetry switch (the
# project sets it too, training/loggers/factory.py; the network-guard test checks that nothing tries).
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"


@pytest.fixture(scope="session", name="tiny_dataset")
def fixture_tiny_dataset(tmp_path_factory) -> Path:
    """A few clips per gloss and letter, 32x32 frames."""
    return make_synthetic_dataset(
        tmp_path_factory.mktemp("data") / "synthetic",
        seed=0,
        clips_per_gloss=2,
        letter_clips_per_letter=2,
        image_size=32,
        min_frames=4,
        max_frames=6,
    )


def write_tiny_config(folder: Path, dataset: Path) -> Path:
    """The shipped config pointed at `dataset`, with a small model and 1 short epoch, runs under `folder`."""
    raw = read_yaml(ROOT / "train_config.yml")
    raw["general_parameters"] |= {
        "data_path": str(dataset),
        "make_synthetic_if_missing": False,
        "runs_dir": str(folder / "runs"),
    }
    raw["augmentations_parameters"] |= {"resize_size": 32, "center_crop_size": 32}
    raw["train_parameters"] |= {"epochs": 1, "batch_size": 4, "num_segments": 4}
    raw["feature_extractor"] |= {"representation_size": 16}
    raw["transformer"] |= {"feedforward_size": 32, "output_size": 16, "num_encoder_layers": 1}
    raw["trainer"] = {"limit_train_batches": 2, "log_every_n_steps": 1}
    # MLflow's SQLite store takes seconds to create and the report figures ~1 s per head: tests that need them add them.
    raw["logging"] = {"loggers": ["csv"], "figures": False}
    path = folder / "tiny_config.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(name="tiny_config_path")
def fixture_tiny_config_path(tmp_path, tiny_dataset) -> Path:
    """The shipped config pointed at the tiny dataset, with a small model and 1 short epoch."""
    return write_tiny_config(tmp_path, tiny_dataset)


@pytest.fixture(scope="session", name="tiny_checkpoint")
def fixture_tiny_checkpoint(tmp_path_factory, tiny_dataset) -> Path:
    """best.ckpt of one tiny training run, trained once per test session for every test that needs a model."""
    folder = tmp_path_factory.mktemp("tiny_run")
    assert train.main(["--model_config_path", str(write_tiny_config(folder, tiny_dataset))]) == 0
    return next((folder / "runs").rglob("best.ckpt"))


@pytest.fixture(scope="session", name="tiny_onnx")
def fixture_tiny_onnx(tmp_path_factory, tiny_checkpoint) -> Path:
    """`tiny_checkpoint` exported by `inference/export_onnx.py` once per test session; its report is in export.txt."""
    folder = tmp_path_factory.mktemp("onnx")
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        status = export_onnx.main(["--checkpoint", str(tiny_checkpoint), "--output", str(folder / "tiny.onnx")])
    assert status == 0, report.getvalue()
    (folder / "export.txt").write_text(report.getvalue(), encoding="utf-8")
    return folder / "tiny.onnx"


@pytest.fixture(scope="session", name="tiny_video")
def fixture_tiny_video(tmp_path_factory, tiny_dataset) -> Path:
    """An MP4 (25 fps, 64x48, 24 frames) that replays the frames of one tiny gloss clip, upscaled."""
    clip = tiny_dataset / "bye_0000"
    frames = sorted(clip.glob("*.jpg"), key=lambda path: int(path.stem.rsplit("_", 1)[1]))
    path = tmp_path_factory.mktemp("video") / "bye.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (64, 48))  # pylint: disable=no-member
    for index in range(24):
        writer.write(cv2.resize(cv2.imread(str(frames[index % len(frames)])), (64, 48)))  # pylint: disable=no-member
    writer.release()
    return path


@pytest.fixture(scope="session", name="landmark_checkpoint")
def fixture_landmark_checkpoint(tmp_path_factory) -> Path:
    """best.ckpt of a tiny landmarks-only run (graph network, `upper_body_hands`), trained once per test session."""
    return landmark_checkpoints.landmark_checkpoint(tmp_path_factory.mktemp("landmark_run"))


@pytest.fixture(scope="session", name="fused_checkpoint")
def fixture_fused_checkpoint(tmp_path_factory) -> Path:
    """best.ckpt of a tiny run with frames and the drawn hand's landmarks fused, trained once per test session."""
    folder = tmp_path_factory.mktemp("fused_run")
    data = landmark_checkpoints.fused_dataset(folder)
    tiny_config = read_yaml(write_tiny_config(folder, data))
    return landmark_checkpoints.trained_checkpoint(landmark_checkpoints.fused_config(tiny_config, data), folder)


def exported(checkpoint: Path, folder: Path, name: str) -> Path:
    """`checkpoint` exported by `inference/export_onnx.py` into `folder/name`; its report is in `folder/export.txt`."""
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        status = export_onnx.main(["--checkpoint", str(checkpoint), "--output", str(folder / name)])
    assert status == 0, report.getvalue()
    (folder / "export.txt").write_text(report.getvalue(), encoding="utf-8")
    return folder / name


@pytest.fixture(scope="session", name="landmark_onnx")
def fixture_landmark_onnx(tmp_path_factory, landmark_checkpoint) -> Path:
    """`landmark_checkpoint` exported to ONNX once per test session (about 20 s)."""
    return exported(landmark_checkpoint, tmp_path_factory.mktemp("landmark_onnx"), "landmarks.onnx")


@pytest.fixture(scope="session", name="fused_onnx")
def fixture_fused_onnx(tmp_path_factory, fused_checkpoint) -> Path:
    """`fused_checkpoint` exported to ONNX once per test session (about 25 s: used by slow tests only)."""
    return exported(fused_checkpoint, tmp_path_factory.mktemp("fused_onnx"), "fused.onnx")
