"""The graph network exports to ONNX (dynamic batch and clip length) and ONNX Runtime matches PyTorch, missing joints
and padding included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from datasets.landmark_files import joint_names
from models.landmark_gcn import LandmarksGcn

JOINTS = joint_names(["pose", "left_hand", "right_hand"])
ONNX_OPSET = 18  # as inference/export_onnx.py


@pytest.fixture(scope="module", name="exported")
def fixture_exported(tmp_path_factory) -> tuple[LandmarksGcn, Path]:
    """A small GCN and its ONNX file, exported from a batch of 2 clips of 5 frames."""
    torch.manual_seed(0)
    model = LandmarksGcn(JOINTS, 16, channels=(8, 16), temporal_kernel=3, dropout=0.1).eval()
    landmarks, mask = torch.rand(2, 5, len(JOINTS), 3), torch.ones(2, 5, dtype=torch.bool)
    mask[1, 3:] = False
    program = torch.onnx.export(
        model,
        (landmarks, mask),
        input_names=["landmarks", "mask"],
        output_names=["features"],
        dynamic_shapes={
            "landmarks": {0: torch.export.Dim("batch"), 1: torch.export.Dim("time")},
            "mask": {0: torch.export.Dim.DYNAMIC, 1: torch.export.Dim.DYNAMIC},
        },
        opset_version=ONNX_OPSET,
        dynamo=True,
        verbose=False,
    )
    path = tmp_path_factory.mktemp("onnx") / "gcn.onnx"
    program.save(path)
    return model, path


@pytest.mark.parametrize(("batch", "time"), [(1, 1), (2, 5), (3, 32)])
def test_onnx_matches_pytorch(exported, batch, time) -> None:
    model, path = exported
    landmarks, mask = torch.rand(batch, time, len(JOINTS), 3), torch.ones(batch, time, dtype=torch.bool)
    landmarks[0, : max(1, time // 2), 33:54] = float("nan")  # the left hand is not detected in the first half
    landmarks[-1, :, 0] = float("nan")  # nor the nose, ever
    mask[-1, max(1, time // 3) :] = False
    expected = model(landmarks, mask).detach().numpy()
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (actual,) = session.run(None, {"landmarks": landmarks.numpy(), "mask": mask.numpy()})
    assert actual.shape == expected.shape
    assert np.isfinite(actual).all()
    np.testing.assert_allclose(actual, expected, atol=1e-5, rtol=1e-4)
