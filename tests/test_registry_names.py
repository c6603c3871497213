"""The names the config accepts are exactly the registry keys."""

from typing import get_args

import timm

from datasets.sources import SOURCES
from models import small_cnns  # pylint: disable=unused-import  # registers the small CNNs with timm
from models.registry import FEATURE_EXTRACTORS, TEMPORAL_ENCODERS
from utils.config_backbone import PROJECT_BACKBONES
from utils.config_data import DATA_FORMATS, LANDMARK_FORMATS
from utils.config_schema import FeatureExtractorConfig, TransformerConfig


def _accepted(model, field: str) -> set[str]:
    return set(get_args(model.model_fields[field].annotation))


def test_feature_extractor_names_match_registry():
    assert _accepted(FeatureExtractorConfig, "name") == set(FEATURE_EXTRACTORS)


def test_transformer_names_match_registry():
    assert _accepted(TransformerConfig, "name") == set(TEMPORAL_ENCODERS)


def test_project_backbones_match_the_small_cnns():
    """The config checks `model_path` without importing the models: its list of our backbones must be theirs."""
    assert set(PROJECT_BACKBONES) == set(timm.list_models("small_cnn*"))


def test_data_formats_match_the_sources():
    """A `data_paths` entry's `format` is checked by the config; every accepted name must have a source."""
    assert set(DATA_FORMATS) == set(SOURCES)


def test_landmark_formats_are_the_sources_that_read_landmarks():
    assert set(LANDMARK_FORMATS) == {name for name, source in SOURCES.items() if source.modality == "landmarks"}
