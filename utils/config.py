"""Load, override and validate `train_config.yml`.

Errors are raised as `ConfigError`, whose message names the file and every offending key path;
the command-line layer prints it and exits with status 2.
"""

from pathlib import Path
from typing import Any, Optional

import yaml
from pydantic import Field, ValidationError, model_validator

from utils.config_backbone import check_backbone
from utils.config_data import DatasetEntry, GeneralParameters, landmark_parts
from utils.config_phonology import PhonologyConfig, phonology_problem
from utils.config_pretraining import PreTrainingConfig
from utils.config_schema import (
    HEAD_METRIC_NAMES,
    LAYOUT_PARTS,
    AugmentationsParameters,
    FeatureExtractorConfig,
    FreezeSchedulerConfig,
    HeadConfig,
    LandmarkAugmentations,
    LoggingConfig,
    Section,
    TrainerConfig,
    TrainParameters,
    TransformerConfig,
)


class ConfigError(Exception):
    """A config that cannot be used; the message is meant for the user as it is."""


class TrainConfig(Section):
    """The whole `train_config.yml`."""

    general_parameters: GeneralParameters = Field(default_factory=GeneralParameters)
    augmentations_parameters: AugmentationsParameters = Field(default_factory=AugmentationsParameters)
    train_parameters: TrainParameters = Field(default_factory=TrainParameters)
    feature_extractor: FeatureExtractorConfig = Field(default_factory=FeatureExtractorConfig)
    transformer: TransformerConfig = Field(default_factory=TransformerConfig)
    heads: dict[str, dict[str, HeadConfig]]
    freeze_scheduler: Optional[FreezeSchedulerConfig] = None
    trainer: TrainerConfig = Field(default_factory=TrainerConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    pre_training: PreTrainingConfig = Field(default_factory=PreTrainingConfig)
    phonology: PhonologyConfig = Field(default_factory=PhonologyConfig)

    @model_validator(mode="after")
    def _modes_have_heads(self) -> "TrainConfig":
        missing = [m for m in self.train_parameters.modes() if m not in self.heads]
        if missing:
            raise ValueError(
                f"train_parameters.classification_mode names {missing}, but heads only defines {sorted(self.heads)}"
            )
        names = [h for m in self.train_parameters.modes() for h in self.heads[m]]
        if len(names) != len(set(names)):
            raise ValueError(f"a head name appears in two selected modes: {names}")
        if not any(self.heads[m][h].loss_weight > 0 for m in self.train_parameters.modes() for h in self.heads[m]):
            raise ValueError("every selected head has loss_weight 0: nothing would be trained")
        return self

    @model_validator(mode="after")
    def _names_data(self) -> "TrainConfig":
        if not self.general_parameters.datasets():
            raise ValueError("general_parameters.data_path or data_paths must name at least one dataset")
        return self

    @model_validator(mode="before")
    @classmethod
    def _hearai_landmarks_switch(cls, raw: Any) -> Any:
        # HearAI's `train_parameters.landmarks: true` means `feature_extractor.use_landmarks: true`: said once, on
        # the input, so that the validated config never changes afterwards.
        if not isinstance(raw, dict) or not isinstance(raw.get("train_parameters"), dict):
            return raw
        extractor = raw.get("feature_extractor") or {}
        if raw["train_parameters"].get("landmarks") is True and isinstance(extractor, dict):
            raw = raw | {"feature_extractor": extractor | {"use_landmarks": True}}
        return raw

    @model_validator(mode="after")
    def _inputs_match_data(self) -> "TrainConfig":
        extractor = self.feature_extractor
        read = self.inputs()
        if not read:
            raise ValueError("feature_extractor.use_frames and use_landmarks are both false: the model has no input")
        datasets = self.general_parameters.datasets()
        for dataset in datasets:
            check_dataset_inputs(dataset, read)
        if "landmarks" in read:
            given = [d for d in datasets if "landmarks" in d.inputs()]
            if len({tuple(d.landmark_parts) for d in given}) > 1:
                raise ValueError(
                    "general_parameters.data_paths: datasets giving landmarks must give the same landmark_parts"
                )
            layout, parts = extractor.landmarks.layout, LAYOUT_PARTS[extractor.landmarks.layout]
            missing = [part for part in parts if part not in landmark_parts(datasets)]
            if missing:
                raise ValueError(
                    f"feature_extractor.landmarks.layout: {layout} reads the parts {list(parts)}, but the"
                    f" datasets' landmark_parts lack {missing}"
                )
        if read == ("frames", "landmarks"):
            check_fused_augmentations(self.augmentations_parameters.landmarks)
            if self.augmentations_parameters.apply_horizontal_flip:  # the landmarks would not be mirrored with them
                raise ValueError(
                    "augmentations_parameters.apply_horizontal_flip: must be false when frames and landmarks are both"
                    " read (the frames would be mirrored, their landmarks not)"
                )
        return self

    @model_validator(mode="after")
    def _monitor_is_logged(self) -> "TrainConfig":
        monitor, mode = self.trainer.monitor, self.trainer.monitor_mode
        logged = {"val/loss", "train/loss_epoch"} | {
            f"val/{head}/{name}" for head in self.selected_heads() for name in HEAD_METRIC_NAMES
        }
        if monitor not in logged:
            raise ValueError(
                f"trainer.monitor: {monitor!r} is not logged; use val/loss, train/loss_epoch or"
                f" val/<head>/<{'|'.join(HEAD_METRIC_NAMES)}> with a selected head"
            )
        better = "min" if monitor.rsplit("/", 1)[-1].startswith("loss") else "max"
        if mode != better:
            raise ValueError(f"trainer.monitor_mode: {mode!r} would keep the worst {monitor}; use {better!r}")
        return self

    @model_validator(mode="after")
    def _phonology_fits(self) -> "TrainConfig":
        problem = phonology_problem(self.phonology, self.heads, self.train_parameters.modes())
        if problem:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _pre_training_fits(self) -> "TrainConfig":
        if not self.train_parameters.pre_training:
            return self
        problem = self.pre_training.problem_with(self.inputs())
        if problem:
            raise ValueError(problem)
        if self.trainer.monitor not in ("val/loss", "train/loss_epoch"):
            raise ValueError(
                f"trainer.monitor: a pre-training run logs no per-head figures; use val/loss or train/loss_epoch"
                f" (got {self.trainer.monitor!r})"
            )
        return self

    def inputs(self) -> tuple[str, ...]:
        """What the model reads: `("frames",)`, `("landmarks",)` or `("frames", "landmarks")` (fused)."""
        extractor = self.feature_extractor
        return tuple(
            name for name, on in (("frames", extractor.use_frames), ("landmarks", extractor.use_landmarks)) if on
        )

    def logger_names(self) -> list[str]:
        """The loggers to use: `logging.loggers`, plus csv (always) and neptune if `general_parameters.neptune`."""
        names = ["csv"] + [name for name in self.logging.loggers if name != "csv"]
        if self.general_parameters.neptune and "neptune" not in names:
            names.append("neptune")
        return names

    def tags(self) -> dict[str, str]:
        """What the loggers tag a run with: classification mode(s), feature extractor, temporal encoder."""
        extractor = self.feature_extractor
        names = [f"{extractor.name}:{extractor.model_path}"] if extractor.use_frames else []
        if extractor.use_landmarks:
            names.append(f"{extractor.landmarks.name}:{extractor.landmarks.layout}")
        return {
            "classification_mode": "+".join(self.train_parameters.modes()),
            "feature_extractor": "+".join(names),
            "transformer": self.transformer.name,
        }

    def selected_heads(self) -> dict[str, HeadConfig]:
        """The heads of every selected classification mode, in config order."""
        return {h: cfg for m in self.train_parameters.modes() for h, cfg in self.heads[m].items()}


def check_dataset_inputs(dataset: DatasetEntry, read: tuple[str, ...]) -> None:
    """A dataset must give every input the model reads; `landmarks_path` and `test_landmarks_path` must fit it."""
    where = f"general_parameters.data_paths ({dataset.path})"
    if dataset.landmarks_path is None and dataset.test_landmarks_path is not None:
        raise ValueError(f"{where}.test_landmarks_path: needs landmarks_path, the landmarks of the dataset's path")
    if dataset.landmarks_path is not None:
        if dataset.format not in ("frames", "video"):
            raise ValueError(
                f"{where}.landmarks_path: only frames and video datasets take it (got format {dataset.format})"
            )
        tests = dataset.test_landmarks_path
        named = {"test"} if isinstance(tests, str) else set(tests or {})
        if named != set(dataset.test_paths()):
            raise ValueError(
                f"{where}.test_landmarks_path: must name the landmark files of exactly the test splits of test_path"
                f" {sorted(dataset.test_paths())} (a location, or a mapping with test_path's names);"
                f" got {sorted(named)}"
            )
    lacking = [name for name in read if name not in dataset.inputs()]
    if lacking:
        hint = (
            "; give it landmarks_path (its clips' landmark .npz files)" if dataset.format in ("frames", "video") else ""
        )
        raise ValueError(
            f"feature_extractor reads {'+'.join(read)}, but {where} gives {'+'.join(dataset.inputs())}"
            f" (format {dataset.format}){hint}"
        )


def check_fused_augmentations(augmentations: LandmarkAugmentations) -> None:
    """With frames and landmarks fused, a landmark augmentation must not make the two disagree: the frames have no
    horizontal flip (a flip of the landmarks alone would swap the hands) and keep their frame count."""
    if augmentations.flip_probability > 0:
        raise ValueError(
            "augmentations_parameters.landmarks.flip_probability: must be 0 when frames and landmarks are both read"
            " (the frames are not flipped, and a flip of the landmarks alone would swap the signer's hands)"
        )
    if augmentations.temporal_resample != [1.0, 1.0]:
        raise ValueError(
            "augmentations_parameters.landmarks.temporal_resample: must be [1.0, 1.0] when frames and landmarks are"
            " both read (the landmarks must stay on the frames' time steps)"
        )


def _format_location(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def format_validation_error(source: str, error: ValidationError) -> str:
    """One line per problem: `<source>: <key.path>: <message> (got <value>)`."""
    lines = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        if not item["loc"]:  # a cross-section rule: its message names the keys, the input is the whole file
            lines.append(f"{source}: {message}")
            continue
        got = "" if item["type"] in ("missing", "extra_forbidden") else f" (got {item.get('input')!r})"
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{source}: {_format_location(item['loc'])}: {message}{got}")
    return "\n".join(lines)


def apply_override(raw: dict, assignment: str) -> None:
    """Apply one `--set a.b.c=value` to the raw config dict; the value is parsed as YAML."""
    if "=" not in assignment:
        raise ConfigError(f"--set {assignment}: expected key.path=value")
    path, value = assignment.split("=", 1)
    keys = path.strip().split(".")
    node = raw
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(f"--set {assignment}: {key} is not a section")
        node = child
    node[keys[-1]] = yaml.safe_load(value)


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping, with errors that name the file and line."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return raw


def load_config(path: Path, overrides: tuple[str, ...] = ()) -> TrainConfig:
    """Read, override and validate a config file."""
    raw = read_yaml(Path(path))
    for assignment in overrides:
        apply_override(raw, assignment)
    source = f"{path}" + (" (with --set overrides)" if overrides else "")
    config = validate_config(raw, source)
    check_data_paths(config, source)
    backbone = check_backbone(config.feature_extractor)
    if backbone:
        raise ConfigError(f"{source}: {backbone}")
    return config


def check_data_paths(config: TrainConfig, source: str) -> None:
    """Every dataset location (and test location) must exist, unless the config asks for the synthetic data."""
    if config.general_parameters.make_synthetic_if_missing:
        return
    locations = [
        p
        for d in config.general_parameters.datasets()
        for p in [d.path, *d.test_paths().values(), *d.landmark_locations().values()]
    ]
    missing = [location for location in locations if not location_exists(location)]
    if missing:
        raise ConfigError(f"{source}: general_parameters.data_path: no such folder: {', '.join(missing)}")
    lexicon = config.phonology.lexicon
    if lexicon and "phonology" in config.train_parameters.modes() and not Path(lexicon).is_file():
        raise ConfigError(f"{source}: phonology.lexicon: no such file: {lexicon}")


def location_exists(location: str) -> bool:
    """An existing file or folder, or a path inside an existing archive file (`data/asl.zip/train`)."""
    path = Path(location)
    return path.exists() or any(parent.is_file() for parent in path.parents)


def validate_config(raw: dict[str, Any], source: str) -> TrainConfig:
    """Validate a raw config dict; `source` names it in error messages."""
    try:
        return TrainConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(format_validation_error(source, error)) from error


def dump_config(config: TrainConfig, path: Path) -> None:
    """Write the resolved config as YAML (it validates again as it is)."""
    path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
