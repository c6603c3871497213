"""Calibrated probabilities at inference: the temperatures of the checkpoint and the ONNX file, applied by both
runtimes, and `--min_confidence` in predict.py, webcam.py and the demo."""

import csv
import json
import logging
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from streamlit.testing.v1 import AppTest

from inference import demo_app, predict, webcam
from inference.confidence import UNKNOWN
from inference.predictor import load_predictor
from training.calibration import CALIBRATION_KEY, read_temperatures

APP = str(Path(__file__).resolve().parents[1] / "inference" / "demo_app.py")


def checkpoint_temperatures(checkpoint: Path) -> dict[str, float]:
    """The temperatures train.py wrote into a checkpoint."""
    temperatures = read_temperatures(torch.load(checkpoint, weights_only=True))
    assert temperatures is not None, f"{checkpoint} is not calibrated"
    return temperatures


def predict_json(capsys, tmp_path: Path, model: Path, source: Path, *extra: str) -> list[dict]:
    """The records of predict.py --output results.json (it must succeed)."""
    output = tmp_path / f"{model.stem}.json"
    status = predict.main(["--checkpoint", str(model), "--input", str(source), "--output", str(output), *extra])
    assert status == 0, capsys.readouterr().err
    return json.loads(output.read_text())


def test_torch_predictor_divides_the_logits_by_each_heads_temperature(tiny_checkpoint):
    predictor = load_predictor(tiny_checkpoint)
    assert predictor.calibrated and predictor.temperatures == checkpoint_temperatures(tiny_checkpoint)
    clip = torch.randn(3, 3, 32, 32)
    probabilities = predictor.predict([clip])[0]
    logits = predictor.logits(clip.unsqueeze(0), torch.ones(1, 3, dtype=torch.bool))
    for head, values in logits.items():
        expected = torch.from_numpy(values[0] / predictor.temperatures[head]).softmax(-1).numpy()
        np.testing.assert_allclose(probabilities[head], expected, atol=1e-6)


def test_onnx_metadata_carries_the_temperatures_and_both_runtimes_agree(
    capsys, tmp_path, tiny_checkpoint, tiny_onnx, tiny_dataset
):
    metadata = {prop.key: prop.value for prop in onnx.load(str(tiny_onnx)).metadata_props}
    assert json.loads(metadata["sign_temperatures"]) == checkpoint_temperatures(tiny_checkpoint)
    assert load_predictor(tiny_onnx).temperatures == checkpoint_temperatures(tiny_checkpoint)
    source = tiny_dataset / "bye_0000"
    torch_records = predict_json(capsys, tmp_path, tiny_checkpoint, source, "--top_k", "3")
    onnx_records = predict_json(capsys, tmp_path, tiny_onnx, source, "--top_k", "3")
    assert torch_records and [r["input"] for r in torch_records] == [r["input"] for r in onnx_records]
    for torch_record, onnx_record in zip(torch_records, onnx_records):
        for head, ranked in torch_record["heads"].items():
            expected = [entry["probability"] for entry in ranked]
            assert [entry["probability"] for entry in onnx_record["heads"][head]] == pytest.approx(expected, abs=1e-5)


def test_an_uncalibrated_checkpoint_keeps_the_raw_softmax_and_says_so(tmp_path, tiny_checkpoint, caplog):
    checkpoint = torch.load(tiny_checkpoint, weights_only=True)
    del checkpoint[CALIBRATION_KEY]
    torch.save(checkpoint, tmp_path / "old.ckpt")
    with caplog.at_level(logging.WARNING):
        predictor = load_predictor(tmp_path / "old.ckpt")
    assert not predictor.calibrated and set(predictor.temperatures.values()) == {1.0}
    assert "old.ckpt is not calibrated" in caplog.text


def test_predict_min_confidence_answers_unknown_and_keeps_the_top_k(capsys, tmp_path, tiny_checkpoint, tiny_dataset):
    image = tiny_dataset / "letter_a_0000" / "letter_a_0000_0.jpg"
    plain = predict_json(capsys, tmp_path, tiny_checkpoint, image)[0]
    assert UNKNOWN not in plain["answers"].values()  # default 0: always the best class
    assert all(plain["answers"][head] == ranked[0]["class"] for head, ranked in plain["heads"].items())
    output = tmp_path / "strict.csv"
    args = ["--checkpoint", str(tiny_checkpoint), "--input", str(image), "--min_confidence", "0.999"]
    assert predict.main(args + ["--output", str(output)]) == 0
    printed = capsys.readouterr().out
    with output.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    for head, ranked in plain["heads"].items():
        head_rows = [row for row in rows if row["head"] == head]
        expected = UNKNOWN if ranked[0]["probability"] < 0.999 else ranked[0]["class"]
        assert {row["answer"] for row in head_rows} == {expected}
        assert [row["class"] for row in head_rows] == [entry["class"] for entry in ranked]  # the raw top-k stays
    assert any(row["answer"] == UNKNOWN for row in rows)  # a 1-epoch model is not that sure of everything
    assert f"  {UNKNOWN}:  " in printed


def test_predict_rejects_a_min_confidence_outside_0_1(capsys, tiny_checkpoint, tiny_dataset):
    with pytest.raises(SystemExit) as exit_info:
        predict.main(["--checkpoint", str(tiny_checkpoint), "--input", str(tiny_dataset), "--min_confidence", "1.5"])
    assert exit_info.value.code == 2 and "not a probability in [0, 1]" in capsys.readouterr().err


def test_webcam_shows_unknown_below_min_confidence(tiny_checkpoint):
    predictor = load_predictor(tiny_checkpoint)
    probabilities = {head: np.full(len(names), 1 / len(names)) for head, names in predictor.class_names.items()}
    lines = webcam.prediction_lines(predictor, probabilities, min_confidence=0.9)
    assert all(text.startswith(f"{head}: {UNKNOWN} (") for (text, _), head in zip(lines, predictor.heads))
    assert not any(UNKNOWN in text for text, _ in webcam.prediction_lines(predictor, probabilities))


def test_webcam_headless_run_with_min_confidence(capsys, tmp_path, tiny_checkpoint, tiny_video):
    args = ["--checkpoint", str(tiny_checkpoint), "--source", str(tiny_video), "--headless"]
    args += ["--output", str(tmp_path / "out.mp4"), "--max_frames", "8", "--min_confidence", "1"]
    assert webcam.main(args) == 0
    last = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("last prediction: "))
    assert UNKNOWN in last


def test_demo_answers_unknown_below_min_confidence(monkeypatch, tiny_dataset, tiny_onnx):
    monkeypatch.setenv(demo_app.MODEL_ENV, str(tiny_onnx))
    monkeypatch.setattr(sys, "argv", [APP, "--min_confidence", "1"])  # what the launcher passes after `--`
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception and app.slider[0].value == 1.0  # the page's slider starts at --min_confidence
    image = tiny_dataset / "letter_a_0000" / "letter_a_0000_0.jpg"
    app.file_uploader[0].set_value((image.name, image.read_bytes(), "image/jpeg")).run()
    assert not app.exception and not app.error
    answers = [markdown.value for markdown in app.markdown if markdown.value.startswith("**")]
    assert answers and all(f"**: {UNKNOWN} (best " in answer for answer in answers)
    assert len(app.get("vega_lite_chart")) == len(answers)  # the top 5 is still shown
