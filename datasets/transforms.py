"""Frame transforms from `augmentations_parameters`.

Every transform gets the whole clip as one `[T, 3, H, W]` tensor; torchvision's v2 transforms draw
their random parameters once per call, so all frames of a clip get the same rotation, flip, jitter,
erased box and blur, which keeps the motion between frames intact.

`apply_grayscale` is no augmentation but part of the model's input: it runs in training, validation and
inference alike (docs/out_of_distribution.md).
"""

from typing import Callable

import torch
from torch import Tensor, nn
from torchvision.transforms import v2

from utils.config_schema import AugmentationsParameters


class RandomRgbShift(nn.Module):
    """Add one random offset per colour channel, in [-limit, limit], to a float clip in [0, 1]."""

    def __init__(self, limit: float) -> None:
        super().__init__()
        self.limit = limit

    def forward(self, clip: Tensor) -> Tensor:
        """clip: `[T, 3, H, W]` float in [0, 1] -> same shape, clamped to [0, 1]."""
        shift = (torch.rand(3, 1, 1, device=clip.device) * 2 - 1) * self.limit
        return (clip + shift).clamp(0, 1)


def _random_augmentations(cfg: AugmentationsParameters) -> list[nn.Module]:
    """The random transforms that run on float clips in [0, 1], in HearAI's order."""
    steps: list[nn.Module] = []
    if cfg.apply_random_affine:  # rotation, shift and zoom in one resampling of the frames
        degrees = cfg.random_rotation_degree if cfg.apply_random_rotation else 0.0
        translate = (cfg.random_affine_translate, cfg.random_affine_translate)
        steps.append(v2.RandomAffine(degrees=degrees, translate=translate, scale=cfg.random_affine_scale))
    elif cfg.apply_random_rotation:
        steps.append(v2.RandomRotation(degrees=cfg.random_rotation_degree))
    if cfg.apply_horizontal_flip:  # a mirrored letter is the same letter signed with the other hand
        steps.append(v2.RandomHorizontalFlip(p=cfg.horizontal_flip_probability))
    if cfg.apply_color_jitter:
        steps.append(
            v2.ColorJitter(
                brightness=cfg.color_jitter_brightness,
                contrast=cfg.color_jitter_contrast,
                saturation=cfg.color_jitter_saturation,
                hue=cfg.color_jitter_hue,
            )
        )
    if cfg.apply_rgb_shift:
        steps.append(RandomRgbShift(cfg.rgb_shift_limit))
    if cfg.apply_random_grayscale:
        steps.append(v2.RandomGrayscale(p=cfg.random_grayscale_probability))
    if cfg.apply_blur:
        steps.append(v2.GaussianBlur(kernel_size=cfg.blur_kernel_size, sigma=tuple(cfg.blur_sigma)))
    if cfg.apply_random_erasing:
        steps.append(v2.RandomErasing(p=cfg.random_erasing_probability))
    return steps


def build_transform(cfg: AugmentationsParameters, train: bool) -> Callable[[Tensor], Tensor]:
    """uint8 clip `[T, 3, H, W]` -> normalised float clip `[T, 3, H', W']`; random steps only when training."""
    steps: list[nn.Module] = [v2.ToDtype(torch.float32, scale=True)]
    if train:
        steps += _random_augmentations(cfg)
    if cfg.apply_resize:
        steps.append(v2.Resize(cfg.resize_size, antialias=True))
    if cfg.apply_center_crop:
        steps.append(v2.CenterCrop(cfg.center_crop_size))
    if cfg.apply_grayscale:  # after the colour jitter, and the same in validation and at inference
        steps.append(v2.Grayscale(num_output_channels=3))
    steps.append(v2.Normalize(mean=cfg.normalize_mean, std=cfg.normalize_std))
    return v2.Compose(steps)
