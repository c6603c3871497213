"""Temporal encoders: frame features ``[B, T, D]`` + mask ``[B, T]`` -> one clip vector ``[B, output_size]``.

All encoders share one constructor signature so that the config's ``transformer:`` section fits any of them. None
bakes a clip length into a weight: a model trained on 16-frame clips runs on 1-frame images and 40-frame videos.
Padding (mask False, assumed at the end of a clip) never changes the output of a real sample.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from transformers import HubertConfig
from transformers.models.hubert.modeling_hubert import HubertEncoder

# HuBERT's default positional conv kernel (128) is tuned for 50 Hz audio; sign clips have tens of frames.
_HUBERT_POS_KERNEL = 16


def divisible_size(size: int, divisor: int) -> int:
    """The smallest multiple of ``divisor`` that is >= ``size`` (attention needs d_model % heads == 0)."""
    return math.ceil(size / divisor) * divisor


def zero_padding(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``[B, T, D]`` with padded positions set to 0.

    ``torch.where`` rather than a product, so that NaN or inf garbage in padding cannot leak (0 * inf = NaN).
    """
    return torch.where(mask.unsqueeze(-1), features, torch.zeros((), dtype=features.dtype, device=features.device))


def masked_mean(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the real frames: ``[B, T, D]``, ``[B, T]`` -> ``[B, D]`` (a clip without real frames gives 0)."""
    counts = mask.sum(dim=1, keepdim=True).clamp(min=1).to(features.dtype)
    return zero_padding(features, mask).sum(dim=1) / counts


def sinusoidal_positions(length: int, dim: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Sinusoidal position encodings ``[length, dim]``, computed for the actual clip length (nothing stored)."""
    position = torch.arange(length, device=device, dtype=torch.float32).unsqueeze(1)
    half = torch.arange(0, dim, 2, device=device, dtype=torch.float32)
    angles = position * torch.exp(half * (-math.log(10000.0) / dim))
    encoding = torch.stack((angles.sin(), angles.cos()), dim=-1).flatten(1)
    return encoding[:, :dim].to(dtype)  # an odd dim drops the last cosine


class SignLanguageTransformer(nn.Module):
    """Pre-norm transformer encoder with sinusoidal positions and masked mean pooling."""

    def __init__(
        self,
        input_size: int,
        output_size: int,
        feedforward_size: int,
        num_attention_heads: int,
        num_encoder_layers: int,
        dropout_rate: float,
    ) -> None:
        """Build the encoder; its width is ``input_size`` rounded up to a multiple of ``num_attention_heads``."""
        super().__init__()
        d_model = divisible_size(input_size, num_attention_heads)
        self.input_projection = nn.Linear(input_size, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model,
            num_attention_heads,
            dim_feedforward=feedforward_size,
            dropout=dropout_rate,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, num_encoder_layers, enable_nested_tensor=False)
        # Pre-norm layers leave the residual stream unnormalised, hence the norm after pooling.
        self.norm = nn.LayerNorm(d_model)
        self.output_projection = nn.Linear(d_model, output_size)
        self.out_dim = output_size

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``[B, T, input_size]``, bool ``[B, T]`` -> ``[B, output_size]``."""
        hidden = self.input_projection(zero_padding(features, mask))
        hidden = hidden + sinusoidal_positions(hidden.shape[1], hidden.shape[2], hidden.device, hidden.dtype)
        hidden = self.encoder(hidden, src_key_padding_mask=~mask)
        return self.output_projection(self.norm(masked_mean(hidden, mask)))


class FakeTransformer(nn.Module):
    """Baseline without temporal modelling: masked mean over time, then a linear layer.

    ``feedforward_size``, ``num_attention_heads``, ``num_encoder_layers`` and ``dropout_rate`` are accepted for a
    uniform signature and unused.
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        feedforward_size: int,
        num_attention_heads: int,
        num_encoder_layers: int,
        dropout_rate: float,
    ) -> None:
        """Build the linear layer ``input_size -> output_size``."""
        super().__init__()
        del feedforward_size, num_attention_heads, num_encoder_layers, dropout_rate  # unused, see the docstring
        self.projection = nn.Linear(input_size, output_size)
        self.out_dim = output_size

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``[B, T, input_size]``, bool ``[B, T]`` -> ``[B, output_size]``."""
        return self.projection(masked_mean(features, mask))


class LstmEncoder(nn.Module):
    """Multi-layer LSTM over packed sequences; the top layer's last hidden state is projected.

    The hidden size is ``feedforward_size``; ``num_attention_heads`` is accepted for a uniform signature and unused.
    Padding is assumed at the end of each clip.
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        feedforward_size: int,
        num_attention_heads: int,
        num_encoder_layers: int,
        dropout_rate: float,
    ) -> None:
        """Build the LSTM (dropout between its layers) and the output projection."""
        super().__init__()
        del num_attention_heads  # unused, see the docstring
        self.lstm = nn.LSTM(
            input_size,
            feedforward_size,
            num_layers=num_encoder_layers,
            batch_first=True,
            # nn.LSTM applies dropout only between layers and warns when there is a single layer.
            dropout=dropout_rate if num_encoder_layers > 1 else 0.0,
        )
        self.projection = nn.Linear(feedforward_size, output_size)
        self.out_dim = output_size

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``[B, T, input_size]``, bool ``[B, T]`` -> ``[B, output_size]``."""
        # pack_padded_sequence wants lengths on the CPU and > 0; a clip without real frames reads one padded frame.
        lengths = mask.sum(dim=1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(features, lengths, batch_first=True, enforce_sorted=False)
        _, (last_hidden, _) = self.lstm(packed)  # [num_layers, B, hidden], already back in batch order
        return self.projection(last_hidden[-1])


class HubertTransformer(nn.Module):
    """HuBERT's transformer encoder (built from a config, never downloaded) over projected frame features.

    The width is ``input_size`` rounded up to a multiple of ``num_attention_heads``. HuBERT's convolutional
    positional embedding uses a kernel of 16 frames; padded positions are zeroed before it, so they read exactly
    like the convolution's own zero padding and cannot leak into real frames.
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        feedforward_size: int,
        num_attention_heads: int,
        num_encoder_layers: int,
        dropout_rate: float,
    ) -> None:
        """Build the HuBERT encoder and the input/output projections."""
        super().__init__()
        hidden_size = divisible_size(input_size, num_attention_heads)
        config = HubertConfig(
            hidden_size=hidden_size,
            num_hidden_layers=num_encoder_layers,
            num_attention_heads=num_attention_heads,
            intermediate_size=feedforward_size,
            hidden_dropout=dropout_rate,
            attention_dropout=dropout_rate,
            activation_dropout=dropout_rate,
            # LayerDrop (HuBERT default 0.1) would skip whole layers at random; keep training deterministic in depth.
            layerdrop=0.0,
            num_conv_pos_embeddings=_HUBERT_POS_KERNEL,
            num_conv_pos_embedding_groups=math.gcd(hidden_size, _HUBERT_POS_KERNEL),
            # A standalone encoder gets no attention backend from PreTrainedModel, so name one.
            attn_implementation="sdpa",
        )
        self.input_projection = nn.Linear(input_size, hidden_size)
        self.encoder = HubertEncoder(config)
        self.output_projection = nn.Linear(hidden_size, output_size)
        self.out_dim = output_size

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``[B, T, input_size]``, bool ``[B, T]`` -> ``[B, output_size]``."""
        hidden = zero_padding(self.input_projection(features), mask)
        # The encoder also zeroes padding, in place, on its input: `hidden` is a fresh tensor, so that is harmless.
        hidden = self.encoder(hidden, attention_mask=mask).last_hidden_state
        return self.output_projection(masked_mean(hidden, mask))
