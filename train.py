"""Train a multi-head sign-language model: `python3 train.py --model_config_path train_config.yml`.

The last line printed is `run_dir: <path>`, the folder holding the resolved config, checkpoints,
metrics, reports and summary.json. Bad config or data: a message naming the file and key or
line, and exit status 2.
"""

import argparse
import logging
import sys
from pathlib import Path
from typing import Optional

from utils.config import ConfigError, load_config

logger = logging.getLogger("train")


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model_config_path", default="train_config.yml", help="the YAML config")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a config key (repeatable), e.g. --set train_parameters.epochs=3",
    )
    parser.add_argument(
        "--resume",
        metavar="last|PATH",
        help="continue from a checkpoint: `last` = the newest last.ckpt of the experiment's runs",
    )
    parser.add_argument(
        "--cv",
        type=int,
        metavar="K",
        help="leave-signers-out cross-validation: K runs on K signer folds, one summary (docs/cross_validation.md)",
    )
    args = parser.parse_args(argv)
    if args.cv is not None and (args.cv < 2 or args.resume):
        parser.error("--cv takes K >= 2 folds and does not resume (start the cross-validation again)")
    return args


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(Path(args.model_config_path), tuple(args.overrides))
    except ConfigError as error:
        return fail(error)
    # PyTorch and Lightning load only now (several seconds): `--help` and a config error answer at once.
    # pylint: disable=import-outside-toplevel
    from datasets.errors import DataError
    from training.console import route_lightning_logs
    from training.cross_validation import cross_validate
    from training.fault_tolerance import TrainingFailed, TrainingInterrupted
    from training.run import run

    route_lightning_logs()
    try:
        run_dir = cross_validate(config, args.cv) if args.cv else run(config, args.resume)
    except TrainingFailed as failure:
        print(f"run_dir: {failure.checkpoint.parent.parent}")  # last.ckpt and summary.json are there
        return fail(failure)
    except (ConfigError, DataError) as error:
        return fail(error)
    except TrainingInterrupted as stop:
        logger.warning("%s", stop)
        print(f"run_dir: {stop.run_dir}")
        return stop.exit_status
    print(f"run_dir: {run_dir}")
    return 0


def fail(error: Exception) -> int:
    """Print a config or data error as one line on stderr; the exit status 2."""
    print(f"error: {error.args[0] if error.args else error}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
