"""`--min_confidence P`, shared by predict.py, webcam.py and the demo: below P a head answers `unknown`.

The probabilities compared with P are the calibrated ones (temperature scaling fitted on the validation split, see
training/calibration.py), so P reads as "the share of answers given at this confidence that are right", on data
like the validation split. The ranked top-k is always kept, so a result file still shows what the model leaned to.
"""

import argparse

import numpy as np

UNKNOWN = "unknown"


def min_confidence(text: str) -> float:
    """argparse type: a probability in [0, 1]."""
    try:
        value = float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from error
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a probability in [0, 1]")
    return value


def add_min_confidence_argument(parser: argparse.ArgumentParser) -> None:
    """Add `--min_confidence P` (default 0: a head always answers its best class)."""
    parser.add_argument(
        "--min_confidence",
        type=min_confidence,
        default=0.0,
        metavar="P",
        help=f"a head whose best (calibrated) probability is below P answers '{UNKNOWN}'; default 0 (never)",
    )


def best_or_unknown(probabilities: np.ndarray, names: list[str], threshold: float) -> str:
    """One head's answer: probabilities `[C]` -> the most probable class's name, or `UNKNOWN` below `threshold`."""
    best = int(np.argmax(probabilities))
    return names[best] if float(probabilities[best]) >= threshold else UNKNOWN
