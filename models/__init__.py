"""Sign-language recognition models: per-frame feature extractors, temporal encoders and classification heads."""
