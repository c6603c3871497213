"""Experiment loggers: CSV, MLflow, TensorBoard and Neptune (the 1.x client, through our own Lightning logger)."""
