"""notebooks/explore_run.ipynb: committed without outputs, and it runs on a tiny run folder."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "explore_run.ipynb"


def _outputs(notebook: nbformat.NotebookNode) -> list[dict]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


def test_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert not _outputs(notebook)
    assert all(cell.execution_count is None for cell in notebook.cells if cell.cell_type == "code")


def test_notebook_runs_on_a_tiny_run(tiny_checkpoint, monkeypatch):
    run_dir = tiny_checkpoint.parents[1]  # <run_dir>/checkpoints/best.ckpt
    monkeypatch.setenv("EXPLORE_RUN_DIR", str(run_dir))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=300, resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = _outputs(notebook)
    printed = "".join(output.get("text", "") for output in outputs if output["output_type"] == "stream")
    assert str(run_dir) in printed
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    heads = len(list((run_dir / "report").glob("val_*_confusion_matrix.csv")))
    assert heads and len(images) == 3 + heads + 1  # curves, a matrix per head, the sample clips
    tables = [output["data"]["text/html"] for output in outputs if "text/html" in output.get("data", {})]
    assert any("gloss" in table and "-&gt;" in table for table in tables)  # true -> predicted per head
