"""The benchmarks' train.py runner: a failed run is an error naming its log, never a silent empty row."""

import pytest

from benchmarks.train_runs import run_train_py


def test_a_failed_run_names_its_exit_status_and_log(tmp_path):
    log = tmp_path / "bad.log"
    with pytest.raises(RuntimeError, match=r"status 2; see .*bad\.log"):
        run_train_py("configs/signers_gloss.yml", ["train_parameters.no_such_key=1"], log)
    assert "no_such_key" in log.read_text(encoding="utf-8")
