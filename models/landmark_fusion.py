"""Frames and landmarks together (`use_frames` and `use_landmarks` both on, HearAI's meaning): each frame's image
features and landmark features are concatenated and projected to one vector per frame."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from models.temporal_encoders import zero_padding


class FusedExtractor(nn.Module):
    """frames `[B, T, 3, H, W]` + landmarks `[B, T, J, C]` + mask `[B, T]` -> `[B, T, representation_size]`.

    Both inputs describe the same T frames. The parts keep their own names (`frames`, `landmarks`), so the freeze
    scheduler can address them as `feature_extractor.frames` and `feature_extractor.landmarks`.
    """

    inputs = ("frames", "landmarks")

    def __init__(self, frames: nn.Module, landmarks: nn.Module, representation_size: int) -> None:
        """`frames` and `landmarks`: per-frame extractors with `out_dim`; `representation_size`: D after fusion."""
        super().__init__()
        self.frames = frames
        self.landmarks = landmarks
        self.projection = nn.Linear(frames.out_dim + landmarks.out_dim, representation_size)
        self.out_dim = representation_size

    def forward(self, frames: Tensor, landmarks: Tensor, mask: Tensor) -> Tensor:
        """float `[B, T, 3, H, W]`, float `[B, T, J, C]`, bool `[B, T]` -> float `[B, T, D]`, 0 at padded frames."""
        features = torch.cat([self.frames(frames, mask), self.landmarks(landmarks, mask)], dim=-1)
        return zero_padding(self.projection(features), mask)
