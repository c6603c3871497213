"""Report files of one split from known predictions: many classes, very many classes, a test split."""

import csv
import string

import numpy as np
import pytest
from PIL import Image

from training.reports.confusion import most_confused_pairs
from training.reports.page import write_index
from training.reports.predictions import HeadPredictions, SplitPredictions
from training.reports.writer import write_split_report
from utils.config_schema import LoggingConfig

LETTERS = list(string.ascii_uppercase) + ["del", "nothing", "space"]  # the ASL Alphabet's 29 classes
GLOSSES = [f"GLOSS_{i:03d}" for i in range(150)]


def _predictions(num_class: int, count: int, seed: int) -> HeadPredictions:
    """Mostly right predictions; every 7th sample has no label."""
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, num_class, count)
    logits = rng.normal(size=(count, num_class))
    logits[np.arange(count), targets] += 2.5
    targets[::7] = -1
    return HeadPredictions(targets, logits)


@pytest.fixture(scope="module", name="test_report")
def fixture_test_report(tmp_path_factory):
    """The `test` split's report of a 29-class head and a 150-class head."""
    report_dir = tmp_path_factory.mktemp("report")
    heads = {"letter": _predictions(29, 400, 0), "gloss": _predictions(150, 400, 1)}
    predictions = SplitPredictions([{"clip_id": f"clip_{i}"} for i in range(400)], heads)
    names = {"letter": LETTERS, "gloss": GLOSSES}
    written = write_split_report(report_dir, "test", predictions, names, LoggingConfig())
    write_index(report_dir, {"test": {}}, {"test": written}, "test report")
    return report_dir


def test_29_classes_get_a_readable_matrix_and_pr_roc_curves(test_report):
    for name in ("test_letter_confusion_matrix.png", "test_letter_pr_roc.png"):
        with Image.open(test_report / name) as image:
            image.verify()
            assert image.format == "PNG"
    with Image.open(test_report / "test_letter_confusion_matrix.png") as image:
        assert min(image.size) >= 29 * 25  # room for 29 class names on each axis
    assert (test_report / "test_letter_classification_report.txt").read_text().count("\n") > 29


def test_150_classes_get_most_confused_pairs_instead_of_figures(test_report):
    assert not (test_report / "test_gloss_confusion_matrix.png").exists()
    assert not (test_report / "test_gloss_pr_roc.png").exists()
    with (test_report / "test_gloss_confused_pairs.csv").open() as handle:
        pairs = list(csv.DictReader(handle))
    assert 0 < len(pairs) <= LoggingConfig().most_confused_pairs
    counts = [int(row["count"]) for row in pairs]
    assert counts == sorted(counts, reverse=True)
    assert "Most confused pairs" in (test_report / "index.html").read_text()


def test_predictions_csv_has_one_row_per_clip_and_blank_truth_when_unlabelled(test_report):
    with (test_report / "test_predictions.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 400
    assert rows[0]["letter_true"] == "" and rows[1]["letter_true"] in LETTERS
    assert rows[1]["gloss_predicted"] in GLOSSES and 0 < float(rows[1]["gloss_probability"]) <= 1


def test_most_confused_pairs_order_and_shares():
    counts = np.array([[5, 3, 0], [1, 8, 1], [0, 3, 2]])
    pairs = most_confused_pairs(counts, ["a", "b", "c"], top=3)
    assert [(p["true"], p["predicted"], p["count"]) for p in pairs] == [("c", "b", 3), ("a", "b", 3), ("b", "a", 1)]
    assert pairs[0]["share_of_true_class"] == pytest.approx(0.6)
