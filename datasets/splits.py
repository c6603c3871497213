"""Train/validation/test splits that do not leak.

- A dataset's own splits (its `test_path`, or a CSV `split` column) are used as they are.
- The rest of each dataset is split by fractions, stratified on the first head that labels a clip, keeping all
  records of one clip folder (one video) together; where every clip of a dataset names its signer, the split is
  signer-independent instead: no signer is in two splits. Datasets of one signer each (one MP_Data recording
  folder per person, say) are split by signer together, as one multi-signer set.
- A split file (written by `data_preprocessing/split.py`, or any run's `split.csv`) replaces all of this.
"""

import csv
from collections import defaultdict
from pathlib import Path

import torch
from sklearn.model_selection import StratifiedGroupKFold

from datasets.annotations import ClipRecord, format_time
from datasets.errors import DataError

VAL, TRAIN = "val", "train"


def _groups(records: list[ClipRecord]) -> dict[tuple[str, str], list[int]]:
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        groups[(str(record.root), record.name)].append(index)
    return groups


def stratum_of(record: ClipRecord, heads: list[str]) -> tuple[str, int]:
    """The first of `heads` that labels the record, with its label: clips that lack the first head's
    label (letter clips in a gloss run, say) are stratified on the next head."""
    for head in heads:
        if record.labels.get(head, -1) >= 0:
            return head, record.labels[head]
    return "", -1


def stratified_split(
    records: list[ClipRecord], train_ratio: float, heads: list[str], seed: int
) -> tuple[list[int], list[int]]:
    """Indexes of (train, val): in every stratum (see `stratum_of`), about `1 - train_ratio` of the clip
    folders go to validation (at least one where a stratum has two or more folders)."""
    generator = torch.Generator().manual_seed(seed)
    strata: dict[tuple[str, int], list[list[int]]] = defaultdict(list)
    for members in _groups(records).values():
        strata[stratum_of(records[members[0]], heads)].append(members)
    train: list[int] = []
    val: list[int] = []
    for stratum in sorted(strata):
        groups = strata[stratum]
        order = torch.randperm(len(groups), generator=generator).tolist()
        val_count = round(len(groups) * (1 - train_ratio))
        if len(groups) >= 2:
            val_count = min(max(val_count, 1), len(groups) - 1)
        for position, group_index in enumerate(order):
            (val if position < val_count else train).extend(groups[group_index])
    return sorted(train), sorted(val)


def signer_split(
    records: list[ClipRecord], held_ratio: float, heads: list[str], seed: int
) -> tuple[list[int], list[int]]:
    """Indexes of (kept, held out): about `held_ratio` of the signers, chosen so that the classes stay balanced
    (scikit-learn's StratifiedGroupKFold, one fold held out); no signer is on both sides."""
    signers = [str(r.signer) for r in records]
    count = len(set(signers))
    if count < 2:
        raise DataError(
            f"{records[0].reader.entry.path if records[0].reader else records[0].root}: a signer-independent split "
            f"needs 2 or more signers, found {count}; set general_parameters.split_by_signer: false to split by clip"
        )
    folds = min(count, max(2, round(1 / held_ratio)))
    strata = [f"{head}:{label}" for head, label in (stratum_of(r, heads) for r in records)]
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    kept, held = next(splitter.split(records, strata, groups=signers))
    return sorted(kept.tolist()), sorted(held.tolist())


def _carve(pool: list[int], records, held_ratio, heads, seed, by_signer) -> tuple[list[int], list[int]]:
    """Split the records at `pool` into (kept, held out), held out being about `held_ratio` of them."""
    if held_ratio <= 0 or not pool:
        return pool, []
    chosen = [records[i] for i in pool]
    if by_signer:
        kept, held = signer_split(chosen, held_ratio, heads, seed)
    else:
        kept, held = stratified_split(chosen, 1 - held_ratio, heads, seed)
    return [pool[i] for i in kept], [pool[i] for i in held]


def _split_pool(
    pool: list[int], records: list[ClipRecord], shares: tuple[float, float, bool], heads: list[str], how: tuple
) -> dict[str, list[int]]:
    """One dataset's clips -> train/val/test; `shares` = (train share, test share, whether to make a val split),
    `how` = (seed, by signer)."""
    train_share, test_ratio, make_val = shares
    rest, test = _carve(pool, records, test_ratio, heads, *how)
    val_ratio = (1 - train_share - test_ratio) / (1 - test_ratio) if make_val else 0.0
    train, val = _carve(rest, records, val_ratio, heads, *how)
    return {TRAIN: train, VAL: val, "test": test}


def dataset_of(record: ClipRecord) -> str:
    """Which dataset (`data_paths` entry) a record comes from."""
    return record.reader.entry.path if record.reader is not None else str(record.root)


def assign_splits(
    records: list[ClipRecord], fractions: tuple[float, float], heads: list[str], seed: int, by_signer: bool
) -> dict[str, list[int]]:
    """{split: record indexes}: `train`, `val`, and each test split. `fractions` = (train, test) shares for a
    dataset without its own test split; validation gets the rest. See the module docstring."""
    splits: dict[str, list[int]] = defaultdict(list)
    per_dataset: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        (splits[record.split] if record.split else per_dataset[dataset_of(record)]).append(index)
    own_test = {dataset_of(records[i]) for name, indexes in splits.items() if name != VAL for i in indexes}
    own_val = {dataset_of(records[i]) for i in splits.get(VAL, [])}
    pools: dict[tuple, list[int]] = defaultdict(list)
    for dataset, pool in per_dataset.items():
        # A dataset with its own test (or val) split gives none of its other clips to that split.
        shares = (fractions[0], 0.0 if dataset in own_test else fractions[1], dataset not in own_val)
        signers = {records[i].signer for i in pool}
        # Datasets of one signer each (an MP_Data folder per person, say) are split by signer together.
        alone = by_signer and len(signers) == 1 and None not in signers
        pools[("one signer", shares) if alone else (dataset, shares)].extend(pool)
    for (_, shares), pool in pools.items():
        signed = by_signer and all(records[i].signer is not None for i in pool)
        for name, indexes in _split_pool(pool, records, shares, heads, (seed, signed)).items():
            splits[name].extend(indexes)
    return {name: sorted(indexes) for name, indexes in splits.items() if indexes or name in (TRAIN, VAL)}


def read_split_file(path: Path, records: list[ClipRecord]) -> dict[str, list[int]]:
    """{split: record indexes} from a split file (`split,source,clip,start,end,...`); every record must be in it."""
    if not path.is_file():
        raise DataError(f"{path}: no such split file (general_parameters.split_file)")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or not {"split", "source", "clip", "start", "end"} <= set(rows[0]):
        raise DataError(f"{path}: expected a CSV with columns split, source, clip, start, end")
    split_of = {
        (row["source"], row["clip"], format_time(row["start"]), format_time(row["end"])): row["split"] for row in rows
    }
    splits: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        if record.key() not in split_of:
            raise DataError(
                f"{path}: no row for clip {record.name} of {record.root} (frames {record.start}-{record.end}); "
                "the data changed since the file was made: make a new one with data_preprocessing/split.py"
            )
        splits[split_of[record.key()]].append(index)
    return {name: sorted(indexes) for name, indexes in splits.items()} | {
        name: [] for name in (TRAIN, VAL) if name not in splits
    }
