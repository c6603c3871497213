"""The HearAI frames source: annotation parsing, labels merged over modes, bad input named by file and line."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from datasets.data_module import SignDataModule
from datasets.errors import BadSamples, DataError
from datasets.clip_dataset import ClipDataset
from datasets.sources.frames import FramesSource
from datasets.splits import stratified_split
from datasets.transforms import build_transform
from datasets.vocabulary import assign_labels, build_vocabularies, class_names_from_files
from utils.config_data import DatasetEntry
from utils.config_schema import AugmentationsParameters, HeadConfig, TrainParameters

GLOSS = {"gloss": {"gloss": HeadConfig(num_class=3)}}
HAMNOSYS = {"hamnosys": {"shape": HeadConfig(num_class=2), "place": HeadConfig(num_class=4)}}


def load_dataset_records(entry: DatasetEntry, heads_by_mode: dict[str, dict[str, HeadConfig]]) -> list:
    """All clips of one frames folder with class ids, as the data module labels them."""
    source = FramesSource(entry, heads_by_mode)
    records = source.records(BadSamples())
    heads = {h: cfg for mode_heads in heads_by_mode.values() for h, cfg in mode_heads.items()}
    vocabularies = build_vocabularies(records, heads, class_names_from_files(source.folders()))
    return assign_labels(records, vocabularies, heads, BadSamples())


def _clip(root: Path, name: str, frames: int, size: int = 8) -> None:
    (root / name).mkdir(parents=True)
    for index in range(frames):
        pixels = np.full((size, size, 3), 20 * index, dtype=np.uint8)
        Image.fromarray(pixels).save(root / name / f"{name}_{index}.jpg")


def _dataset(tmp_path: Path, gloss_lines: str, hamnosys_lines: str = "") -> DatasetEntry:
    root = tmp_path / "data"
    _clip(root, "a", 5)
    _clip(root, "b", 3)
    (root / "gloss.txt").write_text(gloss_lines, encoding="utf-8")
    if hamnosys_lines:
        (root / "hamnosys.txt").write_text(hamnosys_lines, encoding="utf-8")
    return DatasetEntry(path=str(root), annotation_files={"gloss": "gloss.txt", "hamnosys": "hamnosys.txt"})


def test_labels_merge_over_modes_and_missing_ones_are_minus_one(tmp_path):
    entry = _dataset(tmp_path, "a 0 4 2\n", "a 0 4 1 3\nb 0 2 0 1\n")
    records = {r.name: r for r in load_dataset_records(entry, GLOSS | HAMNOSYS)}
    assert records["a"].labels == {"gloss": 2, "shape": 1, "place": 3}
    assert records["b"].labels == {"gloss": -1, "shape": 0, "place": 1}


@pytest.mark.parametrize(
    "line, reason",
    [
        ("a 0 4\n", "expected name, start, end and 1 labels"),
        ("a 0 four 1\n", "must be integers"),
        ("a 4 0 1\n", "start_frame <= end_frame"),
        ("a 0 4 7\n", "label 7 of head gloss is outside 0..2"),
        ("zzz 0 4 1\n", "zzz: clip folder"),
    ],
)
def test_bad_annotation_line_names_file_and_line(tmp_path, line, reason):
    entry = _dataset(tmp_path, "b 0 2 1\n" + line)
    with pytest.raises(DataError, match=reason) as caught:
        load_dataset_records(entry, GLOSS)
    if "clip folder" not in reason:
        assert "gloss.txt:2" in str(caught.value)


def test_empty_annotation_file(tmp_path):
    with pytest.raises(DataError, match="no annotation lines"):
        load_dataset_records(_dataset(tmp_path, "\n"), GLOSS)


def test_no_annotation_file_for_any_mode(tmp_path):
    entry = _dataset(tmp_path, "a 0 4 1\n").model_copy(update={"annotation_files": {"gloss": "other.txt"}})
    with pytest.raises(DataError, match="none of the annotation files"):
        load_dataset_records(entry, GLOSS)


def test_missing_frame_is_named(tmp_path):
    entry = _dataset(tmp_path, "a 0 9 1\n")
    records = load_dataset_records(entry, GLOSS)
    dataset = ClipDataset(records, 10, build_transform(AugmentationsParameters(), train=False), train=False)
    with pytest.raises(DataError, match="a_5.jpg"):
        _ = dataset[0]


def test_corrupt_frame_is_named(tmp_path):
    entry = _dataset(tmp_path, "b 0 2 1\n")
    (Path(entry.path) / "b" / "b_1.jpg").write_bytes(b"not a jpeg")
    dataset = ClipDataset(load_dataset_records(entry, GLOSS), 4, lambda clip: clip, train=False)
    with pytest.raises(DataError, match="b_1.jpg: cannot decode"):
        _ = dataset[0]


def test_time_sampling_without_properties_names_the_file(tmp_path):
    entry = _dataset(tmp_path, "a 0 4 1\n")
    dataset = ClipDataset(load_dataset_records(entry, GLOSS), 4, lambda clip: clip, train=False, time=0.1)
    with pytest.raises(DataError, match="properties.json"):
        _ = dataset[0]


def test_sample_contract(tmp_path):
    entry = _dataset(tmp_path, "a 0 4 1\nb 0 2 2\n")
    augment = AugmentationsParameters(resize_size=6, center_crop_size=6, apply_color_jitter=True)
    dataset = ClipDataset(load_dataset_records(entry, GLOSS), 4, build_transform(augment, train=True), train=True)
    sample = dataset[0]
    assert sample["frames"].shape == (4, 3, 6, 6) and sample["frames"].dtype.is_floating_point
    assert sample["labels"] == {"gloss": 1}
    assert sample["meta"]["clip_id"] == "a"


def test_split_is_stratified_and_keeps_a_clip_folder_together(tiny_dataset):
    heads = {"gloss": HeadConfig(num_class=12), "letter": HeadConfig(num_class=6)}
    entry = DatasetEntry(path=str(tiny_dataset), annotation_files={"gloss": "gloss.txt", "letters": "letters.txt"})
    records = load_dataset_records(entry, {"gloss": {"gloss": heads["gloss"]}, "letters": {"letter": heads["letter"]}})
    train, val = stratified_split(records, 0.5, ["gloss", "letter"], seed=0)
    assert not set(train) & set(val) and len(train) + len(val) == len(records)
    val_glosses = {records[i].labels["gloss"] for i in val} - {-1}
    assert val_glosses == set(range(12))  # every gloss has one clip of its two in val
    assert stratified_split(records, 0.5, ["gloss", "letter"], seed=0) == (train, val)


def test_class_names_from_the_dataset_file(tiny_dataset):
    names = build_vocabularies(
        [], {"gloss": HeadConfig(num_class=12), "x": HeadConfig(num_class=2)}, class_names_from_files([tiny_dataset])
    )
    assert len(names["gloss"]) == 12 and names["gloss"][0] != "0"
    assert names["x"] == ["0", "1"]


def test_data_module_batches(tiny_dataset):
    entry = DatasetEntry(path=str(tiny_dataset), annotation_files={"gloss": "gloss.txt"})
    data = SignDataModule(
        [entry],
        {"gloss": {"gloss": HeadConfig(num_class=12)}},
        TrainParameters(batch_size=3, num_segments=5),
        AugmentationsParameters(resize_size=16, center_crop_size=16),
        ratio_train_test=0.5,
    )
    data.setup()
    batch = next(iter(data.train_dataloader()))
    assert batch["frames"].shape == (3, 5, 3, 16, 16)
    assert batch["mask"].shape == (3, 5)
    assert batch["labels"]["gloss"].shape == (3,)
