"""Offline command-line tools that prepare data for training."""
