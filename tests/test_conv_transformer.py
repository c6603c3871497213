"""`conv_transformer` (1D depthwise convolutions + transformer, the Kaggle ISLR winners' kind) over per-frame landmark
features: shapes, padding, frame order, ONNX export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from datasets.landmark_files import joint_names
from models.conv_transformer import KERNEL, ConvTransformer
from models.heads import ClassificationHead
from models.landmark_mlp import LandmarksMlp
from models.sign_model import SignModel

JOINTS = joint_names(["pose", "left_hand", "right_hand"])
SIZES = {"output_size": 12, "feedforward_size": 24, "num_attention_heads": 2, "num_encoder_layers": 2}


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def model(dropout: float = 0.0) -> SignModel:
    """landmarks_mlp per frame -> conv_transformer -> one 5-class head."""
    extractor = LandmarksMlp(JOINTS, 10, channels=(16,), dropout=dropout)
    encoder = ConvTransformer(input_size=10, dropout_rate=dropout, **SIZES)
    return SignModel(extractor, encoder, {"gloss": ClassificationHead(12, 5, 0, 0.0)})


def clip(time: int) -> torch.Tensor:
    """`[1, time, 75, 3]` landmarks, the left hand missing in every other frame."""
    landmarks = 0.2 + 0.6 * torch.rand(1, time, len(JOINTS), 3)
    landmarks[:, ::2, 33:54] = float("nan")
    return landmarks


def test_width_is_rounded_to_the_heads_and_states_are_per_frame() -> None:
    encoder = ConvTransformer(input_size=10, dropout_rate=0.1, **{**SIZES, "num_attention_heads": 4}).eval()
    mask = torch.ones(3, 7, dtype=torch.bool)
    mask[0, 4:] = False
    states = encoder.sequence(torch.randn(3, 7, 10), mask)
    assert encoder.sequence_dim == 12 and states.shape == (3, 7, 12)  # 10 rounded up to a multiple of 4
    assert (states[0, 4:] == 0).all()
    assert encoder(torch.randn(3, 7, 10), mask).shape == (3, 12)


@pytest.mark.parametrize("length", [1, 5, KERNEL + 3])
def test_padding_never_changes_a_prediction(length: int) -> None:
    """A clip alone and the same clip padded with garbage landmarks in a batch with a longer clip: same logits."""
    sign_model = model().eval()
    sample, other = clip(length), clip(length + 6)
    padded = torch.cat([sample, 100 * torch.randn(1, 6, len(JOINTS), 3)], dim=1)
    mask = torch.ones(2, length + 6, dtype=torch.bool)
    mask[0, length:] = False
    with torch.no_grad():
        alone = sign_model(None, torch.ones(1, length, dtype=torch.bool), sample)["gloss"]
        batched = sign_model(None, mask, torch.cat([padded, other]))["gloss"]
    torch.testing.assert_close(batched[0], alone[0], atol=1e-5, rtol=1e-5)


def test_frame_order_matters() -> None:
    """Unlike a mean over frames, the convolutions read the order: a clip played backwards is another clip."""
    sign_model = model().eval()
    sample = clip(8)
    mask = torch.ones(1, 8, dtype=torch.bool)
    with torch.no_grad():
        forwards = sign_model(None, mask, sample)["gloss"]
        backwards = sign_model(None, mask, sample.flip(1))["gloss"]
    assert not torch.allclose(forwards, backwards, atol=1e-4)


def test_learns_with_dropout_and_padding() -> None:
    sign_model = model(dropout=0.2).train()
    mask = torch.ones(2, 6, dtype=torch.bool)
    mask[1, 2:] = False
    logits = sign_model(None, mask, torch.cat([clip(6), clip(6)]))["gloss"]
    logits.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in sign_model.parameters())


@pytest.mark.slow  # the dynamo export takes about 20 s on one core
def test_exports_to_onnx_with_dynamic_batch_and_length(tmp_path: Path) -> None:
    encoder = ConvTransformer(input_size=10, dropout_rate=0.1, **SIZES).eval()
    features, mask = torch.randn(2, 5, 10), torch.ones(2, 5, dtype=torch.bool)
    mask[1, 3:] = False
    program = torch.onnx.export(
        encoder,
        (features, mask),
        input_names=["features", "mask"],
        dynamic_shapes={
            "features": {0: torch.export.Dim("batch"), 1: torch.export.Dim("time")},
            "mask": {0: torch.export.Dim.DYNAMIC, 1: torch.export.Dim.DYNAMIC},
        },
        opset_version=18,
        dynamo=True,
        verbose=False,
    )
    program.save(tmp_path / "encoder.onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "encoder.onnx"), providers=["CPUExecutionProvider"])
    features, mask = torch.randn(3, 11, 10), torch.ones(3, 11, dtype=torch.bool)
    mask[0, 4:] = False
    (actual,) = session.run(None, {"features": features.numpy(), "mask": mask.numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(actual, encoder(features, mask).numpy(), atol=1e-4, rtol=1e-4)
