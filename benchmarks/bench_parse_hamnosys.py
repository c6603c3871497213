"""How much of a real HamNoSys lexicon the parser turns into labels, per sign language, and how fast.

Reads the Ham2Pose lexicon (`../shared/data/hamnosys/ham2pose_hamnosys_data.json.gz`: DGS, PJM, GSL and LSF
entries) and prints, per language, how many notations parse, the reasons of the rest, and the median time per
notation over a few passes.

Usage (from the repository root):
    python benchmarks/bench_parse_hamnosys.py [--lexicon PATH] [--repeats 5]
"""

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Optional

# pylint: disable-next=wrong-import-position
from data_preprocessing.hamnosys_parser import HamNoSysParseError, parse_hamnosys

LEXICON = Path(__file__).resolve().parents[2] / "shared" / "data" / "hamnosys" / "ham2pose_hamnosys_data.json.gz"


def language(key: str) -> str:
    """The sign language of a Ham2Pose entry, from its key (`pjm_12`, `gsl_3`, a DGS number, or an LSF gloss)."""
    if key.startswith("pjm_"):
        return "PJM"
    if key.startswith("gsl_"):
        return "GSL"
    return "DGS" if key.isdigit() else "LSF"


def coverage(entries: dict[str, dict]) -> tuple[Counter, Counter, Counter]:
    """Entries per language, parsed entries per language, and failure reasons (positions blanked)."""
    total, parsed, reasons = Counter(), Counter(), Counter()
    for key, entry in entries.items():
        total[language(key)] += 1
        try:
            parse_hamnosys(entry["hamnosys"])
            parsed[language(key)] += 1
        except HamNoSysParseError as error:
            reasons[re.sub(r"\(.*\)$", "", str(error)).strip()] += 1
    return total, parsed, reasons


def main(argv: Optional[list[str]] = None) -> int:
    """Print coverage per language and parse speed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--lexicon", type=Path, default=LEXICON)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.lexicon.is_file():
        print(f"skipped: {args.lexicon} not found (the shared HamNoSys data is not beside this checkout)")
        return 0
    with gzip.open(args.lexicon, "rt", encoding="utf-8") as file:
        entries = json.load(file)
    total, parsed, reasons = coverage(entries)
    print(f"{'language':<9}{'entries':>8}{'parsed':>8}{'share':>9}")
    for name in sorted(total):
        print(f"{name:<9}{total[name]:>8}{parsed[name]:>8}{100 * parsed[name] / total[name]:>8.2f}%")
    all_total, all_parsed = sum(total.values()), sum(parsed.values())
    print(f"{'all':<9}{all_total:>8}{all_parsed:>8}{100 * all_parsed / all_total:>8.2f}%")
    for reason, count in reasons.most_common():
        print(f"  not parsed ({count}): {reason}")
    notations = [entry["hamnosys"] for entry in entries.values()]
    timings = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for notation in notations:
            try:
                parse_hamnosys(notation)
            except HamNoSysParseError:
                pass  # counted above; here only the time matters
        timings.append((time.perf_counter() - start) / len(notations))
    print(f"median time per notation over {args.repeats} passes: {1e6 * statistics.median(timings):.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
