"""Temperature scaling: one scalar per head, fitted on the validation split, so that a probability means what it says.

A head's calibrated probabilities are `softmax(logits / T)`: T > 1 softens an over-confident head, T < 1 sharpens an
under-confident one, and the predicted class never changes. T is fitted after training by minimising the negative
log-likelihood of the validation labels (Guo et al., "On Calibration of Modern Neural Networks", 2017). It is
stored in the checkpoint under `CALIBRATION_KEY` and in the ONNX metadata; every inference tool divides by it.
Expected calibration error (ECE, 15 equal-width confidence bins) is reported before and after.
"""

import logging
import math
import os
from pathlib import Path
from typing import Any, Optional

import torch
from torch import Tensor
from torch.nn import functional as F
from torchmetrics.classification import MulticlassCalibrationError

logger = logging.getLogger(__name__)

CALIBRATION_KEY = "calibration"  # the checkpoint's top-level key: {"method", "fitted_on", "temperatures"}
ECE_BINS = 15
ECE_NAMES = ("ece", "ece_calibrated")  # summary.json's figures per split and head: before and after calibration
# The fitted T is kept in this range. When every validation answer is right, the likelihood keeps rising as T -> 0
# (the fit stops where its gradient vanishes); when it is wrong at full confidence, as T -> infinity. A T at either
# end says the validation split cannot tell how far to trust the model.
TEMPERATURE_RANGE = (0.05, 20.0)


def labelled(logits: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
    """Only the samples with a label: logits `[N, C]`, targets `[N]` (-1 = no label) -> `[M, C]`, `[M]`."""
    keep = targets >= 0
    return logits[keep], targets[keep]


def fit_temperature(logits: Tensor, targets: Tensor, max_iter: int = 100) -> float:
    """The T that minimises the NLL of `softmax(logits / T)`: logits float `[N, C]`, targets int `[N]` (-1 = no
    label). 1.0 for a head with no labelled sample.

    LBFGS on log T: the NLL is convex in 1/T, so the one minimum is found, and log T keeps T positive.
    """
    logits, targets = labelled(logits.detach().double(), targets.long())
    if targets.numel() == 0:
        return 1.0
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([log_t], lr=1.0, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        optimiser.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), targets)
        loss.backward()
        return loss

    optimiser.step(closure)
    temperature = float(log_t.detach().exp())
    if not math.isfinite(temperature):  # the NLL only fell as T -> 0 or infinity
        temperature = TEMPERATURE_RANGE[0] if log_t.item() < 0 else TEMPERATURE_RANGE[1]
    return min(max(temperature, TEMPERATURE_RANGE[0]), TEMPERATURE_RANGE[1])


def calibrated_probabilities(logits: Tensor, temperature: float) -> Tensor:
    """logits `[..., C]` -> `softmax(logits / temperature)` `[..., C]`."""
    return (logits / temperature).softmax(dim=-1)


def expected_calibration_error(probabilities: Tensor, targets: Tensor, n_bins: int = ECE_BINS) -> Optional[float]:
    """Top-label ECE of probabilities `[N, C]` against targets `[N]` (-1 = no label); None with no labelled sample.

    ECE = sum over confidence bins of (share of samples in the bin) x |accuracy - mean confidence| in the bin.
    """
    probabilities, targets = labelled(probabilities.float(), targets.long())
    if targets.numel() == 0:
        return None
    metric = MulticlassCalibrationError(num_classes=probabilities.shape[1], n_bins=n_bins, norm="l1")
    return float(metric(probabilities, targets))


def ece_before_after(logits: Tensor, targets: Tensor, temperature: float) -> dict[str, Optional[float]]:
    """`{"ece": ..., "ece_calibrated": ...}` of one head on one split: logits `[N, C]`, targets `[N]`."""
    return {
        "ece": expected_calibration_error(logits.softmax(dim=-1), targets),
        "ece_calibrated": expected_calibration_error(calibrated_probabilities(logits, temperature), targets),
    }


def fit_temperatures(val_outputs: dict[str, tuple[Tensor, Tensor]]) -> dict[str, float]:
    """{head: (logits `[N, C]`, targets `[N]`)} of the validation split -> {head: T}."""
    temperatures = {head: fit_temperature(logits, targets) for head, (logits, targets) in val_outputs.items()}
    logger.info("temperatures fitted on val: %s", ", ".join(f"{h} {t:.3f}" for h, t in temperatures.items()))
    return temperatures


def calibration_record(temperatures: dict[str, float], fitted_on: str = "val") -> dict[str, Any]:
    """What the checkpoint stores under `CALIBRATION_KEY`."""
    return {"method": "temperature_scaling", "fitted_on": fitted_on, "temperatures": dict(temperatures)}


def read_temperatures(checkpoint: dict[str, Any]) -> Optional[dict[str, float]]:
    """{head: T} from a loaded checkpoint dict; None when it was never calibrated (made before calibration)."""
    record = checkpoint.get(CALIBRATION_KEY)
    if not isinstance(record, dict) or not isinstance(record.get("temperatures"), dict):
        return None
    return {str(head): float(value) for head, value in record["temperatures"].items()}


def write_calibration(path: Path, temperatures: dict[str, float], fitted_on: str = "val") -> None:
    """Add the temperatures to the checkpoint file at `path` (rewritten through a temporary file, so a crash
    midway leaves the old checkpoint whole)."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    checkpoint[CALIBRATION_KEY] = calibration_record(temperatures, fitted_on)
    partial = path.with_name(path.name + ".partial")
    torch.save(checkpoint, partial)
    os.replace(partial, path)


def _global_step(path: Path) -> Optional[int]:
    """The optimiser step a Lightning checkpoint was saved at."""
    return torch.load(path, map_location="cpu", weights_only=True).get("global_step")


def calibrate_checkpoints(best: Optional[str], last: Optional[str], temperatures: dict[str, float]) -> list[Path]:
    """Write the temperatures into the checkpoints that hold the evaluated weights; returns their paths.

    The evaluated weights are best.ckpt's (or, with no best checkpoint, the last ones). last.ckpt gets the
    temperatures only when it was saved at the same step as best.ckpt: other weights need their own fit, and a
    checkpoint without temperatures is used uncalibrated (T = 1), with a warning.
    """
    targets = [Path(best)] if best else []
    if last and Path(last).is_file() and (not best or _global_step(Path(last)) == _global_step(Path(best))):
        targets.append(Path(last))
    for path in targets:
        write_calibration(path, temperatures)
        logger.info("calibration written into %s", path)
    return targets
