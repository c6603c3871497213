"""CSV annotations, label names vs ids, and splits that do not leak (own test split, signers, split files)."""

from pathlib import Path

import pytest

from datasets.annotations import ClipRecord, read_annotations
from datasets.csv_rows import write_csv
from datasets.data_module import SignDataModule
from datasets.errors import BadSamples, DataError
from datasets.splits import assign_splits, read_split_file
from datasets.vocabulary import assign_labels, build_vocabularies
from utils.config_data import DatasetEntry
from utils.config_schema import AugmentationsParameters, HeadConfig, TrainParameters

HEADS = {"gloss": HeadConfig(num_class=3), "shape": HeadConfig(num_class=2)}


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "labels.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _labelled(records: list[ClipRecord], heads=None) -> list[ClipRecord]:
    heads = heads or HEADS
    return assign_labels(records, build_vocabularies(records, heads, {}), heads, BadSamples())


def test_csv_header_any_column_order_names_and_empty_cells(tmp_path):
    path = _csv(tmp_path, "extra,gloss,path,signer,split\nx,HELLO,c1,ann,\nx,,c2,bob,test\nx,BYE,c3,,train\n")
    records = read_annotations(path, list(HEADS), BadSamples())
    assert [(r.name, r.tokens, r.signer, r.split) for r in records] == [
        ("c1", {"gloss": "HELLO"}, "ann", None),
        ("c2", {}, "bob", "test"),
        ("c3", {"gloss": "BYE"}, None, None),
    ]
    assert records[0].start == 0 and records[0].end is None  # no start/end columns: the whole clip


def test_columns_are_renamed_or_ignored(tmp_path):
    path = _csv(tmp_path, "file,start,end,sign\nc1,0,4,A\n")
    records = read_annotations(path, ["gloss"], BadSamples(), columns={"path": "file", "gloss": "sign", "end": None})
    assert records[0].tokens == {"gloss": "A"} and records[0].end is None


@pytest.mark.parametrize(
    "body, message",
    [
        ("c1,0,4,HELLO\n\nc2,0,4,BYE\n", "labels.csv:3: empty annotation line"),
        ("c1,0,4,HELLO\nc2,0,4\n", "labels.csv:3: expected 4 columns"),
        ("c1,0,4,HELLO\n,0,4,BYE\n", "labels.csv:3: empty path"),
        ("c1,0,4,HELLO\nc2,a,4,BYE\n", "labels.csv:3: frame numbers and labels must be integers"),
    ],
)
def test_bad_csv_line_names_file_and_line(tmp_path, body, message):
    path = _csv(tmp_path, "path,start,end,gloss\n" + body)
    with pytest.raises(DataError, match=message):
        read_annotations(path, ["gloss"], BadSamples())
    bad = BadSamples(skip=True)
    kept = read_annotations(path, ["gloss"], bad)
    assert len(bad) == 1 and [r.name for r in kept][0] == "c1"


def test_no_path_column_is_explained(tmp_path):
    with pytest.raises(DataError, match="labels.csv:1: no 'path' column"):
        read_annotations(_csv(tmp_path, "name,gloss\nc1,A\n"), ["gloss"], BadSamples())


def test_vocabulary_is_built_from_names_and_ids_index_it(tmp_path):
    path = _csv(tmp_path, "path,gloss,shape\nc1,HELLO,1\nc2,BYE,0\nc3,2,\nc4,GO,-1\n")
    records = read_annotations(path, list(HEADS), BadSamples())
    vocabularies = build_vocabularies(records, HEADS, {})
    assert vocabularies == {"gloss": ["BYE", "GO", "HELLO"], "shape": ["0", "1"]}
    labels = [r.labels for r in assign_labels(records, vocabularies, HEADS, BadSamples())]
    assert labels == [
        {"gloss": 2, "shape": 1},
        {"gloss": 0, "shape": 0},
        {"gloss": 2, "shape": -1},
        {"gloss": 1, "shape": -1},
    ]


def test_label_outside_the_heads_classes_names_the_line(tmp_path):
    heads = {"gloss": HeadConfig(num_class=2, class_names=["BYE", "HELLO"])}
    records = read_annotations(_csv(tmp_path, "path,gloss\nc1,HELLO\nc2,GO\nc3,5\n"), ["gloss"], BadSamples())
    vocabularies = build_vocabularies(records, heads, {})
    with pytest.raises(DataError, match=r"labels.csv:3: label 'GO' of head gloss is not one of \['BYE', 'HELLO'\]"):
        assign_labels(records, vocabularies, heads, BadSamples())
    bad = BadSamples(skip=True)
    assert [r.name for r in assign_labels(records, vocabularies, heads, bad)] == ["c1"]
    assert "labels.csv:4: label 5 of head gloss is outside 0..1" in bad.problems[1]


def test_more_names_than_classes_is_an_error():
    records = [ClipRecord(Path(), f"c{i}", tokens={"shape": name}) for i, name in enumerate("abc")]
    with pytest.raises(DataError, match=r"head shape: 3 class names from the label names in the data \(a, b, c\)"):
        build_vocabularies(records, {"shape": HeadConfig(num_class=2)}, {})


def _records(count: int, signers: bool = False, dataset: str = "d") -> list[ClipRecord]:
    return _labelled(
        [
            ClipRecord(Path(dataset), f"c{i}", tokens={"gloss": str(i % 3)}, signer=f"s{i % 5}" if signers else None)
            for i in range(count)
        ]
    )


def test_stratified_train_val_test_fractions():
    records = _records(60)
    splits = assign_splits(records, (0.6, 0.2), ["gloss"], seed=0, by_signer=False)
    assert {name: len(indexes) for name, indexes in splits.items()} == {"train": 36, "val": 12, "test": 12}
    for indexes in splits.values():  # every class in every split, in proportion
        assert sorted(records[i].labels["gloss"] for i in indexes).count(0) == len(indexes) // 3


def test_signer_independent_split_puts_no_signer_in_two_splits():
    records = _records(100, signers=True)
    splits = assign_splits(records, (0.6, 0.2), ["gloss"], seed=0, by_signer=True)
    signers = {name: {records[i].signer for i in indexes} for name, indexes in splits.items()}
    assert set(signers) == {"train", "val", "test"} and all(signers.values())
    for first, second in (("train", "val"), ("train", "test"), ("val", "test")):
        assert not signers[first] & signers[second]


def test_a_datasets_own_test_split_is_used_as_is():
    records = _records(30)
    for record in records[:6]:
        record.split = "test"
    splits = assign_splits(records, (0.6, 0.2), ["gloss"], seed=0, by_signer=False)
    assert splits["test"] == list(range(6))  # no fraction of the rest goes to test
    assert len(splits["train"]) + len(splits["val"]) == 24


def test_split_file_is_reused_and_must_cover_every_clip(tmp_path):
    frames = tmp_path / "data"
    for name in ("c0", "c1", "c2", "c3"):
        (frames / name).mkdir(parents=True)
    (frames / "labels.csv").write_text("path,start,end,gloss\nc0,0,3,A\nc1,0,3,B\nc2,0,3,A\nc3,0,3,B\n", "utf-8")
    entry = DatasetEntry(path=str(frames), annotation_files={"gloss": "labels.csv"})
    heads = {"gloss": {"gloss": HeadConfig(num_class=2)}}
    params, augment = TrainParameters(), AugmentationsParameters()
    first = SignDataModule([entry], heads, params, augment, 0.5, seed=1)
    first.setup()
    write_csv(first.split_rows(), tmp_path / "split.csv")
    again = SignDataModule([entry], heads, params, augment, 0.5, seed=99, split_file=str(tmp_path / "split.csv"))
    again.setup()
    assert again.splits == first.splits
    rows = (tmp_path / "split.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "short.csv").write_text("\n".join(rows[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="short.csv: no row for clip"):
        read_split_file(tmp_path / "short.csv", again.records)
