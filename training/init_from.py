"""`feature_extractor.init_from: <.ckpt, run folder or experiment folder>`: start a model's feature extractor and
temporal encoder from the weights of an earlier run (a pre-training run, or any classifier run); the heads start
fresh.

Every weight of the two parts must be in the checkpoint with the same shape, and the checkpoint must hold no weight
of them that the model lacks; anything else is a config error naming the key and both shapes, because a part built
differently (another layout, width or depth) would silently start from a mix of trained and random weights.
"""

import logging
from pathlib import Path
from typing import Optional

import torch
from torch import Tensor, nn

from utils.config import ConfigError

logger = logging.getLogger(__name__)

KEY = "feature_extractor.init_from"
PARTS = ("feature_extractor", "transformer")
PREFIX = "model."  # where both LightningModules keep the SignModel
CHECKPOINTS = ("best.ckpt", "last.ckpt")  # in the order they are preferred


def run_checkpoint(run: Path) -> Optional[Path]:
    """A run folder's `checkpoints/best.ckpt`, else its `checkpoints/last.ckpt`, else None."""
    return next((run / "checkpoints" / name for name in CHECKPOINTS if (run / "checkpoints" / name).is_file()), None)


def checkpoint_of(location: str) -> Path:
    """A `.ckpt` file as given; a run folder: its checkpoint (`run_checkpoint`); an experiment folder
    (`runs/<experiment_name>`, whose runs are named by their start time): the newest run's checkpoint."""
    path = Path(location)
    if path.is_file():
        return path
    if not path.is_dir():
        raise ConfigError(f"{KEY}: no such run folder or checkpoint file: {location}")
    found = run_checkpoint(path)
    if found is None:
        runs = sorted((run for run in path.iterdir() if run.is_dir()), key=lambda run: run.name, reverse=True)
        found = next(filter(None, map(run_checkpoint, runs)), None)
    if found is None:
        raise ConfigError(
            f"{KEY}: {location} has no checkpoints/best.ckpt or checkpoints/last.ckpt, nor a run folder that has one"
        )
    return found


def saved_parts(checkpoint: Path) -> dict[str, Tensor]:
    """The checkpoint's weights of the feature extractor and temporal encoder, keyed as in `SignModel`."""
    try:
        saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError) as error:
        raise ConfigError(f"{KEY}: cannot read {checkpoint}: {error}") from error
    state = saved.get("state_dict") if isinstance(saved, dict) else None
    if not isinstance(state, dict):
        raise ConfigError(f"{KEY}: {checkpoint} holds no state_dict; is it a checkpoint of this project?")
    return {
        key.removeprefix(PREFIX): value
        for key, value in state.items()
        if key.startswith(PREFIX) and key.removeprefix(PREFIX).split(".")[0] in PARTS
    }


def _shape(tensor: Tensor) -> list[int]:
    return list(tensor.shape)


def check_fit(own: dict[str, Tensor], saved: dict[str, Tensor], checkpoint: Path) -> None:
    """Raise ConfigError unless `saved` has exactly the keys of `own`, each of the same shape."""
    for key, value in own.items():
        if key not in saved:
            raise ConfigError(
                f"{KEY}: {checkpoint} has no weight {key} (shape {_shape(value)} in this model); was it trained with"
                " the same feature_extractor and transformer settings?"
            )
        if saved[key].shape != value.shape:
            raise ConfigError(
                f"{KEY}: {key} has shape {_shape(saved[key])} in {checkpoint} but {_shape(value)} in this model;"
                " feature_extractor and transformer must be set as in the run that made the checkpoint"
            )
    extra = sorted(set(saved) - set(own))
    if extra:
        raise ConfigError(
            f"{KEY}: {checkpoint} has weights this model lacks ({', '.join(extra[:3])}"
            f"{' ...' if len(extra) > 3 else ''}); feature_extractor and transformer must be set as in that run"
        )


def load_pretrained(model: nn.Module, location: str) -> Path:
    """Copy the extractor and encoder weights of `location` (see `checkpoint_of`) into `model` (a `SignModel`);
    returns the checkpoint read."""
    checkpoint = checkpoint_of(location)
    saved = saved_parts(checkpoint)
    own = {key: value for key, value in model.state_dict().items() if key.split(".")[0] in PARTS}
    check_fit(own, saved, checkpoint)
    model.load_state_dict(saved, strict=False)
    logger.info("feature extractor and temporal encoder initialised from %s (%d tensors)", checkpoint, len(saved))
    return checkpoint
