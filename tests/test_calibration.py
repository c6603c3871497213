"""training/calibration.py: temperature scaling recovers a known temperature, lowers ECE, rides in the checkpoint;
a run reports ECE before and after and draws a reliability diagram per head."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import train
from inference.predictor import load_predictor
from training.calibration import (
    CALIBRATION_KEY,
    TEMPERATURE_RANGE,
    calibrated_probabilities,
    ece_before_after,
    expected_calibration_error,
    fit_temperature,
    read_temperatures,
    write_calibration,
)
from training.reports.predictions import HeadPredictions, SplitPredictions
from training.reports.reliability import plot_reliability
from training.reports.writer import write_split_report
from utils.config_schema import LoggingConfig


def sampled_labels(samples: int = 4000, classes: int = 10, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Calibrated logits `[N, C]` and labels `[N]` drawn from their own softmax: T = 1 is right for them."""
    generator = torch.Generator().manual_seed(seed)
    logits = 3 * torch.randn(samples, classes, generator=generator)
    labels = torch.multinomial(logits.softmax(-1), 1, generator=generator).squeeze(1)
    return logits, labels


@pytest.mark.parametrize("temperature", [0.4, 1.0, 2.5])
def test_fit_recovers_a_known_temperature(temperature):
    logits, labels = sampled_labels()
    # Logits scaled by 1/T: dividing them by the fitted T must give back the calibrated ones.
    assert fit_temperature(logits / temperature, labels) == pytest.approx(1 / temperature, rel=0.08)


def test_ece_drops_on_over_confident_logits():
    logits, labels = sampled_labels()
    over_confident = logits * 4
    fitted = fit_temperature(over_confident, labels)
    figures = ece_before_after(over_confident, labels, fitted)
    assert figures["ece"] > 0.2 and figures["ece_calibrated"] < 0.05
    assert figures["ece_calibrated"] < figures["ece"] / 4


def test_calibration_never_changes_the_predicted_class():
    logits, _ = sampled_labels(samples=200)
    assert torch.equal(calibrated_probabilities(logits, 3.7).argmax(1), logits.argmax(1))


def test_unlabelled_samples_are_ignored_and_a_head_without_labels_keeps_t_1():
    logits, labels = sampled_labels(samples=500)
    assert fit_temperature(logits, torch.full_like(labels, -1)) == 1.0
    assert expected_calibration_error(logits.softmax(-1), torch.full_like(labels, -1)) is None
    hidden = labels.clone()
    hidden[::2] = -1
    assert fit_temperature(logits, hidden) == pytest.approx(fit_temperature(logits[1::2], labels[1::2]))


@pytest.mark.parametrize("scale", [2, 8, 1000])
def test_perfectly_separated_validation_sharpens_within_range(scale):
    # Every answer right: the likelihood only rises as T falls, so the fit sharpens, but stays in range and finite.
    logits = torch.eye(5).repeat(20, 1) * scale
    assert TEMPERATURE_RANGE[0] <= fit_temperature(logits, logits.argmax(1)) <= 1


def test_temperatures_ride_in_the_checkpoint_file(tmp_path: Path):
    path = tmp_path / "best.ckpt"
    torch.save({"state_dict": {"w": torch.ones(2)}, "hyper_parameters": {"config": {}}}, path)
    assert read_temperatures(torch.load(path, weights_only=True)) is None
    write_calibration(path, {"letter": 1.5, "gloss": 0.8})
    checkpoint = torch.load(path, weights_only=True)
    assert read_temperatures(checkpoint) == {"letter": 1.5, "gloss": 0.8}
    assert checkpoint[CALIBRATION_KEY]["fitted_on"] == "val" and torch.equal(
        checkpoint["state_dict"]["w"], torch.ones(2)
    )
    assert not list(tmp_path.glob("*.partial"))


def test_reliability_diagram_draws_before_and_after(tmp_path: Path):
    logits, labels = sampled_labels(samples=300)
    outputs = HeadPredictions(labels.numpy(), (logits * 4).numpy(), temperature=4.0)
    figure = plot_reliability(outputs, "val · letter")
    figure.savefig(tmp_path / "diagram.png")
    assert (tmp_path / "diagram.png").stat().st_size > 10_000
    curve_axes = figure.get_axes()[0]
    legend = " ".join(text.get_text() for text in curve_axes.get_legend().get_texts())
    before = expected_calibration_error(torch.from_numpy(outputs.logits).softmax(-1), labels)
    after = expected_calibration_error(torch.from_numpy(outputs.probabilities), labels)
    assert f"T = 1 (ECE {before:.4f})" in legend and f"T = 4 (ECE {after:.4f})" in legend and after < before


def check_calibrated_run(run_dir: Path) -> dict:
    """The summary's ECE before and after per split and head, its temperatures, and the same temperatures in the
    best checkpoint and in what inference loads from it; returns the summary."""
    summary = json.loads((run_dir / "summary.json").read_text())
    temperatures = summary["calibration"]["temperatures"]
    assert summary["calibration"]["fitted_on"] == "val" and summary["calibration"]["ece_bins"] == 15
    assert set(temperatures) == set(summary["val"])
    for head, figures in summary["val"].items():
        if figures["accuracy"] is None:  # no labelled val sample: nothing to fit, nothing to report
            assert figures["ece"] is None and temperatures[head] == 1.0
            continue
        assert 0 <= figures["ece"] <= 1 and 0 <= figures["ece_calibrated"] <= 1
        assert TEMPERATURE_RANGE[0] <= temperatures[head] <= TEMPERATURE_RANGE[1]
    assert read_temperatures(torch.load(summary["best_checkpoint"], weights_only=True)) == temperatures
    assert load_predictor(Path(summary["best_checkpoint"])).temperatures == temperatures
    return summary


def test_a_run_reports_ece_and_its_best_checkpoint_carries_the_temperatures(tiny_checkpoint):
    check_calibrated_run(tiny_checkpoint.parents[1])


@pytest.mark.slow  # about 20 s alone (the figures of 7 heads), over a minute on a busy machine
def test_a_run_with_figures_draws_a_reliability_diagram_per_head(tiny_config_path, capsys):
    status = train.main(["--model_config_path", str(tiny_config_path), "--set", "logging.figures=true"])
    out = capsys.readouterr().out
    assert status == 0 and "ece" in out and "calibrated" in out
    run_dir = Path(out.strip().splitlines()[-1].split(": ", 1)[1])
    summary = check_calibrated_run(run_dir)
    for head, figures in summary["val"].items():
        if figures["accuracy"] is not None:
            assert (run_dir / "report" / f"val_{head}_reliability.png").is_file()
            assert f"val_{head}_reliability.png" in (run_dir / "report" / "index.html").read_text()


def test_the_report_has_a_reliability_diagram_per_labelled_head(tmp_path: Path):
    logits, labels = sampled_labels(samples=200, classes=4)
    unlabelled = HeadPredictions(np.full(200, -1), logits.numpy())
    split = SplitPredictions(
        [{"clip": str(i)} for i in range(200)],
        {"letter": HeadPredictions(labels.numpy(), logits.numpy(), 2.0), "gloss": unlabelled},
    )
    names = {"letter": list("abcd"), "gloss": list("wxyz")}
    # Two classes at most for matrices and curves: only the reliability diagrams are drawn.
    settings = LoggingConfig(figures=True, curves_max_classes=2, confusion_matrix_max_classes=2)
    assert write_split_report(tmp_path, "val", split, names, settings) == ["letter"]
    assert (tmp_path / "val_letter_reliability.png").is_file() and not (tmp_path / "val_gloss_reliability.png").exists()
