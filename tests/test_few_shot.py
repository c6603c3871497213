"""`general_parameters.train_shots`: N labelled training clips per class and signer, drawn with the seed; val and
test untouched; the clips of a smaller N among those of a larger one."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from datasets.annotations import ClipRecord
from datasets.few_shot import few_shot


def records() -> list[ClipRecord]:
    """3 signers x 2 classes x 5 clips, and 2 unlabelled clips."""
    made = [
        ClipRecord(Path("data"), f"{signer}_{label}_{n}.npz", labels={"gloss": label}, signer=signer)
        for signer in ("a", "b", "c")
        for label in (0, 1)
        for n in range(5)
    ]
    return made + [ClipRecord(Path("data"), f"u{n}.npz", labels={"gloss": -1}, signer="a") for n in range(2)]


def test_n_per_class_and_signer_nested_and_seeded() -> None:
    clips = records()
    pool = list(range(len(clips)))
    kept = {shots: few_shot(clips, pool, shots, "gloss", seed=7)[0] for shots in (1, 3, 5)}
    for shots, indexes in kept.items():
        groups = Counter((clips[i].signer, clips[i].labels["gloss"]) for i in indexes)
        assert set(groups.values()) == {shots} and len(groups) == 6
    assert set(kept[1]) <= set(kept[3]) <= set(kept[5])
    assert all(clips[i].labels["gloss"] >= 0 for i in kept[5])  # unlabelled training clips are left out
    assert few_shot(clips, pool, 1, "gloss", seed=7) == few_shot(clips, pool, 1, "gloss", seed=7)
    assert few_shot(clips, pool, 1, "gloss", seed=8)[0] != kept[1]


def test_only_the_given_split_is_drawn_from() -> None:
    clips = records()
    train = [i for i, clip in enumerate(clips) if clip.signer != "c"]
    kept, left_out = few_shot(clips, train, 2, "gloss", seed=0)
    assert sorted(kept + left_out) == train
    assert {clips[i].signer for i in kept} == {"a", "b"}
