"""The names the config accepts are exactly the registry keys."""

from typing import get_args

from models.registry import FEATURE_EXTRACTORS, TEMPORAL_ENCODERS
from utils.config_schema import FeatureExtractorConfig, TransformerConfig


def _accepted(model, field: str) -> set[str]:
    return set(get_args(model.model_fields[field].annotation))


def test_feature_extractor_names_match_registry():
    assert _accepted(FeatureExtractorConfig, "name") == set(FEATURE_EXTRACTORS)


def test_transformer_names_match_registry():
    assert _accepted(TransformerConfig, "name") == set(TEMPORAL_ENCODERS)
