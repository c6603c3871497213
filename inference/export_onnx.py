"""Export a trained model to ONNX (dynamic batch and clip length) and check it against PyTorch.

Usage (from the repository root):
    python inference/export_onnx.py --checkpoint runs/<experiment>/<time>/checkpoints/best.ckpt --output model.onnx
    python inference/export_onnx.py --checkpoint best.ckpt --output model.onnx --check_input clip.mp4 \\
        --check_input photos/

The ONNX model has inputs `frames` float [batch, time, 3, H, W] and `mask` bool [batch, time] (True = a real frame)
and one output per head (logits [batch, num_class], named after the head). Its metadata carries the training config
and the class names, so `inference/predict.py --runtime onnx` needs nothing else. After export the model is run by ONNX
Runtime on random clips (with padding) and on real ones, and the largest absolute difference of the logits from
PyTorch's is printed; above `--atol` the exit status is 1. A bad checkpoint or input: exit status 2.
"""

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from torch import Tensor, nn

from datasets.errors import DataError
from datasets.media_inputs import find_inputs
from inference.predictor import (
    INPUT_NAMES,
    METADATA_CLASS_NAMES,
    METADATA_CONFIG,
    METADATA_TEMPERATURES,
    InferenceError,
    Predictor,
    TorchPredictor,
    batch_clips,
    load_module,
    load_predictor,
)
from training.lightning_module import SignClassifier
from utils.config import ConfigError, TrainConfig

# pylint: enable=wrong-import-position

REAL_CLIPS = 4  # real clips taken from the training data when no --check_input is given
ONNX_OPSET = 18


class _HeadsAsTuple(nn.Module):
    """The sign model with its `{head: logits}` output as a tuple in head order (ONNX outputs are positional)."""

    def __init__(self, module: SignClassifier) -> None:
        super().__init__()
        self.model = module.model
        self.heads = list(module.heads)

    def forward(self, frames: Tensor, mask: Tensor) -> tuple[Tensor, ...]:
        """frames `[B, T, 3, H, W]`, mask `[B, T]` -> one `[B, num_class]` tensor per head."""
        logits = self.model(frames, mask)
        return tuple(logits[head] for head in self.heads)


def example_frames(config: TrainConfig, batch: int, time: int) -> Tensor:
    """Random float frames `[batch, time, 3, H, W]` of the size the validation transform gives."""
    augmentations = config.augmentations_parameters
    if augmentations.apply_center_crop:
        size = augmentations.center_crop_size
        height, width = (size, size) if isinstance(size, int) else size
    else:
        height = width = augmentations.resize_size
    return torch.randn(batch, time, 3, height, width)


def padded_mask(batch: int, time: int) -> Tensor:
    """bool `[batch, time]`: the first clip has only its first half real (when it has 2+ frames), the rest full."""
    mask = torch.ones(batch, time, dtype=torch.bool)
    mask[0, max(1, time // 2) :] = False
    return mask


def export_onnx(module: SignClassifier, path: Path) -> None:
    """Write `module` as an ONNX model with dynamic batch and time axes, its config and class names as metadata.

    Without a centre crop the frame size depends on the input, so height and width are dynamic too.
    """
    wrapper = _HeadsAsTuple(module).eval()
    config = module.config
    frames_axes = {0: torch.export.Dim("batch"), 1: torch.export.Dim("time")}
    if not config.augmentations_parameters.apply_center_crop:
        frames_axes |= {3: torch.export.Dim("height"), 4: torch.export.Dim("width")}
    # The mask shares the frames' batch and time axes; DYNAMIC lets export link them (naming them twice warns).
    mask_axes = {0: torch.export.Dim.DYNAMIC, 1: torch.export.Dim.DYNAMIC}
    time = max(2, config.train_parameters.num_segments)
    program = torch.onnx.export(
        wrapper,
        (example_frames(config, 2, time), padded_mask(2, time)),
        input_names=list(INPUT_NAMES),
        output_names=wrapper.heads,
        dynamic_shapes={"frames": frames_axes, "mask": mask_axes},
        opset_version=ONNX_OPSET,
        dynamo=True,
        verbose=False,
    )
    program.model.metadata_props[METADATA_CONFIG] = json.dumps(config.model_dump(mode="json"))
    program.model.metadata_props[METADATA_CLASS_NAMES] = json.dumps(module.class_names)
    if module.temperatures is not None:  # the calibration of a calibrated checkpoint, applied by every predictor
        program.model.metadata_props[METADATA_TEMPERATURES] = json.dumps(module.temperatures)
    path.parent.mkdir(parents=True, exist_ok=True)
    program.save(path)


def largest_difference(reference: Predictor, other: Predictor, frames: Tensor, mask: Tensor) -> float:
    """The largest absolute difference of any head's logits between two predictors on one batch."""
    expected, actual = reference.logits(frames, mask), other.logits(frames, mask)
    return max(float(np.abs(expected[head] - actual[head]).max()) for head in reference.heads)


def random_checks(reference: Predictor, other: Predictor) -> list[tuple[str, float]]:
    """(description, difference) on random clips: one frame, the training length, and longer (first clip padded)."""
    length = reference.num_segments
    checks = []
    for batch, time in ((1, 1), (2, length), (3, 2 * length + 1)):
        frames, mask = example_frames(reference.config, batch, time), padded_mask(batch, time)
        checks.append(
            (f"random: {batch} clip(s) x {time} frame(s)", largest_difference(reference, other, frames, mask))
        )
    return checks


def real_inputs(config: TrainConfig, check_inputs: list[Path]) -> list:
    """The `--check_input` clips, or a few clips spread over the training data when it is on this machine."""
    if check_inputs:
        return [item for path in check_inputs for item in find_inputs(path)]
    folders = [Path(entry.path) for entry in config.general_parameters.datasets() if Path(entry.path).is_dir()]
    if not folders:
        logging.getLogger(__name__).warning("no real inputs: the training data is not here; pass --check_input")
        return []
    items = find_inputs(folders[0])
    return items[:: max(1, len(items) // REAL_CLIPS)][:REAL_CLIPS]


def real_check(reference: Predictor, other: Predictor, items: list) -> list[tuple[str, float]]:
    """(description, difference) on real clips, preprocessed as in validation, all in one padded batch per size."""
    clips = [reference.preprocess(item.read(reference.frame_indices)) for item in items]
    checks = []
    for size in sorted({tuple(clip.shape[1:]) for clip in clips}):
        frames, mask = batch_clips([clip for clip in clips if tuple(clip.shape[1:]) == size])
        description = f"real: {len(mask)} clip(s) of {size[1]}x{size[2]}"
        checks.append((description, largest_difference(reference, other, frames, mask)))
    return checks


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, type=Path, help="a train.py checkpoint (.ckpt)")
    parser.add_argument("--output", required=True, type=Path, help="the ONNX file to write (.onnx)")
    parser.add_argument(
        "--check_input", action="append", type=Path, default=[], help="a real input to compare on (repeatable)"
    )
    parser.add_argument("--atol", type=float, default=1e-4, help="largest allowed absolute logit difference")
    args = parser.parse_args(argv)
    if args.output.suffix != ".onnx":
        parser.error(f"--output {args.output}: must end in .onnx")
    return args


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for chatty in ("onnxscript", "onnx_ir"):  # they log every graph rewrite at INFO
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        module = load_module(args.checkpoint)
        reference = TorchPredictor(module, args.checkpoint)  # refuses a model it cannot feed, before exporting
        items = real_inputs(module.config, args.check_input)
        export_onnx(module, args.output)
        exported = load_predictor(args.output)
        checks = random_checks(reference, exported) + real_check(reference, exported, items)
    except (ConfigError, DataError, InferenceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    size_mb = args.output.stat().st_size / 2**20
    print(f"exported {args.output} ({size_mb:.1f} MB): inputs frames, mask; outputs {', '.join(reference.heads)}")
    for description, difference in checks:
        print(f"  {description:<36} max |onnx - torch| = {difference:.2e}")
    worst = max(difference for _, difference in checks)
    verdict = "OK" if worst <= args.atol else "TOO LARGE"
    print(f"largest absolute difference: {worst:.2e} (tolerance {args.atol:.0e}): {verdict}")
    return 0 if worst <= args.atol else 1


if __name__ == "__main__":
    sys.exit(main())
