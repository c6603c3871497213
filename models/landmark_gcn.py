"""`landmarks_gcn`: a spatial-temporal graph convolutional network (ST-GCN family) over a named skeleton layout.

landmarks `[B, T, J_in, C]` (NaN = not detected) + mask `[B, T]` -> per-frame features `[B, T, D]`.

Each block is a graph convolution over the joints of a frame (ST-GCN's three spatial partitions: the joint itself,
its neighbours nearer the layout's root and those farther, each with a learnable edge importance), then a
convolution over time at each joint, with LayerNorm, ReLU and a residual connection. Missing joints are masked, not
zero-filled: the graph convolution averages over the neighbours that are present (for a complete skeleton this is
the degree-normalised adjacency D^-1 A), the temporal convolution is a partial convolution (rescaled by the share of
present frames in its window), and a missing joint's output stays 0 and masked in every block. Padded frames count
as missing, so padding never changes a real frame's output. The per-frame feature is, for each part of the layout
(pose, each hand, face), the mean over its present joints and the share of its joints present, projected to D.
Clip length is free (no weight depends on T); every operation exports to ONNX.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from models.landmark_input import COORDINATES, LandmarkInput, PartPooling
from models.skeleton_layouts import partitioned_adjacency
from models.temporal_encoders import zero_padding

DEFAULT_CHANNELS = (64, 64, 128, 128)


class MaskedGraphConv(nn.Module):
    """Graph convolution `[B, T, J, C_in]` -> `[B, T, J, C_out]` averaging each partition over present joints."""

    def __init__(self, in_channels: int, out_channels: int, adjacency: Tensor) -> None:
        """`adjacency`: float 0/1 `[K, J, J]`, partition k of joint i holds joint j where `[k, i, j]` is 1."""
        super().__init__()
        self.register_buffer("adjacency", adjacency.clone())
        self.importance = nn.Parameter(torch.ones_like(adjacency))  # ST-GCN's learnable edge importance
        self.linear = nn.Linear(adjacency.shape[0] * in_channels, out_channels)

    def inverse_counts(self, weights: Tensor) -> Tensor:
        """float 0/1 `[B, T, J, 1]` -> `[B, T, J, K, 1]`: 1 / the present joints in each partition of each joint (1
        where none is). The same in every block, so the network computes it once per clip."""
        counts = torch.matmul(joint_major(self.adjacency), weights).unflatten(2, self.adjacency.shape[1::-1])
        return counts.clamp(min=1.0).reciprocal()

    def forward(self, features: Tensor, inverse_counts: Tensor) -> Tensor:
        """float `[B, T, J, C_in]` (0 where missing), `[B, T, J, K, 1]` (`inverse_counts`) -> `[B, T, J, C_out]`."""
        # linear(concat_k mean_k) = sum_k mean_k @ W_k: one partition at a time keeps every intermediate the size of
        # the input, not K times it (at batch 32 such buffers are fresh memory on every call: page faults).
        edges = self.adjacency * self.importance
        in_channels = features.shape[-1]
        output = None
        for k in range(edges.shape[0]):
            mean = torch.matmul(edges[k], features).mul_(inverse_counts[..., k, :])  # [B, T, J, C_in]
            part = F.linear(mean, self.linear.weight[:, k * in_channels : (k + 1) * in_channels])
            output = part if output is None else output.add_(part)
        return output.add_(self.linear.bias)


def joint_major(adjacency: Tensor) -> Tensor:
    """`[K, J, J]` -> `[J * K, J]`, row `i * K + k` = partition k of joint i."""
    partitions, joints = adjacency.shape[:2]
    return adjacency.transpose(0, 1).reshape(joints * partitions, joints)


class PartialTemporalConv(nn.Module):
    """Convolution over time at each joint, `[B, T, J, C]` -> `[B, T, J, C]`, that reads present frames only: the
    sum over the window is rescaled by `kernel / present frames in the window` (a partial convolution)."""

    def __init__(self, channels: int, kernel_size: int) -> None:
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"temporal kernel size must be odd and positive (got {kernel_size})")
        self.kernel_size = kernel_size
        self.conv = nn.Conv2d(channels, channels, (kernel_size, 1), padding=(kernel_size // 2, 0), bias=False)
        self.bias = nn.Parameter(torch.zeros(channels))

    def rescaling(self, weights: Tensor) -> Tensor:
        """float 0/1 `[B, T, J, 1]` -> `[B, T, J, 1]`: kernel / present frames in each window (at most kernel).
        The same in every block of one kernel size, so the network computes it once per clip."""
        window = (self.kernel_size, 1)
        share = F.avg_pool2d(weights.permute(0, 3, 1, 2), window, stride=1, padding=(self.kernel_size // 2, 0))
        return share.clamp(min=1.0 / self.kernel_size).reciprocal().permute(0, 2, 3, 1)

    def forward(self, features: Tensor, rescaling: Tensor) -> Tensor:
        """float `[B, T, J, C]` (0 where missing), `[B, T, J, 1]` (`rescaling`) -> `[B, T, J, C]`."""
        # [B, T, J, C] permuted is [B, C, T, J] in channels-last memory: the convolution reads it in place and its
        # output permutes back without a copy.
        summed = self.conv(features.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return summed.mul_(rescaling).add_(self.bias)


class StGcnBlock(nn.Module):
    """Graph convolution, LayerNorm, ReLU, temporal convolution, LayerNorm, dropout, residual, ReLU; masked."""

    def __init__(
        self, in_channels: int, out_channels: int, adjacency: Tensor, temporal_kernel: int, dropout: float
    ) -> None:
        super().__init__()
        self.graph = MaskedGraphConv(in_channels, out_channels, adjacency)
        self.graph_norm = nn.LayerNorm(out_channels)
        self.temporal = PartialTemporalConv(out_channels, temporal_kernel)
        self.temporal_norm = nn.LayerNorm(out_channels)
        self.dropout = nn.Dropout(dropout)
        self.residual = nn.Identity() if in_channels == out_channels else nn.Linear(in_channels, out_channels)

    def forward(self, features: Tensor, weights: Tensor, inverse_counts: Tensor, rescaling: Tensor) -> Tensor:
        """float `[B, T, J, C_in]` (0 where missing), float 0/1 `[B, T, J, 1]`, and the block-independent
        `inverse_counts` `[B, T, J, K, 1]` and `rescaling` `[B, T, J, 1]` -> `[B, T, J, C_out]` (0 where missing)."""
        # relu(x) * w == relu(x * w) for w in {0, 1}. In-place steps on fresh outputs whose backward does not need
        # them (LayerNorm, convolution and matmul keep their inputs): fewer full-size buffers per call.
        hidden = self.graph_norm(self.graph(features, inverse_counts)).mul_(weights).relu_()
        hidden = self.dropout(self.temporal_norm(self.temporal(hidden, rescaling)))
        return hidden.add_(self.residual(features)).mul_(weights).relu_()


class LandmarksGcn(nn.Module):
    """ST-GCN feature extractor: landmarks `[B, T, J_in, C]` + mask `[B, T]` -> `[B, T, representation_size]`."""

    inputs = ("landmarks",)  # what SignModel passes to forward, before the mask

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
        """Args:
        input_joints: the name of each joint of the input, in order (`datasets.landmark_files.joint_names`).
        representation_size: D, the size of each frame's feature vector.
        layout: a skeleton layout of `models.skeleton_layouts.LAYOUTS`.
        normalisation: `shoulders`, `wrist` or `none` (see `models.landmark_input`).
        channels: the output width of each block (one block per entry).
        temporal_kernel: frames each temporal convolution spans (odd).
        dropout: dropout rate inside each block.
        """
        super().__init__()
        if not channels:
            raise ValueError("landmarks_gcn needs at least one block (channels is empty)")
        self.input = LandmarkInput(input_joints, layout, normalisation)
        adjacency = torch.from_numpy(partitioned_adjacency(self.input.layout))
        widths = [COORDINATES, *channels]
        self.blocks = nn.ModuleList(
            StGcnBlock(a, b, adjacency, temporal_kernel, dropout) for a, b in zip(widths, widths[1:])
        )
        self.pooling = PartPooling(self.input.layout)
        self.projection = nn.Linear(self.pooling.parts * (channels[-1] + 1), representation_size)
        self.out_dim = representation_size

    def forward(self, landmarks: Tensor, mask: Tensor) -> Tensor:
        """float `[B, T, J_in, C>=3]` (NaN = missing), bool `[B, T]` -> float `[B, T, D]`, 0 at padded frames."""
        return self.encode(*self.input(landmarks, mask), mask)

    def encode(self, points: Tensor, present: Tensor, mask: Tensor) -> Tensor:
        """After `self.input`: float `[B, T, J, 3]`, bool `[B, T, J]` (joints read), bool `[B, T]` -> `[B, T, D]`.
        Pre-training hides joints here, after normalisation, so that hiding a joint never moves the others."""
        weights = present.unsqueeze(-1).to(points.dtype)
        # The value of a joint not read must be 0: the graph convolution sums over neighbours before it averages.
        features = torch.where(present.unsqueeze(-1), points, torch.zeros((), dtype=points.dtype, device=points.device))
        # Which neighbours and frames are present is the same in every block: counted once, not per block.
        inverse_counts = self.blocks[0].graph.inverse_counts(weights)
        rescaling = self.blocks[0].temporal.rescaling(weights)
        for block in self.blocks:
            features = block(features, weights, inverse_counts, rescaling)
        return zero_padding(self.projection(self.pooling(features, weights)), mask)
