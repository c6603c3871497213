"""Gloss-held-out cross-validation: every sign is tested once, by a model that never saw it (docs/phonology.md).

Clips are grouped by their sign (the ASL-LEX entry of their gloss, so that two spellings of one sign stay
together) and the signs dealt into K folds with scikit-learn's GroupKFold (shuffled, fixed seed). Fold k tests on
the signs of fold k, validates (chooses its checkpoint) on those of fold k+1 and trains on the other K-2 folds, so
no sign is in two splits of a fold and the test signs are never looked at before the test. Each fold is written
as a split file (`general_parameters.split_file`) that train.py reads as it is.
"""

from pathlib import Path

from sklearn.model_selection import GroupKFold

from datasets.annotations import ClipRecord
from datasets.csv_rows import write_csv
from datasets.errors import DataError
from datasets.splits import TRAIN, VAL

TEST = "test"


def gloss_folds(groups: list[str], folds: int, seed: int) -> list[dict[str, list[int]]]:
    """Per fold {train, val, test: clip indexes}; `groups[i]` names clip i's sign."""
    signs = len(set(groups))
    if folds < 3:
        raise DataError(f"gloss-held-out cross-validation needs 3 or more folds (train, val, test), got {folds}")
    if signs < folds:
        raise DataError(f"{folds} gloss folds need {folds} or more signs, found {signs}")
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    tests = [sorted(test.tolist()) for _, test in splitter.split(groups, groups=groups)]
    result = []
    for fold, test in enumerate(tests):
        val = tests[(fold + 1) % folds]
        held = set(test) | set(val)
        result.append({TRAIN: [i for i in range(len(groups)) if i not in held], VAL: val, TEST: test})
    return result


def write_fold_split(records: list[ClipRecord], fold: dict[str, list[int]], path: Path) -> Path:
    """The split file of one fold (`split,source,clip,start,end`, as `datasets/splits.py` reads it)."""
    rows = []
    for split, indexes in fold.items():
        for index in indexes:
            source, clip, start, end = records[index].key()
            rows.append({"split": split, "source": source, "clip": clip, "start": start, "end": end})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(rows, path)
    return path
