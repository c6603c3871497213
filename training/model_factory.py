"""Build the `SignModel` from a config: each component from its own section, found by name in the registries."""

from torch import nn

from datasets.landmark_files import joint_names
from models.heads import ClassificationHead
from models.landmark_fusion import FusedExtractor
from models.registry import FEATURE_EXTRACTORS, LANDMARK_EXTRACTORS, TEMPORAL_ENCODERS
from models.sign_model import SignModel
from utils.config import TrainConfig
from utils.config_data import landmark_parts


def build_extractor(config: TrainConfig) -> nn.Module:
    """The frames extractor (`use_frames`), the landmark extractor (`use_landmarks`), or both fused."""
    cfg = config.feature_extractor
    frames = landmarks = None
    if cfg.use_frames:
        frames = FEATURE_EXTRACTORS[cfg.name](
            model_path=cfg.model_path, representation_size=cfg.representation_size, pretrained_path=cfg.pretrained_path
        )
    if cfg.use_landmarks:
        landmarks = LANDMARK_EXTRACTORS[cfg.landmarks.name](
            input_joints=joint_names(landmark_parts(config.general_parameters.datasets())),
            representation_size=cfg.representation_size,
            **cfg.landmarks.model_dump(exclude={"name"}),
        )
    if frames is not None and landmarks is not None:
        return FusedExtractor(frames, landmarks, cfg.representation_size)
    return frames if frames is not None else landmarks


def build_temporal_encoder(config: TrainConfig, input_size: int) -> nn.Module:
    """The temporal encoder of the `transformer:` section over features of width `input_size`."""
    temporal_cfg = config.transformer
    return TEMPORAL_ENCODERS[temporal_cfg.name](
        input_size=input_size,
        output_size=temporal_cfg.output_size,
        feedforward_size=temporal_cfg.feedforward_size,
        num_attention_heads=temporal_cfg.num_attention_heads,
        num_encoder_layers=temporal_cfg.num_encoder_layers,
        dropout_rate=temporal_cfg.dropout_rate,
    )


def build_model(config: TrainConfig) -> SignModel:
    """Feature extractor -> temporal encoder -> one head per selected head."""
    extractor = build_extractor(config)
    transformer = build_temporal_encoder(config, extractor.out_dim)
    heads = {
        name: ClassificationHead(
            input_size=transformer.out_dim,
            num_class=cfg.num_class,
            additional_layers=cfg.additional_layers,
            dropout_rate=cfg.dropout_rate,
        )
        for name, cfg in config.selected_heads().items()
    }
    return SignModel(extractor, transformer, heads)
