"""The freeze scheduler: phases by epoch and by step, BatchNorm kept in eval mode, unfreezing at the end."""

import pytest
import torch
from torch import nn

from training.freeze_scheduler import FreezeScheduler
from utils.config import ConfigError
from utils.config_schema import FreezeSchedulerConfig


class TinyModel(nn.Module):
    """Stands in for SignModel: the parts the scheduler addresses by name."""

    def __init__(self) -> None:
        super().__init__()
        self.feature_extractor = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.transformer = nn.Linear(4, 4)
        self.heads = nn.ModuleDict({"gloss": nn.Linear(4, 2)})

    def forward(self, images):
        """Unused: the scheduler only walks the module tree."""
        return self.heads["gloss"](self.transformer(self.feature_extractor(images).mean(dim=(2, 3))))


def _scheduler(mode: str = "epoch", repeats=(2, 1)) -> FreezeScheduler:
    config = FreezeSchedulerConfig(
        model_params={"feature_extractor": [True, False], "transformer": [False, True]},
        freeze_pattern_repeats=list(repeats) if isinstance(repeats, tuple) else repeats,
        freeze_mode=mode,
    )
    return FreezeScheduler(config)


def _trainable(part: nn.Module) -> bool:
    return all(p.requires_grad for p in part.parameters())


@pytest.mark.parametrize(
    "counter, extractor_trainable, transformer_trainable",
    [(0, False, True), (1, False, True), (2, True, False), (3, True, True), (10, True, True)],
)
def test_phases(counter, extractor_trainable, transformer_trainable):
    model = TinyModel().train()
    _scheduler().apply(model, counter)
    assert _trainable(model.feature_extractor) is extractor_trainable
    assert _trainable(model.transformer) is transformer_trainable
    assert _trainable(model.heads)


def test_frozen_batchnorm_stays_in_eval_mode_and_keeps_its_statistics():
    model = TinyModel().train()
    scheduler = _scheduler()
    scheduler.apply(model, 0)
    norm = model.feature_extractor[1]
    assert not norm.training
    before = norm.running_mean.clone()
    model.feature_extractor(torch.randn(2, 3, 8, 8))
    assert (norm.running_mean == before).all()
    scheduler.apply(model, 2)
    assert norm.training


def test_integer_repeats_apply_to_every_pattern():
    scheduler = _scheduler(repeats=3)
    assert [scheduler.phase(c) for c in (0, 2, 3, 5, 6)] == [0, 0, 1, 1, 2]


def test_phase_depends_only_on_the_counter_so_resume_lands_right():
    fresh, resumed = TinyModel().train(), TinyModel().train()
    _scheduler(mode="step").apply(fresh, 2)
    _scheduler(mode="step").apply(resumed, 2)  # a new callback, as after loading a checkpoint
    assert _trainable(resumed.feature_extractor) == _trainable(fresh.feature_extractor)


def test_unknown_module_name_is_a_config_error():
    config = FreezeSchedulerConfig(model_params={"backbone": [True]}, freeze_pattern_repeats=[1])
    with pytest.raises(ConfigError, match="freeze_scheduler.model_params.backbone"):
        FreezeScheduler(config).check_names(TinyModel())
