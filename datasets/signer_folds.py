"""Leave-signers-out cross-validation folds: which clips train, validate and test in each of K runs.

The signers are dealt into K groups by scikit-learn's StratifiedGroupKFold (groups = signers, strata = the primary
head's class, shuffled with a fixed seed): fold k tests group k, so every signer is tested exactly once and never
trains or validates in the same fold. Inside the other K - 1 groups a validation part is held out by signer too
(early stopping and the best checkpoint are chosen on people the fold does not test), about `val_share` of them.

Small corpora have classes recorded by two signers only: a fold that tests one of them must train on the other, or
the class is never seen in training and its test clips are lost by construction. So the validation signers are the
first candidate group (of a StratifiedGroupKFold over the remaining signers) that leaves every class in training, and
the outer dealing is the first of the seeds `seed`, `seed + 1`, ... (at most `SEED_TRIES`) under which every fold
trains on every class. Only signers and labels decide this, never a model's results.
"""

import logging
from dataclasses import dataclass

from sklearn.model_selection import StratifiedGroupKFold

from datasets.annotations import ClipRecord
from datasets.errors import DataError
from datasets.splits import dataset_of, stratum_of

logger = logging.getLogger(__name__)

SEED_TRIES = 50


@dataclass(frozen=True)
class Fold:
    """One fold: record indexes of its `train`, `val` and `test` splits and the signers of the last two."""

    number: int  # 1..K
    train: list[int]
    val: list[int]
    test: list[int]
    val_signers: list[str]
    test_signers: list[str]

    def splits(self) -> dict[str, list[int]]:
        """{split: record indexes}, as the data module holds them."""
        return {"train": self.train, "val": self.val, "test": self.test}


def _check(records: list[ClipRecord], folds: int) -> None:
    """Every clip must name its signer, none may come with its own split, and there must be a signer per fold."""
    unsigned = sorted({dataset_of(r) for r in records if not r.signer})
    if unsigned:
        raise DataError(
            f"{unsigned[0]}: leave-signers-out cross-validation needs every clip's signer (a `signer` annotation "
            "column, or the data_paths entry's `signer` key)"
        )
    own = sorted({dataset_of(r) for r in records if r.split})
    if own:
        raise DataError(f"{own[0]}: has its own test split; cross-validation makes its own (drop test_path)")
    signers = len({r.signer for r in records})
    if not 2 <= folds <= signers:
        raise DataError(f"--cv {folds}: need 2 to {signers} folds (the data has {signers} signers)")


def _strata(records: list[ClipRecord], heads: list[str]) -> list[str]:
    return [f"{head}:{label}" for head, label in (stratum_of(r, heads) for r in records)]


def _classes(indexes: list[int], strata: list[str]) -> set[str]:
    return {strata[i] for i in indexes}


def _validation(pool: list[int], strata: list[str], signers: list[str], val_share: float, seed: int) -> list[int]:
    """Indexes (of `pool`) held out for validation: whole signers, about `val_share` of them, chosen so that every
    class of `pool` keeps a training signer where possible (else the candidate that loses the fewest classes)."""
    count = len({signers[i] for i in pool})
    if val_share <= 0 or count < 2:
        return []
    groups = min(count, max(2, round(1 / val_share)))
    splitter = StratifiedGroupKFold(n_splits=groups, shuffle=True, random_state=seed)
    wanted = _classes(pool, strata)
    best: list[int] = []
    best_lost = len(wanted) + 1
    for kept, held in splitter.split(pool, [strata[i] for i in pool], groups=[signers[i] for i in pool]):
        lost = len(wanted - _classes([pool[i] for i in kept], strata))
        if lost < best_lost:
            best, best_lost = [pool[i] for i in held], lost
        if not lost:
            break
    return sorted(best)


def _deal(records: list[ClipRecord], strata: list[str], folds: int, val_share: float, seed: int) -> list[Fold]:
    """The K folds under one shuffling seed."""
    signers = [str(r.signer) for r in records]
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    dealt = []
    for number, (rest, test) in enumerate(splitter.split(records, strata, groups=signers), start=1):
        val = _validation(sorted(rest.tolist()), strata, signers, val_share, seed)
        held = set(val)
        train = [i for i in sorted(rest.tolist()) if i not in held]
        dealt.append(
            Fold(
                number,
                train,
                val,
                sorted(test.tolist()),
                sorted({signers[i] for i in val}),
                sorted({signers[i] for i in test}),
            )
        )
    return dealt


def untrained_classes(fold: Fold, strata: list[str]) -> list[str]:
    """The classes (`head:label`) a fold tests or validates but never trains on."""
    return sorted(_classes(fold.test + fold.val, strata) - _classes(fold.train, strata))


def signer_folds(
    records: list[ClipRecord], folds: int, heads: list[str], seed: int, val_share: float
) -> tuple[list[Fold], int]:
    """K leave-signers-out folds of `records` (see the module docstring) and the seed that dealt them.

    `heads`: the heads in config order (the first that labels a clip stratifies it); `val_share`: the share of a
    fold's training signers held out for validation."""
    _check(records, folds)
    strata = _strata(records, heads)
    first = None
    for tried in range(seed, seed + SEED_TRIES):
        dealt = _deal(records, strata, folds, val_share, tried)
        first = first or (dealt, tried)
        if not any(untrained_classes(fold, strata) for fold in dealt):
            return dealt, tried
    dealt, tried = first
    for fold in dealt:
        missing = untrained_classes(fold, strata)
        if missing:
            logger.warning("fold %d trains on no clip of %s (too few signers)", fold.number, ", ".join(missing))
    return dealt, tried


def fold_rows(records: list[ClipRecord], fold: Fold) -> list[dict[str, object]]:
    """A split file for one fold (`general_parameters.split_file`): split, source, clip, start, end, signer."""
    rows = []
    for split, indexes in fold.splits().items():
        for record in (records[i] for i in indexes):
            source, clip, start, end = record.key()
            rows.append(
                {"split": split, "source": source, "clip": clip, "start": start, "end": end} | {"signer": record.signer}
            )
    return rows
