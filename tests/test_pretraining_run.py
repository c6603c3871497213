"""`train_parameters.pre_training: true` end to end through train.py: mixed unlabelled data with a clip where nothing
was detected, the run folder, resume, and fine-tuning from it (`feature_extractor.init_from`) with other heads."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import torch
import yaml

import train
from tests.data_factories import write_mp_data, write_npz
from tests.signer_factories import write_signers_corpus
from training.pretraining import SignPreTrainer
from utils.config import validate_config

SIGNERS = {f"s{i}": ["hello", "thanks", "yes"] for i in range(5)}


def mixed_data(folder: Path) -> list[dict]:
    """Three datasets of two formats: a signers corpus (.npz in a zip, labels ignored), MP_Data recordings and a
    folder of .npz clips, one of them with nothing detected."""
    corpus = write_signers_corpus(folder / "corpus", SIGNERS, clips=2, frames=8)
    write_mp_data(folder / "MP_Data", {"hello": 2, "thanks": 2}, frames=8)
    loose = folder / "loose"
    loose.mkdir()
    for number in range(3):
        write_npz(loose / f"clip{number}.npz", frames=7, nan=number == 2)
    (loose / "clips.csv").write_text("path,signer\n" + "".join(f"clip{n}.npz,s9\n" for n in range(3)), "utf-8")
    return [
        {"path": str(corpus), "format": "landmarks", "annotation_files": {"gloss": "index.csv.gz"}}
        | {"columns": {"gloss": None}},
        {"path": str(folder / "MP_Data"), "format": "mp_data", "heads": ["gloss"], "signer": "mp"},
        {"path": str(loose), "format": "landmarks", "annotation_files": {"gloss": "clips.csv"}},
    ]


def pretraining_config(tmp_path: Path, data_paths: list[dict]) -> dict:
    """A small landmark model, pre-trained for 3 epochs."""
    return {
        "general_parameters": {"data_paths": data_paths, "runs_dir": str(tmp_path / "runs"), "ratio_train_test": 0.7},
        "train_parameters": {
            "classification_mode": "gloss",
            "pre_training": True,
            "epochs": 3,
            "batch_size": 4,
            "lr": 0.003,
            "num_segments": 8,
        },
        "feature_extractor": {
            "use_frames": False,
            "use_landmarks": True,
            "representation_size": 16,
            "landmarks": {"channels": [8, 8], "temporal_kernel": 3},
        },
        "transformer": {"feedforward_size": 32, "num_encoder_layers": 1, "output_size": 16},
        "heads": {"gloss": {"gloss": {"num_class": 2}}},
        "pre_training": {"decoder_size": 32},
        "logging": {"figures": True},
    }


def run_train(tmp_path: Path, config: dict, name: str, *extra: str) -> int:
    """train.main on `config` written to `<name>.yml`; the exit status."""
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return train.main(["--model_config_path", str(path), *extra])


def last_run_dir(capsys) -> Path:
    """The folder named by the last `run_dir:` line printed."""
    return Path(capsys.readouterr().out.strip().splitlines()[-1].removeprefix("run_dir: "))


def test_pretraining_run_and_resume(tmp_path, capsys) -> None:
    config = pretraining_config(tmp_path, mixed_data(tmp_path / "data"))
    assert run_train(tmp_path, config, "pretrain") == 0
    run_dir = last_run_dir(capsys)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["pre_training"]["objective"] == "masked_landmarks"
    assert summary["total_loss"]["val"] > 0 and summary["skipped_samples"] == 1  # the clip with nothing detected
    with (run_dir / "skipped_samples.csv").open(encoding="utf-8") as handle:
        assert "nothing detected" in next(csv.DictReader(handle))["problem"]
    metrics = pd.read_csv(run_dir / "metrics.csv")
    losses = metrics["train/loss_epoch"].dropna().tolist()
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert {"val/loss", "train/hidden_share", "train/clips_without_landmarks"} <= set(metrics.columns)
    for name in ("index.html", "curves_loss.png", "reconstruction.png"):
        assert (run_dir / "report" / name).is_file(), name
    assert (run_dir / "checkpoints" / "best.ckpt").is_file()

    # Resumed like any run: the same folder, one more epoch, metrics.csv spanning both parts.
    config["train_parameters"]["epochs"] = 4
    assert run_train(tmp_path, config, "pretrain", "--resume", str(run_dir / "checkpoints" / "last.ckpt")) == 0
    assert last_run_dir(capsys) == run_dir
    assert len(pd.read_csv(run_dir / "metrics.csv")["train/loss_epoch"].dropna()) == 4


def test_fine_tuning_starts_from_the_pretrained_parts(tmp_path, capsys) -> None:
    data_paths = mixed_data(tmp_path / "data")[:1]
    pretrained = SignPreTrainer(validate_config(pretraining_config(tmp_path, data_paths), "test"))
    (tmp_path / "pre" / "checkpoints").mkdir(parents=True)
    torch.save({"state_dict": pretrained.state_dict()}, tmp_path / "pre" / "checkpoints" / "best.ckpt")
    # Labelled corpus, other heads; the extractor frozen throughout, so it must end as it was pre-trained.
    tune = pretraining_config(tmp_path, data_paths)
    tune["general_parameters"]["data_paths"][0].pop("columns")
    tune["train_parameters"] |= {"pre_training": False, "epochs": 2}
    tune["heads"] = {"gloss": {"gloss": {"num_class": 3}}}
    tune["feature_extractor"]["init_from"] = str(tmp_path / "pre")
    tune["freeze_scheduler"] = {"model_params": {"feature_extractor": [True]}, "freeze_pattern_repeats": [2]}
    assert run_train(tmp_path, tune, "tune") == 0
    tuned = torch.load(last_run_dir(capsys) / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    for key, value in pretrained.state_dict().items():
        if key.startswith("model.feature_extractor."):
            assert torch.equal(tuned[key], value), key
    key = "model.transformer.input_projection.weight"
    assert not torch.equal(tuned[key], pretrained.state_dict()[key])  # loaded, then trained

    # A model of another width cannot start from it: a config error naming both shapes, exit status 2.
    tune["feature_extractor"]["representation_size"] = 24
    assert run_train(tmp_path, tune, "tune_wrong") == 2
    error = capsys.readouterr().err
    assert "feature_extractor.init_from:" in error and "[16, " in error and "[24, " in error


def test_frame_model_pretrains_with_masked_frames(tiny_config_path, capsys) -> None:
    """The shipped frame model (CNN + transformer) on the tiny synthetic videos: objective auto = masked_frames."""
    args = ["--model_config_path", str(tiny_config_path), "--set", "train_parameters.pre_training=true"]
    assert (
        train.main([*args, "--set", "pre_training.frame_mask_ratio=0.5", "--set", "pre_training.frame_mask_span=1"])
        == 0
    )
    summary = json.loads((last_run_dir(capsys) / "summary.json").read_text())
    assert summary["pre_training"]["objective"] == "masked_frames"
    assert summary["total_loss"]["val"] > 0
