"""make_statistics.py: charts (valid PNGs) and tables from numeric annotation files and from HamNoSys strings."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from data_preprocessing import hamnosys_symbols as sym
from data_preprocessing.parse_hamnosys import main as parse_main
from utils.make_statistics import main

ROOT = Path(__file__).resolve().parents[1]
NOTATIONS = [
    "fist extfingeru palml cheek movedo",
    "fist thumbacrossmod extfingero palmd chest touch",
    "symmlr flathand extfingeru palml shoulders lrat moved",
    "parbegin finger2 plus flathand parend extfingerr palmd movei",
]


def ham(names: str) -> str:
    """A notation from space-separated symbol names without the `ham` prefix."""
    return "".join(sym.code(name) for name in names.split())


def _source(tmp_path: Path, extra: str = "") -> Path:
    """A parse-hamnosys source file (6 columns, HamNoSys last) of the four notations, plus `extra` lines."""
    path = tmp_path / "source.txt"
    lines = [f"clip{i} 0 5 {i} word {ham(n)}" for i, n in enumerate(NOTATIONS)]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def _table(path: Path) -> dict[str, dict[str, str]]:
    return {row["column"]: row for row in csv.DictReader(path.open(encoding="utf-8"))}


def _counts(path: Path, column: str) -> dict[str, int]:
    rows = csv.DictReader(path.open(encoding="utf-8"))
    return {row["class_name"]: int(row["count"]) for row in rows if row["column"] == column}


def _assert_png(path: Path) -> None:
    with Image.open(path) as image:
        assert image.format == "PNG" and image.width > 300 and image.height > 200


def test_annotation_file_gives_a_chart_per_head_an_overview_and_tables(tmp_path, capsys):
    annotation = tmp_path / "hamnosys.txt"
    assert parse_main(["-sf", str(_source(tmp_path)), "-af", str(annotation)]) == 0
    out = tmp_path / "stats"
    assert main(["--file_path", str(annotation), "--output_directory", str(out)]) == 0
    assert "hand_shape_base_form: 4 labelled, 3/12 classes seen, imbalance 2.0" in capsys.readouterr().out
    for head in sym.HEADS:
        _assert_png(out / f"{head}.png")
    _assert_png(out / "overview.png")
    table = _table(out / "statistics.csv")
    assert list(table) == sym.HEADS
    base = table["hand_shape_base_form"]
    assert (base["labelled"], base["classes_seen"], base["most_common"], base["imbalance_ratio"]) == (
        "4",
        "3",
        "0 fist",
        "2.0",
    )
    assert base["never_seen"].startswith("3 finger23; 4 finger23spread")
    nondominant = table["nondominant_hand_shape_base_form"]
    assert (nondominant["labelled"], nondominant["without_label"]) == ("1", "3")
    assert _counts(out / "class_counts.csv", "hand_shape_base_form")["fist"] == 2
    markdown = (out / "statistics.md").read_text(encoding="utf-8")
    assert "## hand_position_palm_orientation" in markdown and "| 6 | palml | 2 |" in markdown


def test_hamnosys_strings_are_parsed_on_the_fly(tmp_path, capsys):
    source = _source(tmp_path, f"bad 0 5 9 word {ham('extfingeru palml')}\n")
    out = tmp_path / "stats"
    assert main(["--file_path", str(source), "--output_directory", str(out), "--heads", "symmetry_operator"]) == 0
    assert capsys.readouterr().out.startswith("symmetry_operator: 4 labelled, 2/9 classes seen, imbalance 3.0")
    assert sorted(p.name for p in out.glob("*.png")) == ["overview.png", "symmetry_operator.png"]
    assert _counts(out / "class_counts.csv", "symmetry_operator") == dict(
        zip(sym.CLASS_NAMES["symmetry_operator"], [3, 0, 0, 0, 0, 0, 0, 1, 0])
    )
    assert "1 line(s) of HamNoSys could not be parsed" in (out / "statistics.md").read_text(encoding="utf-8")


def test_csv_with_a_hamnosys_column(tmp_path):
    source = tmp_path / "signs.csv"
    source.write_text("gloss,hamnosys\n" + "".join(f"g{i},{ham(n)}\n" for i, n in enumerate(NOTATIONS)), "utf-8")
    out = tmp_path / "stats"
    assert main(["--file_path", str(source), "--output_directory", str(out), "--heads", "hand_location_y"]) == 0
    assert list(_table(out / "statistics.csv")) == ["hand_location_y"]
    assert _counts(out / "class_counts.csv", "hand_location_y")["chest/neutral"] == 2


def test_parse_hamnosys_output_file_uses_its_columns_and_symbol_names(tmp_path):
    parsed = tmp_path / "parsed.txt"
    assert parse_main(["-sf", str(_source(tmp_path)), "-df", str(parsed)]) == 0
    out = tmp_path / "stats"
    heads = ["hand_shape_base_form", "Handposition - TB"]
    assert main(["--file_path", str(parsed), "--output_directory", str(out), "--heads", *heads]) == 0
    table = _table(out / "statistics.csv")
    assert list(table) == [
        "Dominant - Handshape - Baseform",
        "Dominant - Handshape - Baseform2",
        "Handposition - TB",
    ]
    assert table["Dominant - Handshape - Baseform2"]["labelled"] == "0"  # NaN: no second handshape
    assert _counts(out / "class_counts.csv", "Handposition - TB")["cheek"] == 1
    _assert_png(out / "Dominant_Handshape_Baseform2.png")


def test_unknown_columns_are_counted_by_id_with_another_separator(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("a,0,3,2,0\nb,0,3,2,-1\nc,0,3,0,1\n", encoding="utf-8")
    out = tmp_path / "stats"
    assert main(["--file_path", str(path), "--output_directory", str(out), "--separator", ","]) == 0
    table = _table(out / "statistics.csv")
    assert (table["label_1"]["classes"], table["label_1"]["never_seen"], table["label_2"]["labelled"]) == (
        "3",
        "1 1",
        "2",
    )


@pytest.mark.parametrize(
    "content, extra, message",
    [
        (None, [], "missing.txt: file does not exist"),
        ("a 0 3 x\n", [], "labels.txt:1: column label_1: 'x' is not a class id"),
        ("a 0 3 1 2\nb 0 3 1\n", [], "labels.txt:2: expected 5 fields like line 1, got 4"),
        ("name start end hand_shape_bending\na 0 3 9\n", [], "class id 9 is outside 0..5 of head hand_shape_bending"),
        ("a 0 3 1\n", ["--heads", "wrist"], "no column wrist (columns: label_1)"),
    ],
)
def test_bad_input_exits_2_naming_file_and_problem(tmp_path, capsys, content, extra, message):
    path = tmp_path / ("missing.txt" if content is None else "labels.txt")
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["--file_path", str(path), "--output_directory", str(tmp_path / "out"), *extra]) == 2
    assert message in capsys.readouterr().err


def test_runs_as_a_script_and_argument_errors_exit_2(tmp_path):
    script = ROOT / "utils" / "make_statistics.py"
    done = subprocess.run(
        [sys.executable, str(script), "--file_path", str(tmp_path / "x.txt")], capture_output=True, check=False
    )
    assert done.returncode == 2 and b"--output_directory" in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "utils.make_statistics", "--file_path", "nope.txt", "--output_directory", "o"],
        capture_output=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2 and b"nope.txt: file does not exist" in done.stderr
