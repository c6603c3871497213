"""Class names per head and label tokens -> class ids.

A head's class names (its vocabulary) come from, in order: `heads.<mode>.<head>.class_names` in the config, the
datasets' `class_names.json`, or else every label name found in the annotations, sorted (for a head labelled
with ids only: "0", "1", ...). A token that is an integer is a class id; any other token is a class name. The
names are saved with the run and in the checkpoint, so inference prints names.
"""

import difflib
import json
from pathlib import Path
from typing import Optional

from datasets.errors import BadSamples, DataError
from utils.config_schema import HeadConfig

NO_LABEL = -1
CLASS_NAMES_FILE = "class_names.json"
DATA_ORIGIN = "the label names in the data"


def _is_id(token: str) -> bool:
    try:
        int(token)
    except ValueError:
        return False
    return True


def label_id(token: str, head: str, cfg: HeadConfig, where: str, names: Optional[list[str]] = None) -> int:
    """A raw label -> class id: an int is an id (checked against num_class), anything else a name in `names`."""
    try:
        value = int(token)
    except ValueError:
        if names is not None and token in names:
            return names.index(token)
        known = f"one of {names[:10]}{' ...' if len(names) > 10 else ''}" if names else "an id (no class names)"
        close = difflib.get_close_matches(token, names or [], n=3)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise DataError(f"{where}: label {token!r} of head {head} is not {known}{hint}") from None
    if not NO_LABEL <= value < cfg.num_class:
        raise DataError(f"{where}: label {value} of head {head} is outside 0..{cfg.num_class - 1} (-1 = none)")
    return value


def class_names_from_files(folders: list[Path]) -> dict[str, list[str]]:
    """Class names per head from the datasets' `class_names.json` files (the first file naming a head wins)."""
    from_files: dict[str, list[str]] = {}
    for folder in folders:
        path = folder / CLASS_NAMES_FILE
        if path.is_file():
            for head, names in json.loads(path.read_text(encoding="utf-8")).items():
                from_files.setdefault(head, names)
    return from_files


def build_vocabularies(
    records: list,
    heads: dict[str, HeadConfig],
    from_files: dict[str, list[str]],
    modes: Optional[dict[str, str]] = None,
) -> dict[str, list[str]]:
    """{head: class names in id order}; raises DataError when a head's names do not number `num_class`.

    `modes` ({head: classification mode}) lets the message name the head's config key (`heads.gloss.gloss`)."""
    vocabularies: dict[str, list[str]] = {}
    for head, cfg in heads.items():
        names, origin = cfg.class_names, "the config"
        if names is None and head in from_files:
            names, origin = from_files[head], CLASS_NAMES_FILE
        if names is None:
            found = {t for r in records if (t := r.tokens.get(head)) is not None and not _is_id(t)}
            names, origin = sorted(found) or [str(i) for i in range(cfg.num_class)], DATA_ORIGIN
        if len(names) != cfg.num_class:
            key = f"heads.{(modes or {}).get(head, '<mode>')}.{head}"
            rarest = _rarest(records, head, names) if origin == DATA_ORIGIN else ""
            raise DataError(_count_mismatch(head, names, origin, cfg.num_class, key) + rarest)
        vocabularies[head] = list(names)
    return vocabularies


def _count_mismatch(head: str, names: list[str], origin: str, num_class: int, key: str) -> str:
    shown = ", ".join(names[:40]) + (" ..." if len(names) > 40 else "")
    return (
        f"head {head}: {len(names)} class names from {origin} ({shown}) but num_class is {num_class};"
        f" set {key}.num_class (or its class_names)"
    )


def _rarest(records: list, head: str, names: list[str], count: int = 3) -> str:
    """Where the least used of `names` (label names found in the data) are written: a typo ("HELO") is usually one of
    them. Empty when the names did not come from the records."""
    where: dict[str, list[str]] = {}
    for record in records:
        token = record.tokens.get(head)
        if token in names:
            where.setdefault(token, []).append(record.origin or record.name)
    if not where:
        return ""
    rarest = sorted(where, key=lambda name: (len(where[name]), name))[:count]
    shown = ", ".join(f"{name!r} in {len(where[name])} clip(s), first at {where[name][0]}" for name in rarest)
    return f"; the least used names (a typo?): {shown}"


def assign_labels(records: list, vocabularies: dict[str, list[str]], heads: dict[str, HeadConfig], bad: BadSamples):
    """Fill each record's `labels` ({head: id}, -1 = none) from its tokens; returns the records kept (a record with
    a label outside its head's classes raises, or is skipped and counted by `bad`)."""
    kept = []
    for record in records:
        try:
            record.labels = {
                head: (
                    label_id(record.tokens[head], head, cfg, record.origin, vocabularies[head])
                    if head in record.tokens
                    else NO_LABEL
                )
                for head, cfg in heads.items()
            }
        except DataError as error:
            bad.report(error)
            continue
        kept.append(record)
    return kept
