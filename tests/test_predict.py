"""inference/predict.py: every input type, the validation preprocessing, both runtimes, results files, errors."""

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from datasets.annotations import ClipRecord
from datasets.collate import collate_clips
from datasets.clip_dataset import ClipDataset
from datasets.transforms import build_transform
from inference import predict
from inference.predictor import load_module

SIGN_MNIST_TEST = Path(__file__).resolve().parents[2] / "shared" / "data" / "sign_mnist" / "sign_mnist_test.csv.gz"


def write_sign_mnist(path: Path, rows: int) -> Path:
    """A Sign MNIST-style CSV: `label,pixel1..pixelN` with random pixels."""
    generator = np.random.default_rng(0)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["label"] + [f"pixel{i}" for i in range(1, 785)])
        for row in range(rows):
            writer.writerow([row] + generator.integers(0, 256, 784).tolist())
    return path


def run(capsys, checkpoint: Path, source: Path, *extra: str) -> tuple[int, str, str]:
    """predict.py's exit status, stdout and stderr."""
    status = predict.main(["--checkpoint", str(checkpoint), "--input", str(source), *extra])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_json(capsys, tmp_path: Path, checkpoint: Path, source: Path, *extra: str) -> list[dict]:
    """The records predict.py writes with --output results.json (it must succeed)."""
    output = tmp_path / "results.json"
    status, _, err = run(capsys, checkpoint, source, "--output", str(output), *extra)
    assert status == 0, err
    return json.loads(output.read_text())


def assert_ranked(record: dict, checkpoint_names: dict[str, list[str]], top: int) -> None:
    """Every head, its `top` classes named as in the checkpoint, most probable first."""
    assert set(record["heads"]) == set(checkpoint_names)
    for head, ranked in record["heads"].items():
        assert len(ranked) == min(top, len(checkpoint_names[head]))
        assert all(entry["class"] in checkpoint_names[head] for entry in ranked)
        probabilities = [entry["probability"] for entry in ranked]
        assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1 + 1e-6


@pytest.fixture(name="class_names", scope="module")
def fixture_class_names(tiny_checkpoint) -> dict[str, list[str]]:
    """The class names saved in the tiny checkpoint."""
    return torch.load(tiny_checkpoint, weights_only=True)["hyper_parameters"]["class_names"]


def test_image_prints_each_heads_top_k_with_class_names(capsys, tiny_checkpoint, tiny_dataset, class_names):
    status, out, _ = run(
        capsys, tiny_checkpoint, tiny_dataset / "letter_a_0000" / "letter_a_0000_0.jpg", "--top_k", "2"
    )
    assert status == 0
    lines = out.strip().splitlines()
    assert lines[0].endswith("letter_a_0000_0.jpg") and len(lines) == 1 + len(class_names)
    gloss_line = next(line for line in lines if line.split()[0] == "gloss")
    assert len(gloss_line.split()) == 1 + 2 * 2 and gloss_line.split()[1] in class_names["gloss"]


def test_video_frame_folder_and_csv_rows(capsys, tmp_path, tiny_checkpoint, tiny_dataset, tiny_video, class_names):
    table = write_sign_mnist(tmp_path / "letters.csv", rows=5)
    for source, extra, names in [
        (tiny_video, (), [str(tiny_video)]),
        (tiny_dataset / "bye_0000", (), [str(tiny_dataset / "bye_0000")]),
        (table, ("--rows", "1:3"), [f"{table}:1", f"{table}:2"]),
    ]:
        records = run_json(capsys, tmp_path, tiny_checkpoint, source, *extra)
        assert [r["input"] for r in records] == names
        for record in records:
            assert_ranked(record, class_names, 5)
    assert [r["label"] for r in records] == [1, 2]  # the CSV's labels are kept


def test_folder_of_inputs_with_progress_and_csv_results(capsys, tmp_path, tiny_checkpoint, tiny_dataset, tiny_video):
    folder = tmp_path / "inputs"
    shutil.copytree(tiny_dataset / "bye_0000", folder / "bye_0000")  # a HearAI frame folder: one clip
    shutil.copy(tiny_dataset / "yes_0000" / "yes_0000_0.jpg", folder / "photo.jpg")
    shutil.copy(tiny_video, folder / "clip.mp4")
    write_sign_mnist(folder / "rows.csv", rows=2)
    (folder / "notes.txt").write_text("not an input")  # skipped inside a folder
    output = tmp_path / "results.csv"
    status, _, err = run(capsys, tiny_checkpoint, folder, "--top_k", "3", "--output", str(output), "--batch_size", "2")
    assert status == 0, err
    assert "5/5" in err  # the progress bar
    with output.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == predict.CSV_COLUMNS
    inputs = list(dict.fromkeys(row["input"] for row in rows))
    expected = [folder / "bye_0000", folder / "clip.mp4", folder / "photo.jpg"]
    assert inputs == [str(p) for p in expected] + [f"{folder / 'rows.csv'}:0", f"{folder / 'rows.csv'}:1"]
    assert {row["rank"] for row in rows} == {"1", "2", "3"}


def test_predictions_match_the_validation_pipeline(capsys, tmp_path, tiny_checkpoint, tiny_dataset):
    module = load_module(tiny_checkpoint)
    config = module.config
    clip = tiny_dataset / "bye_0000"
    record = ClipRecord(root=tiny_dataset, name="bye_0000", start=0, end=len(list(clip.glob("*.jpg"))) - 1)
    transform = build_transform(config.augmentations_parameters, train=False)
    dataset = ClipDataset([record], config.train_parameters.num_segments, transform, train=False)
    batch = collate_clips([dataset[0]], pad_to=config.train_parameters.num_segments)
    with torch.inference_mode():
        # predict.py shows calibrated probabilities: the logits divided by the head's temperature
        expected = (module(batch["frames"], batch["mask"])["gloss"] / module.temperatures["gloss"]).softmax(-1)[0]
    ranked = run_json(capsys, tmp_path, tiny_checkpoint, clip)[0]["heads"]["gloss"]
    names = module.class_names["gloss"]
    for entry in ranked:
        assert entry["probability"] == pytest.approx(float(expected[names.index(entry["class"])]), abs=1e-6)


@pytest.mark.skipif(not SIGN_MNIST_TEST.is_file(), reason=f"the real Sign MNIST test CSV is not at {SIGN_MNIST_TEST}")
def test_real_sign_mnist_rows(capsys, tmp_path, tiny_checkpoint):
    records = run_json(capsys, tmp_path, tiny_checkpoint, SIGN_MNIST_TEST, "--rows", "100:103")
    assert [r["input"] for r in records] == [f"{SIGN_MNIST_TEST}:{i}" for i in (100, 101, 102)]
    assert all(isinstance(r["label"], int) and 0 <= r["label"] <= 24 for r in records)


def test_missing_input_and_unsupported_type_exit_2_naming_them(capsys, tmp_path, tiny_checkpoint):
    missing = tmp_path / "nowhere.mp4"
    status, _, err = run(capsys, tiny_checkpoint, missing)
    assert status == 2 and str(missing) in err and "no such file" in err
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    status, _, err = run(capsys, tiny_checkpoint, notes)
    assert status == 2 and str(notes) in err and "unsupported input type" in err
    with pytest.raises(SystemExit) as exit_info:
        run(capsys, tiny_checkpoint, notes, "--output", str(tmp_path / "results.xlsx"))
    assert exit_info.value.code == 2 and "results.xlsx" in capsys.readouterr().err


def test_bad_csv_and_rows_exit_2_naming_the_problem(capsys, tmp_path, tiny_checkpoint):
    table = write_sign_mnist(tmp_path / "rows.csv", rows=3)
    status, _, err = run(capsys, tiny_checkpoint, table, "--rows", "2:1")
    assert status == 2 and "--rows" in err
    lines = table.read_text().splitlines()
    table.write_text("\n".join(lines[:2] + ["0," + ",".join(["300"] * 784)] + lines[3:]) + "\n")
    status, _, err = run(capsys, tiny_checkpoint, table)
    assert status == 2 and f"{table}:3: pixels must be 0-255" in err
    table.write_text("label,a,b\n1,2,3\n")
    status, _, err = run(capsys, tiny_checkpoint, table)
    assert status == 2 and str(table) in err and "pixel1" in err


def test_bad_checkpoints_exit_2_naming_the_file_and_key(capsys, tmp_path, tiny_checkpoint, tiny_dataset):
    image = tiny_dataset / "yes_0000" / "yes_0000_0.jpg"
    checkpoint = torch.load(tiny_checkpoint, weights_only=True)
    checkpoint["hyper_parameters"]["config"]["heads"]["gloss"]["gloss"]["loss_weight"] = -1
    stale = tmp_path / "stale.ckpt"
    torch.save(checkpoint, stale)
    status, _, err = run(capsys, stale, image)
    assert status == 2 and str(stale) in err and "heads.gloss.gloss.loss_weight" in err
    status, _, err = run(capsys, tmp_path / "missing.ckpt", image)
    assert status == 2 and "missing.ckpt: no such checkpoint" in err
    not_a_checkpoint = tmp_path / "notes.ckpt"
    not_a_checkpoint.write_text("hello")
    status, _, err = run(capsys, not_a_checkpoint, image)
    assert status == 2 and "notes.ckpt: not a checkpoint of train.py" in err
