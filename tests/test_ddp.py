"""A real DDP run: two CPU processes (gloo) started by Lightning because `trainer.devices: 2` asks for them.

Checked: the processes train and validate on disjoint halves of the data (DistributedSampler), the logged figures
are gathered over both (not the first process's half), both use one run folder, and only the first writes run files.
"""

import csv
import json
import math

import numpy as np
import pytest

from datasets.csv_rows import write_csv
from tests.conftest import write_tiny_config
from tests.train_driver import launch
from training.checkpoints import load_classifier
from training.evaluation import collect_outputs
from training.run import build_data
from utils.config import load_config

HEADS = ("gloss", "letter")
OVERRIDES = [
    "trainer.accelerator=cpu",
    "trainer.devices=2",
    "trainer.strategy=ddp",
    "trainer.limit_train_batches=null",
    "train_parameters.classification_mode=[gloss, letters]",
    # Frozen for the first step: DDP must cope with parameters that leave the graph (and with batches without
    # letter labels, which leave the letter head out).
    "freeze_scheduler={model_params: {feature_extractor: [true, false]}, freeze_pattern_repeats: [1, 1],"
    " freeze_mode: step}",
]


def _figures(predictions, clip_ids: list[str]) -> dict[str, dict[str, float]]:
    """Per head: accuracy and mean cross-entropy over these clips."""
    index = {meta["clip_id"]: row for row, meta in enumerate(predictions.clips)}
    rows = [index[clip] for clip in clip_ids]
    figures = {}
    for head, outputs in predictions.heads.items():
        targets, probabilities = outputs.targets[rows], outputs.probabilities[rows]
        keep = targets >= 0
        picked = probabilities[keep, targets[keep]]
        figures[head] = {
            "accuracy": float((probabilities[keep].argmax(1) == targets[keep]).mean()),
            "loss": float(-np.log(picked).mean()),
        }
    return figures


@pytest.fixture(scope="module", name="ddp_run")
def fixture_ddp_run(tmp_path_factory, tiny_dataset):
    """One 2-process run: (run folder, what each process recorded)."""
    folder = tmp_path_factory.mktemp("ddp")
    records = folder / "records"
    records.mkdir()
    config_path = write_tiny_config(folder, tiny_dataset)
    # Odd split sizes (19 train, 17 val clips), so that two processes cannot get equal shares.
    rows = build_data(load_config(config_path, tuple(OVERRIDES))).split_rows()
    next(row for row in rows if row["split"] == "val")["split"] = "train"
    write_csv(rows, folder / "split.csv")
    overrides = [*OVERRIDES, f"general_parameters.split_file={folder / 'split.csv'}"]
    result = launch(config_path, overrides, {"DRIVER_RECORD_DIR": str(records)})
    assert result.returncode == 0, result.stderr[-4000:]
    run_dirs = list((folder / "runs").glob("*/*"))
    assert len(run_dirs) == 1, run_dirs  # one run folder for both processes
    ranks = [json.loads((records / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    assert [rank["world_size"] for rank in ranks] == [2, 2]
    return run_dirs[0], ranks


def _split(run_dir, name: str) -> list[str]:
    with (run_dir / "split.csv").open(encoding="utf-8") as handle:
        return [row["clip"] for row in csv.DictReader(handle) if row["split"] == name]


def test_processes_train_on_disjoint_halves(ddp_run):
    run_dir, ranks = ddp_run
    clips = _split(run_dir, "train")
    seen = [rank["clips"]["fit/train"] for rank in ranks]
    # DistributedSampler: each process gets ceil(n / 2) clips; when n is odd one clip is repeated to even them out.
    assert [len(part) for part in seen] == [math.ceil(len(clips) / 2)] * 2
    assert set(seen[0]) | set(seen[1]) == set(clips)
    assert len(set(seen[0]) & set(seen[1])) == len(clips) % 2 == 1


def test_processes_validate_every_clip_once(ddp_run):
    run_dir, ranks = ddp_run
    seen = [rank["clips"]["fit/val"] for rank in ranks]
    assert sorted(seen[0] + seen[1]) == sorted(_split(run_dir, "val"))
    assert sorted(len(part) for part in seen) == [8, 9]


def test_one_run_folder_written_by_the_first_process(ddp_run):
    run_dir, ranks = ddp_run
    assert ranks[0]["checkpoint_dir"] == ranks[1]["checkpoint_dir"] == str(run_dir / "checkpoints")
    assert set(ranks[0]["writers"]) == {"dump_config", "write_summary", "write_run_report"}
    assert not ranks[1]["writers"]
    for name in ("summary.json", "split.csv", "report/index.html", "checkpoints/best.ckpt", "checkpoints/last.ckpt"):
        assert (run_dir / name).is_file(), name


def test_training_loss_is_averaged_over_both_processes(ddp_run):
    run_dir, ranks = ddp_run
    with (run_dir / "metrics.csv").open(encoding="utf-8") as handle:
        logged = [float(row["train/loss_epoch"]) for row in csv.DictReader(handle) if row["train/loss_epoch"]]
    both = [pair for rank in ranks for pair in rank["train_losses"]]
    first = ranks[0]["train_losses"]
    assert logged[0] == pytest.approx(sum(l * n for l, n in both) / sum(n for _, n in both), rel=1e-5)
    assert logged[0] != pytest.approx(sum(l * n for l, n in first) / sum(n for _, n in first), rel=1e-5)


def test_summary_figures_cover_every_validation_clip(ddp_run):
    run_dir, ranks = ddp_run
    config = load_config(run_dir / "config.yml")
    module = load_classifier(run_dir / "checkpoints" / "best.ckpt")
    predictions = collect_outputs(module, build_data(config).eval_dataloader("val"))
    first_half = ranks[0]["clips"]["fit/val"]
    gathered, first_only = _figures(predictions, _split(run_dir, "val")), _figures(predictions, first_half)
    summary = json.loads((run_dir / "summary.json").read_text())["val"]
    for head in HEADS:
        assert summary[head]["accuracy"] == pytest.approx(gathered[head]["accuracy"], abs=1e-6), head
        assert summary[head]["loss"] == pytest.approx(gathered[head]["loss"], abs=1e-4), head
    # The check can tell: one process's half alone gives other figures.
    assert any(abs(first_only[h]["loss"] - gathered[h]["loss"]) > 1e-3 for h in HEADS)


@pytest.mark.slow
def test_torchrun_processes_share_one_run_folder(tmp_path, tiny_dataset):
    records = tmp_path / "records"
    records.mkdir()
    overrides = ["trainer.accelerator=cpu", "train_parameters.classification_mode=gloss"]
    result = launch(
        write_tiny_config(tmp_path, tiny_dataset),
        overrides,
        {"DRIVER_RECORD_DIR": str(records)},
        launcher=("--standalone", "--nproc_per_node", "2"),
    )
    assert result.returncode == 0, result.stderr[-4000:]
    (run_dir,) = (tmp_path / "runs").glob("*/*")
    ranks = [json.loads((records / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    assert [rank["world_size"] for rank in ranks] == [2, 2]  # `devices: auto` = the processes torchrun started
    assert ranks[0]["checkpoint_dir"] == ranks[1]["checkpoint_dir"] == str(run_dir / "checkpoints")
    assert ranks[0]["writers"] and not ranks[1]["writers"]
    assert (run_dir / "summary.json").is_file()
