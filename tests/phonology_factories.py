"""A tiny ASL-LEX 2.0 sign data file: EntryID, LemmaID and the phonology columns, as the real CSV has them."""

import csv
import gzip
from pathlib import Path
from typing import Optional

from utils.config_phonology import PHONOLOGY_COLUMNS

# One value per head for a sign that does not say otherwise (0/1 columns are coded 0/1, as in ASL-LEX).
DEFAULTS = {
    "handshape": "open_b",
    "selected_fingers": "imrp",
    "flexion": "FullyOpen",
    "flexion_change": "0",
    "spread": "0",
    "spread_change": "0",
    "thumb_position": "Open",
    "thumb_contact": "0",
    "sign_type": "OneHanded",
    "movement": "Straight",
    "repeated_movement": "0",
    "major_location": "Neutral",
    "minor_location": "Neutral",
    "second_minor_location": "Neutral",
    "contact": "0",
    "nondominant_handshape": "NA",
    "wrist_twist": "0",
}
# hello and thank_you as ASL-LEX codes them (the heads the tests look at), plus filler signs for the class counts.
SIGNS = {
    "hello": {"handshape": "closed_b", "major_location": "Head", "contact": "1", "thumb_position": "Closed"},
    "thank_you": {"handshape": "open_b", "major_location": "Head", "movement": "Curved", "contact": "1"},
    "house": {"handshape": "open_b", "sign_type": "SymmetricalOrAlternating", "movement": "Curved"},
    "sorry": {"handshape": "a", "selected_fingers": "t", "flexion": "NA", "major_location": "Body"},
    "deaf_1": {"handshape": "1", "major_location": "Head"},
    "deaf_2": {"handshape": "1", "major_location": "Head", "movement": "Curved"},
    "welcome_1": {"handshape": "c", "major_location": "Body"},
    "I_love_you": {"handshape": "ily", "selected_fingers": "ip", "movement": "Straight", "repeated_movement": "1"},
    "yes": {"handshape": "s", "repeated_movement": "1", "major_location": "Neutral"},
    "no": {"handshape": "flat_h", "movement": "None", "repeated_movement": "1"},
    "happy": {"handshape": "open_b", "major_location": "Body", "movement": "Circular", "repeated_movement": "1"},
    "take_off": {"handshape": "s"},
}


def write_lexicon(path: Path, signs: Optional[list[tuple[str, dict[str, str]]]] = None) -> Path:
    """The signs ([(EntryID, {head: value})], `DEFAULTS` for the rest; default `SIGNS`) as a gzipped UTF-8 CSV with
    a byte-order mark, like ASL-LEX's. An EntryID may come twice."""
    columns = ["EntryID", "LemmaID", "Code", *PHONOLOGY_COLUMNS.values()]
    rows = []
    for entry, values in list(SIGNS.items()) if signs is None else signs:
        coded = DEFAULTS | values
        names = {"EntryID": entry, "LemmaID": entry.rsplit("_", 1)[0], "Code": f"X_{len(rows)}"}
        rows.append(names | {column: coded[head] for head, column in PHONOLOGY_COLUMNS.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path
