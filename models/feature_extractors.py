"""Per-frame feature extractors: frames ``[B, T, 3, H, W]`` -> features ``[B, T, D]``."""

from __future__ import annotations

import timm
import torch
from torch import nn

from models import small_cnns  # pylint: disable=unused-import  # registers the small CNNs as timm models

_CHECKPOINT_KEYS = ("state_dict", "model")


def load_backbone_weights(backbone: nn.Module, pretrained_path: str) -> None:
    """Load a local weights file into ``backbone`` (nothing is ever downloaded).

    Accepts a raw state dict or a checkpoint dict holding it under ``"state_dict"`` or ``"model"``. Keys that do not
    fit the backbone (e.g. the classifier of an ImageNet checkpoint, dropped by ``num_classes=0``) are skipped.

    Raises:
        ValueError: the file holds no state dict, or none of its keys belongs to the backbone.
    """
    checkpoint = torch.load(pretrained_path, map_location="cpu", weights_only=True)
    state_dict = checkpoint
    if isinstance(checkpoint, dict):
        for key in _CHECKPOINT_KEYS:
            if isinstance(checkpoint.get(key), dict):
                state_dict = checkpoint[key]
                break
    if not isinstance(state_dict, dict):
        raise ValueError(f"{pretrained_path}: expected a state dict, got {type(state_dict).__name__}")
    result = backbone.load_state_dict(state_dict, strict=False)
    matched = set(state_dict) - set(result.unexpected_keys)
    if not matched:
        raise ValueError(
            f"{pretrained_path}: none of its {len(state_dict)} keys matches the backbone "
            f"(first keys: {sorted(state_dict)[:3]}); is it a checkpoint of a different model?"
        )


class CnnExtractor(nn.Module):
    """A timm image backbone (classifier removed) plus its own linear projection, applied frame by frame.

    Only real frames reach the backbone, so padding can influence neither the output nor BatchNorm statistics.
    """

    def __init__(self, model_path: str, representation_size: int, pretrained_path: str | None = None) -> None:
        """Build the backbone.

        Args:
            model_path: a timm model name, e.g. ``"resnet18"``, ``"efficientnet_b1"`` or one of ours in
                ``models/small_cnns.py`` (``"small_cnn"``).
            representation_size: D, the size of each frame's feature vector.
            pretrained_path: optional local weights file for the backbone (see :func:`load_backbone_weights`).
        """
        super().__init__()
        # pretrained=False always: weights only ever come from a local file.
        self.backbone = timm.create_model(model_path, pretrained=False, num_classes=0)
        if pretrained_path is not None:
            load_backbone_weights(self.backbone, pretrained_path)
        # Some backbones (e.g. MobileNetV3) have a head conv after `num_features`; their pooled output then has
        # `head_hidden_size` channels.
        backbone_dim = getattr(self.backbone, "head_hidden_size", None) or self.backbone.num_features
        self.projection = nn.Linear(backbone_dim, representation_size)
        self.out_dim = representation_size

    def forward(self, frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Extract one feature vector per real frame.

        Args:
            frames: float ``[B, T, 3, H, W]``.
            mask: bool ``[B, T]``, True for a real frame.

        Returns:
            float ``[B, T, D]``, zeros at padded positions.
        """
        # All real frames of the batch go through the backbone as one batch of N frames: [N, 3, H, W].
        real_frames = frames[mask]
        if torch.compiler.is_exporting():
            # torch.export (ONNX export) cannot prove that the data-dependent N is non-zero, which the backbone's
            # layers branch on; every clip has at least one real frame.
            torch._check(real_frames.shape[0] > 0)  # pylint: disable=protected-access  # the documented API
        features = self.projection(self.backbone(real_frames))
        output = features.new_zeros(*mask.shape, self.out_dim)
        return output.masked_scatter(mask.unsqueeze(-1), features)


class Resnet50Extractor(CnnExtractor):
    """:class:`CnnExtractor` with a ResNet-50 backbone (HearAI's ``resnet50_extractor``)."""

    def __init__(
        self, representation_size: int, pretrained_path: str | None = None, model_path: str = "resnet50"
    ) -> None:
        """Build a ResNet-50 extractor.

        Args:
            representation_size: D, the size of each frame's feature vector.
            pretrained_path: optional local ResNet-50 weights file.
            model_path: accepted so that every extractor takes the same keys, and ignored: the backbone is always
                ResNet-50 (a HearAI config may carry another ``model_path`` meant for ``cnn_extractor``).
        """
        del model_path  # ignored by design, see the docstring
        super().__init__("resnet50", representation_size, pretrained_path)
