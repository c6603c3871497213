"""`data_preprocessing/pack_mp_data.py`: MP_Data trees -> landmark `.npz` files + annotations that the `landmarks`
source reads exactly as the `mp_data` source reads the tree; resumable; checked on the published raw recordings."""

import csv
import gzip
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from data_preprocessing import pack_mp_data
from datasets.clip_dataset import ClipDataset
from datasets.errors import BadSamples
from datasets.sources.landmarks import LandmarksSource
from datasets.sources.mp_data import MpDataSource
from tests.data_factories import write_mp_data, write_mp_sequence, zip_folder
from utils.config_data import DatasetEntry
from utils.config_schema import HeadConfig

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "mediapipe_signers"
PARTS = ["pose", "left_hand", "right_hand", "face"]


def _read_all(source) -> dict[tuple[str, str], np.ndarray]:
    """{(signer, `<label>/<sequence>`): landmarks `[T, J, 3]`} of every clip of a source, every frame read."""
    records = source.records(BadSamples())
    dataset = ClipDataset(records, 1000, lambda clip: clip, train=False)
    clips = {}
    for index, record in enumerate(records):
        label, sequence = record.tokens["gloss"], Path(record.name).with_suffix("").name
        clips[(record.signer, f"{label}/{sequence}")] = dataset[index]["landmarks"].numpy()
    return clips


def _sources(raw: dict[str, str], packed: Path, classes: int) -> tuple[list, LandmarksSource]:
    """mp_data sources of the raw trees (signer -> location) and the landmarks source of their packed copy."""
    heads = {"gloss": {"gloss": HeadConfig(num_class=classes)}}
    raws = [
        MpDataSource(DatasetEntry(path=p, format="mp_data", heads=["gloss"], signer=s, landmark_parts=PARTS), heads)
        for s, p in raw.items()
    ]
    entry = DatasetEntry(
        path=str(packed), format="landmarks", annotation_files={"gloss": "annotations.csv"}, landmark_parts=PARTS
    )
    return raws, LandmarksSource(entry, heads)


def _agree(raws: list, packed: LandmarksSource) -> int:
    expected = {key: clip for source in raws for key, clip in _read_all(source).items()}
    got = _read_all(packed)
    assert sorted(got) == sorted(expected)
    for key, clip in expected.items():
        assert np.array_equal(got[key], clip, equal_nan=True), key
    return len(got)


def test_packed_files_read_as_the_raw_tree_and_a_second_run_resumes(tmp_path, capsys):
    write_mp_data(tmp_path / "a" / "MP_Data", {"hello": 2, "Thank You": 1}, frames=12, length=1662)
    write_mp_sequence(tmp_path / "a" / "MP_Data" / "hello" / "2", 4, zero={1: ("left_hand", "right_hand")})
    write_mp_data(tmp_path / "b", {"hello": 1, "Thank You": 1}, frames=3, length=126)
    archive = zip_folder(tmp_path / "b", tmp_path / "b.zip", inner="repo/MP_Data")
    out = tmp_path / "packed"
    for location, signer in ((tmp_path / "a" / "MP_Data", "alice"), (f"{archive}/repo/MP_Data", "bob")):
        assert pack_mp_data.main([str(location), "--output_dir", str(out), "--signer", signer]) == 0
    raws, packed = _sources({"alice": str(tmp_path / "a" / "MP_Data"), "bob": f"{archive}/repo/MP_Data"}, out, 2)
    assert _agree(raws, packed) == 6
    with (out / "annotations.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0] == {"path": "alice/Thank You/0.npz", "gloss": "Thank You", "signer": "alice"} and len(rows) == 6
    before = (out / "alice" / "hello" / "0.npz").stat().st_mtime_ns
    capsys.readouterr()
    assert pack_mp_data.main([str(tmp_path / "a" / "MP_Data"), "--output_dir", str(out), "--signer", "alice"]) == 0
    printed = capsys.readouterr().out
    assert "packed 0 sequences" in printed and "skipped 4 already packed" in printed
    assert (out / "alice" / "hello" / "0.npz").stat().st_mtime_ns == before
    assert not list(out.rglob(".*partial*")) and len(list(out.rglob("*.npz"))) == 6


def test_bad_sequences_are_named_and_the_others_packed(tmp_path, capsys):
    root = write_mp_data(tmp_path / "MP_Data", {"hello": 3}, frames=4)
    (root / "hello" / "1" / "2.npy").unlink()
    np.save(root / "hello" / "2" / "0.npy", np.ones(7))
    assert pack_mp_data.main([str(root), "--output_dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "MP_Data/hello/1: frame(s) [2] missing" in err and "hello/2/0.npy: a vector of length 7" in err
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.npz")) == ["0.npz"]


def test_parts_keeps_only_the_parts_named(tmp_path, capsys):
    write_mp_data(tmp_path / "MP_Data", {"hello": 1}, frames=2, length=1662)
    assert pack_mp_data.main([str(tmp_path / "MP_Data"), "--output_dir", str(tmp_path / "o"), "--parts", "pose"]) == 0
    with np.load(tmp_path / "o" / "hello" / "0.npz") as packed:
        assert packed["landmarks"].shape == (2, 33, 4) and list(packed["layout"]) == [f"pose.{i}" for i in range(33)]
    write_mp_data(tmp_path / "hands", {"hello": 1}, frames=2, length=126)
    assert pack_mp_data.main([str(tmp_path / "hands"), "--output_dir", str(tmp_path / "h"), "--parts", "face"]) == 2
    assert "hands/hello/0: its 126-vectors hold none of ['face']" in capsys.readouterr().err


def test_runs_as_a_script(tmp_path):
    root = write_mp_data(tmp_path / "MP_Data", {"hello": 1}, frames=2, length=63)
    result = subprocess.run(
        [sys.executable, "data_preprocessing/pack_mp_data.py", str(root), "--output_dir", str(tmp_path / "o")]
        + ["--hand", "left_hand"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "hello" / "0.npz").is_file()


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"the shared data ({SHARED}) is not on this machine")
def test_published_raw_recordings_agree_with_their_packed_copy(tmp_path):
    raw_zip = SHARED / "mp_data_raw_samples.zip"
    trees = {"dmohazab": "dmohazab_FYDPASL/MP_Data", "Rishi-11-2": "Rishi-11-2_Sign_Language_Detection/MP_Data"}
    out = tmp_path / "packed"
    for signer, inner in trees.items():
        assert pack_mp_data.main([f"{raw_zip}/{inner}", "--output_dir", str(out), "--signer", signer]) == 0
    raws, packed = _sources({s: f"{raw_zip}/{inner}" for s, inner in trees.items()}, out, 4)
    assert _agree(raws, packed) == 150  # 4 labels x 30 sequences of 258-vectors, 30 of 1662-vectors
    # The corpus's own packed copy (mediapipe_signers.zip, face points dropped) has the same values.
    with gzip.open(SHARED / "index.csv.gz", "rt", encoding="utf-8") as handle:
        index = [
            r for r in csv.DictReader(handle) if r["signer"] in trees and (out / r["signer"] / r["label"]).is_dir()
        ]
    assert len(index) == 100  # at most 20 sequences per signer and label were kept there
    with zipfile.ZipFile(SHARED / "mediapipe_signers.zip") as corpus:
        for row in index[::10]:
            with np.load(out / row["signer"] / row["label"] / Path(row["path"]).name) as ours:
                layout, landmarks = list(ours["layout"]), ours["landmarks"]
            with np.load(io.BytesIO(corpus.read(row["path"]))) as theirs:
                joints = [layout.index(name) for name in theirs["layout"]]
                assert np.array_equal(landmarks[:, joints], theirs["landmarks"], equal_nan=True), row["path"]
