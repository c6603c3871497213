"""Tests of models/: every registry entry builds, keeps its shapes, learns, and ignores padding."""

from __future__ import annotations

import typing

import pytest
import timm
import torch
from torch import nn
from torch.nn import functional as F

from models.feature_extractors import CnnExtractor
from models.heads import ClassificationHead
from models.registry import FEATURE_EXTRACTORS, TEMPORAL_ENCODERS
from models.sign_model import SignModel, multi_head_loss

TINY_BACKBONE = "resnet10t"
IMAGE_SIZE = 32
REPRESENTATION_SIZE = 8
# Extractors whose backbone is fixed and large: only the construction + forward test runs for them (their forward
# is CnnExtractor's, which the other tests cover with a tiny backbone).
HEAVY_EXTRACTORS = {"resnet50_extractor"}
LIGHT_EXTRACTORS = [name for name in FEATURE_EXTRACTORS if name not in HEAVY_EXTRACTORS]
# input_size 10 is not a multiple of 4 heads: encoders must round their width up themselves.
ENCODER_KWARGS = {
    "input_size": 10,
    "output_size": 6,
    "feedforward_size": 16,
    "num_attention_heads": 4,
    "num_encoder_layers": 2,
    "dropout_rate": 0.1,
}


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def build_extractor(name: str) -> nn.Module:
    """Every extractor takes the config's keys; ``model_path`` is ignored by fixed-backbone extractors."""
    return FEATURE_EXTRACTORS[name](model_path=TINY_BACKBONE, representation_size=REPRESENTATION_SIZE)


def build_encoder(name: str) -> nn.Module:
    """Every temporal encoder takes the same keys."""
    return TEMPORAL_ENCODERS[name](**ENCODER_KWARGS)


def random_frames(batch: int, time: int) -> torch.Tensor:
    """Float ``[B, T, 3, H, W]``."""
    return torch.randn(batch, time, 3, IMAGE_SIZE, IMAGE_SIZE)


def pad_with_garbage(sample: torch.Tensor, total_time: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of two clips: ``sample`` ([L, ...]) padded with large random garbage, then a full random clip."""
    length = sample.shape[0]
    garbage = 100 * torch.randn(total_time - length, *sample.shape[1:])
    batch = torch.stack([torch.cat([sample, garbage]), torch.randn(total_time, *sample.shape[1:])])
    mask = torch.ones(2, total_time, dtype=torch.bool)
    mask[0, length:] = False
    return batch, mask


def assert_every_parameter_gets_gradient(module: nn.Module, output: torch.Tensor) -> None:
    """Backpropagate a random projection of ``output`` and check every trainable parameter receives a gradient."""
    (output * torch.randn_like(output)).sum().backward()
    trainable = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
    assert trainable
    missing = [name for name, p in trainable if p.grad is None]
    assert not missing, f"no gradient for {missing}"
    assert all(torch.isfinite(p.grad).all() for _, p in trainable)
    assert any(p.grad.abs().sum() > 0 for _, p in trainable)


def test_registry_keys_are_the_config_names() -> None:
    """A name the config accepts always finds a class, and every class is reachable from the config."""
    config_schema = pytest.importorskip("utils.config_schema")
    extractor_names = typing.get_args(config_schema.FeatureExtractorConfig.model_fields["name"].annotation)
    encoder_names = typing.get_args(config_schema.TransformerConfig.model_fields["name"].annotation)
    assert set(FEATURE_EXTRACTORS) == set(extractor_names)
    assert set(TEMPORAL_ENCODERS) == set(encoder_names)


@pytest.mark.parametrize("name", list(FEATURE_EXTRACTORS))
def test_extractor_builds_and_zeroes_padding(name: str) -> None:
    """Every extractor builds from the config's keys, gives [B, T, D] and zeros at padded frames."""
    extractor = build_extractor(name).eval()
    mask = torch.tensor([[True, False]])
    with torch.no_grad():
        features = extractor(random_frames(1, 2), mask)
    assert extractor.out_dim == REPRESENTATION_SIZE
    assert features.shape == (1, 2, REPRESENTATION_SIZE)
    assert torch.equal(features[0, 1], torch.zeros(REPRESENTATION_SIZE))


@pytest.mark.parametrize("name", LIGHT_EXTRACTORS)
def test_extractor_runs_on_one_and_forty_frames(name: str) -> None:
    """One instance serves still images (T=1) and long videos (T=40)."""
    extractor = build_extractor(name).eval()
    with torch.no_grad():
        for batch, time in ((2, 1), (1, 40)):
            features = extractor(random_frames(batch, time), torch.ones(batch, time, dtype=torch.bool))
            assert features.shape == (batch, time, REPRESENTATION_SIZE)


@pytest.mark.parametrize("name", LIGHT_EXTRACTORS)
def test_extractor_passes_gradient_to_every_parameter(name: str) -> None:
    """Fine-tuning reaches the whole backbone and the projection."""
    extractor = build_extractor(name).train()
    mask = torch.tensor([[True, True, False], [True, True, True]])
    assert_every_parameter_gets_gradient(extractor, extractor(random_frames(2, 3), mask))


@pytest.mark.parametrize("name", LIGHT_EXTRACTORS)
def test_extractor_ignores_padded_frames(name: str) -> None:
    """A clip's features do not depend on how much garbage padding shares its batch."""
    extractor = build_extractor(name).eval()
    sample = random_frames(1, 3)[0]
    padded, mask = pad_with_garbage(sample, total_time=5)
    with torch.no_grad():
        alone = extractor(sample.unsqueeze(0), torch.ones(1, 3, dtype=torch.bool))
        batched = extractor(padded, mask)
    torch.testing.assert_close(batched[0, :3], alone[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", LIGHT_EXTRACTORS)
def test_padded_frames_do_not_reach_batchnorm_statistics(name: str) -> None:
    """In training, BatchNorm running statistics see only real frames."""
    extractor = build_extractor(name).train()
    padded, mask = pad_with_garbage(random_frames(1, 3)[0], total_time=6)
    reference = build_extractor(name).train()
    reference.load_state_dict(extractor.state_dict())
    extractor(padded, mask)
    reference(padded[mask].unsqueeze(0), torch.ones(1, int(mask.sum()), dtype=torch.bool))
    for (key, value), (_, expected) in zip(extractor.state_dict().items(), reference.state_dict().items()):
        torch.testing.assert_close(value, expected, atol=1e-5, rtol=1e-5, msg=f"buffer {key} differs")


def test_cnn_extractor_fits_backbones_with_a_head_conv() -> None:
    """The projection is sized from the backbone's real pooled output width."""
    # MobileNetV3's pooled output (head_hidden_size) is wider than its num_features.
    extractor = CnnExtractor("mobilenetv3_small_050", REPRESENTATION_SIZE).eval()
    with torch.no_grad():
        features = extractor(random_frames(1, 2), torch.ones(1, 2, dtype=torch.bool))
    assert features.shape == (1, 2, REPRESENTATION_SIZE)


@pytest.mark.parametrize("wrap", [None, "state_dict", "model"])
def test_cnn_extractor_loads_local_pretrained_weights(tmp_path, wrap: str | None) -> None:
    """A local weights file (raw or wrapped state dict) ends up in the backbone."""
    backbone = timm.create_model(TINY_BACKBONE, pretrained=False, num_classes=0)
    path = tmp_path / "weights.pth"
    torch.save(backbone.state_dict() if wrap is None else {wrap: backbone.state_dict()}, path)
    extractor = CnnExtractor(TINY_BACKBONE, REPRESENTATION_SIZE, pretrained_path=str(path))
    for key, value in backbone.state_dict().items():
        assert torch.equal(extractor.backbone.state_dict()[key], value), key


def test_cnn_extractor_rejects_weights_of_another_model(tmp_path) -> None:
    """A weights file that fits nothing is an error, not a silently random backbone."""
    path = tmp_path / "unrelated.pth"
    torch.save({"encoder.layer.0.weight": torch.zeros(3)}, path)
    with pytest.raises(ValueError, match="none of its"):
        CnnExtractor(TINY_BACKBONE, REPRESENTATION_SIZE, pretrained_path=str(path))


@pytest.mark.parametrize("name", list(TEMPORAL_ENCODERS))
def test_encoder_output_shape_for_one_and_forty_frames(name: str) -> None:
    """No clip length is baked in: one instance runs T=1 and T=40."""
    encoder = build_encoder(name).eval()
    assert encoder.out_dim == ENCODER_KWARGS["output_size"]
    with torch.no_grad():
        for batch, time in ((3, 1), (2, 40)):
            output = encoder(torch.randn(batch, time, 10), torch.ones(batch, time, dtype=torch.bool))
            assert output.shape == (batch, ENCODER_KWARGS["output_size"])


@pytest.mark.parametrize("name", list(TEMPORAL_ENCODERS))
def test_encoder_passes_gradient_to_every_parameter(name: str) -> None:
    """Every trainable parameter of every encoder learns."""
    encoder = build_encoder(name).train()
    mask = torch.ones(3, 7, dtype=torch.bool)
    mask[0, 4:] = False
    mask[1, 1:] = False
    assert_every_parameter_gets_gradient(encoder, encoder(torch.randn(3, 7, 10), mask))


@pytest.mark.parametrize("name", list(TEMPORAL_ENCODERS))
@pytest.mark.parametrize("length", [1, 5])
def test_encoder_ignores_padding(name: str, length: int) -> None:
    """Padding never changes the prediction for a real clip."""
    encoder = build_encoder(name).eval()
    sample = torch.randn(length, 10)
    padded, mask = pad_with_garbage(sample, total_time=12)
    with torch.no_grad():
        alone = encoder(sample.unsqueeze(0), torch.ones(1, length, dtype=torch.bool))
        batched = encoder(padded, mask)
    torch.testing.assert_close(batched[0], alone[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("additional_layers", [0, 2])
def test_classification_head_shape_and_gradient(additional_layers: int) -> None:
    """A head maps [B, input_size] to [B, num_class] with the requested depth."""
    head = ClassificationHead(6, num_class=5, additional_layers=additional_layers, dropout_rate=0.2)
    logits = head(torch.randn(4, 6))
    assert head.out_dim == 5
    assert logits.shape == (4, 5)
    assert sum(isinstance(layer, nn.Linear) for layer in head.modules()) == additional_layers + 1
    assert_every_parameter_gets_gradient(head, logits)


def test_sign_model_gives_logits_per_head() -> None:
    """The assembled model returns logits for every named head."""
    extractor = build_extractor(LIGHT_EXTRACTORS[0])
    encoder = TEMPORAL_ENCODERS["fake_transformer"](**{**ENCODER_KWARGS, "input_size": REPRESENTATION_SIZE})
    heads = {"letter": ClassificationHead(6, 24), "handshape": ClassificationHead(6, 3)}
    model = SignModel(extractor, encoder, heads).eval()
    assert isinstance(model.heads, nn.ModuleDict)
    assert model.feature_extractor is extractor and model.transformer is encoder
    with torch.no_grad():
        logits = model(random_frames(2, 3), torch.tensor([[True, True, True], [True, False, False]]))
    assert {name: tuple(value.shape) for name, value in logits.items()} == {"letter": (2, 24), "handshape": (2, 3)}


def test_loss_ignores_unlabelled_samples() -> None:
    """Label -1 is left out of a head's loss."""
    logits = {"gloss": torch.randn(4, 5)}
    labels = {"gloss": torch.tensor([2, -1, 0, -1])}
    total, per_head = multi_head_loss(logits, labels, {"gloss": 1.0})
    expected = F.cross_entropy(logits["gloss"][[0, 2]], torch.tensor([2, 0]))
    torch.testing.assert_close(per_head["gloss"], expected)
    torch.testing.assert_close(total, expected)


def test_loss_applies_head_weights() -> None:
    """The total is the weighted sum of the per-head losses."""
    logits = {"a": torch.randn(3, 4), "b": torch.randn(3, 2)}
    labels = {"a": torch.tensor([0, 1, 3]), "b": torch.tensor([1, 0, 1])}
    total, per_head = multi_head_loss(logits, labels, {"a": 0.5, "b": 2.0})
    torch.testing.assert_close(total, 0.5 * per_head["a"] + 2.0 * per_head["b"])


def test_unlabelled_head_adds_nothing() -> None:
    """A head without labels in the batch adds 0 (not NaN) and reports no loss."""
    logits = {"a": torch.randn(3, 4), "b": torch.randn(3, 2)}
    labels = {"a": torch.tensor([0, 1, 3]), "b": torch.full((3,), -1)}
    total, per_head = multi_head_loss(logits, labels, {"a": 1.0, "b": 1.0})
    assert set(per_head) == {"a"}
    torch.testing.assert_close(total, per_head["a"])


def test_fully_unlabelled_batch_gives_zero_loss_that_backpropagates() -> None:
    """A batch without any label still allows backward() with zero gradients."""
    head = ClassificationHead(6, 4)
    logits = {"a": head(torch.randn(3, 6))}
    total, per_head = multi_head_loss(logits, {"a": torch.full((3,), -1)}, {"a": 1.0})
    assert not per_head
    assert total.item() == 0.0 and total.requires_grad
    total.backward()
    assert all(p.grad is not None and not p.grad.any() for p in head.parameters())
