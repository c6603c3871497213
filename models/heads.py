"""Classification heads: clip vector ``[B, input_size]`` -> logits ``[B, num_class]``."""

from __future__ import annotations

import torch
from torch import nn


class ClassificationHead(nn.Module):
    """A small MLP: ``additional_layers`` hidden blocks (Linear-ReLU-Dropout), then Dropout and a linear classifier."""

    def __init__(self, input_size: int, num_class: int, additional_layers: int = 0, dropout_rate: float = 0.0) -> None:
        """Build the head.

        Args:
            input_size: size of the clip vector (the temporal encoder's ``out_dim``).
            num_class: number of classes of this head.
            additional_layers: hidden blocks of width ``input_size`` before the classifier.
            dropout_rate: dropout after each hidden block and before the classifier.
        """
        super().__init__()
        layers: list[nn.Module] = []
        for _ in range(additional_layers):
            layers += [nn.Linear(input_size, input_size), nn.ReLU(), nn.Dropout(dropout_rate)]
        layers += [nn.Dropout(dropout_rate), nn.Linear(input_size, num_class)]
        self.layers = nn.Sequential(*layers)
        self.out_dim = num_class

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, input_size]`` -> logits ``[B, num_class]``."""
        return self.layers(x)
