"""The inputs of tests/test_bad_inputs.py: each builder spoils a copy of the tiny data (or writes a bad file) and
returns the command-line entry point to call with its arguments; the checks look at what a run left behind."""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import pytest
import torch
import yaml

import train
from data_preprocessing import parse_hamnosys
from datasets.landmark_files import joint_names, save_landmarks_npz
from inference import predict
from tests.conftest import write_tiny_config
from tests.test_landmarks_training import PARTS, write_dataset

FAST = [  # a small, quick model on the tiny dataset; every clip read in the one epoch
    "--set",
    "train_parameters.classification_mode=gloss",
    "--set",
    "feature_extractor.model_path=small_cnn",
    "--set",
    "transformer.name=fake_transformer",
    "--set",
    "trainer.limit_train_batches=null",
]


@dataclass
class Ctx:
    """What a case builds its input with."""

    tmp_path: Path
    request: pytest.FixtureRequest

    def fixture(self, name: str):
        """A session fixture, made only for the cases that need it (the tiny checkpoint trains once)."""
        return self.request.getfixturevalue(name)

    def dataset(self) -> Path:
        """A copy of the tiny synthetic dataset, to spoil."""
        return Path(shutil.copytree(self.fixture("tiny_dataset"), self.tmp_path / "data"))

    def config(self, dataset: Optional[Path] = None) -> list[str]:
        """train.py's arguments for the tiny config on `dataset` (default: the tiny dataset as it is)."""
        path = write_tiny_config(self.tmp_path, dataset or self.fixture("tiny_dataset"))
        return ["--model_config_path", str(path)]

    def write(self, name: str, text: str) -> Path:
        """A text file in the case's folder."""
        path = self.tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    def runs(self) -> list[Path]:
        """The run folders train.py left (`runs/<experiment>/<time>/`)."""
        return sorted(path for path in (self.tmp_path / "runs").glob("*/*") if path.is_dir())


@dataclass
class Case:
    """A bad input: `build` makes it and returns (entry point, arguments); then the status and the message."""

    name: str
    build: Callable[[Ctx], tuple[Callable[[list[str]], int], list[str]]]
    status: int
    words: tuple[str, ...]
    then: Optional[Callable[[Ctx, str], None]] = None


def settings(*assignments: str) -> list[str]:
    """`--set` arguments."""
    return [part for assignment in assignments for part in ("--set", assignment)]


# -- config -----------------------------------------------------------------------------------------------------------


def yaml_error(ctx: Ctx):
    """A config file that is not YAML."""
    return train.main, ["--model_config_path", str(ctx.write("bad.yml", "general_parameters: [unclosed\n"))]


def with_model_path(value: str):
    """The tiny config with `feature_extractor.model_path: value`."""
    return lambda ctx: (train.main, ctx.config() + settings(f"feature_extractor.model_path={value}"))


def no_run_folder(ctx: Ctx, _: str) -> None:
    """The failed run left no folder behind."""
    assert not ctx.runs(), f"a failed run left {ctx.runs()}"


# -- resume -----------------------------------------------------------------------------------------------------------


def resume_from(make: Callable[[Ctx, Path], None]):
    """`--resume resume.ckpt`, the file written by `make`."""

    def build(ctx: Ctx):
        path = ctx.tmp_path / "resume.ckpt"
        make(ctx, path)
        return train.main, ctx.config() + ["--resume", str(path)]

    return build


def truncated(ctx: Ctx, path: Path) -> None:
    """The first half of a real checkpoint."""
    data = ctx.fixture("tiny_checkpoint").read_bytes()
    path.write_bytes(data[: len(data) // 2])


def weights_only(_: Ctx, path: Path) -> None:
    """A PyTorch file of plain weights, no training state."""
    torch.save({"weight": torch.zeros(2)}, path)


def wrong_shape(ctx: Ctx):
    """A real checkpoint resumed with a config whose model has other sizes."""
    shutil.copy(ctx.fixture("tiny_checkpoint"), ctx.tmp_path / "trained.ckpt")
    args = ctx.config() + settings("feature_extractor.representation_size=24")
    return train.main, args + ["--resume", str(ctx.tmp_path / "trained.ckpt")]


# -- predict.py and export_onnx.py ------------------------------------------------------------------------------------


def predicted(make_input: Callable[[Ctx], Path]):
    """predict.py with the tiny checkpoint on the input `make_input` writes."""
    return lambda ctx: (
        predict.main,
        ["--checkpoint", str(ctx.fixture("tiny_checkpoint")), "--input", str(make_input(ctx))],
    )


def garbage(name: str, data: bytes = b"\x00\x01 not what the name says " * 40):
    """A file named `name` that holds `data`."""

    def make(ctx: Ctx) -> Path:
        path = ctx.tmp_path / name
        path.write_bytes(data)
        return path

    return make


def text_checkpoint(tool):
    """`tool` (predict.py or export_onnx.py) on a text file named model.ckpt."""

    def build(ctx: Ctx):
        path = ctx.write("model.ckpt", "hello, I am a text file\n")
        args = ["--checkpoint", str(path)]
        args += ["--input", str(path)] if tool is predict else ["--output", str(ctx.tmp_path / "m.onnx")]
        return tool.main, args

    return build


# -- data -------------------------------------------------------------------------------------------------------------


def spoilt(spoil: Callable[[Path], None], *extra: str):
    """train.py (small and quick, `extra` settings) on a copy of the tiny dataset that `spoil` spoilt."""

    def build(ctx: Ctx):
        data = ctx.dataset()
        spoil(data)
        return train.main, ctx.config(data) + FAST + settings(*extra)

    return build


def missing_frames(data: Path) -> None:
    """One frame left of clip bye_0000 (annotated 0-5): any sampling misses one."""
    for path in (data / "bye_0000").glob("bye_0000_*.jpg"):
        if path.name != "bye_0000_0.jpg":  # one frame left of the annotated 0-5: any sampling misses one
            path.unlink()


def corrupt_frames(pattern: str):
    """Every frame file matching `pattern` overwritten with bytes that are not an image."""

    def spoil(data: Path) -> None:
        for path in data.glob(pattern):
            path.write_bytes(b"not a jpeg at all" * 10)

    return spoil


def annotation_line(line: str):
    """`line` appended to gloss.txt (its line 25)."""

    def spoil(data: Path) -> None:
        with (data / "gloss.txt").open("a", encoding="utf-8") as file:
            file.write(line + "\n")

    return spoil


def gloss_csv(keep_class_names: bool):
    """gloss.csv in place of gloss.txt, with a typo "HELO" on line 4."""

    def spoil(data: Path) -> None:
        names = json.loads((data / "class_names.json").read_text(encoding="utf-8"))["gloss"]
        rows = ["path,start,end,gloss"]
        for line in (data / "gloss.txt").read_text(encoding="utf-8").splitlines():
            clip, start, end, label = line.split()
            rows.append(f"{clip},{start},{end},{names[int(label)]}")
        rows[3] = rows[3].rsplit(",", 1)[0] + ",HELO"
        (data / "gloss.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        if not keep_class_names:
            (data / "class_names.json").unlink()

    return spoil


def every_clip_skipped(ctx: Ctx, _: str) -> None:
    """The folder keeps the list of skipped clips (each once) and a summary.json saying why the run failed."""
    (run,) = ctx.runs()
    skipped = (run / "skipped_samples.csv").read_text(encoding="utf-8").splitlines()
    clips = len((ctx.tmp_path / "data" / "gloss.txt").read_text(encoding="utf-8").splitlines())
    assert len(skipped) == 1 + clips  # a header, then each clip once (the data is read once, not per stage)
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert "every sample of" in summary["failed"]


def stopped_like_an_interrupt(ctx: Ctx, said: str) -> None:
    """A data error during training: last.ckpt saved, summary.json says why, the message says what to do."""
    (run,) = ctx.runs()
    assert (run / "checkpoints" / "last.ckpt").is_file()
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert summary["failed"] and summary["failed"] in said
    assert "--resume last" in said


def landmark_run(spoil: Callable[[Path], None]):
    """train.py on a small landmarks dataset (.npz files) that `spoil` spoilt."""

    def build(ctx: Ctx):
        data = write_dataset(ctx.tmp_path / "data", clips_per_letter=2)
        spoil(data)
        config = {
            "general_parameters": {
                "data_paths": [
                    {"path": str(data), "format": "landmarks", "annotation_files": {"letters": "letters.csv"}}
                ],
                "runs_dir": str(ctx.tmp_path / "runs"),
            },
            "train_parameters": {"classification_mode": "letters", "epochs": 1, "batch_size": 2, "num_segments": 4},
            "feature_extractor": {
                "use_frames": False,
                "use_landmarks": True,
                "representation_size": 8,
                "landmarks": {"name": "landmarks_mlp"},
            },
            "transformer": {"name": "fake_transformer", "output_size": 8},
            "heads": {"letters": {"letter": {"num_class": 3}}},
        }
        return train.main, ["--model_config_path", str(ctx.write("landmarks.yml", yaml.safe_dump(config)))]

    return build


def npz_not_a_zip(data: Path) -> None:
    """A text file named clip1.npz."""
    (data / "clip1.npz").write_text("landmarks, but as text", encoding="utf-8")


def all_nan(data: Path) -> None:
    """clip1.npz with every landmark NaN (nothing detected)."""
    values = np.full((4, len(joint_names(PARTS)), 3), np.nan, dtype=np.float32)
    save_landmarks_npz(data / "clip1.npz", values, joint_names(PARTS), 25.0, (480, 640))


# -- HamNoSys ---------------------------------------------------------------------------------------------------------


def hamnosys_source(text: str):
    """parse_hamnosys.py on a CSV source of `text`."""

    def build(ctx: Ctx):
        source = ctx.tmp_path / "signs.csv"
        source.write_bytes(text.encode("utf-8"))
        return parse_hamnosys.main, ["-sf", str(source), "-df", str(ctx.tmp_path / "out.txt")]

    return build


def bom_not_in_name(ctx: Ctx, _: str) -> None:
    """The first sign is named `hello`, without the byte-order mark."""
    assert (ctx.tmp_path / "out.txt").read_text(encoding="utf-8").splitlines()[1].startswith("hello ")


HAMNOSYS = "\ue000\ue020\ue03e\ue052"  # fist, fingers up, palm left, at the chest
