"""What a training run must do, not just finish: learn, follow the learning-rate schedule, honour a freeze, copy
the best weights to `path_to_save`. Landmark clips whose class sets the right hand's height, a small MLP: seconds."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch
import yaml

import train
from tests.test_landmarks_training import LETTERS, write_dataset
from training import run
from training.lightning_module import SignClassifier, lr_factor

LR, WARMUP, DECAY = 0.01, 4, 0.9


def _config(tmp_path: Path, data: Path, **sections: dict) -> Path:
    config = {
        "general_parameters": {
            "data_paths": [{"path": str(data), "format": "landmarks", "annotation_files": {"letters": "letters.csv"}}],
            "ratio_train_test": 0.6,
            "runs_dir": str(tmp_path / "runs"),
            "seed": 7,
        },
        "train_parameters": {
            "classification_mode": "letters",
            "epochs": 8,
            "batch_size": 6,
            "num_segments": 4,
            "lr": LR,
            "warmup_steps": WARMUP,
            "multiply_lr_step": DECAY,
        },
        "feature_extractor": {
            "use_frames": False,
            "use_landmarks": True,
            "representation_size": 16,
            "landmarks": {"name": "landmarks_mlp", "channels": [32]},
        },
        "transformer": {"name": "fake_transformer", "output_size": 16},
        "heads": {"letters": {"letter": {"num_class": len(LETTERS)}}},
        "trainer": {"log_every_n_steps": 1},
        "logging": {"loggers": ["csv"], "figures": False},
    }
    for section, keys in sections.items():
        config[section] = config.get(section, {}) | keys
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _train(config: Path, capsys) -> Path:
    assert train.main(["--model_config_path", str(config)]) == 0, capsys.readouterr().err[-2000:]
    return Path(capsys.readouterr().out.strip().splitlines()[-1].removeprefix("run_dir: "))


@pytest.fixture(scope="module", name="learned")
def fixture_learned(tmp_path_factory) -> tuple[Path, Path]:
    """(run folder, path_to_save) of one 8-epoch run."""
    folder = tmp_path_factory.mktemp("learned")
    saved = folder / "exported" / "model.ckpt"
    data = write_dataset(folder / "data", clips_per_letter=10)
    config = _config(folder, data, general_parameters={"path_to_save": str(saved)})
    with pytest.MonkeyPatch.context() as patch:
        captured = []
        patch.setattr("builtins.print", lambda *args, **_: captured.append(" ".join(map(str, args))))
        assert train.main(["--model_config_path", str(config)]) == 0
    return Path(captured[-1].removeprefix("run_dir: ")), saved


def test_a_tiny_run_learns_well_above_chance(learned):
    summary = json.loads((learned[0] / "summary.json").read_text())
    chance = 1 / len(LETTERS)
    assert summary["val"]["letter"]["accuracy"] >= chance + 0.4, summary["val"]["letter"]


def test_learning_rate_warms_up_then_decays(learned):
    with (learned[0] / "metrics.csv").open(encoding="utf-8") as handle:
        logged = [(int(row["step"]), float(row["train/lr"])) for row in csv.DictReader(handle) if row["train/lr"]]
    assert len(logged) > WARMUP + 2
    for step, value in logged:
        assert value == pytest.approx(LR * lr_factor(step, WARMUP, DECAY), rel=1e-5), step
    rates = [value for _, value in logged]
    assert rates[0] < rates[WARMUP - 1] and rates[WARMUP] > rates[-1]


def test_best_weights_are_copied_to_path_to_save(learned):
    run_dir, saved = learned
    summary = json.loads((run_dir / "summary.json").read_text())
    assert saved.read_bytes() == Path(summary["best_checkpoint"]).read_bytes()


def test_a_frozen_module_keeps_its_weights_while_the_rest_trains(tmp_path, capsys, monkeypatch):
    initial: dict[str, torch.Tensor] = {}

    class Recording(SignClassifier):  # pylint: disable=too-many-ancestors  # Lightning's own hierarchy
        """Keeps a copy of the weights the run starts from."""

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            initial.update({name: value.clone() for name, value in self.state_dict().items()})

    monkeypatch.setattr(run, "SignClassifier", Recording)
    freeze = {"model_params": {"feature_extractor": [True]}, "freeze_pattern_repeats": [100]}
    config = _config(
        tmp_path, write_dataset(tmp_path / "data"), train_parameters={"epochs": 2}, freeze_scheduler=freeze
    )
    final = torch.load(_train(config, capsys) / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    frozen = [name for name in final if name.startswith("model.feature_extractor.")]
    trained = [name for name in final if name.startswith("model.heads.")]
    assert frozen and trained
    assert all(torch.equal(final[name], initial[name]) for name in frozen)
    assert any(not torch.equal(final[name], initial[name]) for name in trained)
