"""Export a trained model to ONNX (dynamic batch and clip length) and check it against PyTorch.

Usage (from the repository root):
    python inference/export_onnx.py --checkpoint runs/<experiment>/<time>/checkpoints/best.ckpt --output model.onnx
    python inference/export_onnx.py --checkpoint best.ckpt --output model.onnx --check_input clip.mp4 \\
        --check_input photos/

The ONNX model has inputs `frames` float [batch, time, 3, H, W] (a model of frames), `landmarks` float
[batch, time, joints, 3] (x, y, z of the training data's landmark parts, NaN = not detected; a landmark model), both
(a fused model, frames first), then `mask` bool [batch, time] (True = a real frame); batch and time are dynamic. One
output per head (logits [batch, num_class], named after the head). Its metadata carries the training config, the
class names and each head's calibration temperature, so `inference/predict.py --runtime onnx` needs nothing else.
After export the model is run by ONNX Runtime on random clips (with padding) and on real ones, and the largest
absolute difference of the logits from PyTorch's is printed (real landmark-model clips go through MediaPipe, as
predict.py reads them; clips in which it finds nobody are left out); above `--atol` the exit status is 1. A bad
checkpoint or input: exit status 2.
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
from datasets.landmark_files import PART_SIZES, joint_names
from inference.holistic import NobodyDetected
from inference.model_inputs import ClipReader, Item
from inference.predictor import (
    METADATA_CLASS_NAMES,
    METADATA_CONFIG,
    METADATA_TEMPERATURES,
    InferenceError,
    Predictor,
    TorchPredictor,
    batch_inputs,
    load_module,
    load_predictor,
)
from training.lightning_module import SignClassifier
from utils.config import ConfigError, TrainConfig
from utils.config_data import landmark_parts

# pylint: enable=wrong-import-position

REAL_CLIPS = 4  # real clips taken from the training data when no --check_input is given
ONNX_OPSET = 18


class _HeadsAsTuple(nn.Module):  # pylint: disable=abstract-method  # each subclass has its own forward()
    """The sign model with its `{head: logits}` output as a tuple in head order (ONNX outputs are positional); one
    subclass per kind of model, whose `forward` arguments are the ONNX inputs' names and order."""

    def __init__(self, module: SignClassifier) -> None:
        super().__init__()
        self.model = module.model
        self.heads = list(module.head_configs)

    def outputs(self, frames: Optional[Tensor], mask: Tensor, landmarks: Optional[Tensor]) -> tuple[Tensor, ...]:
        """One `[B, num_class]` tensor per head."""
        logits = self.model(frames, mask, landmarks)
        return tuple(logits[head] for head in self.heads)


class _Frames(_HeadsAsTuple):
    def forward(self, frames: Tensor, mask: Tensor) -> tuple[Tensor, ...]:
        """frames `[B, T, 3, H, W]`, mask `[B, T]` -> one `[B, num_class]` tensor per head."""
        return self.outputs(frames, mask, None)


class _Landmarks(_HeadsAsTuple):
    def forward(self, landmarks: Tensor, mask: Tensor) -> tuple[Tensor, ...]:
        """landmarks `[B, T, J, 3]` (NaN = not detected), mask `[B, T]` -> one `[B, num_class]` tensor per head."""
        return self.outputs(None, mask, landmarks)


class _Fused(_HeadsAsTuple):
    def forward(self, frames: Tensor, landmarks: Tensor, mask: Tensor) -> tuple[Tensor, ...]:
        """frames `[B, T, 3, H, W]`, landmarks `[B, T, J, 3]`, mask `[B, T]` -> one `[B, num_class]` per head."""
        return self.outputs(frames, mask, landmarks)


# The model's inputs (SignModel.inputs) -> its wrapper; the ONNX inputs are these names, then `mask`.
WRAPPERS = {("frames",): _Frames, ("landmarks",): _Landmarks, ("frames", "landmarks"): _Fused}


def example_frames(config: TrainConfig, batch: int, time: int) -> Tensor:
    """Random float frames `[batch, time, 3, H, W]` of the size the validation transform gives."""
    augmentations = config.augmentations_parameters
    if augmentations.apply_center_crop:
        size = augmentations.center_crop_size
        height, width = (size, size) if isinstance(size, int) else size
    else:
        height = width = augmentations.resize_size
    return torch.randn(batch, time, 3, height, width)


def example_landmarks(config: TrainConfig, batch: int, time: int) -> Tensor:
    """Random landmarks `[batch, time, J, 3]` of the training data's parts, in frame fractions; each part missing
    (NaN) in every third frame, from a different frame for each part."""
    parts = landmark_parts(config.general_parameters.datasets())
    landmarks = 0.2 + 0.6 * torch.rand(batch, time, len(joint_names(parts)), 3)
    offset = 0
    for number, part in enumerate(parts):
        landmarks[:, number % 3 :: 3, offset : offset + PART_SIZES[part]] = float("nan")
        offset += PART_SIZES[part]
    return landmarks


def padded_mask(batch: int, time: int) -> Tensor:
    """bool `[batch, time]`: the first clip has only its first half real (when it has 2+ frames), the rest full."""
    mask = torch.ones(batch, time, dtype=torch.bool)
    mask[0, max(1, time // 2) :] = False
    return mask


def example_inputs(config: TrainConfig, batch: int, time: int) -> dict[str, Tensor]:
    """Random inputs of the model `config` describes (`frames` and/or `landmarks`, then `mask`), `batch` clips of
    `time` frames, the first clip half padding."""
    inputs = {}
    if config.feature_extractor.use_frames:
        inputs["frames"] = example_frames(config, batch, time)
    if config.feature_extractor.use_landmarks:
        inputs["landmarks"] = example_landmarks(config, batch, time)
    return inputs | {"mask": padded_mask(batch, time)}


def dynamic_axes(config: TrainConfig, inputs: list[str]) -> dict[str, dict[int, object]]:
    """Each ONNX input's dynamic axes: batch and time (and a frame's height and width without a centre crop)."""
    # The first input names the batch and time axes; the others share them, and DYNAMIC lets export link them
    # (naming them twice warns).
    linked = {0: torch.export.Dim.DYNAMIC, 1: torch.export.Dim.DYNAMIC}
    axes = {name: dict(linked) for name in inputs}
    axes[inputs[0]] = {0: torch.export.Dim("batch"), 1: torch.export.Dim("time")}
    if "frames" in axes and not config.augmentations_parameters.apply_center_crop:
        axes["frames"] |= {3: torch.export.Dim("height"), 4: torch.export.Dim("width")}
    return axes


def export_onnx(module: SignClassifier, path: Path) -> None:
    """Write `module` as an ONNX model with dynamic batch and time axes, its config and class names as metadata.

    Without a centre crop the frame size depends on the input, so height and width are dynamic too.
    """
    wrapper = WRAPPERS[module.model.inputs](module).eval()
    config = module.config
    names = [*module.model.inputs, "mask"]
    example = example_inputs(config, 2, max(2, config.train_parameters.num_segments))
    program = torch.onnx.export(
        wrapper,
        tuple(example[name] for name in names),
        input_names=names,
        output_names=wrapper.heads,
        dynamic_shapes=dynamic_axes(config, names),
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


def largest_difference(reference: Predictor, other: Predictor, batch: dict[str, Tensor]) -> float:
    """The largest absolute difference of any head's logits between two predictors on one batch of inputs."""
    inputs = (batch.get("frames"), batch["mask"], batch.get("landmarks"))
    expected, actual = reference.logits(*inputs), other.logits(*inputs)
    return max(float(np.abs(expected[head] - actual[head]).max()) for head in reference.heads)


def random_checks(reference: Predictor, other: Predictor) -> list[tuple[str, float]]:
    """(description, difference) on random clips: one frame, the training length, and longer (first clip padded)."""
    length = reference.num_segments
    checks = []
    for batch, time in ((1, 1), (2, length), (3, 2 * length + 1)):
        inputs = example_inputs(reference.config, batch, time)
        checks.append((f"random: {batch} clip(s) x {time} frame(s)", largest_difference(reference, other, inputs)))
    return checks


def real_inputs(config: TrainConfig, reader: ClipReader, check_inputs: list[Path]) -> list[Item]:
    """The `--check_input` clips, or a few clips spread over the training data when it is on this machine."""
    if check_inputs:
        return [item for path in check_inputs for item in reader.find(path)]
    folders = [Path(entry.path) for entry in config.general_parameters.datasets() if Path(entry.path).is_dir()]
    if not folders:
        logging.getLogger(__name__).warning("no real inputs: the training data is not here; pass --check_input")
        return []
    items = reader.find(folders[0])
    return items[:: max(1, len(items) // REAL_CLIPS)][:REAL_CLIPS]


def real_check(
    reference: Predictor, other: Predictor, reader: ClipReader, items: list[Item]
) -> list[tuple[str, float]]:
    """(description, difference) on real clips, read as in validation, all in one padded batch per frame size;
    clips in which MediaPipe finds nobody are left out (with a warning)."""
    clips = []
    for item in items:
        try:
            clips.append(reader.read(item).inputs)
        except NobodyDetected as error:
            logging.getLogger(__name__).warning("not compared: %s", error)
    checks = []
    for size in sorted({_frame_size(clip) for clip in clips}):
        batch = batch_inputs([clip for clip in clips if _frame_size(clip) == size])
        description = f"real: {len(batch['mask'])} clip(s)" + (f" of {size[1]}x{size[2]}" if size else "")
        checks.append((description, largest_difference(reference, other, batch)))
    return checks


def _frame_size(clip: dict[str, Tensor]) -> tuple[int, ...]:
    """The size of a clip's frames, () for landmarks alone: clips of one size share a batch."""
    return tuple(clip["frames"].shape[1:]) if "frames" in clip else ()


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
        reference = TorchPredictor(module, args.checkpoint)
        reader = ClipReader(reference)
        items = real_inputs(module.config, reader, args.check_input)  # a bad --check_input fails before exporting
        export_onnx(module, args.output)
        exported = load_predictor(args.output)
        checks = random_checks(reference, exported) + real_check(reference, exported, reader, items)
    except (ConfigError, DataError, InferenceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    size_mb = args.output.stat().st_size / 2**20
    inputs = ", ".join([*reference.inputs, "mask"])
    print(f"exported {args.output} ({size_mb:.1f} MB): inputs {inputs}; outputs {', '.join(reference.heads)}")
    for description, difference in checks:
        print(f"  {description:<36} max |onnx - torch| = {difference:.2e}")
    worst = max(difference for _, difference in checks)
    verdict = "OK" if worst <= args.atol else "TOO LARGE"
    print(f"largest absolute difference: {worst:.2e} (tolerance {args.atol:.0e}): {verdict}")
    return 0 if worst <= args.atol else 1


if __name__ == "__main__":
    sys.exit(main())
