"""training/calibration.py: temperature scaling recovers a known temperature, lowers ECE, and rides in the checkpoint."""

from pathlib import Path

import numpy as np
import pytest
import torch

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
from training.reports.reliability import plot_reliability


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
    assert checkpoint[CALIBRATION_KEY]["fitted_on"] == "val" and torch.equal(checkpoint["state_dict"]["w"], torch.ones(2))
    assert not list(tmp_path.glob("*.partial"))


def test_reliability_diagram_draws_before_and_after(tmp_path: Path):
    logits, labels = sampled_labels(samples=300)
    probabilities = {"before": (logits * 4).softmax(-1).numpy(), "after": logits.softmax(-1).numpy()}
    figure = plot_reliability(labels.numpy(), probabilities, {"before": 0.3, "after": 0.02}, "val · letter")
    figure.savefig(tmp_path / "diagram.png")
    assert (tmp_path / "diagram.png").stat().st_size > 10_000
    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert any("ECE 0.3000" in text for text in legend) and any("ECE 0.0200" in text for text in legend)
    assert np.isclose(probabilities["after"].sum(1), 1, atol=1e-5).all()
