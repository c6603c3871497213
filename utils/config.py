"""Load, override and validate `train_config.yml`.

Errors are raised as `ConfigError`, whose message names the file and every offending key path;
the command-line layer prints it and exits with status 2.
"""

from pathlib import Path
from typing import Any, Optional

import yaml
from pydantic import Field, ValidationError, model_validator

from utils.config_schema import (
    AugmentationsParameters,
    FeatureExtractorConfig,
    FreezeSchedulerConfig,
    GeneralParameters,
    HeadConfig,
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

    def selected_heads(self) -> dict[str, HeadConfig]:
        """The heads of every selected classification mode, in config order."""
        return {h: cfg for m in self.train_parameters.modes() for h, cfg in self.heads[m].items()}

    def mode_of_head(self) -> dict[str, str]:
        """Which classification mode each selected head belongs to."""
        return {h: m for m in self.train_parameters.modes() for h in self.heads[m]}


def _format_location(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def format_validation_error(source: str, error: ValidationError) -> str:
    """One line per problem: `<source>: <key.path>: <message> (got <value>)`."""
    lines = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
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
    return config


def check_data_paths(config: TrainConfig, source: str) -> None:
    """Every dataset folder must exist, unless the config asks for the synthetic data to be made."""
    if config.general_parameters.make_synthetic_if_missing:
        return
    missing = [d.path for d in config.general_parameters.datasets() if not Path(d.path).is_dir()]
    if missing:
        raise ConfigError(f"{source}: general_parameters.data_path: no such folder: {', '.join(missing)}")


def validate_config(raw: dict[str, Any], source: str) -> TrainConfig:
    """Validate a raw config dict; `source` names it in error messages."""
    try:
        return TrainConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(format_validation_error(source, error)) from error


def dump_config(config: TrainConfig, path: Path) -> None:
    """Write the resolved config as YAML (it validates again as it is)."""
    path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
