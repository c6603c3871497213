"""`train.py --cv K`: K leave-signers-out runs on a tiny multi-signer landmark corpus, each in its own fold folder,
and one summary with every fold's figures, mean and standard deviation, accuracy per test signer and the confusion
matrix summed over the folds."""

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

import train
from datasets.annotations import ClipRecord
from datasets.signer_folds import Fold
from training.reports.cv_summary import collect_test_predictions, majority_baseline, write_cv_summary
from tests.signer_factories import write_signers_corpus

SIGNERS = {
    "ann": ["hello", "thanks", "no"],
    "bob": ["hello", "thanks", "no"],
    "cy": ["hello", "thanks", "no"],
    "dee": ["hello", "thanks"],
    "eve": ["hello", "no"],
    "fay": ["hello", "thanks", "no"],
}
GLOSSES = ["hello", "thanks", "no"]


def write_config(folder: Path, archive: Path) -> Path:
    """A landmarks-only gloss config over the corpus: a tiny MLP, one epoch, no figures (they take half the time)."""
    config = {
        "general_parameters": {
            "data_paths": [
                {
                    "path": str(archive),
                    "format": "landmarks",
                    "annotation_files": {"gloss": "index.csv.gz"},
                    "only_listed_classes": True,
                }
            ],
            "ratio_train_test": 0.6,
            "ratio_test": 0.2,
            "runs_dir": str(folder / "runs"),
            "experiment_name": "cv",
        },
        "train_parameters": {"classification_mode": "gloss", "epochs": 1, "batch_size": 8, "num_segments": 5},
        "feature_extractor": {
            "use_frames": False,
            "use_landmarks": True,
            "representation_size": 8,
            "landmarks": {"name": "landmarks_mlp", "layout": "hands", "normalisation": "wrist", "channels": [8]},
        },
        "transformer": {"name": "fake_transformer", "output_size": 8},
        "heads": {"gloss": {"gloss": {"num_class": 3, "class_names": GLOSSES}}},
        "logging": {"figures": False},
    }
    path = folder / "cv.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def read_rows(path: Path) -> list[dict[str, str]]:
    """A CSV file's rows."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module", name="cv_dir")
def fixture_cv_dir(tmp_path_factory) -> Path:
    """One cross-validation of 3 folds, run through train.py's command line."""
    folder = tmp_path_factory.mktemp("cv")
    archive = write_signers_corpus(folder / "data", SIGNERS | {"gus": ["house"]}, clips=3)
    status = train.main(["--model_config_path", str(write_config(folder, archive)), "--cv", "3"])
    assert status == 0
    (cv_dir,) = (folder / "runs" / "cv").iterdir()
    return cv_dir


def test_folds_are_signer_disjoint_and_test_every_signer_once(cv_dir):
    tested = []
    for number in (1, 2, 3):
        people = defaultdict(set)
        for row in read_rows(cv_dir / "splits" / f"fold_{number}.csv"):
            people[row["split"]].add(row["signer"])
        assert not people["train"] & people["val"] and not people["train"] & people["test"]
        assert not people["val"] & people["test"] and people["val"]
        tested += sorted(people["test"])
    assert sorted(tested) == sorted(SIGNERS)  # gus signs only `house`, which is not a listed class


def test_each_fold_keeps_its_own_run_folder(cv_dir):
    for number in (1, 2, 3):
        fold_dir = cv_dir / f"fold_{number}"
        summary = json.loads((fold_dir / "summary.json").read_text(encoding="utf-8"))
        assert {"val", "test"} <= set(summary) and (fold_dir / "checkpoints" / "best.ckpt").is_file()
        assert set(summary["per_signer"]["test"]["gloss"]) == set(
            row["signer"] for row in read_rows(cv_dir / "splits" / f"fold_{number}.csv") if row["split"] == "test"
        )
        assert (fold_dir / "report" / "test_per_signer.csv").is_file()


def test_the_summary_has_every_fold_mean_and_std(cv_dir):
    summary = json.loads((cv_dir / "cv_summary.json").read_text(encoding="utf-8"))
    accuracies = [fold["test"]["gloss"]["accuracy"] for fold in summary["folds"]]
    assert len(accuracies) == 3
    assert summary["mean"]["test"]["gloss"]["accuracy"] == pytest.approx(sum(accuracies) / 3, abs=1e-4)
    assert summary["std"]["test"]["gloss"]["accuracy"] >= 0 and "f1_weighted" in summary["std"]["val"]["gloss"]
    assert summary["pooled"]["test"]["gloss"]["clips"] == sum(len(g) for g in SIGNERS.values()) * 3
    signers = [row["signer"] for row in summary["per_signer"]["test"]]
    assert sorted(signers) == sorted(SIGNERS)
    assert "mean ± std" in (cv_dir / "cv_summary.md").read_text(encoding="utf-8")


def test_the_confusion_matrix_sums_every_fold(cv_dir, tmp_path):
    rows = read_rows(cv_dir / "test_gloss_confusion_matrix.csv")
    assert [row["true"] for row in rows] == GLOSSES
    assert sum(int(row[g]) for row in rows for g in GLOSSES) == sum(len(g) for g in SIGNERS.values()) * 3
    assert not (cv_dir / "test_gloss_confusion_matrix.png").exists()  # logging.figures is off
    summary = json.loads((cv_dir / "cv_summary.json").read_text(encoding="utf-8"))
    write_cv_summary(tmp_path, summary, collect_test_predictions(cv_dir, summary["folds"]), {"gloss": GLOSSES}, True)
    assert (tmp_path / "test_gloss_confusion_matrix.png").stat().st_size > 0


def test_cv_needs_at_least_two_folds(capsys):
    with pytest.raises(SystemExit) as stop:
        train.parse_args(["--cv", "1"])
    assert stop.value.code == 2 and "--cv takes K >= 2" in capsys.readouterr().err


def test_the_summary_has_each_folds_majority_baseline(cv_dir):
    """The baseline of the same run: each fold's most frequent training gloss, scored on its test clips."""
    summary = json.loads((cv_dir / "cv_summary.json").read_text(encoding="utf-8"))
    glosses = {}
    for row in read_rows(cv_dir / "fold_1" / "report" / "test_predictions.csv"):
        glosses[row["clip_id"]] = row["gloss_true"]
    fold = summary["folds"][0]["majority_baseline"]["gloss"]
    expected = sum(gloss == fold["class"] for gloss in glosses.values()) / len(glosses)
    assert fold["accuracy"] == pytest.approx(expected, abs=1e-4)
    values = [f["majority_baseline"]["gloss"]["accuracy"] for f in summary["folds"]]
    assert summary["majority_baseline"]["test"]["gloss"]["accuracy"] == pytest.approx(sum(values) / 3, abs=1e-4)
    assert "majority baseline" in (cv_dir / "cv_summary.md").read_text(encoding="utf-8")


def test_the_majority_is_counted_on_training_clips_only():
    records = [ClipRecord(Path("."), f"c{i}", labels={"gloss": label}) for i, label in enumerate([0, 0, 1, -1, 1, 1])]
    fold = Fold(1, train=[0, 1, 2, 3], val=[], test=[4, 5], val_signers=[], test_signers=["x"])
    assert majority_baseline(records, fold, {"gloss": GLOSSES}) == {"gloss": {"class": "hello", "accuracy": 0.0}}
