"""The names the config accepts are exactly the registry keys."""

from typing import get_args

import timm

from models import small_cnns  # pylint: disable=unused-import  # registers the small CNNs with timm
from models.registry import FEATURE_EXTRACTORS, TEMPORAL_ENCODERS
from utils.config_backbone import PROJECT_BACKBONES
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
