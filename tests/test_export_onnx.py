"""inference/export_onnx.py: dynamic batch and clip length, parity with PyTorch, metadata, and predict.py on ONNX."""

import json
import re

import onnx
import pytest
import torch
import yaml

from inference import export_onnx, predict
from inference.model_inputs import ClipReader
from inference.predictor import OnnxPredictor, TorchPredictor, load_module, load_predictor
from tests.conftest import write_tiny_config
from training.lightning_module import SignClassifier
from utils.config import validate_config


def test_export_report_shows_parity_on_random_and_real_clips(tiny_onnx):
    report = (tiny_onnx.parent / "export.txt").read_text(encoding="utf-8")
    assert report.startswith(f"exported {tiny_onnx}")
    checks = re.findall(r"^  (random|real): .* = (\S+)$", report, flags=re.MULTILINE)
    assert {kind for kind, _ in checks} == {"random", "real"}
    assert all(float(difference) < 1e-4 for _, difference in checks)
    assert re.search(r"^largest absolute difference: \S+ \(tolerance 1e-04\): OK$", report, flags=re.MULTILINE)


def test_graph_has_dynamic_axes_one_output_per_head_and_metadata(tiny_onnx, tiny_checkpoint):
    model = onnx.load(str(tiny_onnx))
    dims = {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in model.graph.input}
    assert dims["frames"][:2] == ["batch", "time"] and dims["frames"][2] == 3
    assert dims["mask"] == ["batch", "time"]
    heads = list(load_module(tiny_checkpoint).head_configs)
    assert [output.name for output in model.graph.output] == heads
    metadata = {prop.key: prop.value for prop in model.metadata_props}
    class_names = json.loads(metadata["sign_class_names"])
    assert class_names == torch.load(tiny_checkpoint, weights_only=True)["hyper_parameters"]["class_names"]


@pytest.mark.parametrize("batch, time", [(1, 1), (3, 7), (32, 4)])
def test_other_batch_sizes_and_clip_lengths_match_pytorch(tiny_onnx, tiny_checkpoint, batch, time):
    reference, exported = TorchPredictor(load_module(tiny_checkpoint), tiny_checkpoint), load_predictor(tiny_onnx)
    assert isinstance(exported, OnnxPredictor)
    frames = export_onnx.example_frames(reference.config, batch, time)
    mask = export_onnx.padded_mask(batch, time)
    assert export_onnx.largest_difference(reference, exported, {"frames": frames, "mask": mask}) < 1e-4


def test_predict_with_onnx_runtime_gives_the_same_predictions(
    capsys, tmp_path, tiny_checkpoint, tiny_onnx, tiny_dataset
):
    results = {}
    for runtime, model in (("torch", tiny_checkpoint), ("onnx", tiny_onnx)):
        output = tmp_path / f"{runtime}.json"
        args = ["--checkpoint", str(model), "--input", str(tiny_dataset / "bye_0000"), "--runtime", runtime]
        assert predict.main(args + ["--output", str(output)]) == 0, capsys.readouterr().err
        results[runtime] = json.loads(output.read_text())[0]["heads"]
    for head, ranked in results["torch"].items():
        assert [e["class"] for e in results["onnx"][head]] == [e["class"] for e in ranked]
        expected = [e["probability"] for e in ranked]
        assert [e["probability"] for e in results["onnx"][head]] == pytest.approx(expected, abs=1e-5)


def test_errors_exit_2_naming_the_file(capsys, tmp_path, tiny_checkpoint, tiny_onnx, tiny_dataset):
    missing = tmp_path / "missing.ckpt"
    assert export_onnx.main(["--checkpoint", str(missing), "--output", str(tmp_path / "m.onnx")]) == 2
    assert "missing.ckpt: no such checkpoint" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        export_onnx.main(["--checkpoint", str(tiny_checkpoint), "--output", str(tmp_path / "model.pt")])
    assert exit_info.value.code == 2
    image = str(tiny_dataset / "yes_0000" / "yes_0000_0.jpg")
    assert predict.main(["--checkpoint", str(tiny_checkpoint), "--runtime", "onnx", "--input", image]) == 2
    assert "needs an .onnx file" in capsys.readouterr().err
    bare = onnx.load(str(tiny_onnx))
    del bare.metadata_props[:]
    onnx.save(bare, str(tmp_path / "bare.onnx"))
    assert predict.main(["--checkpoint", str(tmp_path / "bare.onnx"), "--input", image]) == 2
    assert "bare.onnx: no training config in its metadata" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("encoder", ["sign_language_transformer", "fake_transformer", "lstm", "hubert_transformer"])
def test_every_temporal_encoder_exports(tmp_path, tiny_dataset, encoder):
    raw = yaml.safe_load(write_tiny_config(tmp_path, tiny_dataset).read_text())
    raw["transformer"]["name"] = encoder
    config = validate_config(raw, "tiny config")
    module = SignClassifier(config, {}).eval()
    export_onnx.export_onnx(module, tmp_path / "model.onnx")
    reference, exported = TorchPredictor(module, tmp_path), load_predictor(tmp_path / "model.onnx")
    assert max(difference for _, difference in export_onnx.random_checks(reference, exported)) < 1e-4
    reader = ClipReader(reference)
    items = reader.find(tiny_dataset)[:3]
    assert max(difference for _, difference in export_onnx.real_check(reference, exported, reader, items)) < 1e-4
