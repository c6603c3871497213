"""The seed-model benchmark's rows (what benchmarks/results.py reads) and its command-line errors."""

from benchmarks import seed_models
from tests.data_factories import write_sign_mnist

ROW_KEYS = {"model", "test_accuracy", "f1_weighted", "epochs", "wall_s", "note", "per_batch_s", "epoch_s_estimate"}


def _csvs(tmp_path):
    labels = [k for k in range(25) if k != 9] * 2
    return write_sign_mnist(tmp_path / "train.csv.gz", labels), write_sign_mnist(tmp_path / "test.csv", labels[:24])


def test_mlp_row_has_the_harness_keys_and_sane_figures(tmp_path):
    row = seed_models.train_seed_mlp(*_csvs(tmp_path), epochs=2)
    assert ROW_KEYS <= set(row) and row["model"] == "seed_mlp"
    assert row["epochs"] == 2 and row["test_rows"] == 24
    assert 0 <= row["test_accuracy"] <= 1 and 0 <= row["f1_weighted"] <= 1


def test_cnn_trains_at_least_one_batch_and_tests_the_chosen_rows(tmp_path):
    row = seed_models.train_seed_cnn(*_csvs(tmp_path), budget_s=0, test_rows=4)
    assert ROW_KEYS <= set(row) and row["model"] == "seed_cnn"
    assert row["test_rows"] == 4 and row["per_batch_s"] > 0
    assert row["epoch_s_estimate"] == row["per_batch_s"] * 2  # 48 rows: 2 batches of 32 an epoch
    assert "4 evenly spaced" in row["note"]


def test_missing_csv_given_is_an_error_and_missing_default_data_is_skipped(tmp_path, monkeypatch, capsys):
    assert seed_models.main(["--train_csv", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv" in capsys.readouterr().err
    monkeypatch.setattr(seed_models, "DEFAULT_TRAIN", tmp_path / "absent_train.csv.gz")
    assert seed_models.main([]) == 0
    assert capsys.readouterr().out.startswith("skipped: no Sign MNIST CSV at")


def test_bad_row_is_an_error_naming_the_file_and_line(tmp_path, capsys):
    train, test = _csvs(tmp_path)
    write_sign_mnist(test, [0, 9])
    assert seed_models.main(["--train_csv", str(train), "--test_csv", str(test), "--models", "seed_mlp"]) == 2
    assert f"{test}:3" in capsys.readouterr().err
