"""Experiment loggers: CSV, MLflow, TensorBoard and Neptune (the 1.x client, through our own Lightning logger).

MLflow's usage telemetry is switched off here (its documented switch), before any module of this package imports
MLflow: MLflow starts its telemetry client when it is first imported. Nothing a run does may leave the machine; a user
who exports the variable themselves keeps their choice.
"""

import os

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
