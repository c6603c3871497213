"""Frames and landmarks of the same clips (`landmarks_path`): the config rules, samples whose frames and landmarks are
of the same frame indexes, clear errors for missing or short landmark files, and a fused training run."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import yaml

import train
from datasets.clip_dataset import ClipDataset, unreadable_clips
from datasets.errors import BadSamples, DataError
from datasets.landmark_files import joint_names, save_landmarks_npz
from datasets.sources import SOURCES
from data_preprocessing.make_synthetic import make_synthetic_dataset
from tests.data_factories import write_video
from training import run
from training.run import ensure_datasets
from utils.config import ConfigError, load_config, validate_config
from utils.config_data import DatasetEntry
from utils.config_schema import HeadConfig

# pylint: disable=no-member  # cv2 is a compiled extension whose members pylint cannot see

HEADS = {"gloss": {"gloss": HeadConfig(num_class=2)}}
PARTS = ["left_hand", "right_hand"]
RIGHT_WRIST = 21  # right_hand.0 in PARTS
GREY_STEP = 20  # frame i of a frame folder is a flat grey of 20 * i; a video's (write_video) is 8 * i
PAIRED = {"path": "x", "landmarks_path": "x_landmarks", "landmark_parts": PARTS}
TINY = {"clips_per_gloss": 2, "letter_clips_per_letter": 2, "image_size": 32, "min_frames": 4, "max_frames": 6}


def write_landmarks(path: Path, frames: int) -> None:
    """A right hand whose wrist x is `frame / 100` in every frame (so a row tells its frame index); no left hand."""
    landmarks = np.full((frames, 42, 3), np.nan, dtype=np.float32)
    landmarks[:, 21:] = 0.5
    landmarks[:, RIGHT_WRIST, 0] = np.arange(frames) / 100
    path.parent.mkdir(parents=True, exist_ok=True)
    save_landmarks_npz(path, landmarks, joint_names(PARTS), 25.0, (16, 16))


def frames_dataset(root: Path, frames: int = 10, landmark_frames: int | None = None) -> DatasetEntry:
    """Two HearAI clip folders of `frames` grey frames, annotated 0..frames-1, with landmark files beside them."""
    rows = ["path,start,end,gloss"]
    for clip in ("clip0", "clip1"):
        (root / clip).mkdir(parents=True)
        for index in range(frames):
            cv2.imwrite(str(root / clip / f"{clip}_{index}.jpg"), np.full((16, 16, 3), GREY_STEP * index, np.uint8))
        write_landmarks(root / "landmarks" / f"{clip}.npz", landmark_frames or frames)
        rows.append(f"{clip},0,{frames - 1},0")
    (root / "gloss.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return DatasetEntry(
        path=str(root),
        landmarks_path=str(root / "landmarks"),
        landmark_parts=PARTS,
        annotation_files={"gloss": "gloss.csv"},
    )


def video_dataset(root: Path) -> DatasetEntry:
    """Two 30-frame videos in a subfolder (`a/v0.mp4`), their landmarks at `landmarks/a/v0.npz`."""
    rows = ["path,gloss"]
    for name in ("v0", "v1"):
        write_video(root / "a" / f"{name}.mp4", frames=30)
        write_landmarks(root / "landmarks" / "a" / f"{name}.npz", 30)
        rows.append(f"a/{name}.mp4,0")
    (root / "gloss.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return DatasetEntry(
        path=str(root),
        format="video",
        landmarks_path=str(root / "landmarks"),
        landmark_parts=PARTS,
        annotation_files={"gloss": "gloss.csv"},
    )


def frame_indexes(frames: torch.Tensor, step: int) -> list[int]:
    """Which frames these are, read back from their grey level."""
    return [round(float(frame.float().mean()) / step) for frame in frames]


def landmark_indexes(landmarks: torch.Tensor) -> list[int]:
    """Which frames these landmarks are, read back from the right wrist's x."""
    return [round(float(x) * 100) for x in landmarks[:, RIGHT_WRIST, 0]]


def dataset(entry: DatasetEntry, train_split: bool, **options) -> ClipDataset:
    """The entry's clips as samples of raw frames (no transform), 4 segments."""
    records = SOURCES[entry.format](entry, HEADS).records(BadSamples())
    return ClipDataset(records, num_segments=4, transform=lambda clip: clip, train=train_split, **options)


@pytest.mark.parametrize(("make", "step"), [(frames_dataset, GREY_STEP), (video_dataset, 8)])
def test_fused_sample_has_frames_and_landmarks_of_the_same_random_indexes(tmp_path, make, step) -> None:
    clips = dataset(make(tmp_path / "data"), train_split=True)
    picks = set()
    for _ in range(8):
        for sample in (clips[index] for index in range(len(clips))):
            picked = frame_indexes(sample["frames"], step)
            assert landmark_indexes(sample["landmarks"]) == picked
            picks.add(tuple(picked))
    assert len(picks) > 2  # random training picks, each read once for both inputs


def test_each_input_alone_reads_the_validation_frames_of_the_fused_sample(tmp_path) -> None:
    entry = frames_dataset(tmp_path / "data")
    fused = dataset(entry, train_split=False)[0]
    frames_only = dataset(entry, train_split=False, inputs=("frames",))[0]
    landmarks_only = dataset(entry, train_split=False, inputs=("landmarks",))[0]
    assert set(frames_only) - {"labels", "meta"} == {"frames"}
    assert set(landmarks_only) - {"labels", "meta"} == {"landmarks"}
    assert torch.equal(frames_only["frames"], fused["frames"])
    assert landmark_indexes(landmarks_only["landmarks"]) == frame_indexes(fused["frames"], GREY_STEP) == [1, 3, 6, 8]


def test_missing_landmark_file_is_named_or_skipped_and_counted(tmp_path) -> None:
    entry = frames_dataset(tmp_path / "data")
    (tmp_path / "data" / "landmarks" / "clip1.npz").unlink()
    with pytest.raises(DataError, match=r"landmark file .*landmarks/clip1\.npz does not exist"):
        SOURCES["frames"](entry, HEADS).records(BadSamples())
    bad = BadSamples(skip=True)
    assert [r.name for r in SOURCES["frames"](entry, HEADS).records(bad)] == ["clip0"]
    assert len(bad) == 1 and "clip1.npz" in bad.problems[0]


def test_landmark_file_shorter_than_the_clip_is_an_error_naming_it(tmp_path) -> None:
    entry = frames_dataset(tmp_path / "data", frames=10, landmark_frames=5)
    message = r"landmarks/clip0\.npz: has 5 frames of landmarks, but clip clip0"
    with pytest.raises(DataError, match=message + " reads frame 8"):
        _ = dataset(entry, train_split=False)[0]
    with pytest.raises(DataError, match=message + " ends at 9"):
        _ = dataset(entry, train_split=False, inputs=("landmarks",))[0]
    records = SOURCES["frames"](entry, HEADS).records(BadSamples())
    problems = unreadable_clips(records, workers=0)  # what skip_bad_samples checks before training
    assert sorted(problems) == [0, 1] and "clip1.npz: has 5 frames" in problems[1]


def config(entry: dict, augmentations: dict | None = None, **feature_extractor) -> dict:
    """A raw config reading `entry` with frames and landmarks (hands layout) unless `feature_extractor` says not."""
    return {
        "general_parameters": {"data_paths": [entry]},
        "augmentations_parameters": {"landmarks": augmentations or {}},
        "feature_extractor": {"use_frames": True, "use_landmarks": True, "landmarks": {"layout": "hands"}}
        | feature_extractor,
        "heads": {"letters": {"letter": {"num_class": 3}}},
        "train_parameters": {"classification_mode": "letters"},
    }


@pytest.mark.parametrize(
    ("raw", "inputs"),
    [
        (config(PAIRED), ("frames", "landmarks")),
        (config(PAIRED, use_landmarks=False), ("frames",)),
        (config(PAIRED, use_frames=False), ("landmarks",)),
        (
            config(PAIRED | {"format": "video", "test_path": "t", "test_landmarks_path": "t_lm"}),
            ("frames", "landmarks"),
        ),
        (config(PAIRED | {"test_path": {"a": "t", "b": "u"}, "test_landmarks_path": {"a": "ta", "b": "ub"}}), None),
        (config({"path": "x"}, {"flip_probability": 0.5}, use_landmarks=False), ("frames",)),
        (config(PAIRED, {"rotation_degree": 5, "joint_dropout": 0.1}), ("frames", "landmarks")),
    ],
)
def test_config_accepts_frames_datasets_with_landmarks(raw, inputs) -> None:
    loaded = validate_config(raw, "c.yml")
    assert inputs is None or loaded.inputs() == inputs


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (config({"path": "x"}), r"data_paths \(x\) gives frames \(format frames\); give it landmarks_path"),
        (
            config({"path": "x", "format": "landmarks", "landmark_parts": PARTS}),
            r"reads frames\+landmarks, but general_parameters.data_paths \(x\) gives landmarks",
        ),
        (
            config(PAIRED | {"format": "sign_mnist_csv"}),
            r"data_paths \(x\).landmarks_path: only frames and video datasets take it \(got format sign_mnist_csv\)",
        ),
        (config(PAIRED | {"test_path": "t"}), r"data_paths \(x\).test_landmarks_path: must name .*\['test'\]"),
        (
            config(PAIRED | {"test_path": {"a": "t"}, "test_landmarks_path": {"b": "u"}}),
            r"test_landmarks_path: must name .*\['a'\] .* got \['b'\]",
        ),
        (config({"path": "x", "test_landmarks_path": "t"}), r"test_landmarks_path: needs landmarks_path"),
        (config(PAIRED | {"landmark_parts": ["pose"]}), r"layout: hands reads the parts .* lack \['left_hand'"),
        (config(PAIRED, {"flip_probability": 0.5}), r"landmarks.flip_probability: must be 0 when frames and landm"),
        (config(PAIRED, {"temporal_resample": [0.8, 1.2]}), r"landmarks.temporal_resample: must be \[1.0, 1.0\]"),
    ],
)
def test_config_errors_name_the_key(raw, message) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_config(raw, "c.yml")


def test_missing_landmarks_folder_is_a_config_error(tmp_path) -> None:
    (tmp_path / "x").mkdir()
    raw = config(PAIRED | {"path": str(tmp_path / "x"), "landmarks_path": str(tmp_path / "nowhere")})
    path = tmp_path / "c.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match="no such folder: .*nowhere"):
        load_config(path)


def test_two_step_fused_run_writes_its_summary(tmp_path, tiny_config_path, capsys) -> None:
    """A tiny synthetic dataset with its drawn hand's landmarks, frames and landmarks fused, every head."""
    data = make_synthetic_dataset(tmp_path / "fused_data", seed=0, landmarks=True, **TINY)
    raw = yaml.safe_load(tiny_config_path.read_text(encoding="utf-8"))
    raw["general_parameters"] |= {
        "data_path": None,
        "data_paths": [{"path": str(data), "landmarks_path": str(data / "landmarks"), "landmark_parts": PARTS}],
    }
    raw["feature_extractor"] |= {
        "use_landmarks": True,
        "landmarks": {"layout": "hands", "normalisation": "none", "channels": [8], "temporal_kernel": 3},
    }
    path = tmp_path / "fused.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")  # heads in the files' column order
    assert train.main(["--model_config_path", str(path)]) == 0
    run_dir = Path(capsys.readouterr().out.strip().splitlines()[-1].removeprefix("run_dir: "))
    summary = json.loads((run_dir / "summary.json").read_text())
    assert {"gloss", "hand_movement", "letter"} <= set(summary["val"])
    assert all(0 <= figures["accuracy"] <= 1 for figures in summary["val"].values())
    resolved = yaml.safe_load((run_dir / "config.yml").read_text())
    assert resolved["feature_extractor"]["use_frames"] and resolved["feature_extractor"]["use_landmarks"]


def test_missing_synthetic_data_is_generated_with_landmarks_when_the_entry_has_them(tmp_path, monkeypatch) -> None:
    made = {}
    monkeypatch.setattr(run, "make_synthetic_dataset", lambda path, **options: made.update({path.name: options}))
    raw = config(PAIRED | {"path": str(tmp_path / "a")}, use_landmarks=False)
    raw["general_parameters"] |= {"make_synthetic_if_missing": True}
    raw["general_parameters"]["data_paths"].append({"path": str(tmp_path / "b")})
    ensure_datasets(validate_config(raw, "c.yml"))
    assert made["a"]["landmarks"] and not made["b"]["landmarks"]
