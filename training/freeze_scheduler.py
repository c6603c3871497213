"""HearAI's freeze scheduler as a Lightning callback.

`model_params` maps a submodule of the model (`feature_extractor`, `transformer`, `heads.gloss`,
...) to a list of booleans, True = frozen; pattern i lasts `freeze_pattern_repeats[i]` epochs or
optimiser steps (`freeze_mode`). After the last pattern everything is trainable. The phase is
computed from the trainer's epoch or global step, never from a counter of our own, so a run
resumed from a checkpoint lands in the right phase. A frozen module's BatchNorm layers stay in
eval mode so that their running statistics are frozen too.
"""

import bisect
import itertools
import logging
from typing import Any, Optional

import lightning as L
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from utils.config import ConfigError
from utils.config_schema import FreezeSchedulerConfig

logger = logging.getLogger(__name__)


class FreezeScheduler(L.Callback):
    """Freeze and unfreeze named submodules of `pl_module.model` by epoch or by step."""

    def __init__(self, config: FreezeSchedulerConfig) -> None:
        self.config = config
        self.ends = list(itertools.accumulate(config.durations()))
        self.current_phase: Optional[int] = None

    def check_names(self, model: nn.Module) -> None:
        """Raise ConfigError naming `freeze_scheduler.model_params.<name>` if a name is not a submodule."""
        for name in self.config.model_params:
            try:
                model.get_submodule(name)
            except AttributeError as error:
                children = [n for n, _ in model.named_children()]
                raise ConfigError(
                    f"freeze_scheduler.model_params.{name}: the model has no such part (parts: {children})"
                ) from error

    def phase(self, counter: int) -> int:
        """Index of the pattern in force at this epoch or step; `len(patterns)` once all are over."""
        return bisect.bisect_right(self.ends, counter)

    def frozen_names(self, phase: int) -> list[str]:
        """The submodules frozen in a phase."""
        if phase >= len(self.ends):
            return []
        return [name for name, pattern in self.config.model_params.items() if pattern[phase]]

    def apply(self, model: nn.Module, counter: int) -> None:
        """Set requires_grad and BatchNorm modes for the phase of `counter`."""
        phase = self.phase(counter)
        frozen = self.frozen_names(phase)
        for name in self.config.model_params:
            part = model.get_submodule(name)
            is_frozen = name in frozen
            part.requires_grad_(not is_frozen)
            for layer in part.modules():
                if isinstance(layer, _BatchNorm):
                    layer.train(not is_frozen)
        if phase != self.current_phase and self.config.verbose:
            unit = self.config.freeze_mode
            logger.info("freeze scheduler: %s %d, phase %d, frozen: %s", unit, counter, phase, frozen or "nothing")
        self.current_phase = phase

    def _counter(self, trainer: L.Trainer) -> int:
        return trainer.current_epoch if self.config.freeze_mode == "epoch" else trainer.global_step

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        # Every batch, because Lightning puts the whole model back in train mode after each validation.
        self.apply(pl_module.model, self._counter(trainer))
