"""Landmark and fused models on real photos of a hand (ASL Alphabet, upscaled), where MediaPipe Holistic finds it:
predict.py gets the landmarks data_preprocessing/extract_landmarks.py would store, ONNX Runtime agrees with
PyTorch, and webcam.py draws the skeleton it found."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from data_preprocessing import extract_landmarks
from inference import predict, webcam
from inference.holistic import NOBODY
from inference.skeleton_drawing import PART_COLOURS
from tests.landmark_checkpoints import ASL_ALPHABET, hand_photos, photo_video

# pylint: disable=no-member  # cv2 is a compiled extension whose members pylint cannot see

pytestmark = pytest.mark.skipif(
    not ASL_ALPHABET.is_file(), reason=f"needs the ASL Alphabet photos at {ASL_ALPHABET} (../shared/data)"
)


@pytest.fixture(scope="module", name="inputs")
def fixture_inputs(tmp_path_factory) -> Path:
    """photos/R_test.png and photos/S_test.png (256x256), the frame folder photos/clip_r/clip_r_{0,1,2}.png, and
    s.mp4 (S moving by a pixel or two, 6 frames; Holistic's tracking finds the hand in one of them)."""
    folder = tmp_path_factory.mktemp("photos") / "inputs"
    photos = hand_photos(folder / "photos")
    photo_video(photos[1], folder / "s.mp4")
    (folder / "photos" / "clip_r").mkdir()
    for index in range(3):
        shutil.copy(photos[0], folder / "photos" / "clip_r" / f"clip_r_{index}.png")
    return folder


def predictions(capsys, model: Path, source: Path, *extra: str) -> dict[str, dict]:
    """predict.py's JSON records by input name relative to `source`'s folder (it must succeed)."""
    output = source.parent / f"results_{model.stem}.json"
    status = predict.main(["--checkpoint", str(model), "--input", str(source), "--output", str(output), *extra])
    assert status == 0, capsys.readouterr().err
    capsys.readouterr()
    return {Path(r["input"]).relative_to(source).with_suffix("").as_posix(): r for r in json.loads(output.read_text())}


def probabilities(record: dict) -> dict[tuple[str, str], float]:
    """{(head, class): probability} of one record's top-k."""
    return {(head, e["class"]): e["probability"] for head, ranked in record["heads"].items() for e in ranked}


def test_predict_runs_holistic_as_the_extractor_does(capsys, tmp_path, inputs, landmark_checkpoint, landmark_onnx):
    found = predictions(capsys, landmark_checkpoint, inputs)
    assert sorted(found) == ["photos/R_test", "photos/S_test", "photos/clip_r", "s"]
    assert all("message" not in record and record["heads"]["letter"] for record in found.values())
    # The same clips through extract_landmarks.py's files give the same predictions: same detector, settings,
    # tracking and frame sampling.
    assert extract_landmarks.main([str(inputs), "--output_dir", str(tmp_path / "extracted")]) == 0
    stored = predictions(capsys, landmark_checkpoint, tmp_path / "extracted")
    assert sorted(stored) == sorted(found)
    on_onnx = predictions(capsys, landmark_onnx, inputs, "--runtime", "onnx")  # MediaPipe + ONNX Runtime
    for name, record in found.items():
        expected = probabilities(record)
        for other in (stored[name], on_onnx[name]):
            assert probabilities(other).keys() == expected.keys()
            assert np.allclose(list(probabilities(other).values()), list(expected.values()), atol=1e-5)


def test_fused_model_reads_frames_and_landmarks_of_the_same_photos(capsys, inputs, fused_checkpoint):
    found = predictions(capsys, fused_checkpoint, inputs / "photos", "--top_k", "1")
    assert sorted(found) == ["R_test", "S_test", "clip_r"]
    assert all("message" not in record and {"gloss", "letter"} <= set(record["heads"]) for record in found.values())


@pytest.mark.slow  # the fused model's ONNX export takes about 25 s
def test_fused_model_on_onnx_runtime_matches_pytorch(capsys, inputs, fused_checkpoint, fused_onnx):
    expected = predictions(capsys, fused_checkpoint, inputs / "photos")
    actual = predictions(capsys, fused_onnx, inputs / "photos")
    for name, record in expected.items():
        assert np.allclose(list(probabilities(actual[name]).values()), list(probabilities(record).values()), atol=1e-5)


@pytest.mark.parametrize(("kind", "head"), [("landmark", "letter"), ("fused", "gloss")])
def test_webcam_draws_the_skeleton_and_each_heads_best_class(capsys, tmp_path, request, inputs, kind, head):
    checkpoint = request.getfixturevalue(f"{kind}_checkpoint")
    output = tmp_path / "annotated.mp4"
    args = ["--checkpoint", str(checkpoint), "--source", str(inputs / "s.mp4"), "--headless", "--output", str(output)]
    assert webcam.main(args + ["--stride", "2", "--window", "4"]) == 0
    out = capsys.readouterr().out
    assert "processed 6 frames (3 predictions)" in out and f"last prediction: {head}: " in out and NOBODY not in out
    assert "landmarks " in out and "model " in out and " ms per frame" in out
    capture = cv2.VideoCapture(str(output))
    frames = [capture.read()[1] for _ in range(6)]
    capture.release()
    # The left hand's joints (MediaPipe's name for the signing hand in these photos) are drawn in their colour.
    colour = np.array(PART_COLOURS["left_hand"][::-1])  # BGR
    assert any((np.abs(frame.astype(int) - colour).max(axis=-1) < 40).sum() > 20 for frame in frames)
