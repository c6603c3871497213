"""Tests of the synthetic dataset generator: on-disk format, determinism, label design and command line."""

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from data_preprocessing import synthetic_drawing as drawing
from data_preprocessing.make_synthetic import (
    CLASS_NAMES,
    GLOSS_ANNOTATION,
    GLOSSES,
    HAMNOSYS_ANNOTATION,
    HAMNOSYS_HEADS,
    LETTERS,
    LETTERS_ANNOTATION,
    main,
    make_synthetic_dataset,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
TINY = {"clips_per_gloss": 2, "letter_clips_per_letter": 2, "image_size": 32, "min_frames": 3, "max_frames": 5}


@pytest.fixture(name="dataset", scope="module")
def fixture_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny dataset shared by the read-only tests."""
    return make_synthetic_dataset(tmp_path_factory.mktemp("synthetic") / "data", seed=3, **TINY)


def _lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text(encoding="utf-8").splitlines()]


def _all_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_annotations_name_existing_clips_with_matching_frames(dataset: Path) -> None:
    """Every annotation line names a clip folder with exactly end-start+1 frames and in-range labels."""
    label_heads = {GLOSS_ANNOTATION: ["gloss"], HAMNOSYS_ANNOTATION: HAMNOSYS_HEADS, LETTERS_ANNOTATION: ["letter"]}
    for file_name, heads in label_heads.items():
        lines = _lines(dataset / file_name)
        assert lines, file_name
        for name, start, end, *labels in lines:
            frames = sorted((dataset / name).glob("*.jpg"))
            assert (int(start), int(end)) == (0, len(frames) - 1)
            assert {f.name for f in frames} == {f"{name}_{i}.jpg" for i in range(len(frames))}
            properties = json.loads((dataset / name / "properties.json").read_text(encoding="utf-8"))
            assert properties == {"fps": 25, "width": 32, "height": 32, "num_frames": len(frames)}
            assert len(labels) == len(heads)
            for head, label in zip(heads, labels):
                assert 0 <= int(label) < len(CLASS_NAMES[head])


def test_clip_counts_lengths_and_frames(dataset: Path) -> None:
    """Balanced classes, clip lengths within bounds, single-frame letters, RGB frames of the asked size."""
    gloss_lines, letter_lines = _lines(dataset / GLOSS_ANNOTATION), _lines(dataset / LETTERS_ANNOTATION)
    assert Counter(int(line[3]) for line in gloss_lines) == {i: 2 for i in range(len(GLOSSES))}
    assert Counter(int(line[3]) for line in letter_lines) == {i: 2 for i in range(len(LETTERS))}
    assert all(3 <= int(line[2]) + 1 <= 5 for line in gloss_lines)
    assert all(line[2] == "0" for line in letter_lines)  # letters are single frames
    hamnosys_names = [line[0] for line in _lines(dataset / HAMNOSYS_ANNOTATION)]
    assert sorted(hamnosys_names) == sorted(line[0] for line in gloss_lines + letter_lines)
    name = gloss_lines[0][0]
    with Image.open(dataset / name / f"{name}_0.jpg") as image:
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (32, 32))


def test_class_names_and_readme(dataset: Path) -> None:
    """class_names.json names every head in id order; the README describes the glosses."""
    class_names = json.loads((dataset / "class_names.json").read_text(encoding="utf-8"))
    assert class_names == CLASS_NAMES
    assert set(class_names) == {"gloss", "letter", *HAMNOSYS_HEADS}
    assert "HELLO" in (dataset / "README.md").read_text(encoding="utf-8")


def test_hamnosys_labels_of_gloss_clips_follow_the_gloss_definition(dataset: Path) -> None:
    """A gloss clip carries exactly its gloss's HamNoSys attributes."""
    hamnosys = {line[0]: line[3:] for line in _lines(dataset / HAMNOSYS_ANNOTATION)}
    for name, _, _, gloss_id in _lines(dataset / GLOSS_ANNOTATION):
        form = GLOSSES[CLASS_NAMES["gloss"][int(gloss_id)]]
        assert [CLASS_NAMES[h][int(i)] for h, i in zip(HAMNOSYS_HEADS, hamnosys[name])] == list(form)


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path, dataset: Path) -> None:
    """Same seed -> byte-identical files; another seed -> other images."""
    again = make_synthetic_dataset(tmp_path / "again", seed=3, **TINY)
    other = make_synthetic_dataset(tmp_path / "other", seed=4, **TINY)
    assert _all_files(again) == _all_files(dataset)
    assert _all_files(other) != _all_files(dataset)
    name = "hello_0000"
    assert (other / name / f"{name}_0.jpg").read_bytes() != (dataset / name / f"{name}_0.jpg").read_bytes()


def test_no_single_attribute_identifies_a_gloss() -> None:
    """Each attribute value is shared by several glosses; some glosses differ only in movement."""
    for position, head in enumerate(HAMNOSYS_HEADS):
        counts = Counter(form[position] for form in GLOSSES.values())
        assert min(counts.values()) >= 2, f"{head}: {counts}"
    assert len(set(GLOSSES.values())) == len(GLOSSES)
    # Some glosses differ only in movement, so a single frame cannot tell them apart.
    static = Counter(form[:4] for form in GLOSSES.values())
    assert max(static.values()) >= 2


def test_letters_are_distinct_static_forms() -> None:
    """Letters are distinct (handshape, orientation) pairs from the HamNoSys vocabularies."""
    assert len(set(LETTERS.values())) == len(LETTERS)
    for handshape, orientation in LETTERS.values():
        assert handshape in CLASS_NAMES["hand_shape_base_form"]
        assert orientation in CLASS_NAMES["hand_position_palm_orientation"]


def test_refuses_non_empty_output_dir_and_leaves_no_partial_folder(tmp_path: Path) -> None:
    """A folder with foreign files is never written into nor deleted, and no partial folder stays."""
    target = tmp_path / "data"
    target.mkdir()
    (target / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError):
        make_synthetic_dataset(target, **TINY)
    with pytest.raises(FileExistsError):  # overwrite never deletes a folder this tool did not make
        make_synthetic_dataset(target, overwrite=True, **TINY)
    assert (target / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_empty_output_dir_is_used_and_overwrite_replaces_a_dataset(tmp_path: Path) -> None:
    """An empty folder is filled; overwrite replaces a generated dataset in place."""
    target = tmp_path / "data"
    target.mkdir()
    make_synthetic_dataset(target, seed=1, **TINY)
    first = _all_files(target)
    make_synthetic_dataset(target, seed=2, overwrite=True, **TINY)
    assert _all_files(target) != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_interrupted_run_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that fails half-way leaves neither the output folder nor its partial sibling."""
    calls = []

    def failing_render(*args, **kwargs):
        calls.append(1)
        if len(calls) > 3:
            raise KeyboardInterrupt
        return real_render(*args, **kwargs)

    real_render = drawing.render_clip_and_track
    monkeypatch.setattr(drawing, "render_clip_and_track", failing_render)
    with pytest.raises(KeyboardInterrupt):
        make_synthetic_dataset(tmp_path / "data", **TINY)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "args",
    [[], ["--output_dir"], ["--output_dir", "x", "--seed", "-1"], ["--output_dir", "x", "--clips_per_gloss", "a"]],
)
def test_cli_bad_arguments_exit_2_with_one_line(args: list[str], tmp_path: Path, capsys) -> None:
    """Bad arguments: one line on stderr, exit status 2."""
    with pytest.raises(SystemExit) as raised:
        main([arg.replace("x", str(tmp_path / "x")) for arg in args])
    assert raised.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_cli_refuses_non_empty_dir_with_exit_2(tmp_path: Path, capsys) -> None:
    """A non-empty output folder: one-line error, exit status 2, no traceback."""
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    assert main(["--output_dir", str(tmp_path), "--clips_per_gloss", "1", "--letter_clips_per_letter", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not empty" in err[0]


@pytest.mark.parametrize("how", [["-m", "data_preprocessing.make_synthetic"], ["data_preprocessing/make_synthetic.py"]])
def test_cli_runs_as_module_and_as_script(how: list[str], tmp_path: Path) -> None:
    """Both ways of running the tool from the repository root work and print the output path."""
    out = tmp_path / "out"
    args = ["--output_dir", str(out), "--clips_per_gloss", "1", "--letter_clips_per_letter", "1", "--image_size", "24"]
    result = subprocess.run(
        [sys.executable, *how, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(out)
    assert len(_lines(out / GLOSS_ANNOTATION)) == len(GLOSSES)
    with Image.open(out / "hello_0000" / "hello_0000_0.jpg") as image:
        assert image.size == (24, 24)
