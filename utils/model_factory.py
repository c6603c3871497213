"""Build the `SignModel` from a config: each component from its own section, found by name in the registries."""

from models.heads import ClassificationHead
from models.registry import FEATURE_EXTRACTORS, TEMPORAL_ENCODERS
from models.sign_model import SignModel
from utils.config import TrainConfig


def build_model(config: TrainConfig) -> SignModel:
    """Feature extractor -> temporal encoder -> one head per selected head."""
    extractor_cfg = config.feature_extractor
    extractor = FEATURE_EXTRACTORS[extractor_cfg.name](
        model_path=extractor_cfg.model_path,
        representation_size=extractor_cfg.representation_size,
        pretrained_path=extractor_cfg.pretrained_path,
    )
    temporal_cfg = config.transformer
    transformer = TEMPORAL_ENCODERS[temporal_cfg.name](
        input_size=extractor.out_dim,
        output_size=temporal_cfg.output_size,
        feedforward_size=temporal_cfg.feedforward_size,
        num_attention_heads=temporal_cfg.num_attention_heads,
        num_encoder_layers=temporal_cfg.num_encoder_layers,
        dropout_rate=temporal_cfg.dropout_rate,
    )
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
