"""Train/validation split, stratified on the first head and grouped by clip folder.

All records of one clip folder (one video) land in the same split, so frames of one video never
appear in two splits.
"""

from collections import defaultdict

import torch

from datasets.annotations import ClipRecord


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
