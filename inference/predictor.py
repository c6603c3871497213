"""Load a trained model (a Lightning checkpoint or an exported ONNX file) and turn raw clips into probabilities.

predict.py, webcam.py, export_onnx.py, the demo app and the inference benchmark all go through a `Predictor`, so
they pick frames and preprocess them exactly as validation does (`sample_indices(..., train=False)` and
`build_transform(augmentations_parameters, train=False)`). Both model files carry the resolved training config and
every head's class names, so nothing else is needed at inference time. They also carry each head's temperature
(fitted on the validation split after training, training/calibration.py): probabilities are `softmax(logits / T)`.
"""

import json
import logging
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Optional, Union

import numpy as np
import onnxruntime
import torch
from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors
from torch import Tensor

from datasets.collate import collate_clips
from datasets.errors import DataError
from datasets.sampling import sample_indices
from datasets.transforms import build_transform
from training.checkpoints import CheckpointError, load_classifier, saved_config
from training.lightning_module import SignClassifier
from utils.config import TrainConfig

MODEL_INPUTS = ("frames", "landmarks")  # what a model can read, in the order of its forward() and ONNX inputs
# Keys of the ONNX file's metadata_props that carry what the checkpoint's hyperparameters carry.
METADATA_CONFIG = "sign_config"
METADATA_CLASS_NAMES = "sign_class_names"
METADATA_TEMPERATURES = "sign_temperatures"  # {head: T}, JSON
RUNTIMES = ("torch", "onnx")

logger = logging.getLogger(__name__)


class InferenceError(Exception):
    """A model file that cannot be used; the message names the file."""


class Predictor(ABC):
    """A trained model with its config and class names: clips in, per-head probabilities out.

    `inputs` names what the model reads (`("frames",)`, `("landmarks",)` or both); `inference/model_inputs.py`
    reads an input file into them.
    """

    def __init__(
        self,
        config: TrainConfig,
        class_names: dict[str, list[str]],
        source: Path,
        temperatures: Optional[dict[str, float]] = None,
    ) -> None:
        self.config = config
        reads = {"frames": config.feature_extractor.use_frames, "landmarks": config.feature_extractor.use_landmarks}
        self.inputs = tuple(name for name in MODEL_INPUTS if reads[name])
        self.source = source
        self.heads = list(config.selected_heads())
        # A head without saved names (there should be none) falls back to its class ids.
        self.class_names = {
            head: list(class_names.get(head) or map(str, range(cfg.num_class)))
            for head, cfg in config.selected_heads().items()
        }
        self.transform = build_transform(config.augmentations_parameters, train=False)
        # A model file made before calibration has no temperatures: its probabilities are the raw softmax (T = 1).
        self.calibrated = temperatures is not None
        self.temperatures = {head: (temperatures or {}).get(head, 1.0) for head in self.heads}
        if not self.calibrated:
            logger.warning("%s is not calibrated (no temperatures in it): probabilities are the raw softmax", source)

    @property
    def num_segments(self) -> int:
        """How many frames of a clip the model sees (the validation setting)."""
        return self.config.train_parameters.num_segments

    def frame_indices(self, num_frames: int, fps: Optional[float], name: str) -> list[int]:
        """Which of a clip's `num_frames` frames to read: the validation sampling of the training config."""
        if num_frames < 1:
            raise DataError(f"{name}: no frames")
        time = self.config.train_parameters.time
        if time is not None and fps is None:
            raise DataError(
                f"{name}: the model samples frames {time} s apart (train_parameters.time) but the fps is unknown"
            )
        return sample_indices(0, num_frames - 1, self.num_segments, time, fps, train=False)

    def preprocess(self, clip: Tensor) -> Tensor:
        """uint8 `[T, 3, H, W]` -> normalised float `[T, 3, H', W']`, the validation transform."""
        # A contiguous clip converts to float about 8x faster than a permuted view of an HWC image.
        return self.transform(clip.contiguous())

    @abstractmethod
    def logits(
        self, frames: Optional[Tensor], mask: Tensor, landmarks: Optional[Tensor] = None
    ) -> dict[str, np.ndarray]:
        """frames float `[B, T, 3, H, W]` and/or landmarks float `[B, T, J, 3]` (NaN = not detected), as `inputs`
        says, mask bool `[B, T]` -> {head: logits `[B, num_class]`}."""

    def predict(self, clips: list[Union[Tensor, dict[str, Tensor]]]) -> list[dict[str, np.ndarray]]:
        """Clips as the model reads them -> per clip {head: calibrated probabilities `[C]`}. A clip is a dict with the
        keys of `inputs`: `frames` float `[T_i, 3, H, W]` (preprocessed; one size for all clips) and/or `landmarks`
        float `[T_i, J, 3]` (NaN = not detected); a frames tensor alone stands for `{"frames": tensor}`."""
        batch = batch_inputs([clip if isinstance(clip, dict) else {"frames": clip} for clip in clips])
        probabilities = {
            head: torch.from_numpy(values / self.temperatures[head]).softmax(dim=-1).numpy()
            for head, values in self.logits(batch.get("frames"), batch["mask"], batch.get("landmarks")).items()
        }
        return [{head: probabilities[head][row] for head in self.heads} for row in range(len(clips))]


class TorchPredictor(Predictor):
    """A `SignClassifier` run by PyTorch on the CPU."""

    def __init__(self, module: SignClassifier, source: Path) -> None:
        super().__init__(module.config, module.class_names, source, module.temperatures)
        self.module = module.eval()

    def logits(
        self, frames: Optional[Tensor], mask: Tensor, landmarks: Optional[Tensor] = None
    ) -> dict[str, np.ndarray]:
        with torch.inference_mode():
            return {head: values.numpy() for head, values in self.module(frames, mask, landmarks).items()}


class OnnxPredictor(Predictor):
    """An exported model run by ONNX Runtime; its config, class names and temperatures come from the file's
    metadata."""

    def __init__(self, session: onnxruntime.InferenceSession, source: Path) -> None:
        metadata = session.get_modelmeta().custom_metadata_map
        if METADATA_CONFIG not in metadata or METADATA_CLASS_NAMES not in metadata:
            raise InferenceError(
                f"{source}: no training config in its metadata; export it with inference/export_onnx.py"
            )
        try:
            config = saved_config(json.loads(metadata[METADATA_CONFIG]), f"{source} (the config saved in it)")
        except CheckpointError as error:
            raise InferenceError(str(error)) from error
        temperatures = json.loads(metadata[METADATA_TEMPERATURES]) if METADATA_TEMPERATURES in metadata else None
        super().__init__(config, json.loads(metadata[METADATA_CLASS_NAMES]), source, temperatures)
        self.session = session
        self.output_names = [output.name for output in session.get_outputs()]

    def logits(
        self, frames: Optional[Tensor], mask: Tensor, landmarks: Optional[Tensor] = None
    ) -> dict[str, np.ndarray]:
        given = {"frames": frames, "landmarks": landmarks}
        feed = {name: given[name].numpy() for name in self.inputs} | {"mask": mask.numpy()}
        return dict(zip(self.output_names, self.session.run(self.output_names, feed)))


def batch_inputs(clips: list[dict[str, Tensor]]) -> dict[str, Tensor]:
    """Clips with the same keys (`frames` `[T_i, 3, H, W]`, `landmarks` `[T_i, J, 3]`) -> a batch: each key padded
    to `[B, max T_i, ...]` and `mask` bool `[B, max T_i]` (True = a real frame)."""
    batch = collate_clips([clip | {"labels": {}, "meta": None} for clip in clips], pad_to=1)
    return {key: batch[key] for key in (*MODEL_INPUTS, "mask") if key in batch}


def load_module(path: Path) -> SignClassifier:
    """A `SignClassifier` from a Lightning checkpoint, in eval mode on the CPU."""
    try:
        return load_classifier(path)
    except CheckpointError as error:
        raise InferenceError(str(error)) from error


def load_predictor(path: Path, runtime: Optional[str] = None, threads: Optional[int] = None) -> Predictor:
    """A predictor for a `.ckpt` (runtime `torch`) or `.onnx` file (runtime `onnx`); by default from the suffix.

    `threads` caps the CPU threads of the runtime (PyTorch's setting is process-wide); None keeps its default.
    """
    path = Path(path)
    runtime = runtime or ("onnx" if path.suffix == ".onnx" else "torch")
    if runtime not in RUNTIMES:
        raise InferenceError(f"runtime {runtime!r}: expected one of {', '.join(RUNTIMES)}")
    if runtime == "torch":
        if path.suffix == ".onnx":
            raise InferenceError(f"{path}: an ONNX file runs with --runtime onnx")
        if threads is not None:
            torch.set_num_threads(threads)
        return TorchPredictor(load_module(path), path)
    if path.suffix != ".onnx":
        raise InferenceError(f"{path}: --runtime onnx needs an .onnx file (make one with inference/export_onnx.py)")
    if not path.is_file():
        raise InferenceError(f"{path}: no such ONNX file")
    try:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or 0  # 0: ONNX Runtime's default (one per physical core)
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    # pylint: disable-next=c-extension-no-member  # ONNX Runtime's exception classes live in its C extension
    except (ort_errors.InvalidProtobuf, ort_errors.InvalidGraph, ort_errors.Fail) as error:
        raise InferenceError(f"{path}: not a valid ONNX model ({error})") from error
    return OnnxPredictor(session, path)


def top_k(probabilities: np.ndarray, names: list[str], k: int) -> list[tuple[str, float]]:
    """The `k` most probable classes of one head, best first: `[C]` -> [(class name, probability)]."""
    order = np.argsort(-probabilities, kind="stable")[:k]
    return [(names[i], float(probabilities[i])) for i in order]
