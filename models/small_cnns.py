"""Small plain CNNs for small images (Sign MNIST's 28x28, ASL Alphabet's 64x64), registered as timm models.

Registering them with timm makes them ordinary `cnn_extractor` backbones (`model_path: small_cnn`): the same
projection, `pretrained_path` loading, checkpoints and ONNX export as any timm model. They are built for training
from scratch on a CPU: a few conv-BN-ReLU layers, max pooling between widths, global average pooling.
"""

from __future__ import annotations

from typing import Any

from timm.models import register_model
from torch import Tensor, nn


def _conv_bn_relu(in_channels: int, out_channels: int, stride: int = 1) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


class SmallCnn(nn.Module):
    """`[N, 3, H, W]` -> `[N, widths[-1] * grid**2]` (num_classes=0) or logits `[N, num_classes]`.

    Stage i is a conv-BN-ReLU layer of `widths[i]` channels, preceded by a 2x2 max pool from the second stage on.
    The first conv has stride `stem_stride` (2 quarters the cost of larger images). The last feature map is average
    pooled to a `grid` x `grid` map and flattened, which keeps where in the image a feature was (where the fingers
    are), unlike global pooling; any input size works.
    """

    def __init__(
        self, widths: tuple[int, ...], stem_stride: int = 1, grid: int = 3, num_classes: int = 0, **_: Any
    ) -> None:
        """`**_` takes the keyword arguments timm passes to every model (pretrained, pretrained_cfg, ...)."""
        super().__init__()
        layers = _conv_bn_relu(3, widths[0], stem_stride)
        for in_channels, width in zip(widths, widths[1:]):
            layers += [nn.MaxPool2d(2), *_conv_bn_relu(in_channels, width)]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(grid)
        self.num_features = widths[-1] * grid * grid
        self.num_classes = num_classes
        self.classifier = nn.Linear(self.num_features, num_classes) if num_classes else nn.Identity()

    def forward(self, images: Tensor) -> Tensor:
        """`[N, 3, H, W]` -> pooled features `[N, num_features]`, or logits when built with classes."""
        return self.classifier(self.pool(self.features(images)).flatten(1))


@register_model
def small_cnn(pretrained: bool = False, **kwargs: Any) -> SmallCnn:
    """Three stages of 32, 64 and 128 channels, one conv each (93k parameters, 1,152 features): 28-32 px."""
    del pretrained  # there are no published weights; `pretrained_path` loads local ones
    return SmallCnn((32, 64, 128), **kwargs)


@register_model
def small_cnn_strided(pretrained: bool = False, **kwargs: Any) -> SmallCnn:
    """A stride-2 first conv, then stages of 32, 64, 128 and 256 channels (389k parameters, 2,304 features): 64 px."""
    del pretrained
    return SmallCnn((32, 64, 128, 256), stem_stride=2, **kwargs)
