"""Pre-training pieces (docs/pretraining.md): what is hidden, what the loss counts, that it learns, and that its
weights initialise a classifier with other heads (shape mismatches are config errors naming both shapes)."""

from __future__ import annotations

import pytest
import torch
import yaml

from datasets.landmark_files import joint_names
from models.pretraining import hide_frames, hide_joints
from training.checkpoints import CheckpointError, load_classifier
from training.init_from import load_pretrained
from training.model_factory import build_model
from training.pretraining import SignPreTrainer
from utils.config import ConfigError, TrainConfig, validate_config

PARTS = ["pose", "left_hand", "right_hand"]
JOINTS = len(joint_names(PARTS))


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def raw_config(**pre_training) -> dict:
    """A landmark pre-training config (data paths are not checked by `validate_config`)."""
    return {
        "general_parameters": {"data_paths": [{"path": "unused", "format": "landmarks"}]},
        "train_parameters": {"classification_mode": "gloss", "pre_training": True, "lr": 0.003},
        "feature_extractor": {
            "use_frames": False,
            "use_landmarks": True,
            "representation_size": 32,
            "landmarks": {"channels": [16, 16], "temporal_kernel": 3, "dropout": 0.0},
        },
        "transformer": {"feedforward_size": 64, "num_encoder_layers": 1, "output_size": 32, "dropout_rate": 0.0},
        "heads": {"gloss": {"gloss": {"num_class": 4}}},
        "pre_training": {"decoder_size": 64} | pre_training,
    }


def config_of(raw: dict) -> TrainConfig:
    """The validated config of a raw dict."""
    return validate_config(raw, "test")


def moving_clips(batch: int, time: int) -> torch.Tensor:
    """Body-like clips `[B, T, J, 3]`: one skeleton, moved as a whole along a smooth path per clip (so hidden joints
    can be told from the others and from neighbouring frames)."""
    generator = torch.Generator().manual_seed(1)
    skeleton = 0.3 + 0.4 * torch.rand(1, 1, JOINTS, 3, generator=generator)
    phase = torch.rand(batch, 1, 1, 1, generator=generator) * 6.28
    steps = torch.arange(time).view(1, time, 1, 1) / time
    path = 0.1 * torch.cat(
        [torch.sin(steps * 6.28 + phase), torch.cos(steps * 6.28 + phase), 0 * steps.expand(batch, -1, -1, -1)], -1
    )
    return skeleton + path


def test_hidden_joints_are_detected_joints_of_real_frames() -> None:
    present = torch.rand(4, 10, JOINTS) < 0.7
    mask = torch.ones(4, 10, dtype=torch.bool)
    mask[1, 6:] = False  # padding
    present &= mask.unsqueeze(-1)
    hidden = hide_joints(present, mask, (0.3, 0.3), span=2, generator=torch.Generator().manual_seed(0))
    assert not (hidden & ~present).any()
    assert not hidden[1, 6:].any()
    share = hidden.sum() / present.sum()
    assert 0.3 < share < 0.7  # joints (0.3) plus whole frames (about 0.3): about half


def test_hidden_frames_come_in_spans_and_skip_padding() -> None:
    mask = torch.ones(200, 30, dtype=torch.bool)
    mask[:, 25:] = False
    hidden = hide_frames(mask, 0.3, span=3, generator=torch.Generator().manual_seed(0))
    assert not hidden[:, 25:].any()
    assert 0.2 < hidden[:, :25].float().mean() < 0.35
    runs = torch.diff(torch.cat([torch.zeros(200, 1), hidden[:, :25].float(), torch.zeros(200, 1)], 1), dim=1)
    starts, ends = (runs == 1).nonzero()[:, 1], (runs == -1).nonzero()[:, 1]
    assert ((ends - starts)[ends < 25] >= 3).all()  # a run inside the clip is at least one whole span


def test_loss_counts_hidden_detected_joints_only_and_never_padding() -> None:
    module = SignPreTrainer(config_of(raw_config())).eval()
    landmarks = moving_clips(3, 8)
    landmarks[:, :, 33:54] = float("nan")  # left hand never detected: never hidden, never a target
    mask = torch.ones(3, 8, dtype=torch.bool)
    mask[2, 5:] = False
    batch = {"landmarks": landmarks, "mask": mask}
    first = module.pretext(batch, torch.Generator().manual_seed(3))
    hidden = first.details["hidden"]  # [B, T, J] in the layout's joint order
    left = [i for i, name in enumerate(module.model.feature_extractor.input.layout.joints) if name.startswith("left")]
    assert len(left) == 21 and not hidden[:, :, left].any() and not hidden[2, 5:].any()
    assert first.count == int(hidden.sum()) > 0
    changed = landmarks.clone()
    changed[2, 5:] = 123.0  # garbage in the padding changes nothing
    second = module.pretext({"landmarks": changed, "mask": mask}, torch.Generator().manual_seed(3))
    assert torch.equal(second.details["hidden"], hidden)
    assert torch.allclose(first.loss, second.loss)


def test_clip_with_nothing_detected_adds_nothing_and_is_counted() -> None:
    module = SignPreTrainer(config_of(raw_config())).eval()
    landmarks = moving_clips(2, 6)
    landmarks[1] = float("nan")
    result = module.pretext({"landmarks": landmarks, "mask": torch.ones(2, 6, dtype=torch.bool)})
    assert result.empty_clips == 1
    assert not result.details["hidden"][1].any()
    assert torch.isfinite(result.loss)


@pytest.mark.parametrize("objective", ["masked_landmarks", "masked_frames"])
def test_loss_goes_down(objective: str) -> None:
    if objective == "masked_frames":
        raw = raw_config(objective="masked_frames", frame_mask_ratio=0.3, frame_mask_span=1)
        raw["general_parameters"]["data_paths"] = [{"path": "unused", "format": "frames"}]
        raw["feature_extractor"] |= {"use_frames": True, "use_landmarks": False, "model_path": "small_cnn"}
        batch = {"frames": torch.rand(4, 6, 3, 16, 16), "mask": torch.ones(4, 6, dtype=torch.bool)}
    else:
        batch = {"landmarks": moving_clips(8, 10), "mask": torch.ones(8, 10, dtype=torch.bool)}
        raw = raw_config()
    module = SignPreTrainer(config_of(raw))
    optimizer = torch.optim.AdamW(module.parameters(), lr=0.003)
    losses = []
    for step in range(40):
        loss = module.pretext(batch, torch.Generator().manual_seed(step % 4)).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert sum(losses[-5:]) / 5 < 0.7 * sum(losses[:5]) / 5


def test_objective_must_fit_the_inputs() -> None:
    with pytest.raises(ConfigError, match="pre_training.objective: masked_frames needs frames"):
        config_of(raw_config(objective="masked_frames"))
    raw = raw_config()
    raw["trainer"] = {"monitor": "val/gloss/accuracy", "monitor_mode": "max"}
    with pytest.raises(ConfigError, match="trainer.monitor: a pre-training run logs no per-head figures"):
        config_of(raw)
    with pytest.raises(ConfigError, match="nothing would be hidden"):
        config_of(raw_config(joint_mask_ratio=0, frame_mask_ratio=0))


def save_checkpoint(module: torch.nn.Module, path) -> None:
    """What Lightning saves, as far as `init_from` reads it."""
    torch.save({"state_dict": module.state_dict()}, path)


def test_pretrained_weights_load_into_a_classifier_with_other_heads(tmp_path) -> None:
    pretrained = SignPreTrainer(config_of(raw_config()))
    save_checkpoint(pretrained, tmp_path / "pre.ckpt")
    raw = raw_config()
    raw["train_parameters"]["pre_training"] = False
    raw["heads"] = {"gloss": {"gloss": {"num_class": 7}, "other": {"num_class": 2}}}
    model = build_model(config_of(raw))
    heads_before = {k: v.clone() for k, v in model.heads.state_dict().items()}
    load_pretrained(model, str(tmp_path / "pre.ckpt"))
    for key, value in pretrained.model.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
    assert all(torch.equal(model.heads.state_dict()[k], v) for k, v in heads_before.items())  # fresh heads


def test_a_run_folder_names_its_best_checkpoint(tmp_path) -> None:
    pretrained = SignPreTrainer(config_of(raw_config()))
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    save_checkpoint(pretrained, tmp_path / "run" / "checkpoints" / "best.ckpt")
    model = SignPreTrainer(config_of(raw_config())).model
    assert load_pretrained(model, str(tmp_path / "run")).name == "best.ckpt"
    with pytest.raises(ConfigError, match="feature_extractor.init_from: no such run folder"):
        load_pretrained(model, str(tmp_path / "nothing"))


def test_shape_mismatch_is_a_config_error_naming_both_shapes(tmp_path) -> None:
    save_checkpoint(SignPreTrainer(config_of(raw_config())), tmp_path / "pre.ckpt")
    raw = raw_config()
    raw["feature_extractor"]["representation_size"] = 24
    model = build_model(config_of(raw))
    with pytest.raises(ConfigError, match=r"feature_extractor.init_from: .* has shape \[32, .*\] in .* but \[24, "):
        load_pretrained(model, str(tmp_path / "pre.ckpt"))
    raw = raw_config()
    raw["feature_extractor"]["landmarks"]["channels"] = [16]
    with pytest.raises(ConfigError, match="has weights this model lacks"):
        load_pretrained(build_model(config_of(raw)), str(tmp_path / "pre.ckpt"))


def test_config_section_round_trips() -> None:
    config = config_of(raw_config(joint_mask_ratio=0.5))
    assert (
        config_of(yaml.safe_load(yaml.safe_dump(config.model_dump(mode="json")))).pre_training.joint_mask_ratio == 0.5
    )


def test_inference_refuses_a_pretraining_checkpoint(tmp_path) -> None:
    module = SignPreTrainer(config_of(raw_config()))
    path = tmp_path / "pre.ckpt"
    torch.save({"state_dict": module.state_dict(), "hyper_parameters": dict(module.hparams)}, path)
    with pytest.raises(CheckpointError, match="a pre-training checkpoint has no heads"):
        load_classifier(path)


def test_an_experiment_folder_names_its_newest_run_with_a_checkpoint(tmp_path) -> None:
    pretrained = SignPreTrainer(config_of(raw_config()))
    for run, name in (("20261129-100000", "best.ckpt"), ("20261130-090000", "last.ckpt")):
        (tmp_path / "exp" / run / "checkpoints").mkdir(parents=True)
        save_checkpoint(pretrained, tmp_path / "exp" / run / "checkpoints" / name)
    (tmp_path / "exp" / "20261130-120000").mkdir()  # a newer run that failed before its first checkpoint
    model = SignPreTrainer(config_of(raw_config())).model
    assert (
        load_pretrained(model, str(tmp_path / "exp"))
        == tmp_path / "exp" / "20261130-090000" / "checkpoints" / "last.ckpt"
    )
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="empty has no checkpoints/best.ckpt .* nor a run folder that has one"):
        load_pretrained(model, str(tmp_path / "empty"))
