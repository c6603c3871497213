"""Self-supervised pre-training objectives: the feature extractor and the temporal encoder learn from clips without
labels (docs/pretraining.md).

- `masked_landmarks` (landmark models; SignBERT+-style masked joint/frame modelling): after the model's input stage
  has normalised the clip, a share of the detected joints of each frame and a share of whole frames (in spans) are
  hidden, i.e. read as "not detected"; the extractor and the temporal encoder see the rest, and a small decoder
  predicts every joint's normalised (x, y, z) from the encoder's state at each frame. The loss (smooth L1, L1 or
  MSE) is the mean over the hidden joints only: joints that were not detected have no target, padded frames are
  never real, so neither is ever hidden or counted.
- `masked_frames` (frame models, and frames fused with landmarks): a share of the real frames (in spans) is
  replaced, after the extractor, by a learned mask vector; from the encoder's state at a hidden frame the model must
  pick that frame's own features among the features of every hidden frame of the batch (InfoNCE with cosine
  similarity and a temperature, as wav2vec 2.0's contrastive task). Regressing the features instead would let the
  extractor collapse to a constant, which a contrastive loss rules out. Landmarks of hidden frames are hidden at
  the input too, so that the landmark branch's temporal convolutions cannot carry them into the visible frames.

Every module here receives the `SignModel` parts it trains (`model.feature_extractor`, `model.transformer`) at call
time and owns only its decoder, so a pre-training checkpoint holds the parts under the same names as a classifier's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from models.landmark_input import COORDINATES

SMOOTH_L1_BETA = 0.1  # in normalised units (a shoulder width): MediaPipe's jitter stays in the quadratic zone
COORDINATE_LOSSES = ("smooth_l1", "l1", "mse")


@dataclass
class PretextResult:
    """One batch's pre-training loss: `loss` is the mean over `count` targets (hidden joints or hidden frames);
    `empty_clips` counts the clips that had nothing to hide (nothing detected); `details` holds tensors for figures."""

    loss: Tensor
    count: int
    empty_clips: int
    details: dict[str, Tensor] = field(default_factory=dict)


def hide_frames(mask: Tensor, ratio: float, span: int, generator: Optional[torch.Generator] = None) -> Tensor:
    """Which real frames to hide: bool `[B, T]`, True where hidden, never at padding (mask False).

    Spans of `span` frames start at a frame with probability `ratio / span`, so that about `ratio` of the frames
    are hidden (a little fewer where spans overlap) and a hidden frame cannot simply be copied from its neighbours.
    """
    if ratio <= 0:
        return torch.zeros_like(mask)
    starts = torch.rand(mask.shape, generator=generator, device=mask.device) < ratio / span
    # A frame is hidden when a span started at it or at one of the `span - 1` frames before it.
    padded = F.pad(starts.float().unsqueeze(1), (span - 1, 0))
    covered = F.max_pool1d(padded, kernel_size=span, stride=1).squeeze(1) > 0
    return covered & mask


def hide_joints(
    present: Tensor,
    mask: Tensor,
    ratios: tuple[float, float],
    span: int,
    generator: Optional[torch.Generator] = None,
) -> Tensor:
    """Which joints to hide: bool `[B, T, J]`, a subset of `present` (detected joints of real frames).

    Args:
        present: bool `[B, T, J]`, joints detected in real frames.
        mask: bool `[B, T]`, True = a real frame.
        ratios: (share of the detected joints hidden in each frame, share of the real frames hidden whole).
        span: length of the spans of hidden frames.
        generator: the random generator (a seeded one makes validation masks the same every epoch).
    """
    joint_ratio, frame_ratio = ratios
    joints = torch.rand(present.shape, generator=generator, device=present.device) < joint_ratio
    frames = hide_frames(mask, frame_ratio, span, generator).unsqueeze(-1)
    return (joints | frames) & present


def coordinate_loss(predicted: Tensor, target: Tensor, kind: str) -> Tensor:
    """Per joint: `[N, 3]`, `[N, 3]` -> `[N]`, the mean over x, y, z of the chosen loss."""
    if kind == "smooth_l1":
        per_value = F.smooth_l1_loss(predicted, target, reduction="none", beta=SMOOTH_L1_BETA)
    elif kind == "l1":
        per_value = F.l1_loss(predicted, target, reduction="none")
    elif kind == "mse":
        per_value = F.mse_loss(predicted, target, reduction="none")
    else:
        raise ValueError(f"unknown coordinate loss {kind!r}; known: {list(COORDINATE_LOSSES)}")
    return per_value.mean(dim=-1)


class MaskedLandmarkModelling(nn.Module):
    """`masked_landmarks`: hide joints and frames, predict their coordinates (see the module docstring)."""

    def __init__(  # pylint: disable=too-many-arguments,too-many-positional-arguments  # the config's keys
        self,
        sequence_dim: int,
        joints: int,
        ratios: tuple[float, float],
        span: int = 3,
        loss: str = "smooth_l1",
        decoder_size: int = 256,
    ) -> None:
        """Args:
        sequence_dim: width of the temporal encoder's per-frame states (`transformer.sequence_dim`).
        joints: J, the joints of the extractor's skeleton layout.
        ratios: (joint_mask_ratio, frame_mask_ratio), see `hide_joints`.
        span: frame_mask_span.
        loss: `smooth_l1`, `l1` or `mse`.
        decoder_size: hidden width of the decoder (an MLP per frame: state -> J x 3 coordinates).
        """
        super().__init__()
        if loss not in COORDINATE_LOSSES:
            raise ValueError(f"unknown coordinate loss {loss!r}; known: {list(COORDINATE_LOSSES)}")
        self.ratios, self.span, self.loss_kind, self.joints = ratios, span, loss, joints
        self.decoder = nn.Sequential(
            nn.LayerNorm(sequence_dim),
            nn.Linear(sequence_dim, decoder_size),
            nn.GELU(),
            nn.Linear(decoder_size, joints * COORDINATES),
        )

    def forward(self, model: nn.Module, batch: dict, generator: Optional[torch.Generator] = None) -> PretextResult:
        """`model`: a `SignModel` with a landmark extractor (`input`, `encode`); `batch`: `landmarks [B, T, J_in, C]`
        and `mask [B, T]` (labels are not read)."""
        mask = batch["mask"]
        extractor = model.feature_extractor
        points, present = extractor.input(batch["landmarks"], mask)  # [B, T, J, 3], [B, T, J]
        hidden = hide_joints(present, mask, self.ratios, self.span, generator)
        states = model.transformer.sequence(extractor.encode(points, present & ~hidden, mask), mask)
        predicted = self.decoder(states).unflatten(-1, (self.joints, COORDINATES))  # [B, T, J, 3]
        per_joint = coordinate_loss(predicted[hidden], points[hidden], self.loss_kind)  # [N]
        count = int(hidden.sum())
        # A batch with nothing hidden still gives a graph-connected 0, so that backward() works.
        loss = per_joint.mean() if count else predicted.sum() * 0.0
        empty = int((present.flatten(1).sum(1) == 0).sum())
        details = {"points": points, "present": present, "hidden": hidden, "predicted": predicted}
        return PretextResult(loss, count, empty, {k: v.detach() for k, v in details.items()})


class MaskedFrameModelling(nn.Module):
    """`masked_frames`: hide frames after the extractor, pick each hidden frame's features among all hidden frames'
    (InfoNCE; see the module docstring)."""

    def __init__(  # pylint: disable=too-many-arguments,too-many-positional-arguments  # the config's keys
        self,
        feature_dim: int,
        sequence_dim: int,
        frame_ratio: float,
        span: int = 3,
        temperature: float = 0.1,
        projection_size: int = 256,
    ) -> None:
        """Args:
        feature_dim: D, the extractor's per-frame feature width.
        sequence_dim: width of the temporal encoder's per-frame states.
        frame_ratio: frame_mask_ratio; span: frame_mask_span (see `hide_frames`).
        temperature: of the softmax over cosine similarities.
        projection_size: width of the space in which predictions and targets are compared.
        """
        super().__init__()
        self.frame_ratio, self.span, self.temperature = frame_ratio, span, temperature
        self.mask_vector = nn.Parameter(torch.randn(feature_dim) * 0.02)
        self.predictor = nn.Sequential(nn.LayerNorm(sequence_dim), nn.Linear(sequence_dim, projection_size))
        self.target_projection = nn.Linear(feature_dim, projection_size)

    def forward(self, model: nn.Module, batch: dict, generator: Optional[torch.Generator] = None) -> PretextResult:
        """`model`: a `SignModel`; `batch`: its inputs (`frames [B, T, 3, H, W]` and/or `landmarks`) and `mask`."""
        mask = batch["mask"]
        hidden = hide_frames(mask, self.frame_ratio, self.span, generator)  # [B, T]
        given = {"frames": batch.get("frames"), "landmarks": batch.get("landmarks")}
        if given["landmarks"] is not None:
            given["landmarks"] = given["landmarks"].masked_fill(hidden[:, :, None, None], float("nan"))
        features = model.feature_extractor(*(given[name] for name in model.inputs), mask)  # [B, T, D]
        shown = torch.where(hidden.unsqueeze(-1), self.mask_vector.to(features.dtype), features)
        states = model.transformer.sequence(shown, mask)
        predicted = F.normalize(self.predictor(states[hidden]), dim=-1)  # [N, P]
        targets = F.normalize(self.target_projection(features[hidden]), dim=-1)  # [N, P]
        count = int(hidden.sum())
        if count < 2:  # one candidate is no choice: nothing to learn from this batch
            loss = states.sum() * 0.0 + features.sum() * 0.0
        else:
            logits = predicted @ targets.t() / self.temperature
            loss = F.cross_entropy(logits, torch.arange(count, device=logits.device))
        # Frames are always there; clips without landmarks at all are skipped when the data is read.
        return PretextResult(loss, count if count >= 2 else 0, 0, {"hidden": hidden.detach()})
