"""One train.py run over two datasets of different formats and heads, with a test split and bad samples skipped."""

import csv
import json
from pathlib import Path

import yaml

import train
from tests.conftest import write_tiny_config
from tests.data_factories import write_sign_mnist, write_video
from utils.config import read_yaml

BAD_ROW = "9," + ",".join(["0"] * 784)  # label 9 (J) is not a Sign MNIST class


def _data(root: Path) -> tuple[Path, Path, Path]:
    train_csv = write_sign_mnist(root / "mnist" / "train.csv.gz", [0, 1, 2] * 4)
    test_csv = write_sign_mnist(root / "mnist" / "test.csv", [0, 1, 2] * 2, extra=(BAD_ROW,))
    lines = ["path,start,end,gloss"]
    for i in range(8):
        write_video(root / "videos" / f"v{i}.mp4", frames=10)
        lines.append(f"v{i}.mp4,0,9,{'HELLO' if i % 2 else 'BYE'}")
    lines.append("gone.mp4,0,9,HELLO")  # a missing video
    (root / "videos" / "labels.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return train_csv, test_csv, root / "videos"


def _config(tmp_path: Path, tiny_dataset: Path) -> Path:
    train_csv, test_csv, videos = _data(tmp_path / "data")
    raw = read_yaml(write_tiny_config(tmp_path, tiny_dataset))
    raw["general_parameters"] |= {
        "data_path": None,
        "data_paths": [
            {"path": str(train_csv), "format": "sign_mnist_csv", "heads": ["letter"], "test_path": str(test_csv)},
            {"path": str(videos), "format": "video", "annotation_files": {"gloss": "labels.csv"}},
        ],
        "ratio_train_test": 0.5,
        "ratio_test": 0.25,
        "skip_bad_samples": True,
        "balance_datasets": True,
    }
    raw["train_parameters"] |= {"classification_mode": ["letters", "gloss"]}
    raw["heads"] = {"letters": {"letter": {"num_class": 3}}, "gloss": {"gloss": {"num_class": 2}}}
    path = tmp_path / "mixed.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_mixed_letters_and_gloss_run_with_test_split_and_skipped_samples(tmp_path, tiny_dataset, capsys):
    assert train.main(["--model_config_path", str(_config(tmp_path, tiny_dataset))]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    run_dir = Path(lines[-1].removeprefix("run_dir: "))
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["test"]) == {"letter", "gloss"}  # Sign MNIST's test CSV and the videos' test share
    assert all(0 <= figures["accuracy"] <= 1 for figures in summary["test"].values())
    assert summary["samples"]["test"] == 6 + 2 and summary["skipped_samples"] == 2
    assert any(line.startswith("test  letter") for line in lines)
    skipped = (run_dir / "skipped_samples.csv").read_text(encoding="utf-8")
    assert "test.csv:8: label 9" in skipped and "gone.mp4" in skipped
    names = json.loads((run_dir / "class_names.json").read_text(encoding="utf-8"))
    assert names == {"letter": ["A", "B", "C"], "gloss": ["BYE", "HELLO"]}
    with (run_dir / "class_counts.csv").open(encoding="utf-8") as handle:
        counts = {(r["split"], r["head"], r["class"]): int(r["count"]) for r in csv.DictReader(handle)}
    assert counts[("test", "letter", "A")] == 2 and counts[("train", "gloss", "BYE")] >= 1
    split_rows = (run_dir / "split.csv").read_text(encoding="utf-8")
    assert "train.csv.gz" in split_rows and "v3.mp4" in split_rows
