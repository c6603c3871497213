"""The offline data tools: videos -> frames, frames -> videos (make_synthetic --videos_dir), the split file."""

import json
from pathlib import Path

import yaml

from data_preprocessing import make_synthetic, split, videos_to_frames
from datasets.data_module import SignDataModule
from datasets.errors import BadSamples
from datasets.sources.frames import FramesSource
from datasets.sources.video import VideoSource
from tests.data_factories import write_video
from utils.config import load_config, read_yaml
from utils.config_data import DatasetEntry
from utils.config_schema import HeadConfig

GLOSS = {"gloss": {"gloss": HeadConfig(num_class=2)}}


def _videos(root: Path) -> Path:
    write_video(root / "hello" / "one.mp4", frames=12)
    write_video(root / "bye" / "two.mp4", frames=8)
    (root / "labels.csv").write_text(
        "path,start,end,signer,gloss\n"
        "hello/one.mp4,2,9,ann,HELLO\nbye/two.mp4,,,bob,BYE\nhello/one.mp4,0,3,bob,HELLO\n",
        encoding="utf-8",
    )
    return root


def test_videos_to_frames_writes_the_frames_layout_and_resumes(tmp_path, capsys):
    videos, out = _videos(tmp_path / "videos"), tmp_path / "frames"
    args = ["--input_dir", str(videos), "--output_dir", str(out), "--labels", str(videos / "labels.csv")]
    assert videos_to_frames.main(args + ["--workers", "2"]) == 0
    assert capsys.readouterr().out.strip().endswith("annotations.csv")
    properties = json.loads((out / "hello__one" / "properties.json").read_text(encoding="utf-8"))
    assert properties | {"source": None} == {
        "fps": 25.0, "width": 64, "height": 48, "num_frames": 8, "source": None,
        "source_start_frame": 2, "source_end_frame": 9,
    }  # fmt: skip
    assert len(list((out / "hello__one_1").glob("*.jpg"))) == 4  # the second segment of the same video
    entry = DatasetEntry(path=str(out), annotation_files={"gloss": "annotations.csv"})
    records = FramesSource(entry, GLOSS).records(BadSamples())
    assert [(r.name, r.end, r.signer, r.tokens["gloss"]) for r in records] == [
        ("hello__one", 7, "ann", "HELLO"), ("bye__two", 7, "bob", "BYE"), ("hello__one_1", 3, "bob", "HELLO")
    ]  # fmt: skip
    first_frame = out / "hello__one" / "hello__one_0.jpg"
    stamp = first_frame.stat().st_mtime_ns
    assert videos_to_frames.main(args) == 0  # a second run skips the finished clips
    assert first_frame.stat().st_mtime_ns == stamp


def test_videos_to_frames_names_a_broken_video_and_exits_2(tmp_path, capsys):
    videos = _videos(tmp_path / "videos")
    (videos / "bye" / "two.mp4").write_bytes(b"broken")
    args = ["--input_dir", str(videos), "--output_dir", str(tmp_path / "frames"), "--folder_label", "gloss"]
    assert videos_to_frames.main(args) == 2
    assert "bye/two.mp4: cannot decode video" in capsys.readouterr().err
    assert (tmp_path / "frames" / "hello__one" / "properties.json").is_file()  # the good one is done


def test_make_synthetic_writes_videos_the_video_source_reads(tmp_path):
    args = ["--output_dir", str(tmp_path / "frames"), "--videos_dir", str(tmp_path / "videos")]
    sizes = ["--clips_per_gloss", "1", "--letter_clips_per_letter", "0", "--image_size", "32"]
    assert make_synthetic.main(args + sizes) == 0
    entry = DatasetEntry(path=str(tmp_path / "videos"), format="video", annotation_files={"gloss": "annotations.csv"})
    records = VideoSource(entry, {"gloss": {"gloss": HeadConfig(num_class=12)}}).records(BadSamples())
    assert len(records) == 12 and records[0].tokens["gloss"].isupper()  # class names, e.g. HELLO


def test_split_file_tool_and_a_later_run_reusing_it(tmp_path, tiny_config_path, capsys):
    output = tmp_path / "splits" / "tiny.csv"
    assert split.main(["--model_config_path", str(tiny_config_path), "--output", str(output)]) == 0
    assert "train:" in capsys.readouterr().out and output.is_file()
    assert output.with_name("tiny_class_counts.csv").is_file()
    raw = read_yaml(tiny_config_path)
    raw["general_parameters"] |= {"split_file": str(output), "seed": 4321}  # another seed: the file still rules
    reused = tmp_path / "reused.yml"
    reused.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")  # head order matters
    data = SignDataModule.from_config(load_config(reused))
    data.setup()
    rows = output.read_text(encoding="utf-8").splitlines()[1:]
    assert sum(len(v) for v in data.splits.values()) == len(rows)
    val_clips = sorted(line.split(",")[2] for line in rows if line.startswith("val,"))
    assert sorted(data.records[i].name for i in data.splits["val"]) == val_clips


def test_split_tool_names_a_bad_config(tmp_path, capsys):
    assert split.main(["--model_config_path", str(tmp_path / "none.yml"), "--output", str(tmp_path / "s.csv")]) == 2
    assert "none.yml: no such config file" in capsys.readouterr().err
