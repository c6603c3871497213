"""A two-step training run through train.py: the run folder, checkpoints, summary and last lines."""

import json
from pathlib import Path

import torch
import yaml

import train
from training.checkpoints import load_classifier

SUMMARY_METRICS = {"accuracy", "f1_weighted", "f1_macro", "loss", "ece", "ece_calibrated"}


def _run(config_path: Path, capsys, *overrides: str) -> tuple[int, Path, list[str]]:
    args = ["--model_config_path", str(config_path)]
    for override in overrides:
        args += ["--set", override]
    status = train.main(args)
    captured = capsys.readouterr()
    assert status == 0, captured.err[-2000:]
    lines = captured.out.strip().splitlines()
    run_dir = Path(lines[-1].removeprefix("run_dir: "))
    return status, run_dir, lines


def test_two_step_run_leaves_a_complete_run_folder(tiny_config_path, capsys):
    status, run_dir, lines = _run(tiny_config_path, capsys)
    assert status == 0 and lines[-1].startswith("run_dir: ")
    for name in ("config.yml", "split.csv", "metrics.csv", "summary.json"):
        assert (run_dir / name).is_file(), name
    for name in ("checkpoints/best.ckpt", "checkpoints/last.ckpt"):
        assert (run_dir / name).is_file(), name
    summary = json.loads((run_dir / "summary.json").read_text())
    heads = yaml.safe_load((run_dir / "config.yml").read_text())["heads"]
    expected_heads = {h for mode in heads.values() for h in mode}
    assert set(summary["val"]) == expected_heads
    for figures in summary["val"].values():
        assert set(figures) == SUMMARY_METRICS
        assert 0 <= figures["accuracy"] <= 1
    assert summary["samples"]["train"] > 0 and summary["samples"]["val"] > 0
    assert summary["wall_time_seconds"] > 0
    assert any(line.startswith("val   gloss") for line in lines)
    assert (run_dir / "report" / "val_gloss_classification_report.txt").is_file()


def test_checkpoint_alone_is_enough_for_inference(tiny_config_path, capsys):
    _, run_dir, _ = _run(tiny_config_path, capsys)
    checkpoint = torch.load(run_dir / "checkpoints" / "best.ckpt", weights_only=False)
    assert "class_names" in checkpoint["hyper_parameters"]
    assert checkpoint["hyper_parameters"]["class_names"]["gloss"][0] != "0"  # real names from the dataset
    module = load_classifier(run_dir / "checkpoints" / "best.ckpt")
    frames, mask = torch.randn(2, 3, 3, 32, 32), torch.ones(2, 3, dtype=torch.bool)
    logits = module(frames, mask)
    assert logits["gloss"].shape == (2, 12)


def test_single_mode_run(tiny_config_path, capsys):
    status, run_dir, _ = _run(tiny_config_path, capsys, "train_parameters.classification_mode=gloss")
    assert status == 0
    assert set(json.loads((run_dir / "summary.json").read_text())["val"]) == {"gloss"}
