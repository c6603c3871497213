"""The full model (feature extractor -> temporal encoder -> one head per task) and its multi-head loss."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

IGNORE_INDEX = -1  # the label of a sample that has no label for a head


class SignModel(nn.Module):
    """Frames and/or landmarks -> per-frame features -> clip vector -> logits for every head.

    The attribute names ``feature_extractor``, ``transformer`` and ``heads`` are part of the interface: the freeze
    scheduler addresses the parts by them.
    """

    def __init__(self, feature_extractor: nn.Module, transformer: nn.Module, heads: dict[str, nn.Module]) -> None:
        """Assemble the model.

        Args:
            feature_extractor: ``(*inputs, mask [B, T]) -> [B, T, D]``; its ``inputs`` attribute names what it reads,
                in order (``("frames",)`` when it has none, ``("landmarks",)``, ``("frames", "landmarks")``).
            transformer: ``([B, T, D], mask [B, T]) -> [B, output_size]``.
            heads: head name -> module ``[B, output_size] -> [B, num_class]``.
        """
        super().__init__()
        self.feature_extractor = feature_extractor
        self.transformer = transformer
        self.heads = nn.ModuleDict(heads)
        self.inputs: tuple[str, ...] = tuple(getattr(feature_extractor, "inputs", ("frames",)))

    def forward(
        self, frames: torch.Tensor | None, mask: torch.Tensor, landmarks: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Frames float ``[B, T, 3, H, W]`` and/or landmarks float ``[B, T, J, C]`` (NaN = not detected), bool mask
        ``[B, T]`` (True = real frame) -> ``{head: logits [B, num_class]}``.

        Raises:
            ValueError: an input the feature extractor reads is None.
        """
        given = {"frames": frames, "landmarks": landmarks}
        missing = [name for name in self.inputs if given[name] is None]
        if missing:
            raise ValueError(f"the feature extractor reads {list(self.inputs)}, but {missing} were not given")
        clip = self.transformer(self.feature_extractor(*(given[name] for name in self.inputs), mask), mask)
        return {name: head(clip) for name, head in self.heads.items()}


def multi_head_loss(
    logits: dict[str, torch.Tensor], labels: dict[str, torch.Tensor], weights: dict[str, float]
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Weighted sum of per-head cross-entropies; label ``-1`` means "no label for this head".

    Args:
        logits: head -> ``[B, num_class]``.
        labels: head -> long ``[B]``, ``-1`` where a sample is unlabelled for that head.
        weights: head -> loss weight.

    Returns:
        The total loss (a scalar that always supports ``backward()``) and head -> mean loss over that head's
        labelled samples. A head without any labelled sample in the batch adds 0 and has no entry.
    """
    total: torch.Tensor | None = None
    per_head: dict[str, torch.Tensor] = {}
    for name, head_logits in logits.items():
        head_labels = labels[name]
        # cross_entropy's mean over zero labelled samples is NaN, so such a head is skipped.
        if not bool((head_labels != IGNORE_INDEX).any()):
            continue
        per_head[name] = F.cross_entropy(head_logits, head_labels, ignore_index=IGNORE_INDEX)
        weighted = weights[name] * per_head[name]
        total = weighted if total is None else total + weighted
    if total is None:
        # Still a graph-connected zero, so that backward() and optimizer steps work on a fully unlabelled batch.
        total = sum(head_logits.sum() for head_logits in logits.values()) * 0.0
    return total, per_head
