"""Video files: decord reads only the sampled frames, OpenCV is the fallback, start/end in frames or seconds."""

from pathlib import Path

import pytest

from datasets.clip_dataset import ClipDataset
from datasets.data_module import SignDataModule
from datasets.errors import BadSamples, DataError
from datasets.sources import video
from datasets.sources.video import VideoSource, read_video_decord, read_video_opencv
from tests.data_factories import write_video
from utils.config_data import DatasetEntry
from utils.config_schema import AugmentationsParameters, HeadConfig, TrainParameters

GLOSS = {"gloss": {"gloss": HeadConfig(num_class=2)}}


def _dataset(tmp_path: Path, csv_text: str, unit: str = "frames") -> DatasetEntry:
    write_video(tmp_path / "videos" / "hello.mp4", frames=30)
    write_video(tmp_path / "videos" / "sub" / "bye.mp4", frames=20)
    (tmp_path / "videos" / "labels.csv").write_text(csv_text, encoding="utf-8")
    return DatasetEntry(
        path=str(tmp_path / "videos"), format="video", annotation_files={"gloss": "labels.csv"}, time_unit=unit
    )


def _brightness(clip) -> list[int]:
    """Frame i of a generated video has brightness 8 * i: read the frame indexes back (codec error < 4)."""
    return [round(float(frame.float().mean()) / 8) for frame in clip]


def _read(entry: DatasetEntry, num_segments: int = 4):
    records = VideoSource(entry, GLOSS).records(BadSamples())
    dataset = ClipDataset(records, num_segments, lambda clip: clip, train=False)
    return records, [dataset[i]["frames"] for i in range(len(records))]


def test_csv_labels_by_name_and_frame_ranges(tmp_path):
    entry = _dataset(tmp_path, "path,start,end,gloss\nhello.mp4,10,17,HELLO\nsub/bye.mp4,,,BYE\n")
    records, clips = _read(entry)
    assert [r.tokens for r in records] == [{"gloss": "HELLO"}, {"gloss": "BYE"}]
    assert _brightness(clips[0]) == [11, 13, 15, 17]  # 4 TSN segment centres of frames 10-17
    assert _brightness(clips[1]) == [2, 7, 12, 17]  # no start/end: the whole 20-frame video
    assert clips[0].shape == (4, 3, 48, 64)


def test_start_and_end_in_seconds(tmp_path):
    entry = _dataset(tmp_path, "path,start,end,gloss\nhello.mp4,0.4,0.68,HELLO\n", unit="seconds")
    _, clips = _read(entry, num_segments=8)
    assert _brightness(clips[0]) == list(range(10, 18))  # 25 fps: 0.4 s = frame 10, 0.68 s = frame 17


def test_decord_and_opencv_read_the_same_frames(tmp_path):
    path = write_video(tmp_path / "v.mp4", frames=30)
    assert _brightness(read_video_decord(path, lambda n, fps: [0, 14, 29])) == [0, 14, 29]
    assert _brightness(read_video_opencv(path, lambda n, fps: [0, 14, 29])) == [0, 14, 29]


def test_opencv_is_the_fallback_when_decord_fails(tmp_path, monkeypatch):
    def broken(path, choose):
        raise RuntimeError("decord cannot read this")

    monkeypatch.setattr(video, "read_video_decord", broken)
    entry = _dataset(tmp_path, "path,start,end,gloss\nhello.mp4,10,17,HELLO\n")
    _, clips = _read(entry)
    assert _brightness(clips[0]) == [11, 13, 15, 17]


def test_corrupt_video_is_named(tmp_path):
    entry = _dataset(tmp_path, "path,start,end,gloss\nhello.mp4,0,5,HELLO\n")
    (tmp_path / "videos" / "hello.mp4").write_bytes(b"\x00\x00\x00 ftypisom broken" * 20)
    with pytest.raises(DataError, match=r"hello.mp4: cannot decode video"):
        _read(entry)


@pytest.mark.parametrize(
    "line, message",
    [
        ("missing.mp4,0,5,HELLO", r"labels.csv:3: video .*missing.mp4 does not exist"),
        ("hello.mp4,0,5", r"labels.csv:3: expected 4 columns"),
        (",,,", r"labels.csv:3: empty annotation line"),
        ("hello.mp4,5,2,HELLO", r"labels.csv:3: need 0 <= start_frame <= end_frame"),
        ("hello.mp4,0,40,HELLO", r"labels.csv:3: end frame 40 is past the last frame 29"),
    ],
)
def test_bad_annotation_or_missing_video_names_file_and_line(tmp_path, line, message):
    entry = _dataset(tmp_path, f"path,start,end,gloss\nsub/bye.mp4,0,5,BYE\n{line}\n")
    with pytest.raises(DataError, match=message):
        _read(entry)


def test_skip_bad_samples_skips_and_counts(tmp_path):
    text = "path,start,end,gloss\nhello.mp4,0,29,HELLO\nsub/bye.mp4,0,19,BYE\ngone.mp4,0,5,BYE\nhello.mp4,0,99,HELLO\n"
    entry = _dataset(tmp_path, text)
    params, augment = TrainParameters(batch_size=2, num_segments=4), AugmentationsParameters(resize_size=8)
    data = SignDataModule([entry], GLOSS, params, augment, 0.5, skip_bad_samples=True)
    data.setup()
    assert len(data.records) == 2 and len(data.bad) == 2
    assert any("gone.mp4" in p for p in data.bad.problems) and any("end frame 99" in p for p in data.bad.problems)
