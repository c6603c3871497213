"""Name -> class registries; the keys are exactly the names the config accepts."""

from __future__ import annotations

from torch import nn

from models.conv_transformer import ConvTransformer
from models.feature_extractors import CnnExtractor, Resnet50Extractor
from models.landmark_gcn import LandmarksGcn
from models.landmark_mlp import LandmarksMlp
from models.temporal_encoders import FakeTransformer, HubertTransformer, LstmEncoder, SignLanguageTransformer

FEATURE_EXTRACTORS: dict[str, type[nn.Module]] = {
    "cnn_extractor": CnnExtractor,
    "resnet50_extractor": Resnet50Extractor,
}

# Landmarks [B, T, J, C] -> [B, T, D] (the config's `feature_extractor.landmarks.name`).
LANDMARK_EXTRACTORS: dict[str, type[nn.Module]] = {
    "landmarks_gcn": LandmarksGcn,
    "landmarks_mlp": LandmarksMlp,
}

TEMPORAL_ENCODERS: dict[str, type[nn.Module]] = {
    "sign_language_transformer": SignLanguageTransformer,
    "fake_transformer": FakeTransformer,
    "lstm": LstmEncoder,
    "hubert_transformer": HubertTransformer,
    "conv_transformer": ConvTransformer,  # 1D depthwise convolutions + transformer (Kaggle ISLR 2023 winners)
}
