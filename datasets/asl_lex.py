"""ASL-LEX 2.0 as a lexicon of phonological labels: gloss -> EntryID -> one value per phonology head.

- Glosses and EntryIDs are compared after `normalise_gloss` (lower case, every run of other characters than
  letters and digits becomes one `_`): "Thank You", "thank-you" and ASL-LEX's `thank_you` are the same key.
- `ALIASES` (plus the config's `phonology.aliases`, which win) map a gloss to an EntryID where the two are spelled
  differently (`thanks` -> `thank_you`) or the lemma has several entries (`deaf` -> `deaf_1`); an alias to None
  says the gloss has no entry. Anything else maps only by exact match: no fuzzy matching, so a label never silently
  takes another sign's phonology.
- A head's classes are the values its ASL-LEX column takes (sorted), the values coded for fewer than `min_signs`
  signs merged into one class `rare` (last). 0/1 columns are named `no`/`yes`. `NA` (not applicable, e.g. the
  flexion of a thumb-only handshape) and empty cells are no label (-1). An EntryID coded twice keeps its first row.
"""

import csv
import gzip
import logging
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Optional

from datasets.errors import DataError
from utils.config_phonology import PHONOLOGY_COLUMNS

ENTRY_COLUMN = "EntryID"
RARE = "rare"
NOT_CODED = ("", "NA")  # ASL-LEX's "not applicable" and blank cells: no label
BINARY_NAMES = {"0": "no", "1": "yes"}
# Gloss -> EntryID where exact matching fails (docs/phonology.md lists what maps in mediapipe_signers and why).
ALIASES: dict[str, Optional[str]] = {
    "thanks": "thank_you",  # the corpus's name for THANK-YOU
    "iloveyou": "i_love_you",  # written as one word by the recording projects
    "deaf": "deaf_1",  # two variants (ear to chin and back, or one way); deaf_1 is the first
    "welcome": "welcome_1",  # the only entry of the lemma welcome
}

logger = logging.getLogger(__name__)


def normalise_gloss(text: str) -> str:
    """The matching key of a gloss or EntryID: lower case, runs of non-alphanumerics as one `_`, none at the ends."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def _cell(value: str, binary: bool) -> Optional[str]:
    """One coded value as a class name (None: not coded)."""
    value = value.strip()
    if value in NOT_CODED:
        return None
    return BINARY_NAMES[value] if binary else value


class AslLex:
    """The phonology of every ASL-LEX entry: `entry_for(gloss)`, `values(entry)`, `class_names(head)`."""

    def __init__(self, path: Path, aliases: Optional[dict[str, Optional[str]]] = None, min_signs: int = 5) -> None:
        self.path = Path(path)
        self.min_signs = min_signs
        self.coded = _read_coding(self.path)
        self.aliases = {normalise_gloss(k): v and normalise_gloss(v) for k, v in {**ALIASES, **(aliases or {})}.items()}
        unknown = sorted(f"{k} -> {v}" for k, v in self.aliases.items() if v is not None and v not in self.coded)
        if unknown:
            raise DataError(
                f"{self.path}: phonology aliases name entries that are not in ASL-LEX: {', '.join(unknown)}"
            )
        self.names = {head: self._class_names(head) for head in PHONOLOGY_COLUMNS}

    def entry_for(self, gloss: str) -> Optional[str]:
        """The (normalised) EntryID of a gloss, or None when ASL-LEX has no entry for it."""
        key = normalise_gloss(gloss)
        if key in self.aliases:
            return self.aliases[key]
        return key if key in self.coded else None

    def values(self, entry: str) -> dict[str, str]:
        """{head: class name} of one entry; heads its coding leaves blank or NA are missing. Rare values are `rare`."""
        return {
            head: value if value in self.names[head] else RARE
            for head, value in self.coded[entry].items()
            if value is not None
        }

    def class_names(self, head: str) -> list[str]:
        """A head's classes: its coded values with at least `min_signs` signs, sorted, then `rare` if any are not."""
        return list(self.names[head])

    def _class_names(self, head: str) -> list[str]:
        counts = self.value_counts(head)
        kept = sorted(value for value, count in counts.items() if count >= self.min_signs)
        return kept + ([RARE] if len(kept) < len(counts) else [])

    def value_counts(self, head: str) -> Counter:
        """How many ASL-LEX signs code each value of a head (before rare values are merged)."""
        return Counter(values[head] for values in self.coded.values() if values[head] is not None)


@lru_cache(maxsize=4)
def _read_coding(path: Path) -> dict[str, dict[str, Optional[str]]]:
    """{normalised EntryID: {head: raw value or None}} from the sign data CSV (cached: it is read once per run)."""
    if not path.is_file():
        raise DataError(f"{path}: no such ASL-LEX file (phonology.lexicon)")
    opened = gzip.open if path.suffix.lower() == ".gz" else open
    with opened(path, "rt", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    missing = [c for c in (ENTRY_COLUMN, *PHONOLOGY_COLUMNS.values()) if rows and c not in rows[0]]
    if not rows or missing:
        raise DataError(f"{path}: not ASL-LEX 2.0 sign data (no rows, or no column {', '.join(missing)})")
    binary = {
        head: {r[column].strip() for r in rows} - set(NOT_CODED) <= set(BINARY_NAMES)
        for head, column in PHONOLOGY_COLUMNS.items()
    }
    coded: dict[str, dict[str, Optional[str]]] = {}
    for row in rows:
        entry = normalise_gloss(row[ENTRY_COLUMN])
        if entry in coded:
            logger.debug("%s: EntryID %s is coded twice; the first row is kept", path, row[ENTRY_COLUMN])
            continue
        coded[entry] = {head: _cell(row[column], binary[head]) for head, column in PHONOLOGY_COLUMNS.items()}
    return coded
