"""The schema of `train_config.yml`: every HearAI key with its HearAI meaning, plus our extensions.

Each section is a pydantic model that rejects unknown keys; components receive only their own section. The data
sections (`general_parameters` and its dataset entries) are in `utils/config_data.py`. Cross-section rules (a head
group named by `classification_mode` must exist, freeze patterns must be of equal length) live in `TrainConfig`'s
validators (`utils/config.py`).
"""

import re
from pathlib import Path
from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# What every head reports per evaluation split, under `<split>/<head>/<name>` in every logger.
HEAD_METRIC_NAMES = ("accuracy", "f1_weighted", "f1_macro", "loss")


class Section(BaseModel):
    """Base of every section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


def _range(value: list[float]) -> list[float]:
    """A `[min, max]` pair of positive numbers."""
    if len(value) != 2 or value[0] <= 0 or value[0] > value[1]:
        raise ValueError(f"expected [min, max] with 0 < min <= max (got {value})")
    return value


class LandmarkAugmentations(Section):
    """Landmark augmentations (docs/landmarks.md), drawn once per clip, training split only; all off by default."""

    rotation_degree: float = Field(default=0, ge=0, le=180, description="in-plane rotation, uniform in [-d, d]")
    scale: list[float] = Field(default_factory=lambda: [1.0, 1.0], description="[min, max] zoom factor")
    shift: float = Field(default=0, ge=0, description="max shift of x and y, in fractions of the frame")
    shear: float = Field(default=0, ge=0, description="max shear factor along x and along y")
    joint_dropout: float = Field(default=0, ge=0, lt=1, description="chance that a joint in a frame is dropped")
    temporal_resample: list[float] = Field(
        default_factory=lambda: [1.0, 1.0], description="[min, max] speed: T frames become round(T / speed)"
    )
    flip_probability: float = Field(default=0, ge=0, le=1, description="mirror left-right, swapping the hands")

    _ranges = field_validator("scale", "temporal_resample")(_range)


class AugmentationsParameters(Section):
    """Frame augmentations; each random one is drawn once per clip and applied to all its frames."""

    apply_resize: bool = True
    apply_center_crop: bool = True
    apply_random_erasing: bool = False
    apply_random_rotation: bool = False
    apply_random_affine: bool = False
    apply_color_jitter: bool = False
    apply_rgb_shift: bool = False
    apply_blur: bool = False
    apply_horizontal_flip: bool = False
    apply_random_grayscale: bool = False
    apply_grayscale: bool = Field(default=False, description="frames to grey (3 equal channels), also at inference")
    resize_size: int = Field(default=256, gt=0)
    center_crop_size: Union[int, list[int]] = 256
    random_erasing_probability: float = Field(default=0.5, ge=0, le=1)
    random_rotation_degree: float = Field(default=5, ge=0)
    random_affine_translate: float = Field(default=0.1, ge=0, le=1, description="max shift, fraction of the size")
    random_affine_scale: tuple[float, float] = Field(default=(0.9, 1.1), description="zoom range (min, max)")
    color_jitter_brightness: Union[float, list[float]] = 0.1
    color_jitter_contrast: Union[float, list[float]] = 0.1
    color_jitter_saturation: Union[float, list[float]] = 0.1
    color_jitter_hue: Union[float, list[float]] = 0.05
    rgb_shift_limit: float = Field(default=0.08, ge=0, le=1, description="max shift per channel, in [0, 1] units")
    blur_kernel_size: int = Field(default=3, ge=1)
    blur_sigma: list[float] = Field(default_factory=lambda: [0.1, 1.5])
    horizontal_flip_probability: float = Field(default=0.5, ge=0, le=1, description="mirror: the other hand")
    random_grayscale_probability: float = Field(default=0.2, ge=0, le=1)
    normalize_mean: list[float] = Field(default_factory=lambda: [0.485, 0.456, 0.406])
    normalize_std: list[float] = Field(default_factory=lambda: [0.229, 0.224, 0.225])
    landmarks: LandmarkAugmentations = Field(default_factory=LandmarkAugmentations)

    @field_validator("blur_kernel_size")
    @classmethod
    def _odd_kernel(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError(f"must be odd (got {value})")
        return value

    @field_validator("random_affine_scale")
    @classmethod
    def _zoom_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0 < value[0] <= value[1]:
            raise ValueError(f"must be (min, max) with 0 < min <= max (got {list(value)})")
        return value


class TrainParameters(Section):
    """Parameters of the optimisation and of clip sampling."""

    classification_mode: Union[str, list[str]] = "gloss"
    epochs: int = Field(default=10, ge=1)
    batch_size: int = Field(default=8, ge=1)
    lr: float = Field(default=1e-3, gt=0)
    weight_decay: float = Field(default=0.01, ge=0)
    num_segments: int = Field(default=8, ge=1)
    fast_dev_run: bool = False
    pre_training: bool = Field(
        default=False, description="self-supervised pre-training run (the `pre_training:` section; labels unused)"
    )
    landmarks: bool = Field(default=False, description="HearAI's switch: true = feature_extractor.use_landmarks")
    time: Optional[float] = Field(default=None, gt=0)
    warmup_steps: float = Field(default=0, ge=0)
    multiply_lr_step: float = Field(default=1.0, gt=0)

    def modes(self) -> list[str]:
        """The classification modes as a list."""
        mode = self.classification_mode
        return [mode] if isinstance(mode, str) else list(mode)


# The skeleton layouts by name, with the landmark parts each reads (= models.skeleton_layouts.LAYOUTS; a test keeps
# the two in step, so that the config is validated without importing the models).
LAYOUT_PARTS = {
    "hands": ("left_hand", "right_hand"),
    "upper_body_hands": ("pose", "left_hand", "right_hand"),
    "upper_body_hands_face": ("pose", "left_hand", "right_hand", "face"),
}
LANDMARK_LAYOUTS = tuple(LAYOUT_PARTS)


class LandmarkExtractorConfig(Section):
    """The landmark feature extractor (docs/landmarks.md): landmarks [B, T, J, C] -> [B, T, D]."""

    name: Literal["landmarks_gcn", "landmarks_mlp"] = "landmarks_gcn"
    layout: Literal[LANDMARK_LAYOUTS] = "upper_body_hands"
    normalisation: Literal["shoulders", "wrist", "none"] = "shoulders"
    channels: list[int] = Field(default_factory=lambda: [64, 64, 128, 128], min_length=1)
    temporal_kernel: int = Field(default=9, ge=1, description="frames a temporal convolution spans (odd)")
    dropout: float = Field(default=0.1, ge=0, lt=1)

    @field_validator("channels")
    @classmethod
    def _positive_widths(cls, value: list[int]) -> list[int]:
        if min(value) < 1:
            raise ValueError(f"every width must be >= 1 (got {value})")
        return value

    @field_validator("temporal_kernel")
    @classmethod
    def _odd_kernel(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError(f"must be odd (got {value})")
        return value


class FeatureExtractorConfig(Section):
    """The per-frame feature extractor: frames (`name`), landmarks (`landmarks`), or both fused."""

    name: Literal["cnn_extractor", "resnet50_extractor"] = "cnn_extractor"
    model_path: str = "resnet18"
    representation_size: int = Field(default=256, ge=1)
    pretrained_path: Optional[str] = None
    init_from: Optional[str] = Field(
        default=None,
        description="a .ckpt, a run folder or an experiment folder (its newest run): start the extractor and temporal"
        " encoder from its weights (heads fresh)",
    )
    use_frames: bool = Field(default=True, description="HearAI: feed the frames to the model")
    use_landmarks: bool = Field(default=False, description="HearAI: feed the landmarks to the model")
    landmarks: LandmarkExtractorConfig = Field(default_factory=LandmarkExtractorConfig)

    @field_validator("model_path")
    @classmethod
    def _architecture_name_only(cls, value: str) -> str:
        # timm reads `hf-hub:<repo>`, `local-dir:<path>`, URLs and `<owner>/<name>` as places to fetch a model
        # from; only a plain architecture name is built from code alone.
        if any(mark in value for mark in (":", "/", "\\")):
            raise ValueError(
                f"{value!r} names a place to fetch a model from (a hub name, URL or path), and nothing is"
                " downloaded: give a timm architecture name (e.g. resnet18) and the weights as a local file in"
                " feature_extractor.pretrained_path"
            )
        return value

    @field_validator("pretrained_path")
    @classmethod
    def _weights_exist(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not Path(value).is_file():
            raise ValueError(f"no weights file at {value!r} (nothing is downloaded: give a local file)")
        return value


class TransformerConfig(Section):
    """The temporal encoder: ([B, T, D], mask) -> [B, output_size]."""

    name: Literal["sign_language_transformer", "fake_transformer", "lstm", "hubert_transformer", "conv_transformer"] = (
        "sign_language_transformer"
    )
    feedforward_size: int = Field(default=512, ge=1)
    transformer_output_size: Optional[int] = Field(
        default=None, description="HearAI legacy key; accepted and unused (no clip length is baked in)"
    )
    num_attention_heads: int = Field(default=4, ge=1)
    num_encoder_layers: int = Field(default=2, ge=1)
    output_size: int = Field(default=256, ge=1)
    dropout_rate: float = Field(default=0.1, ge=0, lt=1)


class HeadConfig(Section):
    """One classification head."""

    num_class: int = Field(ge=2)
    loss_weight: float = Field(default=1.0, ge=0)
    additional_layers: int = Field(default=0, ge=0)
    dropout_rate: float = Field(default=0.0, ge=0, lt=1)
    class_names: Optional[list[str]] = None

    @model_validator(mode="after")
    def _names_match_classes(self) -> "HeadConfig":
        if self.class_names is not None and len(self.class_names) != self.num_class:
            raise ValueError(f"class_names has {len(self.class_names)} names but num_class is {self.num_class}")
        return self


class FreezeSchedulerConfig(Section):
    """HearAI freeze scheduler: pattern i lasts `freeze_pattern_repeats[i]` epochs or steps."""

    model_params: dict[str, list[bool]]
    freeze_pattern_repeats: Union[int, list[int]]
    freeze_mode: Literal["epoch", "step"] = "epoch"
    verbose: bool = False

    @model_validator(mode="after")
    def _equal_lengths(self) -> "FreezeSchedulerConfig":
        lengths = {name: len(pattern) for name, pattern in self.model_params.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"model_params lists must be of equal length (got {lengths})")
        repeats = self.freeze_pattern_repeats
        if isinstance(repeats, list) and lengths and len(repeats) != next(iter(lengths.values())):
            raise ValueError(f"freeze_pattern_repeats has {len(repeats)} entries, model_params lists have {lengths}")
        if any(r < 0 for r in (repeats if isinstance(repeats, list) else [repeats])):
            raise ValueError("freeze_pattern_repeats must be >= 0")
        return self

    def durations(self) -> list[int]:
        """How many epochs or steps each pattern lasts."""
        count = len(next(iter(self.model_params.values()), []))
        repeats = self.freeze_pattern_repeats
        return list(repeats) if isinstance(repeats, list) else [repeats] * count


class TrainerConfig(Section):
    """Lightning Trainer settings HearAI did not have (docs/scaling_and_resume.md)."""

    accelerator: Literal["auto", "cpu", "gpu", "cuda", "mps"] = "auto"
    devices: Union[int, str, list[int]] = Field(default="auto", description="per node; `auto` follows gpu")
    num_nodes: int = Field(default=1, ge=1)
    strategy: Literal["auto", "ddp", "ddp_spawn"] = "auto"
    precision: Literal["32", "32-true", "16-mixed", "bf16-mixed"] = "32-true"
    accumulate_grad_batches: int = Field(default=1, ge=1)
    max_time: Optional[str] = Field(default=None, description="DD:HH:MM:SS; stop (and save) after it")
    log_every_n_steps: int = Field(default=10, ge=1)
    limit_train_batches: Optional[Union[int, float]] = None
    limit_val_batches: Optional[Union[int, float]] = None
    early_stopping_patience: Optional[int] = Field(default=None, ge=1)
    monitor: str = "val/loss"
    monitor_mode: Literal["min", "max"] = "min"
    cpu_threads: Optional[int] = Field(
        default=None,
        ge=1,
        description="CPU threads of training and evaluation (PyTorch, OpenCV), shared out among the data workers;"
        " default: the cores this process may use (its CPU affinity)",
    )

    @field_validator("precision", mode="before")
    @classmethod
    def _precision_as_text(cls, value: object) -> object:
        # YAML reads `precision: 32` as a number; Lightning's names are strings.
        return str(value) if isinstance(value, int) else value

    @field_validator("max_time")
    @classmethod
    def _days_hours_minutes_seconds(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not re.fullmatch(r"\d{2}:\d{2}:\d{2}:\d{2}", value):
            raise ValueError(f"must be DD:HH:MM:SS, e.g. 00:12:00:00 for 12 hours (got {value!r})")
        return value


class LoggingConfig(Section):
    """Experiment loggers (the CSV logger is always on) and the end-of-run reports."""

    loggers: list[Literal["csv", "mlflow", "tensorboard", "neptune"]] = Field(default_factory=lambda: ["csv"])
    mlflow_tracking_uri: Optional[str] = Field(
        default=None, description="default: $MLFLOW_TRACKING_URI, else sqlite:///<runs_dir>/mlflow.db"
    )
    figures: bool = Field(default=True, description="draw the report's PNG figures (text and CSV files always)")
    confusion_matrix_max_classes: int = Field(default=60, ge=2, description="above: most-confused pairs instead")
    curves_max_classes: int = Field(default=30, ge=2, description="per-class PR/ROC curves up to this many classes")
    most_confused_pairs: int = Field(default=30, ge=1)

    @field_validator("loggers")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"a logger is named twice: {value}")
        return value
