"""data_preprocessing/extract_landmarks.py on a generated image, video and frame folder: the file format, NaN where
nothing is detected, resuming, and clear errors. MediaPipe may find nobody in a drawing, so where values matter a
stand-in detector gives known landmarks: these tests check our code, not MediaPipe's accuracy."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from data_preprocessing import extract_landmarks
from datasets.landmark_files import read_npz
from models.skeleton_layouts import FACE_SUBSET

# pylint: disable=no-member  # cv2 is a compiled extension whose members pylint cannot see

VIDEO_FRAMES, FOLDER_FRAMES = 5, 3
BODY_JOINTS = 33 + 21 + 21


def drawing() -> np.ndarray:
    """A 96x128 BGR drawing of a stick figure."""
    image = np.full((96, 128, 3), 230, np.uint8)
    cv2.circle(image, (64, 25), 12, (60, 60, 200), -1)
    cv2.line(image, (64, 37), (64, 75), (40, 40, 40), 4)
    cv2.line(image, (40, 50), (88, 50), (40, 40, 40), 4)
    return image


@pytest.fixture(name="inputs")
def fixture_inputs(tmp_path) -> Path:
    """inputs/photo.png, inputs/videos/sign.mp4 (25 fps) and inputs/clip_a/clip_a_{0,1,2}.jpg."""
    root = tmp_path / "inputs"
    (root / "videos").mkdir(parents=True)
    (root / "clip_a").mkdir()
    cv2.imwrite(str(root / "photo.png"), drawing())
    writer = cv2.VideoWriter(str(root / "videos" / "sign.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 25, (128, 96))
    for _ in range(VIDEO_FRAMES):
        writer.write(drawing())
    writer.release()
    for index in range(FOLDER_FRAMES):
        cv2.imwrite(str(root / "clip_a" / f"clip_a_{index}.jpg"), drawing())
    return root


class StandIn:
    """A detector that finds a pose (with visibility) and a right hand (without) in every frame, nothing else."""

    calls = 0

    def detect(self, rgb: np.ndarray, timestamp_ms: int) -> dict[str, list]:
        """Pose joint i at (i/100, 0.5, -0.1) with visibility 0.9; right-hand joint i at (0.5, i/100, 0)."""
        del rgb, timestamp_ms
        StandIn.calls += 1
        pose = [SimpleNamespace(x=i / 100, y=0.5, z=-0.1, visibility=0.9) for i in range(33)]
        hand = [SimpleNamespace(x=0.5, y=i / 100, z=0.0) for i in range(21)]
        return {"pose": pose, "left_hand": [], "right_hand": hand, "face": []}

    def close(self) -> None:
        """Nothing to release."""


@pytest.fixture(name="stand_in")
def fixture_stand_in(monkeypatch) -> type[StandIn]:
    """The extractor uses `StandIn` instead of MediaPipe; its call count starts at 0."""
    StandIn.calls = 0
    monkeypatch.setattr(extract_landmarks, "open_detector", lambda *args, **kwargs: StandIn())
    return StandIn


def run(*args: object) -> int:
    """extract_landmarks.py's exit status for these command-line arguments."""
    return extract_landmarks.main([str(a) for a in args])


def test_mediapipe_run_writes_the_documented_format(inputs, tmp_path) -> None:
    out = tmp_path / "out"
    assert run(inputs, "--output_dir", out, "--face", "subset") == 0
    expected = {
        "photo.npz": (1, np.nan),
        "videos/sign.npz": (VIDEO_FRAMES, 25.0),
        "clip_a.npz": (FOLDER_FRAMES, np.nan),
    }
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.npz")) == sorted(expected)
    for name, (frames, fps) in expected.items():
        with np.load(out / name) as archive:
            assert set(archive.files) == {"landmarks", "layout", "fps", "frame_size"}
            landmarks, layout = archive["landmarks"], list(archive["layout"])
            assert landmarks.dtype == np.float32 and landmarks.shape == (frames, BODY_JOINTS + len(FACE_SUBSET), 4)
            assert layout[0] == "pose.0" and layout[33] == "left_hand.0" and layout[-1] == f"face.{FACE_SUBSET[-1]}"
            np.testing.assert_equal(archive["fps"], np.float32(fps))
            assert list(archive["frame_size"]) == [96, 128]  # (height, width)
        # The landmarks data source reads what the extractor writes.
        points, source_fps = read_npz((out / name).read_bytes(), ["pose", "left_hand", "right_hand", "face"])
        assert points.shape == (frames, BODY_JOINTS + 478, 3)
        assert source_fps == (None if np.isnan(fps) else fps)


def test_detected_parts_are_placed_and_the_rest_is_nan(inputs, tmp_path, stand_in) -> None:
    out = tmp_path / "out"
    assert run(inputs / "videos" / "sign.mp4", "--output_dir", out, "--face", "all") == 0
    assert stand_in.calls == VIDEO_FRAMES
    with np.load(out / "sign.npz") as archive:
        landmarks = archive["landmarks"]
    assert landmarks.shape == (VIDEO_FRAMES, BODY_JOINTS + 478, 4)
    np.testing.assert_allclose(landmarks[:, 11], [[0.11, 0.5, -0.1, 0.9]] * VIDEO_FRAMES)
    assert np.isnan(landmarks[:, 33:54]).all()  # no left hand
    np.testing.assert_allclose(landmarks[:, 54 + 7, :3], [[0.5, 0.07, 0.0]] * VIDEO_FRAMES)
    assert np.isnan(landmarks[:, 54:75, 3]).all()  # MediaPipe gives hands no visibility
    assert np.isnan(landmarks[:, BODY_JOINTS:]).all()  # no face


def test_resume_skips_finished_clips_only(inputs, tmp_path, stand_in, capsys) -> None:
    out = tmp_path / "out"
    assert run(inputs, "--output_dir", out) == 0
    assert stand_in.calls == 1 + VIDEO_FRAMES + FOLDER_FRAMES
    (out / "clip_a.npz").unlink()
    (out / "clip_a.partial.npz").write_bytes(b"left over by an interrupted run")
    stand_in.calls = 0
    assert run(inputs, "--output_dir", out) == 0
    assert stand_in.calls == FOLDER_FRAMES
    assert "skipped 2 already done" in capsys.readouterr().out
    assert np.load(out / "clip_a.npz")["landmarks"].shape[0] == FOLDER_FRAMES
    stand_in.calls = 0
    assert run(inputs, "--output_dir", out, "--overwrite") == 0
    assert stand_in.calls == 1 + VIDEO_FRAMES + FOLDER_FRAMES


def test_an_unreadable_clip_is_named_and_the_others_are_written(inputs, tmp_path, stand_in, capsys) -> None:
    del stand_in
    (inputs / "videos" / "broken.mp4").write_bytes(b"not a video")
    assert run(inputs, "--output_dir", tmp_path / "out") == 2
    captured = capsys.readouterr()
    assert "broken.mp4" in captured.err and "1 failed" in captured.out
    assert (tmp_path / "out" / "videos" / "sign.npz").is_file()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["missing_folder"], "missing_folder: no such file or folder"),
        (["photo.png", "--model", "absent.task"], "--model absent.task: no such file"),
        (["photo.png", "--model", "garbage.task"], "garbage.task: not a MediaPipe holistic landmarker model"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(inputs, tmp_path, capsys, monkeypatch, arguments, message) -> None:
    (inputs / "garbage.task").write_bytes(b"not a model")
    monkeypatch.chdir(inputs)
    assert run(*arguments, "--output_dir", tmp_path / "out") == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_parallel_workers_write_every_clip(inputs, tmp_path) -> None:
    out = tmp_path / "out"
    assert run(inputs, "--output_dir", out, "--workers", 2) == 0
    assert len(list(out.rglob("*.npz"))) == 3
