"""Landmark augmentations from `augmentations_parameters.landmarks`, for the training split.

Each works on one clip, float `[T, J, C]` (x, y, z, ...; NaN = not detected) in MediaPipe's normalised image
coordinates, and draws its random values once per clip, so all frames move together. In order:
- temporal resampling: a speed s uniform in `temporal_resample` turns T frames into round(T / s) (at most the
  clip length the config asks for, `num_segments`), by linear interpolation (a joint missing at either neighbouring
  frame is missing in between);
- horizontal flip (`flip_probability`): x -> 1 - x, and every joint takes the place of its mirror image (left and
  right hands, left and right pose joints, the mirrored face points of `models.skeleton_layouts`), so the signer's
  left hand stays the one called `left_hand`;
- rotation, shear and scale about the clip's centre (the mean of its detected x, y), then a shift: in-plane, on
  x and y (z is left as it is);
- joint dropout: each joint of each frame becomes NaN (not detected) with probability `joint_dropout`.
Missing joints stay missing: no augmentation turns NaN into a number.
"""

from __future__ import annotations

import math
from typing import Callable, Optional

import torch
from torch import Tensor

from datasets.landmark_files import joint_names
from models.skeleton_layouts import mirror_permutation
from utils.config_schema import LandmarkAugmentations


def _uniform(low: float, high: float) -> float:
    """A number drawn uniformly from [low, high] with torch's generator (seeded per DataLoader worker)."""
    return low + (high - low) * float(torch.rand(()))


def resample_time(clip: Tensor, length: int) -> Tensor:
    """`[T, J, C]` -> `[length, J, C]`, linearly interpolated at evenly spaced times from the first to the last
    frame; a point between a detected and a missing joint is missing."""
    positions = torch.linspace(0, clip.shape[0] - 1, length, dtype=torch.float64)
    lower = positions.floor().long()
    upper = (lower + 1).clamp(max=clip.shape[0] - 1)
    weight = (positions - lower).to(clip.dtype)[:, None, None]
    before, after = clip[lower], clip[upper]
    # NaN * 0 is NaN, so a frame that falls exactly on an original one takes it as it is.
    return torch.where(weight == 0, before, before + (after - before) * weight)


def flip_horizontal(clip: Tensor, mirror: list[int]) -> Tensor:
    """Mirror `[T, J, C]` left-right: joint j takes the values of joint `mirror[j]` (its mirror image), x -> 1 - x."""
    flipped = clip[:, mirror].clone()
    flipped[..., 0] = 1 - flipped[..., 0]
    return flipped


def affine_xy(clip: Tensor, matrix: Tensor, shift: Tensor) -> Tensor:
    """x, y of `[T, J, C]` mapped by the 2x2 `matrix` about the clip's centre (mean detected x, y), then moved by
    `shift` `[2]`; other channels and NaN points are kept."""
    xy = clip[..., :2]
    centre = xy.reshape(-1, 2).nanmean(dim=0)
    moved = clip.clone()
    moved[..., :2] = (xy - centre) @ matrix.T.to(clip.dtype) + centre + shift.to(clip.dtype)
    return moved


def drop_joints(clip: Tensor, probability: float) -> Tensor:
    """Each joint of each frame of `[T, J, C]` set to NaN (not detected) with `probability`."""
    dropped = torch.rand(clip.shape[:2]) < probability
    return clip.masked_fill(dropped.unsqueeze(-1), float("nan"))


def random_matrix(cfg: LandmarkAugmentations) -> Tensor:
    """scale * rotation @ shear, 2x2, each drawn from its configured range."""
    angle = math.radians(_uniform(-cfg.rotation_degree, cfg.rotation_degree))
    cos, sin = math.cos(angle), math.sin(angle)
    rotation = torch.tensor([[cos, -sin], [sin, cos]])
    shear = torch.tensor([[1.0, _uniform(-cfg.shear, cfg.shear)], [_uniform(-cfg.shear, cfg.shear), 1.0]])
    return _uniform(*cfg.scale) * rotation @ shear


class LandmarkAugmenter:
    """The configured augmentations for clips of `joints` (a picklable callable for DataLoader workers)."""

    def __init__(self, cfg: LandmarkAugmentations, joints: list[str], max_frames: int) -> None:
        self.cfg = cfg
        self.mirror = mirror_permutation(joints)
        self.max_frames = max_frames

    def __call__(self, clip: Tensor) -> Tensor:
        """float `[T, J, C]` -> float `[T', J, C]`, NaN where not detected (or dropped)."""
        cfg = self.cfg
        if cfg.temporal_resample != [1.0, 1.0]:
            length = round(clip.shape[0] / _uniform(*cfg.temporal_resample))
            clip = resample_time(clip, min(max(length, 1), self.max_frames))
        if float(torch.rand(())) < cfg.flip_probability:
            clip = flip_horizontal(clip, self.mirror)
        if cfg.rotation_degree or cfg.shear or cfg.scale != [1.0, 1.0] or cfg.shift:
            shift = (torch.rand(2) * 2 - 1) * cfg.shift
            clip = affine_xy(clip, random_matrix(cfg), shift)
        if cfg.joint_dropout:
            clip = drop_joints(clip, cfg.joint_dropout)
        return clip


def build_landmark_transform(
    cfg: LandmarkAugmentations, parts: list[str], max_frames: int
) -> Optional[Callable[[Tensor], Tensor]]:
    """The augmentations for clips of the landmark `parts` (`pose`, `left_hand`, ...), or None when all are off."""
    if cfg == LandmarkAugmentations():
        return None
    return LandmarkAugmenter(cfg, joint_names(parts), max_frames)
