"""Landmark files: .npz (our format), Google ISLR parquet and pose-format .pose, from a folder or a .tar."""

import tarfile
from pathlib import Path

import numpy as np
import pytest

from datasets.clip_dataset import ClipDataset
from datasets.collate import collate_clips
from datasets.errors import BadSamples, DataError
from datasets.landmark_files import read_npz, save_landmarks_npz
from datasets.sources.landmarks import LandmarksSource
from tests.data_factories import write_islr_parquet, write_npz, write_pose
from utils.config_data import DatasetEntry
from utils.config_schema import HeadConfig

LETTERS = {"letters": {"letter": HeadConfig(num_class=3)}}


def _files(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    write_npz(root / "a.npz")
    write_islr_parquet(root / "b.parquet")
    write_pose(root / "c.pose")
    (root / "labels.csv").write_text("path,letter\na.npz,A\nb.parquet,B\nc.pose,C\n", encoding="utf-8")
    return root


def _samples(location: str, annotations: str = "labels.csv", num_segments: int = 8):
    entry = DatasetEntry(path=location, format="landmarks", annotation_files={"letters": annotations})
    records = LandmarksSource(entry, LETTERS).records(BadSamples())
    dataset = ClipDataset(records, num_segments, lambda clip: clip, train=False)
    return [dataset[i] for i in range(len(dataset))]


def test_three_formats_give_the_same_canonical_layout(tmp_path):
    # default parts: pose 33, left_hand 21, right_hand 21 = 75 joints
    npz, parquet, pose = _samples(str(_files(tmp_path / "data")))
    for sample in (npz, parquet, pose):
        assert sample["landmarks"].shape[1:] == (75, 3) and "frames" not in sample
    assert npz["landmarks"].shape[0] == 6 and parquet["landmarks"].shape[0] == 3 and pose["landmarks"].shape[0] == 5
    assert np.allclose(npz["landmarks"][:, 33 + 21, 0], np.arange(6) / 10)  # right wrist, placed by name
    assert np.isnan(npz["landmarks"][:, 33:54]).all()  # the file has no left hand: NaN, not zeros
    assert np.isnan(parquet["landmarks"][:, 33:54]).all() and not np.isnan(parquet["landmarks"][:, 54:]).any()
    assert np.allclose(pose["landmarks"][0, 54], [0.25, 0.5, 0.25])  # pixels / (width 200, height 100, width)
    assert np.isnan(pose["landmarks"][2, 54:]).all()  # confidence 0: not detected
    batch = collate_clips([npz, parquet, pose], pad_to=8)
    assert batch["landmarks"].shape == (3, 8, 75, 3) and batch["mask"].sum(1).tolist() == [6, 3, 5]


def test_landmark_files_read_straight_from_a_tar(tmp_path):
    root = _files(tmp_path / "data")
    with tarfile.open(tmp_path / "files.tar", "w") as archive:
        for name in ("a.npz", "b.parquet", "c.pose"):
            archive.add(root / name, arcname=f"clips/{name}")
    (tmp_path / "tar_labels.csv").write_text("file,sign\nclips/b.parquet,B\n", encoding="utf-8")
    entry = DatasetEntry(
        path=str(tmp_path / "files.tar"),
        format="landmarks",
        annotation_files={"letters": "tar_labels.csv"},  # beside the archive
        columns={"path": "file", "letter": "sign"},
    )
    records = LandmarksSource(entry, LETTERS).records(BadSamples())
    assert records[0].tokens == {"letter": "B"}
    assert ClipDataset(records, 4, lambda c: c, train=False)[0]["landmarks"].shape == (3, 75, 3)


def test_npz_layout_keeps_a_face_subset_at_its_mediapipe_indexes(tmp_path):
    save_landmarks_npz(tmp_path / "f.npz", np.ones((2, 2, 3)), ["face.33", "face.263"], fps=None, frame_size=(1, 1))
    landmarks, fps = read_npz((tmp_path / "f.npz").read_bytes(), ["face"])
    assert fps is None and landmarks.shape == (2, 478, 3)
    assert not np.isnan(landmarks[:, [33, 263]]).any() and np.isnan(landmarks[:, 0]).all()


def test_all_nan_landmarks_are_an_error_naming_the_file(tmp_path):
    root = _files(tmp_path / "data")
    write_npz(root / "a.npz", nan=True)
    with pytest.raises(DataError, match=r"a.npz: every landmark of .* is NaN"):
        _samples(str(root))


def test_corrupt_landmark_file_is_named(tmp_path):
    root = _files(tmp_path / "data")
    (root / "b.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match=r"b.parquet: cannot read landmarks"):
        _samples(str(root))


@pytest.mark.parametrize(
    "line, message",
    [("d.npz,A", r"labels.csv:5: landmark file .*d.npz does not exist"), ("x.txt,A", r"labels.csv:5: x.txt: landmark")],
)
def test_missing_or_unknown_landmark_file_names_the_line(tmp_path, line, message):
    root = _files(tmp_path / "data")
    with (root / "labels.csv").open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    with pytest.raises(DataError, match=message):
        _samples(str(root))
