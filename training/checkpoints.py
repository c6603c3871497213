"""A trained `SignClassifier` from its checkpoint alone, on any machine.

The checkpoint keeps the resolved config as plain data and every head's class names; loading validates that config
again (a `CheckpointError` names the file and the key) but checks no file on disk: the backbone's initial weights
(`feature_extractor.pretrained_path`) need not exist where the model runs, since the trained weights are in the
checkpoint.
"""

import copy
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from training.lightning_module import SignClassifier
from utils.config import ConfigError, TrainConfig, validate_config


class CheckpointError(Exception):
    """A checkpoint file that cannot be used; the message names the file."""


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint's contents (plain tensors and dicts), or a `CheckpointError` saying why it is not one."""
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    if not zipfile.is_zipfile(path):
        # torch.load would try it as a pickle and fail with a message about its first byte ("KeyError: 101").
        raise CheckpointError(
            f"{path}: not a checkpoint of train.py (a .ckpt is a PyTorch zip archive; this file is cut short or is"
            " another kind of file)"
        )
    try:
        # weights_only: a checkpoint is plain tensors and dicts, and unpickling anything else could run code.
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, KeyError, ValueError, OSError) as error:
        # torch.load raises any of these on a file that is not a checkpoint.
        raise CheckpointError(f"{path}: not a PyTorch checkpoint ({type(error).__name__}: {error})") from error
    hparams = checkpoint.get("hyper_parameters", {}) if isinstance(checkpoint, dict) else {}
    if not isinstance(hparams, dict) or "config" not in hparams or "state_dict" not in checkpoint:
        raise CheckpointError(f"{path}: not a checkpoint of train.py (no saved config or weights)")
    return checkpoint


def saved_config(raw: dict[str, Any], source: str) -> TrainConfig:
    """A saved training config, validated for use without its training files (`pretrained_path` dropped)."""
    raw = copy.deepcopy(raw)
    if isinstance(raw.get("feature_extractor"), dict):
        raw["feature_extractor"]["pretrained_path"] = None
    try:
        return validate_config(raw, source)
    except ConfigError as error:
        raise CheckpointError(str(error)) from error


def load_classifier(path: Path) -> SignClassifier:
    """A `SignClassifier` from a checkpoint of train.py, in eval mode on the CPU."""
    checkpoint = read_checkpoint(path)
    hparams = checkpoint["hyper_parameters"]
    config = saved_config(hparams["config"], f"{path} (the config saved in it)")
    if config.train_parameters.pre_training:
        raise CheckpointError(
            f"{path}: a pre-training checkpoint has no heads to predict with; fine-tune from it first"
            " (feature_extractor.init_from, docs/pretraining.md)"
        )
    module = SignClassifier(config, hparams.get("class_names") or {})
    try:
        module.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise CheckpointError(f"{path}: its weights do not fit the model its config describes: {error}") from error
    module.on_load_checkpoint(checkpoint)  # what Lightning's own loading does: the temperatures, if calibrated
    return module.eval()
