"""A landmarks-only training run through train.py on generated `.npz` clips, every landmark augmentation on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

import train
from datasets.landmark_files import joint_names, save_landmarks_npz

LETTERS = ("A", "B", "C")
PARTS = ["pose", "left_hand", "right_hand"]


def write_dataset(folder: Path, clips_per_letter: int = 6) -> Path:
    """Clips of 3-7 frames whose right hand sits at a height that depends on the letter; the left hand is missing."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    rows = ["path,letter"]
    for number in range(clips_per_letter * len(LETTERS)):
        letter = LETTERS[number % len(LETTERS)]
        frames = int(rng.integers(3, 8))
        landmarks = rng.uniform(0.3, 0.7, (frames, len(joint_names(PARTS)), 4)).astype(np.float32)
        landmarks[:, 33:54] = np.nan
        landmarks[:, 54:75, 1] = 0.2 + 0.2 * LETTERS.index(letter)
        save_landmarks_npz(folder / f"clip{number}.npz", landmarks, joint_names(PARTS), 25.0, (480, 640))
        rows.append(f"clip{number}.npz,{letter}")
    (folder / "letters.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_landmarks_only_run_reports_per_letter_figures(tmp_path, capsys) -> None:
    data = write_dataset(tmp_path / "data")
    config = {
        "general_parameters": {
            "data_paths": [{"path": str(data), "format": "landmarks", "annotation_files": {"letters": "letters.csv"}}],
            "ratio_train_test": 0.6,
            "runs_dir": str(tmp_path / "runs"),
        },
        "augmentations_parameters": {
            "landmarks": {
                "rotation_degree": 10,
                "scale": [0.9, 1.1],
                "shift": 0.05,
                "shear": 0.1,
                "joint_dropout": 0.05,
                "temporal_resample": [0.8, 1.25],
                "flip_probability": 0.5,
            }
        },
        "train_parameters": {"classification_mode": "letters", "epochs": 2, "batch_size": 4, "num_segments": 6},
        "feature_extractor": {
            "use_frames": False,
            "use_landmarks": True,
            "representation_size": 16,
            "landmarks": {"channels": [8, 8], "temporal_kernel": 3},
        },
        "transformer": {"name": "fake_transformer", "output_size": 16},
        "heads": {"letters": {"letter": {"num_class": 3}}},
    }
    path = tmp_path / "landmarks.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    assert train.main(["--model_config_path", str(path)]) == 0
    run_dir = Path(capsys.readouterr().out.strip().splitlines()[-1].removeprefix("run_dir: "))
    summary = json.loads((run_dir / "summary.json").read_text())
    assert 0 <= summary["val"]["letter"]["accuracy"] <= 1
    report = (run_dir / "report" / "val_letter_classification_report.txt").read_text()
    assert all(f" {letter} " in report for letter in LETTERS)
    resolved = yaml.safe_load((run_dir / "config.yml").read_text())
    assert resolved["feature_extractor"]["landmarks"]["name"] == "landmarks_gcn"
