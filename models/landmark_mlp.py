"""`landmarks_mlp`: a light per-frame baseline. Each frame's normalised layout joints, with one present/missing flag
per joint (so a missing joint reads as missing, not as a joint at 0), go through an MLP:
landmarks `[B, T, J_in, C]` + mask `[B, T]` -> `[B, T, D]`. No temporal context and no graph."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from models.landmark_gcn import DEFAULT_CHANNELS
from models.landmark_input import COORDINATES, LandmarkInput
from models.temporal_encoders import zero_padding


class LandmarksMlp(nn.Module):
    """Per-frame MLP over flattened joints; takes the same keys as `LandmarksGcn`."""

    inputs = ("landmarks",)

    def __init__(  # pylint: disable=too-many-arguments,too-many-positional-arguments  # the config's keys
        self,
        input_joints: list[str],
        representation_size: int,
        layout: str = "upper_body_hands",
        normalisation: str = "shoulders",
        channels: tuple[int, ...] = DEFAULT_CHANNELS,
        temporal_kernel: int = 9,
        dropout: float = 0.1,
    ) -> None:
        """As `LandmarksGcn`; `channels` are the hidden layers' widths and `temporal_kernel` is unused."""
        super().__init__()
        del temporal_kernel  # accepted for a uniform signature; the MLP looks at one frame at a time
        self.input = LandmarkInput(input_joints, layout, normalisation)
        layers: list[nn.Module] = []
        width = len(self.input.layout.joints) * (COORDINATES + 1)
        for hidden in channels:
            layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout)]
            width = hidden
        layers.append(nn.Linear(width, representation_size))
        self.mlp = nn.Sequential(*layers)
        self.out_dim = representation_size

    def forward(self, landmarks: Tensor, mask: Tensor) -> Tensor:
        """float `[B, T, J_in, C>=3]` (NaN = missing), bool `[B, T]` -> float `[B, T, D]`, 0 at padded frames."""
        return self.encode(*self.input(landmarks, mask), mask)

    def encode(self, points: Tensor, present: Tensor, mask: Tensor) -> Tensor:
        """After `self.input`: float `[B, T, J, 3]`, bool `[B, T, J]` (joints read), bool `[B, T]` -> `[B, T, D]`."""
        flags = present.unsqueeze(-1).to(points.dtype)
        points = torch.where(present.unsqueeze(-1), points, torch.zeros((), dtype=points.dtype, device=points.device))
        return zero_padding(self.mlp(torch.cat([points, flags], dim=-1).flatten(2)), mask)
