"""Name -> class registries; the keys are exactly the names the config accepts."""

from __future__ import annotations

from torch import nn

from models.feature_extractors import CnnExtractor, Resnet50Extractor
from models.temporal_encoders import FakeTransformer, HubertTransformer, LstmEncoder, SignLanguageTransformer

FEATURE_EXTRACTORS: dict[str, type[nn.Module]] = {
    "cnn_extractor": CnnExtractor,
    "resnet50_extractor": Resnet50Extractor,
}

TEMPORAL_ENCODERS: dict[str, type[nn.Module]] = {
    "sign_language_transformer": SignLanguageTransformer,
    "fake_transformer": FakeTransformer,
    "lstm": LstmEncoder,
    "hubert_transformer": HubertTransformer,
}
