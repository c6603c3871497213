"""What every landmark model does first: pick a layout's joints, find the missing ones, normalise position and scale.

Landmarks arrive as float `[B, T, J_in, C]` in MediaPipe's normalised image coordinates (x, y as fractions of the
frame, z on x's scale; any further channel such as visibility is not read), NaN where a joint was not detected,
plus the frame mask `[B, T]`. A joint is *present* where its x, y, z are all numbers and its frame is real; the
models never read the value of a joint that is not present (it is set to 0 and masked), so a missing hand is not
mistaken for a hand at the origin.

Normalisation (`normalisation`):
- `shoulders`: the whole clip is centred on the mean shoulder midpoint and divided by the mean shoulder width, over
  the frames where both shoulders are present (one transform per clip, so the signer's movement is kept);
- `wrist`: each hand, in each frame, is centred on its own wrist and divided by its palm length (wrist to the base
  of the middle finger), which keeps the handshape only; other joints are normalised as for `shoulders`;
- `none`: coordinates as they come.
Without both shoulders in a clip (or in the layout), the centre is the mean of the clip's present joints and the
scale their root-mean-square distance to it.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from models.skeleton_layouts import (
    HAND_PARTS,
    LAYOUTS,
    MIDDLE_FINGER_BASE,
    SHOULDERS,
    WRIST,
    SkeletonLayout,
    layout_indices,
)

NORMALISATIONS = ("shoulders", "wrist", "none")
COORDINATES = 3  # x, y, z
_MIN_SCALE = 1e-3  # a clip with a single present joint has no spread; keep the division finite


def masked_mean(values: Tensor, weights: Tensor, dims: tuple[int, ...]) -> Tensor:
    """Mean of `values` over `dims` weighted by 0/1 `weights` (broadcastable); 0 where every weight is 0."""
    return (values * weights).sum(dims) / weights.sum(dims).clamp(min=1.0)


def part_membership(layout: SkeletonLayout) -> Tensor:
    """float `[J, P]`: 1 where joint j belongs to part p (parts in `layout.parts` order)."""
    parts = layout.parts
    membership = torch.zeros(len(layout.joints), len(parts))
    for row, joint in enumerate(layout.joints):
        membership[row, parts.index(joint.partition(".")[0])] = 1.0
    return membership


class LandmarkInput(nn.Module):
    """`[B, T, J_in, C]` (NaN = missing) + mask `[B, T]` -> normalised points `[B, T, J, 3]` (0 where missing) and
    `present` bool `[B, T, J]`, J being the layout's joints in layout order."""

    def __init__(self, input_joints: list[str], layout: str, normalisation: str) -> None:
        """Args:
        input_joints: the name of each input joint (`pose.11`, ...), in input order.
        layout: a name of `models.skeleton_layouts.LAYOUTS`.
        normalisation: `shoulders`, `wrist` or `none`.

        Raises:
            ValueError: an unknown layout or normalisation, or input joints that lack some of the layout's joints.
        """
        super().__init__()
        if layout not in LAYOUTS:
            raise ValueError(f"unknown skeleton layout {layout!r}; known: {sorted(LAYOUTS)}")
        if normalisation not in NORMALISATIONS:
            raise ValueError(f"unknown normalisation {normalisation!r}; known: {list(NORMALISATIONS)}")
        self.layout = LAYOUTS[layout]
        self.normalisation = normalisation
        joints = list(self.layout.joints)
        self.register_buffer("index", torch.tensor(layout_indices(self.layout, input_joints)), persistent=False)
        self.shoulders = [joints.index(j) for j in SHOULDERS] if set(SHOULDERS) <= set(joints) else []
        # Per hand: its wrist, the base of its middle finger, and which joints belong to it.
        self.hands = [
            (joints.index(f"{hand}.{WRIST}"), joints.index(f"{hand}.{MIDDLE_FINGER_BASE}"))
            for hand in HAND_PARTS
            if f"{hand}.{WRIST}" in joints
        ]
        hand_joints = torch.tensor([[j.startswith(f"{hand}.") for j in joints] for hand in HAND_PARTS])
        self.register_buffer("hand_joints", hand_joints, persistent=False)

    def forward(self, landmarks: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """float `[B, T, J_in, C>=3]`, bool `[B, T]` -> (float `[B, T, J, 3]`, bool `[B, T, J]`)."""
        points = landmarks.index_select(2, self.index)[..., :COORDINATES]
        present = ~torch.isnan(points).any(dim=-1) & mask.unsqueeze(-1)
        zero = torch.zeros((), dtype=points.dtype, device=points.device)
        points = torch.where(present.unsqueeze(-1), points, zero)
        if self.normalisation != "none":
            centre, scale = self._clip_frame(points, present)
            normalised = (points - centre) / scale
            if self.normalisation == "wrist":
                normalised = self._hands_on_wrists(points, present, normalised)
            points = torch.where(present.unsqueeze(-1), normalised, zero)
        return points, present

    def _clip_frame(self, points: Tensor, present: Tensor) -> tuple[Tensor, Tensor]:
        """Per clip: centre `[B, 1, 1, 3]` and scale `[B, 1, 1, 1]` (see the module docstring)."""
        weights = present.unsqueeze(-1).to(points.dtype)  # [B, T, J, 1]
        centre = masked_mean(points, weights, (1, 2))  # [B, 3]
        offsets = points[..., :2] - centre[:, None, None, :2]
        scale = masked_mean(offsets.square().sum(-1, keepdim=True), weights, (1, 2)).sqrt()  # [B, 1]
        if self.shoulders:
            left, right = points[:, :, self.shoulders[0]], points[:, :, self.shoulders[1]]  # [B, T, 3]
            both = (present[:, :, self.shoulders[0]] & present[:, :, self.shoulders[1]]).unsqueeze(-1)
            both = both.to(points.dtype)  # [B, T, 1]
            width = torch.linalg.vector_norm((left - right)[..., :2], dim=-1, keepdim=True)
            found = both.sum(1) > 0  # [B, 1]
            centre = torch.where(found, masked_mean((left + right) / 2, both, (1,)), centre)
            scale = torch.where(found, masked_mean(width, both, (1,)), scale)
        return centre[:, None, None, :], scale.clamp(min=_MIN_SCALE)[:, None, None, :]

    def _hands_on_wrists(self, points: Tensor, present: Tensor, normalised: Tensor) -> Tensor:
        """Each hand's joints, in frames where its wrist and middle-finger base are present, relative to the wrist
        and divided by the palm length."""
        for hand, (wrist, base) in enumerate(self.hands):
            origin = points[:, :, wrist : wrist + 1]  # [B, T, 1, 3]
            palm = torch.linalg.vector_norm(points[:, :, base : base + 1, :2] - origin[..., :2], dim=-1, keepdim=True)
            found = (present[:, :, wrist] & present[:, :, base])[:, :, None, None]
            use = found & self.hand_joints[hand][None, None, :, None]
            normalised = torch.where(use, (points - origin) / palm.clamp(min=_MIN_SCALE), normalised)
        return normalised


class PartPooling(nn.Module):
    """Per-joint features `[B, T, J, C]` -> per-frame `[B, T, P * (C + 1)]`: for each part of the layout, the mean
    over its present joints and the share of its joints present (a missing hand gives zeros and share 0)."""

    def __init__(self, layout: SkeletonLayout) -> None:
        super().__init__()
        self.register_buffer("membership", part_membership(layout).t().contiguous(), persistent=False)  # [P, J]
        self.parts = len(layout.parts)

    def forward(self, features: Tensor, weights: Tensor) -> Tensor:
        """float `[B, T, J, C]`, float 0/1 `[B, T, J, 1]` -> `[B, T, P * (C + 1)]`."""
        summed = torch.matmul(self.membership, features * weights)  # [B, T, P, C]
        count = torch.matmul(self.membership, weights)  # [B, T, P, 1]
        share = count / self.membership.sum(dim=1, keepdim=True)
        return torch.cat([summed / count.clamp(min=1.0), share], dim=-1).flatten(2)
