"""Landmark augmentations on generated clips: the flip's left/right swap, missing joints stay missing, clip lengths,
and the config that turns them on."""

from __future__ import annotations

import math

import pytest
import torch

from datasets.landmark_files import joint_names
from datasets.landmark_transforms import (
    LandmarkAugmenter,
    affine_xy,
    build_landmark_transform,
    drop_joints,
    flip_horizontal,
    resample_time,
)
from models.skeleton_layouts import mirror_permutation
from utils.config_schema import LandmarkAugmentations

PARTS = ["pose", "left_hand", "right_hand", "face"]
JOINTS = joint_names(PARTS)
EVERYTHING = LandmarkAugmentations(
    rotation_degree=30,
    scale=[0.8, 1.2],
    shift=0.1,
    shear=0.2,
    joint_dropout=0.1,
    temporal_resample=[0.5, 2.0],
    flip_probability=0.5,
)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def clip(time: int = 6) -> torch.Tensor:
    """`[T, J, 3]` in [0, 1], the right hand missing in the first two frames."""
    landmarks = torch.rand(time, len(JOINTS), 3)
    landmarks[:2, [JOINTS.index(f"right_hand.{i}") for i in range(21)]] = float("nan")
    return landmarks


def test_flip_swaps_the_hands_and_mirrors_x() -> None:
    original = clip()
    flipped = flip_horizontal(original, mirror_permutation(JOINTS))
    left, right = JOINTS.index("left_hand.8"), JOINTS.index("right_hand.8")
    torch.testing.assert_close(flipped[:, right, 0], 1 - original[:, left, 0])
    torch.testing.assert_close(flipped[:, right, 1:], original[:, left, 1:])
    assert torch.isnan(flipped[:2, left]).all()  # the right hand was missing: now the left one is
    shoulder_left, shoulder_right = JOINTS.index("pose.11"), JOINTS.index("pose.12")
    torch.testing.assert_close(flipped[:, shoulder_left, 0], 1 - original[:, shoulder_right, 0])
    lips_left, lips_right = JOINTS.index("face.61"), JOINTS.index("face.291")
    torch.testing.assert_close(flipped[:, lips_left, 0], 1 - original[:, lips_right, 0])
    torch.testing.assert_close(flip_horizontal(flipped, mirror_permutation(JOINTS)), original, equal_nan=True)


def test_resampling_keeps_the_ends_and_the_missing_joints() -> None:
    original = clip(6)
    longer = resample_time(original, 11)
    assert longer.shape == (11, len(JOINTS), 3)
    torch.testing.assert_close(longer[0], original[0], equal_nan=True)
    torch.testing.assert_close(longer[-1], original[-1], equal_nan=True)
    torch.testing.assert_close(longer[2], original[1], equal_nan=True)  # frame 1 falls on time 1.0 exactly
    right = JOINTS.index("right_hand.0")
    assert torch.isnan(longer[3, right]).all()  # between a missing (1) and a present (2) frame: missing
    assert resample_time(original[:1], 3).shape[0] == 3


def test_affine_moves_points_about_the_centre_and_keeps_nan() -> None:
    original = clip()
    quarter_turn = torch.tensor([[math.cos(math.pi / 2), -math.sin(math.pi / 2)], [1.0, 0.0]])
    turned = affine_xy(original, quarter_turn, torch.zeros(2))
    centre = original[..., :2].reshape(-1, 2).nanmean(0)
    point = JOINTS.index("pose.0")
    offset = original[0, point, :2] - centre
    torch.testing.assert_close(turned[0, point, :2], centre + torch.stack([-offset[1], offset[0]]), atol=1e-5, rtol=0)
    torch.testing.assert_close(turned[..., 2], original[..., 2], equal_nan=True)
    assert torch.equal(torch.isnan(turned), torch.isnan(original))


def test_dropout_only_adds_missing_joints() -> None:
    original = clip(50)
    dropped = drop_joints(original, 0.3)
    assert torch.isnan(dropped[torch.isnan(original)]).all()
    share = torch.isnan(dropped[2:, :, 0]).float().mean()
    assert 0.2 < share < 0.4


def test_every_augmentation_together_keeps_missing_joints_missing_and_length_bounded() -> None:
    augment = LandmarkAugmenter(EVERYTHING, JOINTS, max_frames=8)
    lengths = set()
    for _ in range(20):
        original = clip(6)
        original[:, JOINTS.index("face.0")] = float("nan")  # a joint missing throughout stays missing
        out = augment(original)
        lengths.add(out.shape[0])
        assert out.shape[1:] == original.shape[1:]
        assert torch.isnan(out[:, JOINTS.index("face.0")]).all()
        assert torch.isfinite(out[~torch.isnan(out)]).all()
    assert min(lengths) >= 3 and max(lengths) <= 8 and len(lengths) > 1


def test_no_transform_unless_configured() -> None:
    assert build_landmark_transform(LandmarkAugmentations(), PARTS, 8) is None
    assert isinstance(build_landmark_transform(LandmarkAugmentations(shift=0.1), PARTS, 8), LandmarkAugmenter)


@pytest.mark.parametrize(
    ("key", "value"), [("scale", [1.2, 1.0]), ("temporal_resample", [0, 1]), ("flip_probability", 2)]
)
def test_bad_settings_are_rejected(key, value) -> None:
    with pytest.raises(ValueError, match=key):
        LandmarkAugmentations(**{key: value})
