"""Which glosses have an ASL-LEX entry, and the `heads.phonology` block that fits the lexicon (docs/phonology.md).

    python data_preprocessing/asl_lex_heads.py --lexicon ../shared/data/asl_lex/asl_lex2_signdata-11-5-20.csv.gz \
        --glosses ../shared/data/mediapipe_signers/index.csv.gz --heads handshape sign_type major_location

prints each gloss of the annotation file's `gloss` column (or of `--gloss hello thanks ...`) with its EntryID or
`no entry`, then a YAML `heads: phonology:` block whose `num_class` are those the lexicon gives (with
`--min_signs`), each head's classes in a comment. Nothing is written; exit status 2 on a bad file.
"""

import argparse
import csv
import gzip
import sys
from collections import Counter
from pathlib import Path
from typing import Optional

from datasets.asl_lex import AslLex
from datasets.errors import DataError
from utils.config_phonology import PHONOLOGY_COLUMNS


def read_glosses(path: Path, column: str = "gloss") -> Counter:
    """{gloss: clips} from an annotation CSV (`.csv` or `.csv.gz`) with a `column` column."""
    opened = gzip.open if path.suffix.lower() == ".gz" else open
    with opened(path, "rt", encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if column not in (reader.fieldnames or []):
            raise DataError(f"{path}: no {column!r} column (columns: {reader.fieldnames})")
        return Counter(row[column].strip() for row in reader if row[column].strip())


def mapping_lines(lexicon: AslLex, glosses: Counter) -> list[str]:
    """One line per gloss: `gloss  clips  EntryID | no entry`, mapped ones first, then a count."""
    entries = {gloss: lexicon.entry_for(gloss) for gloss in glosses}
    order = sorted(glosses, key=lambda g: (entries[g] is None, g))
    lines = [f"{g:<20} {glosses[g]:>6}  {entries[g] or 'no entry'}" for g in order]
    mapped = sum(entry is not None for entry in entries.values())
    return lines + [f"# {mapped} of {len(glosses)} glosses have an ASL-LEX entry"]


def heads_block(lexicon: AslLex, heads: list[str], loss_weight: float) -> list[str]:
    """The YAML of `heads: phonology:` with the lexicon's class counts."""
    lines = ["heads:", "    phonology:"]
    for head in heads:
        names = lexicon.class_names(head)
        shown = ", ".join(names[:15]) + (f" ... ({len(names)})" if len(names) > 15 else "")
        lines += [
            f"        {head}:  # {PHONOLOGY_COLUMNS[head]}: {shown}",
            f"            num_class: {len(names)}",
            f"            loss_weight: {loss_weight:g}",
        ]
    return lines


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lexicon", type=Path, required=True, help="ASL-LEX 2.0 sign data CSV (.csv or .csv.gz)")
    parser.add_argument("--glosses", type=Path, help="an annotation CSV with a gloss column")
    parser.add_argument("--gloss_column", default="gloss", help="its column of glosses (default: gloss)")
    parser.add_argument("--gloss", nargs="+", default=[], help="glosses to look up")
    parser.add_argument("--heads", nargs="+", choices=list(PHONOLOGY_COLUMNS), default=list(PHONOLOGY_COLUMNS))
    parser.add_argument("--min_signs", type=int, default=5, help="phonology.min_signs (default 5)")
    parser.add_argument("--loss_weight", type=float, default=0.1, help="loss_weight written for every head")
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = parse_args(argv)
    try:
        lexicon = AslLex(args.lexicon, min_signs=args.min_signs)
        glosses = read_glosses(args.glosses, args.gloss_column) if args.glosses else Counter()
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    glosses.update({gloss: 0 for gloss in args.gloss})
    if glosses:
        print("\n".join(mapping_lines(lexicon, glosses)) + "\n")
    print("\n".join(heads_block(lexicon, args.heads, args.loss_weight)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
