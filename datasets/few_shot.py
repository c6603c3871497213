"""Few-shot training splits (`general_parameters.train_shots`): keep N labelled clips per class and per signer of the
training split, drawn with a fixed seed; validation and test splits are left whole.

The draw is a seeded permutation per (signer, class) group, and the first N of it are kept, so that the clips of a
smaller N are among those of a larger one (1-shot within 3-shot within 5-shot) and a group's draw does not depend on
the other groups. Clips without a label for the primary head are dropped too: a few-shot run learns from N labelled
clips, and the unlabelled ones are what pre-training is for.
"""

import zlib
from collections import defaultdict

import torch

from datasets.annotations import ClipRecord


def group_seed(seed: int, signer: str, label: int) -> int:
    """A seed per (signer, class), stable across runs and Python processes (unlike `hash`)."""
    return (seed * 1_000_003 + zlib.crc32(f"{signer}\x00{label}".encode("utf-8"))) % (2**63)


def few_shot(
    records: list[ClipRecord], indexes: list[int], shots: int, head: str, seed: int
) -> tuple[list[int], list[int]]:
    """(kept, dropped) record indexes of the split `indexes`: at most `shots` clips of each class of `head` per
    signer (clips without a signer form one group per class)."""
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    dropped: list[int] = []
    for index in indexes:
        label = records[index].labels.get(head, -1)
        if label < 0:
            dropped.append(index)
        else:
            groups[(str(records[index].signer or ""), label)].append(index)
    kept: list[int] = []
    for (signer, label), members in sorted(groups.items()):
        generator = torch.Generator().manual_seed(group_seed(seed, signer, label))
        order = torch.randperm(len(members), generator=generator).tolist()
        chosen = {members[i] for i in order[:shots]}
        kept += [i for i in members if i in chosen]
        dropped += [i for i in members if i not in chosen]
    return sorted(kept), sorted(dropped)
