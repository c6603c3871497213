"""Every bad input a user can give, in one table: what they give, the exit status, the words of the message, and
never a traceback (docs/bad_input.md lists the same cases for users).

Each case builds its input in a temporary folder and returns the command-line entry point to call with its
arguments; the entry points run in this process (`main(argv)` returns the status), their stderr and log captured.
Some cases check what the run left behind as well (`then`).
"""

import pytest

import train
from inference import export_onnx, predict
from tests.bad_input_builders import (
    HAMNOSYS,
    Case,
    Ctx,
    all_nan,
    annotation_line,
    bom_not_in_name,
    corrupt_frames,
    every_clip_skipped,
    garbage,
    gloss_csv,
    hamnosys_source,
    landmark_run,
    missing_frames,
    no_run_folder,
    npz_not_a_zip,
    predicted,
    resume_from,
    settings,
    spoilt,
    stopped_like_an_interrupt,
    text_checkpoint,
    truncated,
    weights_only,
    with_model_path,
    wrong_shape,
    yaml_error,
)

CASES = [
    Case(
        "unknown config key",
        lambda ctx: (train.main, ctx.config() + settings("train_parameters.epoch=3")),
        2,
        ("tiny_config.yml", "train_parameters.epoch", "unknown key"),
    ),
    Case(
        "wrong type",
        lambda ctx: (train.main, ctx.config() + settings("train_parameters.epochs=many")),
        2,
        ("train_parameters.epochs", "integer"),
    ),
    Case("YAML error", yaml_error, 2, ("bad.yml", "not valid YAML")),
    Case(
        "missing data folder",
        lambda ctx: (train.main, ctx.config(ctx.tmp_path / "nowhere")),
        2,
        ("general_parameters.data_path", "no such folder", "nowhere"),
    ),
    Case(
        "hub name as model_path",
        with_model_path("hf-hub:timm/resnet18.a1_in1k"),
        2,
        ("feature_extractor.model_path", "hf-hub:timm/resnet18.a1_in1k", "nothing is downloaded", "pretrained_path"),
        no_run_folder,
    ),
    Case(
        "URL as model_path",
        with_model_path("https://example.org/resnet18.pth"),
        2,
        ("feature_extractor.model_path", "pretrained_path"),
    ),
    Case(
        "unknown timm model",
        with_model_path("resnet_typo"),
        2,
        ("feature_extractor.model_path", "'resnet_typo'", "did you mean", "resnet"),
        no_run_folder,
    ),
    Case(
        "--resume truncated checkpoint",
        resume_from(truncated),
        2,
        ("--resume", "resume.ckpt", "not a checkpoint of train.py", "cut short"),
        no_run_folder,
    ),
    Case(
        "--resume text file",
        resume_from(lambda ctx, path: path.write_text("text\n")),
        2,
        ("--resume", "resume.ckpt", "not a checkpoint of train.py"),
        no_run_folder,
    ),
    Case(
        "--resume file of weights only",
        resume_from(weights_only),
        2,
        ("--resume", "resume.ckpt", "not a checkpoint of train.py"),
        no_run_folder,
    ),
    Case(
        "--resume checkpoint of another model",
        wrong_shape,
        2,
        ("--resume", "trained.ckpt", "do not fit", "config.yml"),
        no_run_folder,
    ),
    Case(
        "predict.py on a text file named .ckpt",
        text_checkpoint(predict),
        2,
        ("model.ckpt", "not a checkpoint of train.py"),
    ),
    Case(
        "export_onnx.py on a text file named .ckpt",
        text_checkpoint(export_onnx),
        2,
        ("model.ckpt", "not a checkpoint of train.py"),
    ),
    Case("corrupt image", predicted(garbage("photo.jpg")), 2, ("photo.jpg",)),
    Case(
        "corrupt video",
        predicted(garbage("clip.mp4", b"\x00\x00\x00 ftypisom broken" * 20)),
        2,
        ("clip.mp4", "cannot decode"),
    ),
    Case(
        "missing frame",
        spoilt(missing_frames),
        2,
        ("bye_0000_", "is missing", "skip_bad_samples: true"),
        stopped_like_an_interrupt,
    ),
    Case("bad annotation line", spoilt(annotation_line("hello_0000 0 five 1")), 2, ("gloss.txt:", "'five'")),
    Case("short annotation line", spoilt(annotation_line("hello_0000 0 5")), 2, ("gloss.txt:", "expected")),
    Case("out-of-range label", spoilt(annotation_line("hello_0000 0 5 99")), 2, ("gloss.txt:", "label 99", "outside")),
    Case(
        "unknown class name in a CSV annotation",
        spoilt(gloss_csv(True), "general_parameters.annotation_files.gloss=gloss.csv"),
        2,
        ("gloss.csv:4", "'HELO'", "is not one of", "did you mean 'HELLO'"),
        no_run_folder,
    ),
    Case(
        "class name typo, names from the data",
        spoilt(gloss_csv(False), "general_parameters.annotation_files.gloss=gloss.csv"),
        2,
        ("heads.gloss.gloss.num_class", "'HELO' in 1 clip(s), first at", "gloss.csv:4"),
    ),
    Case(
        "every clip bad, skip_bad_samples",
        spoilt(corrupt_frames("*/*.jpg"), "general_parameters.skip_bad_samples=true"),
        2,
        ("every sample of", "was skipped", "skipped_samples.csv"),
        every_clip_skipped,
    ),
    Case(
        "corrupt frame during training",
        spoilt(corrupt_frames("come_0001/*.jpg")),
        2,
        ("come_0001", "last.ckpt", "skip_bad_samples: true", "--resume last"),
        stopped_like_an_interrupt,
    ),
    Case(
        ".npz that is not a zip",
        landmark_run(npz_not_a_zip),
        2,
        ("clip1.npz", "not a landmark .npz file"),
        stopped_like_an_interrupt,
    ),
    Case("all-NaN landmarks", landmark_run(all_nan), 2, ("clip1.npz", "NaN"), stopped_like_an_interrupt),
    Case(
        "HamNoSys CSV row too short",
        hamnosys_source(f"name,start,end,hamnosys\nhello,0,5,{HAMNOSYS}\nbye,0\n"),
        0,
        ("signs.csv:3", "expected 4 columns"),
    ),
    Case(
        "HamNoSys source with a byte-order mark",
        hamnosys_source(f"\ufeffname,start,end,hamnosys\nhello,0,5,{HAMNOSYS}\n"),
        0,
        ("parsed 1 of 1",),
        bom_not_in_name,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input(case: Case, tmp_path, request, capsys, caplog):
    ctx = Ctx(tmp_path, request)
    main, argv = case.build(ctx)
    caplog.clear()
    capsys.readouterr()
    status = main(argv)
    out, err = capsys.readouterr()
    said = err + "\n" + caplog.text + "\n" + out
    assert status == case.status, said[-3000:]
    for word in case.words:
        assert word in said, f"{word!r} not in:\n{said[-3000:]}"
    assert "Traceback" not in said and "Traceback" not in out
    if case.status == 2:
        lines = err.replace("\r", "\n").splitlines()  # (a progress bar may end without a newline)
        assert len([line for line in lines if line.startswith(("error:", "parse_hamnosys.py:"))]) == 1, err[-2000:]
    if case.then is not None:
        case.then(ctx, said)
