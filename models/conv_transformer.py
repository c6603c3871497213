"""`conv_transformer`: the temporal model of the winning solutions of Google's Isolated Sign Language Recognition
Kaggle competition (2023, 1st place by hoyso48): per-frame landmark features -> stages of three 1D depthwise
convolution blocks and one transformer block -> mean over the clip.

frame features ``[B, T, D]`` + mask ``[B, T]`` -> clip vector ``[B, output_size]``.

- Convolution block: linear expansion (x2) with SiLU, a depthwise convolution over time (kernel ``KERNEL``, each
  channel on its own), LayerNorm, efficient channel attention (ECA: a gate per channel from the clip's mean), linear
  projection back, dropout, residual.
- Transformer block: pre-norm multi-head self-attention and feed-forward (``feedforward_size``), as in
  ``nn.TransformerEncoderLayer``; no position encoding is needed, the convolutions know the order of frames.
- ``num_encoder_layers`` stages; the width is ``input_size`` rounded up to a multiple of ``num_attention_heads``.
The original uses BatchNorm and causal convolutions over up to 384 frames; here LayerNorm (batch statistics would
count padded frames) and centred convolutions over clips of tens of frames. Padding is honoured everywhere: padded
frames are zeroed before each convolution (so a real frame near the end reads zeros, as the convolution's own
padding would give it), left out of the channel gates, the attention and the mean; padding never changes the output.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from models.temporal_encoders import divisible_size, masked_mean, zero_padding

KERNEL = 9  # frames a depthwise convolution spans; recordings of 20-30 frames are sampled to about 16
EXPANSION = 2  # channel expansion inside a convolution block
CONV_BLOCKS_PER_STAGE = 3
ECA_KERNEL = 5  # neighbouring channels an ECA gate reads


class EfficientChannelAttention(nn.Module):
    """ECA (Wang et al., 2020): each channel scaled by a gate computed, by a small convolution across channels,
    from the clip's per-channel mean over its real frames. ``[B, T, C]``, bool ``[B, T]`` -> ``[B, T, C]``."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(1, 1, ECA_KERNEL, padding=ECA_KERNEL // 2, bias=False)

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``[B, T, C]``, bool ``[B, T]`` -> ``[B, T, C]``."""
        gate = torch.sigmoid(self.conv(masked_mean(features, mask).unsqueeze(1)))  # [B, 1, C]
        return features * gate


class DepthwiseConvBlock(nn.Module):
    """Expand, depthwise convolution over time, norm, channel attention, project, residual:
    ``[B, T, C]``, bool ``[B, T]`` -> ``[B, T, C]`` (0 at padded frames)."""

    def __init__(self, channels: int, dropout: float) -> None:
        super().__init__()
        hidden = channels * EXPANSION
        self.expand = nn.Linear(channels, hidden)
        self.depthwise = nn.Conv1d(hidden, hidden, KERNEL, padding=KERNEL // 2, groups=hidden, bias=False)
        self.norm = nn.LayerNorm(hidden)
        self.attention = EfficientChannelAttention()
        self.project = nn.Linear(hidden, channels)
        self.dropout = nn.Dropout(dropout)

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``[B, T, C]`` (0 at padded frames), bool ``[B, T]`` -> ``[B, T, C]`` (0 at padded frames)."""
        hidden = zero_padding(F.silu(self.expand(features)), mask)  # the convolution must read zeros at padding
        hidden = self.norm(self.depthwise(hidden.transpose(1, 2)).transpose(1, 2))
        hidden = self.project(self.attention(hidden, mask))
        return zero_padding(features + self.dropout(hidden), mask)


class ConvTransformer(nn.Module):
    """Stages of depthwise convolution blocks and a transformer block, masked mean, norm, projection."""

    def __init__(
        self,
        input_size: int,
        output_size: int,
        feedforward_size: int,
        num_attention_heads: int,
        num_encoder_layers: int,
        dropout_rate: float,
    ) -> None:
        """Build ``num_encoder_layers`` stages of width ``input_size`` rounded up to a multiple of the heads."""
        super().__init__()
        width = divisible_size(input_size, num_attention_heads)
        self.input_projection = nn.Linear(input_size, width)
        self.stages = nn.ModuleList()
        for _ in range(num_encoder_layers):
            convolutions = [DepthwiseConvBlock(width, dropout_rate) for _ in range(CONV_BLOCKS_PER_STAGE)]
            attention = nn.TransformerEncoderLayer(
                width, num_attention_heads, feedforward_size, dropout_rate, batch_first=True, norm_first=True
            )
            self.stages.append(nn.ModuleList([*convolutions, attention]))
        self.norm = nn.LayerNorm(width)
        self.dropout = nn.Dropout(dropout_rate)  # before the projection: the winners' "late dropout"
        self.output_projection = nn.Linear(width, output_size)
        self.out_dim = output_size
        self.sequence_dim = width

    def sequence(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Per-frame states before pooling: ``[B, T, input_size]``, bool ``[B, T]`` -> ``[B, T, sequence_dim]``,
        0 at padded frames."""
        hidden = zero_padding(self.input_projection(features), mask)
        for stage in self.stages:
            *convolutions, attention = stage
            for block in convolutions:
                hidden = block(hidden, mask)
            hidden = zero_padding(attention(hidden, src_key_padding_mask=~mask), mask)
        return hidden

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``[B, T, input_size]``, bool ``[B, T]`` -> ``[B, output_size]``."""
        pooled = self.norm(masked_mean(self.sequence(features, mask), mask))
        return self.output_projection(self.dropout(pooled))
