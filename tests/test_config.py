"""Config loading: accepted and rejected files, overrides, and the exit status of train.py."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from utils.config import ConfigError, TrainConfig, dump_config, load_config, read_yaml, validate_config

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "train_config.yml"


@pytest.fixture(name="raw")
def fixture_raw() -> dict:
    """The shipped train_config.yml as a plain dict."""
    return read_yaml(SHIPPED)


def _write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _error(tmp_path: Path, raw: dict, overrides: tuple[str, ...] = ()) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, raw), overrides)
    return str(caught.value)


def test_shipped_config_validates():
    config = load_config(SHIPPED)
    assert config.train_parameters.modes() == ["gloss", "hamnosys", "letters"]
    assert "gloss" in config.selected_heads()


def test_every_config_in_configs_validates():
    for path in sorted((ROOT / "configs").glob("*.yml")):
        validate_config(read_yaml(path), str(path))


def test_typo_key_names_file_and_path(tmp_path, raw):
    raw["train_parameters"]["epoch"] = 3
    message = _error(tmp_path, raw)
    assert "config.yml: train_parameters.epoch: unknown key" in message


def test_wrong_type(tmp_path, raw):
    raw["train_parameters"]["batch_size"] = "many"
    assert "train_parameters.batch_size:" in _error(tmp_path, raw)


def test_unknown_extractor_lists_the_names(tmp_path, raw):
    raw["feature_extractor"]["name"] = "vgg_magic"
    message = _error(tmp_path, raw)
    assert "feature_extractor.name" in message and "cnn_extractor" in message


def test_negative_loss_weight(tmp_path, raw):
    raw["heads"]["gloss"]["gloss"]["loss_weight"] = -1
    message = _error(tmp_path, raw)
    assert "heads.gloss.gloss.loss_weight: Input should be greater than or equal to 0 (got -1)" in message


def test_missing_data_path(tmp_path, raw):
    raw["general_parameters"]["data_path"] = str(tmp_path / "nowhere")
    raw["general_parameters"]["make_synthetic_if_missing"] = False
    message = _error(tmp_path, raw)
    assert "general_parameters.data_path: no such folder" in message and "nowhere" in message


def test_mode_without_heads(tmp_path, raw):
    raw["train_parameters"]["classification_mode"] = "phonology"
    assert "phonology" in _error(tmp_path, raw)


def test_freeze_patterns_must_match(tmp_path, raw):
    raw["freeze_scheduler"] = {
        "model_params": {"feature_extractor": [True, False], "transformer": [False]},
        "freeze_pattern_repeats": [1, 1],
    }
    assert "freeze_scheduler" in _error(tmp_path, raw)


def test_override_goes_through_validation(tmp_path, raw):
    path = _write(tmp_path, raw)
    assert load_config(path, ("train_parameters.epochs=3",)).train_parameters.epochs == 3
    with pytest.raises(ConfigError) as caught:
        load_config(path, ("train_parameters.epochs=0",))
    assert "(with --set overrides): train_parameters.epochs" in str(caught.value)


def test_override_of_a_list_value(tmp_path, raw):
    config = load_config(_write(tmp_path, raw), ("train_parameters.classification_mode=[gloss]",))
    assert list(config.selected_heads()) == ["gloss"]


def test_hearai_single_mode_and_legacy_keys(tmp_path, raw):
    raw["train_parameters"]["classification_mode"] = "gloss"
    raw["transformer"]["transformer_output_size"] = 784
    config = load_config(_write(tmp_path, raw))
    assert list(config.selected_heads()) == ["gloss"]


def test_resolved_config_round_trips(tmp_path):
    config = load_config(SHIPPED)
    dump_config(config, tmp_path / "resolved.yml")
    again = validate_config(read_yaml(tmp_path / "resolved.yml"), "resolved.yml")
    assert again == config


def test_bad_yaml_names_the_file(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("heads: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "broken.yml" in str(caught.value)


def test_train_py_exits_2_without_traceback(tmp_path, raw):
    bad = copy.deepcopy(raw)
    bad["heads"]["gloss"]["gloss"]["loss_weight"] = -1
    result = subprocess.run(
        [sys.executable, "train.py", "--model_config_path", str(_write(tmp_path, bad))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "heads.gloss.gloss.loss_weight" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_sections_are_all_hearai_keys():
    sections = set(TrainConfig.model_fields)
    hearai = {
        "general_parameters",
        "augmentations_parameters",
        "train_parameters",
        "feature_extractor",
        "transformer",
        "heads",
        "freeze_scheduler",
    }
    assert hearai <= sections
