"""Shared fixtures: a tiny synthetic dataset and a config that trains on it in seconds."""

from pathlib import Path

import pytest
import yaml

from data_preprocessing.make_synthetic import make_synthetic_dataset
from utils.config import read_yaml

ROOT = Path(__file__).resolve().parents[1]


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


@pytest.fixture(name="tiny_config_path")
def fixture_tiny_config_path(tmp_path, tiny_dataset) -> Path:
    """The shipped config pointed at the tiny dataset, with a small model and 1 short epoch."""
    raw = read_yaml(ROOT / "train_config.yml")
    raw["general_parameters"] |= {
        "data_path": str(tiny_dataset),
        "make_synthetic_if_missing": False,
        "runs_dir": str(tmp_path / "runs"),
    }
    raw["augmentations_parameters"] |= {"resize_size": 32, "center_crop_size": 32}
    raw["train_parameters"] |= {"epochs": 1, "batch_size": 4, "num_segments": 4}
    raw["feature_extractor"] |= {"representation_size": 16}
    raw["transformer"] |= {"feedforward_size": 32, "output_size": 16, "num_encoder_layers": 1}
    raw["trainer"] = {"limit_train_batches": 2, "log_every_n_steps": 1}
    path = tmp_path / "tiny_config.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path
