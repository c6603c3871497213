"""The small CNNs of models/small_cnns.py (timm-registered `cnn_extractor` backbones) and the random affine frame
augmentation that the small-image configs use."""

import pytest
import timm
import torch

from datasets.transforms import build_transform
from models.feature_extractors import CnnExtractor
from utils.config_schema import AugmentationsParameters


@pytest.mark.parametrize("name, size", [("small_cnn", 28), ("small_cnn_strided", 64), ("small_cnn", 9)])
def test_small_cnn_is_a_cnn_extractor_backbone(name: str, size: int) -> None:
    torch.manual_seed(0)
    extractor = CnnExtractor(name, representation_size=8)
    frames = torch.randn(2, 3, 3, size, size)
    mask = torch.tensor([[True, True, False], [True, False, False]])
    features = extractor(frames, mask)
    assert features.shape == (2, 3, 8)
    assert torch.all(features[~mask] == 0) and torch.all(features[mask].abs().sum(-1) > 0)


def test_small_cnn_with_classes_gives_logits() -> None:
    model = timm.create_model("small_cnn", num_classes=24)
    assert model(torch.randn(4, 3, 28, 28)).shape == (4, 24)


def affine_transform(**overrides) -> object:
    """A training transform of 16x16 frames with the random affine on, plus `overrides`."""
    settings = {"resize_size": 16, "center_crop_size": 16, "apply_random_affine": True} | overrides
    return build_transform(AugmentationsParameters(**settings), train=True)


def test_random_affine_moves_all_frames_of_a_clip_alike() -> None:
    torch.manual_seed(0)
    clip = torch.zeros(3, 3, 16, 16, dtype=torch.uint8)
    clip[:, :, 6:10, 6:10] = 255
    transform = affine_transform(random_affine_translate=0.3, apply_random_rotation=True, random_rotation_degree=30)
    moved = [transform(clip) for _ in range(5)]
    assert all(torch.equal(out[0], out[1]) and torch.equal(out[0], out[2]) for out in moved)
    assert any(not torch.equal(moved[0], other) for other in moved[1:])


def test_random_affine_is_off_when_validating() -> None:
    clip = torch.randint(0, 256, (2, 3, 16, 16), dtype=torch.uint8)
    settings = AugmentationsParameters(resize_size=16, center_crop_size=16, apply_random_affine=True)
    validate = build_transform(settings, train=False)
    assert torch.equal(validate(clip), validate(clip))


@pytest.mark.parametrize("scale", [(0.0, 1.0), (1.2, 0.9)])
def test_random_affine_scale_must_be_a_positive_range(scale) -> None:
    with pytest.raises(ValueError, match="random_affine_scale"):
        AugmentationsParameters(random_affine_scale=scale)
