"""Leave-signers-out folds: signer-disjoint, every signer tested once, every class trained where the signers allow."""

from pathlib import Path

import pytest

from datasets.annotations import ClipRecord
from datasets.errors import DataError
from datasets.signer_folds import fold_rows, signer_folds, untrained_classes

# Like mediapipe_signers: a common class by everyone, rarer ones by two or three signers.
SIGNS = {
    "ann": ["hello", "thanks", "please"],
    "bob": ["hello", "thanks", "sorry"],
    "cy": ["hello", "thanks", "no"],
    "dee": ["hello", "no", "please"],
    "eve": ["hello", "thanks", "sorry"],
    "fay": ["hello", "no"],
    "gus": ["hello", "thanks"],
}
CLASSES = sorted({g for glosses in SIGNS.values() for g in glosses})


def records(signs: dict[str, list[str]] = None, clips: int = 6) -> list[ClipRecord]:
    """`clips` labelled clips per signer and gloss of `signs`."""
    return [
        ClipRecord(Path("corpus.zip"), f"{s}/{g}/{n}.npz", labels={"gloss": CLASSES.index(g)}, signer=s)
        for s, glosses in (signs or SIGNS).items()
        for g in glosses
        for n in range(clips)
    ]


@pytest.mark.parametrize("folds", [2, 3, 5])
def test_folds_are_signer_disjoint_and_test_every_signer_once(folds):
    data = records()
    dealt, _ = signer_folds(data, folds, ["gloss"], seed=1234, val_share=0.2)
    assert [f.number for f in dealt] == list(range(1, folds + 1))
    tested = [s for f in dealt for s in f.test_signers]
    assert sorted(tested) == sorted(SIGNS)  # every signer tested exactly once
    for fold in dealt:
        people = {name: {data[i].signer for i in getattr(fold, name)} for name in ("train", "val", "test")}
        assert people["train"].isdisjoint(people["val"]) and people["train"].isdisjoint(people["test"])
        assert people["val"].isdisjoint(people["test"]) and people["val"]
        assert sorted(people["test"]) == fold.test_signers and sorted(people["val"]) == fold.val_signers
        assert sorted(fold.train + fold.val + fold.test) == list(range(len(data)))


def test_every_fold_trains_on_every_class_when_the_signers_allow():
    data = records()
    strata = [f"gloss:{r.labels['gloss']}" for r in data]
    dealt, _ = signer_folds(data, 3, ["gloss"], seed=0, val_share=0.2)
    assert not any(untrained_classes(fold, strata) for fold in dealt)


def test_the_same_seed_gives_the_same_folds():
    first, seed = signer_folds(records(), 3, ["gloss"], seed=7, val_share=0.2)
    again, seed_again = signer_folds(records(), 3, ["gloss"], seed=7, val_share=0.2)
    assert first == again and seed == seed_again


def test_a_fold_file_lists_every_clip_once():
    data = records()
    dealt, _ = signer_folds(data, 3, ["gloss"], seed=1, val_share=0.2)
    rows = fold_rows(data, dealt[0])
    assert len(rows) == len(data) and {r["split"] for r in rows} == {"train", "val", "test"}
    assert {"source", "clip", "start", "end", "signer"} <= set(rows[0])


def test_bad_requests_are_named():
    with pytest.raises(DataError, match="need 2 to 7 folds"):
        signer_folds(records(), 8, ["gloss"], seed=0, val_share=0.2)
    unsigned = records()
    unsigned[0].signer = None
    with pytest.raises(DataError, match="corpus.zip: leave-signers-out cross-validation needs every clip's signer"):
        signer_folds(unsigned, 3, ["gloss"], seed=0, val_share=0.2)
    own = records()
    own[0].split = "test"
    with pytest.raises(DataError, match="its own test split"):
        signer_folds(own, 3, ["gloss"], seed=0, val_share=0.2)
