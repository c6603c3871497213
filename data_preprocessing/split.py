"""Write a reproducible train/val/test split file for a config's datasets, for later runs to reuse.

The split is made exactly as `train.py` would make it (the datasets' own test splits as they are, otherwise
stratified fractions, signer-independent where signers are named; `general_parameters.seed`). Point
`general_parameters.split_file` at the file and every later run uses the same clips in each split; a run fails,
naming the clip, if the data has changed since.

Usage (from the repository root):
    python data_preprocessing/split.py --model_config_path configs/video_gloss.yml --output splits/video_gloss.csv
"""

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Optional

from datasets.csv_rows import write_csv
from datasets.data_module import SignDataModule
from datasets.errors import DataError
from utils.config import ConfigError, load_config


def write_split(config_path: Path, overrides: tuple[str, ...], output: Path) -> dict[str, int]:
    """Make the split of the config's data (ignoring any `split_file` it names) and write it; returns the counts."""
    config = load_config(config_path, overrides + ("general_parameters.split_file=null",))
    data = SignDataModule.from_config(config)
    data.setup()
    output.parent.mkdir(parents=True, exist_ok=True)
    write_csv(data.split_rows(), output)
    write_csv(data.class_count_rows(), output.with_name(f"{output.stem}_class_counts.csv"))
    return dict(Counter(row["split"] for row in data.split_rows()))


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model_config_path", type=Path, required=True, help="the config whose data to split")
    parser.add_argument("--output", type=Path, required=True, help="the split file (CSV) to write")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        counts = write_split(args.model_config_path, tuple(args.overrides), args.output)
    except (ConfigError, DataError) as error:
        print(f"split.py: error: {error.args[0] if error.args else error}", file=sys.stderr)
        return 2
    print(", ".join(f"{split}: {count} clips" for split, count in counts.items()))
    print(f"split file: {args.output} (use it with general_parameters.split_file)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
