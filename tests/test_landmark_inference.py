"""Landmark and fused models at inference on stored landmarks and drawn clips: predict.py on every landmark file
format, the validation pipeline, ONNX export and parity, webcam.py, and a clear message where nobody is detected.
(MediaPipe finds nobody in the drawn synthetic clips; tests/test_landmark_mediapipe.py runs it on real photos.)"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from datasets.landmark_files import joint_names, read_npz, save_landmarks_npz
from datasets.sampling import sample_indices
from inference import predict, webcam
from inference.holistic import NOBODY
from inference.predictor import load_module, load_predictor
from tests.data_factories import write_islr_parquet, write_mp_sequence, write_pose
from tests.landmark_checkpoints import BODY, person_landmarks


def run_predict(capsys, checkpoint: Path, source: Path, *extra: str) -> tuple[int, str, str]:
    """predict.py's exit status, stdout and stderr."""
    status = predict.main(["--checkpoint", str(checkpoint), "--input", str(source), *extra])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(name="stored")
def fixture_stored(tmp_path) -> Path:
    """A folder of stored landmarks in every format, a clip with nobody in it, and an annotation CSV (not an input)."""
    folder = tmp_path / "stored"
    folder.mkdir()
    rng = np.random.default_rng(1)
    save_landmarks_npz(folder / "a.npz", person_landmarks(rng, 9, 0.4), joint_names(BODY), 25.0, (480, 640))
    empty = np.full((5, len(joint_names(BODY)), 4), np.nan, np.float32)
    save_landmarks_npz(folder / "empty.npz", empty, joint_names(BODY), 25.0, (480, 640))
    write_islr_parquet(folder / "b.parquet")
    write_pose(folder / "c.pose")
    write_mp_sequence(folder / "MP_Data" / "hello" / "0", frames=12)
    (folder / "labels.csv").write_text("path,letter\na.npz,A\n", encoding="utf-8")
    return folder


def test_predict_reads_every_landmark_format_and_names_the_empty_clip(capsys, tmp_path, landmark_checkpoint, stored):
    output = tmp_path / "results.json"
    status, out, err = run_predict(capsys, landmark_checkpoint, stored, "--output", str(output), "--top_k", "2")
    assert status == 0, err
    assert "5/5" in err  # the progress bar over the inputs
    records = {
        Path(record["input"]).relative_to(stored).as_posix(): record for record in json.loads(output.read_text())
    }
    assert sorted(records) == ["MP_Data/hello/0", "a.npz", "b.parquet", "c.pose", "empty.npz"]
    assert records["empty.npz"]["message"] == NOBODY and records["empty.npz"]["heads"] == {"letter": []}
    assert f"empty.npz\n  {NOBODY}" in out
    for name in ("a.npz", "b.parquet", "c.pose", "MP_Data/hello/0"):
        ranked = records[name]["heads"]["letter"]
        assert len(ranked) == 2 and all(np.isfinite(entry["probability"]) for entry in ranked)


def test_csv_gives_the_empty_clip_one_row_per_head_with_the_reason(capsys, tmp_path, landmark_checkpoint, stored):
    output = tmp_path / "results.csv"
    assert run_predict(capsys, landmark_checkpoint, stored / "empty.npz", "--output", str(output))[0] == 0
    with output.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [(row["head"], row["answer"], row["class"]) for row in rows] == [("letter", NOBODY, "")]


def validation_probabilities(checkpoint: Path, path: Path) -> np.ndarray:
    """The letter probabilities of the checkpoint's model on a `.npz` clip read as the validation split reads it,
    calibrated with the checkpoint's temperature."""
    module = load_module(checkpoint)
    landmarks, fps = read_npz(path.read_bytes(), BODY)
    indices = sample_indices(0, len(landmarks) - 1, module.config.train_parameters.num_segments, None, fps, False)
    clip = torch.from_numpy(landmarks[indices]).unsqueeze(0)
    with torch.inference_mode():
        logits = module(None, torch.ones(1, len(indices), dtype=torch.bool), clip)["letter"][0]
    return (logits / (module.temperatures or {}).get("letter", 1.0)).softmax(-1).numpy()


def test_landmark_predictions_match_validation_and_onnx(capsys, tmp_path, landmark_checkpoint, landmark_onnx, stored):
    expected = validation_probabilities(landmark_checkpoint, stored / "a.npz")
    report = (landmark_onnx.parent / "export.txt").read_text(encoding="utf-8")
    assert "inputs landmarks, mask" in report and "real: 4 clip(s)" in report  # the training data's own clips
    assert "): OK" in report  # parity on random clips with missing parts and padding, and on the real ones
    session = onnxruntime.InferenceSession(str(landmark_onnx), providers=["CPUExecutionProvider"])
    shapes = {node.name: node.shape for node in session.get_inputs()}
    assert list(shapes) == ["landmarks", "mask"] and shapes["landmarks"][2:] == [len(joint_names(BODY)), 3]
    assert all(isinstance(axis, str) for axis in shapes["landmarks"][:2])  # dynamic batch and time
    for model in (landmark_checkpoint, landmark_onnx):
        output = tmp_path / "results.json"
        assert run_predict(capsys, model, stored / "a.npz", "--output", str(output))[0] == 0
        ranked = json.loads(output.read_text())[0]["heads"]["letter"]
        names = load_predictor(model).class_names["letter"]
        for entry in ranked:
            assert entry["probability"] == pytest.approx(float(expected[names.index(entry["class"])]), abs=1e-5)


@pytest.mark.slow  # the ONNX export takes about 25 s
def test_fused_model_exports_with_parity_and_reports_drawn_clips_as_empty(capsys, fused_checkpoint, fused_onnx):
    report = (fused_onnx.parent / "export.txt").read_text(encoding="utf-8")
    assert "inputs frames, landmarks, mask" in report and "random: 3 clip(s)" in report and "): OK" in report
    session = onnxruntime.InferenceSession(str(fused_onnx), providers=["CPUExecutionProvider"])
    assert [node.name for node in session.get_inputs()] == ["frames", "landmarks", "mask"]
    data = load_module(fused_checkpoint).config.general_parameters.datasets()[0].path
    clip = sorted(path for path in Path(data).iterdir() if path.is_dir() and path.name != "landmarks")[0]
    for model in (fused_checkpoint, fused_onnx):  # MediaPipe finds no hand in a drawing
        status, out, err = run_predict(capsys, model, clip)
        assert status == 0, err
        assert out.splitlines() == [str(clip), f"  {NOBODY}"]


def test_fused_model_reports_a_drawn_clip_as_empty(capsys, fused_checkpoint):
    data = load_module(fused_checkpoint).config.general_parameters.datasets()[0].path
    clip = sorted(path for path in Path(data).iterdir() if path.is_dir() and path.name != "landmarks")[0]
    status, out, err = run_predict(capsys, fused_checkpoint, clip)  # MediaPipe finds no hand in a drawing
    assert status == 0, err
    assert out.splitlines() == [str(clip), f"  {NOBODY}"]


def test_a_landmark_file_for_a_model_of_frames_is_a_clear_error(capsys, fused_checkpoint, stored):
    status, _, err = run_predict(capsys, fused_checkpoint, stored / "a.npz")
    assert status == 2 and "a.npz: a landmark file, but the model reads frames" in err


@pytest.mark.parametrize("kind", ["landmark", "fused"])
def test_webcam_headless_on_a_stream_without_a_person(capsys, tmp_path, request, kind, tiny_video):
    checkpoint = request.getfixturevalue(f"{kind}_checkpoint")
    args = ["--checkpoint", str(checkpoint), "--source", str(tiny_video), "--headless"]
    assert webcam.main(args + ["--output", str(tmp_path / "out.mp4"), "--max_frames", "6", "--stride", "3"]) == 0
    out = capsys.readouterr().out
    assert "processed 6 frames (2 predictions)" in out and "landmarks " in out and " ms per frame" in out
    assert f"last prediction: {NOBODY}" in out
