"""`format: mp_data`: webcam + MediaPipe recordings `MP_Data/<label>/<sequence>/<frame>.npy`, read as they are."""

import zipfile
from pathlib import Path

import numpy as np
import pytest

from datasets.clip_dataset import ClipDataset, unreadable_clips
from datasets.errors import BadSamples, DataError
from datasets.landmark_files import PART_SIZES, joint_names, read_npz, save_landmarks_npz
from datasets.sources.mp_data import MpDataSource
from datasets.splits import assign_splits
from datasets.vocabulary import assign_labels, build_vocabularies
from tests.data_factories import MP_DATA_PARTS, mp_vector, write_mp_data, write_mp_sequence, zip_folder
from utils.config import ConfigError, read_yaml, validate_config
from utils.config_data import DatasetEntry
from utils.config_schema import HeadConfig

ROOT = Path(__file__).resolve().parents[1]
GLOSS = {"gloss": {"gloss": HeadConfig(num_class=2)}}
NAMED = {"gloss": {"gloss": HeadConfig(num_class=2, class_names=["hello", "thanks"])}}
ALL_PARTS = ["pose", "left_hand", "right_hand", "face"]
OFFSETS = {"pose": 0, "left_hand": 33, "right_hand": 54, "face": 75}  # in ALL_PARTS; default parts: the first 3


def _entry(path: Path, **keys) -> DatasetEntry:
    return DatasetEntry(path=str(path), format="mp_data", heads=["gloss"], **keys)


def _clips(entry: DatasetEntry, heads=None, bad=None) -> tuple[list, list[np.ndarray]]:
    """(records, every clip's landmarks `[T, J, 3]`, all frames read)."""
    records = MpDataSource(entry, heads or GLOSS).records(BadSamples() if bad is None else bad)
    dataset = ClipDataset(records, 64, lambda clip: clip, train=False)
    return records, [dataset[i]["landmarks"].numpy() for i in range(len(dataset))]


@pytest.mark.parametrize("length", [1662, 258, 126, 63])
def test_each_vector_layout_gives_the_canonical_parts(tmp_path, length):
    write_mp_data(tmp_path / "MP_Data", {"hello": 1, "thanks": 1}, frames=3, length=length)
    hand = "right_hand" if length == 63 else None
    records, clips = _clips(_entry(tmp_path / "MP_Data", landmark_parts=ALL_PARTS, mp_data_hand=hand))
    assert [r.tokens for r in records] == [{"gloss": "hello"}, {"gloss": "thanks"}]
    clip = clips[0]
    assert clip.shape == (3, 553, 3) and clip.dtype == np.float32
    given = {part for part, _, _ in MP_DATA_PARTS[length]} | ({"right_hand"} if hand else set())
    for part, offset in OFFSETS.items():
        block = clip[:, offset : offset + PART_SIZES[part]]
        if part not in given:
            assert np.isnan(block).all(), part
            continue
        detected = block[:, :468] if part == "face" else block
        assert not np.isnan(detected).any() and np.isnan(block[:, 468:]).all(), part  # face: 468 of 478 points
        assert np.allclose(detected[:, 0, 0], [0.01, 0.02, 0.03]) and np.allclose(detected[:, 1:], 0.5), part


def test_frames_are_ordered_by_number_and_sequences_differ_in_length(tmp_path):
    write_mp_sequence(tmp_path / "MP_Data" / "hello" / "0", frames=12)
    write_mp_sequence(tmp_path / "MP_Data" / "hello" / "10", frames=5)
    write_mp_sequence(tmp_path / "MP_Data" / "hello" / "9", frames=3)
    records, clips = _clips(_entry(tmp_path / "MP_Data"))
    assert [r.name for r in records] == ["hello/0", "hello/9", "hello/10"]  # sequences in number order too
    assert [len(c) for c in clips] == [12, 3, 5]
    assert np.allclose(clips[0][:, 0, 0], (np.arange(12) + 1) / 100)  # 10.npy and 11.npy after 9.npy


def test_all_zero_parts_are_not_detected(tmp_path):
    folder = write_mp_sequence(tmp_path / "MP_Data" / "hello" / "0", 5, zero={1: ("left_hand",), 3: ("pose",)})
    vector = mp_vector(258, 2)
    vector[132:135] = 0  # only the left wrist is 0: a detection
    np.save(folder / "2.npy", vector)
    _, (clip,) = _clips(_entry(tmp_path / "MP_Data"))
    left, pose = np.isnan(clip[:, 33:54]).all(axis=(1, 2)), np.isnan(clip[:, :33]).all(axis=(1, 2))
    assert left.tolist() == [False, True, False, False, False] and pose.tolist() == [False] * 3 + [True, False]
    assert not np.isnan(clip[:, 54:]).any() and np.allclose(clip[2, 33], 0)


def test_npz_parts_of_all_zeros_read_as_missing(tmp_path):
    layout = joint_names(["right_hand"]) + ["face.33", "face.263"]  # a face subset: the other points are absent
    landmarks = np.full((3, len(layout), 3), 0.5, dtype=np.float32)
    landmarks[1, :21] = 0
    landmarks[2, 21:] = 0
    landmarks[0, 0] = 0  # one joint at 0 is a detection
    save_landmarks_npz(tmp_path / "z.npz", landmarks, layout, fps=None, frame_size=(1, 1))
    read, _ = read_npz((tmp_path / "z.npz").read_bytes(), ["right_hand", "face"])
    hand, face = np.isnan(read[:, :21]).all(axis=(1, 2)), np.isnan(read[:, 21:]).all(axis=(1, 2))
    assert hand.tolist() == [False, True, False] and face.tolist() == [False, False, True]
    assert np.allclose(read[0, 0], 0)


@pytest.mark.parametrize(
    "aliases",
    [{"Thank You": "thanks", "thank-you": "thanks"}, {"gloss": {"Thank You": "thanks", "thank-you": "thanks"}}],
)
@pytest.mark.parametrize("heads", [GLOSS, NAMED])
def test_label_aliases_map_free_text_onto_one_class(tmp_path, aliases, heads):
    write_mp_data(tmp_path / "MP_Data", {"hello": 1, "thanks": 1, "Thank You": 1, "thank-you": 1}, frames=2)
    source = MpDataSource(_entry(tmp_path / "MP_Data", label_aliases=aliases), heads)
    records = source.records(BadSamples())
    vocabularies = build_vocabularies(records, heads["gloss"], {})
    assert vocabularies == {"gloss": ["hello", "thanks"]}
    labelled = assign_labels(records, vocabularies, heads["gloss"], BadSamples())
    assert sorted(r.labels["gloss"] for r in labelled) == [0, 1, 1, 1]


def test_a_label_that_is_no_class_nor_alias_names_its_folder(tmp_path):
    write_mp_data(tmp_path / "MP_Data", {"hello": 1, "thanks": 1, "bye": 2}, frames=2)
    with pytest.raises(DataError, match=r"MP_Data/bye/0: label folder 'bye' is neither a class name of head gloss"):
        _clips(_entry(tmp_path / "MP_Data"), NAMED)
    bad = BadSamples(skip=True)
    records, _ = _clips(_entry(tmp_path / "MP_Data"), NAMED, bad)
    assert [r.name for r in records] == ["hello/0", "thanks/0"] and len(bad) == 2


@pytest.mark.parametrize("hand", ["left_hand", "right_hand"])
def test_a_one_hand_vector_goes_in_the_named_slot(tmp_path, hand):
    write_mp_data(tmp_path / "MP_Data", {"hello": 1}, frames=2, length=63)
    _, (clip,) = _clips(_entry(tmp_path / "MP_Data", mp_data_hand=hand))
    slots = {"left_hand": clip[:, 33:54], "right_hand": clip[:, 54:]}
    assert not np.isnan(slots[hand]).any() and np.isnan(clip[:, :33]).all()
    assert np.isnan(slots["right_hand" if hand == "left_hand" else "left_hand"]).all()


def test_a_one_hand_vector_without_its_slot_names_the_file(tmp_path):
    write_mp_data(tmp_path / "MP_Data", {"hello": 1}, frames=2, length=63)
    with pytest.raises(DataError, match=r"hello/0/0\.npy: 63-vectors hold one hand; .*mp_data_hand"):
        _clips(_entry(tmp_path / "MP_Data"))


def test_an_unknown_vector_length_names_the_file_and_the_known_lengths(tmp_path):
    folder = write_mp_sequence(tmp_path / "MP_Data" / "hello" / "0", 6)
    np.save(folder / "4.npy", np.ones(100))
    with pytest.raises(DataError, match=r"hello/0/4\.npy: a vector of length 100; .*1662 .*258 .*126 .*63"):
        _clips(_entry(tmp_path / "MP_Data"))


def test_a_gap_or_an_unreadable_frame_is_a_named_bad_sample(tmp_path):
    root = write_mp_data(tmp_path / "MP_Data", {"hello": 3}, frames=4)
    (root / "hello" / "1" / "2.npy").unlink()
    (root / "hello" / "2" / "3.npy").write_bytes(b"not a numpy file")
    with pytest.raises(DataError, match=r"MP_Data/hello/1: frame\(s\) \[2\] missing"):
        _clips(_entry(root))
    bad = BadSamples(skip=True)
    records = MpDataSource(_entry(root), GLOSS).records(bad)
    assert [r.name for r in records] == ["hello/0", "hello/2"] and len(bad) == 1
    unreadable = unreadable_clips(records, workers=0)
    assert list(unreadable) == [1] and "MP_Data/hello/2/3.npy: cannot read the frame" in unreadable[1]


def test_a_zip_is_read_in_place_with_its_mp_data_root_inside(tmp_path):
    write_mp_data(tmp_path / "tree", {"hello": 2, "thanks": 1}, frames=3)
    _, expected = _clips(_entry(tmp_path / "tree"))
    archive = zip_folder(tmp_path / "tree", tmp_path / "rec.zip", inner="repo/MP_Data")
    for location in (f"{archive}/repo/MP_Data", str(archive)):  # the root inside, or found when it is the only one
        records, clips = _clips(_entry(Path(location)))
        assert len(clips) == 3 and all(np.array_equal(a, b, equal_nan=True) for a, b in zip(clips, expected))
    assert records[0].name == "repo/MP_Data/hello/0"
    with zipfile.ZipFile(archive, "a") as handle:
        handle.writestr("other/MP_Data/hello/0/0.npy", (tmp_path / "tree/hello/0/0.npy").read_bytes())
    with pytest.raises(DataError, match=r"rec.zip: .npy files lie under several MP_Data roots .*other/MP_Data.*repo"):
        _clips(_entry(archive))


def test_signer_from_the_annotation_csv_else_from_the_entry(tmp_path):
    root = write_mp_data(tmp_path / "MP_Data", {"hello": 3}, frames=2)
    (root / "signers.csv").write_text("path,signer,split\nhello/0,bob,\nhello/2/,,test\n", encoding="utf-8")
    entry = _entry(root, signer="alice", annotation_files={"gloss": "signers.csv"})
    records, _ = _clips(entry)
    assert [(r.name, r.signer, r.split) for r in records] == [
        ("hello/0", "bob", None),
        ("hello/1", "alice", None),
        ("hello/2", "alice", "test"),
    ]


def test_one_folder_per_signer_makes_a_signer_independent_split(tmp_path):
    records = []
    for signer in ("alice", "bob", "carol", "dan"):
        root = write_mp_data(tmp_path / signer / "MP_Data", {"hello": 3, "thanks": 3}, frames=2)
        records += MpDataSource(_entry(root, signer=signer), GLOSS).records(BadSamples())
    records = assign_labels(records, build_vocabularies(records, GLOSS["gloss"], {}), GLOSS["gloss"], BadSamples())
    splits = assign_splits(records, (0.75, 0.0), ["gloss"], seed=0, by_signer=True)
    signers = {name: {records[i].signer for i in indexes} for name, indexes in splits.items()}
    assert len(signers["val"]) == 1 and len(signers["train"]) == 3 and not signers["val"] & signers["train"]
    alone = [r for r in records if r.signer == "alice"]
    with pytest.raises(DataError, match="needs 2 or more signers, found 1"):
        assign_splits(alone, (0.75, 0.0), ["gloss"], seed=0, by_signer=True)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"format": "landmarks", "mp_data_hand": "left_hand"}, r"\.mp_data_hand: only format mp_data takes it"),
        ({"mp_data_hand": "middle"}, r"\.mp_data_hand: Input should be 'left_hand' or 'right_hand'"),
        ({"label_aliases": {"Thank You": ""}}, r"\.label_aliases: labels and class names must not be empty"),
        ({"label_aliases": {"gloss": {" ": "thanks"}}}, r"\.label_aliases: labels and class names must not be empty"),
        ({"signer": ""}, r"\.signer: String should have at least 1 character"),
        ({"time_unit": "seconds"}, r"\.time_unit: MP_Data recordings have no frame rate"),
    ],
)
def test_config_errors_name_the_key(keys, message):
    raw = read_yaml(ROOT / "train_config.yml")
    entry = {"path": "x", "format": "mp_data", "heads": ["gloss"]} | keys
    raw["general_parameters"] |= {"data_path": None, "data_paths": [entry]}
    with pytest.raises(ConfigError, match=message):
        validate_config(raw, "c.yml")


def test_an_mp_data_entry_gives_landmarks():
    entry = DatasetEntry(path="x", format="mp_data", signer="alice", label_aliases={"hi": "hello"})
    assert entry.inputs() == ("landmarks",)
