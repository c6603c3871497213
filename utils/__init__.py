"""The config (`train_config.yml`: schema, loading, validation), imported by everything and importing nothing else
of the project; and `make_statistics.py`, the HamNoSys statistics tool at the path HearAI users know."""
