"""Tiny landmark and fused checkpoints for the inference tests, trained in a few steps by train.py, and the stored
landmarks and real photos they are run on."""

from __future__ import annotations

import zipfile
from pathlib import Path

import cv2
import numpy as np
import yaml

import train
from data_preprocessing.make_synthetic import make_synthetic_dataset
from datasets.landmark_files import joint_names, save_landmarks_npz

# pylint: disable=no-member  # cv2 is a compiled extension whose members pylint cannot see

LETTERS = ("A", "B", "C")
BODY = ["pose", "left_hand", "right_hand"]
HANDS = ["left_hand", "right_hand"]
ASL_ALPHABET = Path(__file__).resolve().parents[2] / "shared" / "data" / "asl_alphabet" / "asl_alphabet_64px.zip"
# ASL Alphabet test photos in which MediaPipe Holistic finds the signing hand once they are upscaled to 256x256.
HAND_PHOTOS = ("official_test/R/R_test.jpg", "official_test/S/S_test.jpg")
PHOTO_SIZE = 256


def person_landmarks(rng: np.random.Generator, frames: int, height: float) -> np.ndarray:
    """float32 `[frames, 75, 4]` of BODY: a pose with shoulders, the right hand at `height`, no left hand."""
    landmarks = rng.uniform(0.3, 0.7, (frames, len(joint_names(BODY)), 4)).astype(np.float32)
    landmarks[:, 11, :2], landmarks[:, 12, :2] = (0.6, 0.5), (0.4, 0.5)  # the shoulders
    landmarks[:, 33:54] = np.nan
    landmarks[:, 54:75, 1] = height
    return landmarks


def write_landmark_dataset(folder: Path, clips_per_letter: int = 4) -> Path:
    """`.npz` clips of 3-7 frames whose right hand sits at a height that depends on the letter, and letters.csv."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    rows = ["path,letter"]
    for number in range(clips_per_letter * len(LETTERS)):
        letter = LETTERS[number % len(LETTERS)]
        landmarks = person_landmarks(rng, int(rng.integers(3, 8)), 0.2 + 0.2 * LETTERS.index(letter))
        save_landmarks_npz(folder / f"clip{number}.npz", landmarks, joint_names(BODY), 25.0, (480, 640))
        rows.append(f"clip{number}.npz,{letter}")
    (folder / "letters.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def trained_checkpoint(config: dict, folder: Path) -> Path:
    """best.ckpt of train.py on `config` (written to `folder`)."""
    path = folder / "config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    assert train.main(["--model_config_path", str(path)]) == 0
    return next((folder / "runs").rglob("best.ckpt"))


def landmark_checkpoint(folder: Path) -> Path:
    """A graph network over `upper_body_hands` (shoulder normalisation), 1 epoch of 2 steps on `.npz` clips."""
    data = write_landmark_dataset(folder / "data")
    config = {
        "general_parameters": {
            "data_paths": [{"path": str(data), "format": "landmarks", "annotation_files": {"letters": "letters.csv"}}],
            "ratio_train_test": 0.6,
            "runs_dir": str(folder / "runs"),
        },
        "train_parameters": {"classification_mode": "letters", "epochs": 1, "batch_size": 4, "num_segments": 4},
        "feature_extractor": {
            "use_frames": False,
            "use_landmarks": True,
            "representation_size": 16,
            "landmarks": {"layout": "upper_body_hands", "channels": [8], "temporal_kernel": 3},
        },
        "transformer": {"feedforward_size": 32, "output_size": 16, "num_encoder_layers": 1},
        "heads": {"letters": {"letter": {"num_class": 3}}},
        "trainer": {"limit_train_batches": 2, "log_every_n_steps": 1},
        "logging": {"loggers": ["csv"], "figures": False},
    }
    return trained_checkpoint(config, folder)


def fused_dataset(folder: Path) -> Path:
    """A tiny synthetic dataset with each clip's drawn hand as landmarks (`landmarks/<clip>.npz`)."""
    return make_synthetic_dataset(
        folder / "synthetic", seed=0, landmarks=True, clips_per_gloss=2, letter_clips_per_letter=2, image_size=32,
        min_frames=4, max_frames=6,
    )  # fmt: skip


def fused_config(tiny_config: dict, data: Path) -> dict:
    """The tests' tiny config (`conftest.write_tiny_config`) with frames and the hand's landmarks (`hands` layout)
    fused, on `data`."""
    tiny_config["general_parameters"] |= {
        "data_path": None,
        "data_paths": [{"path": str(data), "landmarks_path": str(data / "landmarks"), "landmark_parts": HANDS}],
    }
    tiny_config["feature_extractor"] |= {
        "use_landmarks": True,
        "landmarks": {"layout": "hands", "normalisation": "none", "channels": [8], "temporal_kernel": 3},
    }
    return tiny_config


def hand_photos(folder: Path) -> list[Path]:
    """The `HAND_PHOTOS` of ASL Alphabet, upscaled to `PHOTO_SIZE` and written as PNG files into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    with zipfile.ZipFile(ASL_ALPHABET) as archive:
        for name in HAND_PHOTOS:
            image = cv2.imdecode(np.frombuffer(archive.read(name), np.uint8), cv2.IMREAD_COLOR)
            paths.append(folder / f"{Path(name).stem}.png")
            cv2.imwrite(str(paths[-1]), cv2.resize(image, (PHOTO_SIZE, PHOTO_SIZE), interpolation=cv2.INTER_CUBIC))
    return paths


def photo_video(photo: Path, path: Path, frames: int = 6) -> Path:
    """An MP4 (25 fps) of `photo` moving by a few pixels per frame: a short clip of a person for Holistic to track."""
    image = cv2.imread(str(photo))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (image.shape[1], image.shape[0]))
    for index in range(frames):
        shift = np.float32([[1, 0, index % 3], [0, 1, index % 2]])
        writer.write(cv2.warpAffine(image, shift, (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REPLICATE))
    writer.release()
    return path
