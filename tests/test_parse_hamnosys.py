"""HamNoSys parser: parse-hamnosys conformance, real-lexicon robustness, edge cases, command line and config."""

import csv
import gzip
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from data_preprocessing import hamnosys_symbols as sym
from data_preprocessing.hamnosys_parser import HamNoSysParseError, parse_hamnosys
from data_preprocessing.parse_hamnosys import main
from datasets.annotations import read_annotations
from datasets.errors import BadSamples
from datasets.vocabulary import NO_LABEL, label_id
from utils.config import read_yaml, validate_config

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "hamnosys"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared HamNoSys data not found at {SHARED}")
HAMNOSYS_CONFIG = ROOT / "configs" / "hamnosys.yml"


def read_annotation_file(path: Path, heads: dict) -> list[tuple[str, int, int, dict[str, int]]]:
    """One HearAI txt file as (clip name, start, end, {head: id}) entries (class names via the heads' config)."""
    entries = []
    for record in read_annotations(path, list(heads), BadSamples()):
        head_labels = {
            h: label_id(record.tokens[h], h, cfg, record.origin, cfg.class_names) if h in record.tokens else NO_LABEL
            for h, cfg in heads.items()
        }
        entries.append((record.name, int(record.start), int(record.end), head_labels))
    return entries


def ham(names: str) -> str:
    """A notation from space-separated symbol names without the `ham` prefix."""
    return "".join(sym.code(name) for name in names.split())


def labels(names: str) -> dict[str, int]:
    """The head labels of a notation given by symbol names."""
    return parse_hamnosys(ham(names)).head_labels()


@needs_shared
def test_all_parse_hamnosys_test_cases_give_its_expected_file(tmp_path, capsys):
    source, expected = SHARED / "parse-hamnosys_test_source.txt", SHARED / "parse-hamnosys_test_result.txt"
    out, errors = tmp_path / "result.txt", tmp_path / "errors.tsv"
    assert main(["-sf", str(source), "-df", str(out), "-ef", str(errors)]) == 0
    cases = len(source.read_text(encoding="utf-8").splitlines())
    assert capsys.readouterr().out.startswith(f"parsed {cases} of {cases} lines (100.0%)")
    assert out.read_text(encoding="utf-8") == expected.read_text(encoding="utf-8")
    assert errors.read_text(encoding="utf-8").splitlines() == ["line\tname\treason\thamnosys"]


@needs_shared
def test_every_lexicon_entry_parses_or_says_why():
    with gzip.open(SHARED / "ham2pose_hamnosys_data.json.gz", "rt", encoding="utf-8") as file:
        entries = json.load(file)
    assert len(entries) == 5752
    total, parsed = Counter(), Counter()
    for key, entry in entries.items():
        prefix = key.split("_", maxsplit=1)[0]
        language = prefix if prefix in ("pjm", "gsl") else "dgs" if key.isdigit() else "lsf"
        total[language] += 1
        try:
            head_labels = parse_hamnosys(entry["hamnosys"]).head_labels()
        except HamNoSysParseError as error:
            assert "symbol" in str(error) or "notation" in str(error), str(error)
            continue
        parsed[language] += 1
        assert all(-1 <= head_labels[h] < sym.NUM_CLASSES[h] for h in sym.HEADS)
    assert set(total) == {"dgs", "pjm", "gsl", "lsf"}
    assert all(parsed[language] / total[language] > 0.99 for language in total), (parsed, total)


def test_one_handed_sign_has_no_nondominant_labels():
    result = labels("finger2 thumbacrossmod extfingeru palml chin lrat touch movedo")
    assert result["hand_shape_base_form"] == 2 and result["hand_shape_thumb_position"] == 2
    assert result["hand_position_finger_direction"] == 0 and result["hand_position_palm_orientation"] == 6
    assert (result["hand_location_x"], result["hand_location_y"], result["hand_location_distance"]) == (4, 9, 2)
    assert all(result[h] == -1 for h in sym.HEADS if h.startswith("nondominant_"))


@pytest.mark.parametrize(
    "notation, expected",
    [
        # a contact bracket after the place: the hand touches the place (DONKEY-EAR1: thumb tip on the forehead)
        (
            "finger2345 thumboutmod extfingeru palmdl forehead lrat seqbegin touch thumb fingertip seqend",
            ("forehead", 2),
        ),
        ("pinchall extfingerul palmdl chin seqbegin touch fingertip seqend movedl", ("chin", 2)),
        # a hand constellation (the hands touch each other) before the place: the place is what follows it
        (
            "symmlr finger2 extfingerul palmd seqbegin touch fingertip indexfinger seqend shoulders mover",
            ("shoulders", 0),
        ),
        # ... or neutral space when no place follows; the hand part in the bracket is not a place
        (
            "parbegin fist extfingerol palmd plus fist extfingeror palmu parend seqbegin touch fingermidjoint seqend",
            ("chest/neutral", 0),
        ),
        # a bracket of movements after the place is no contact
        ("fist extfingeru palml chest seqbegin moveu movel seqend", ("chest/neutral", 0)),
    ],
)
def test_contact_brackets_give_the_contact_but_never_the_place(notation, expected):
    result = labels(notation)
    place = sym.CLASS_NAMES["hand_location_y"][result["hand_location_y"]]
    assert (place, result["hand_location_distance"]) == expected


def test_two_handed_sign_with_both_handshapes_in_brackets():
    result = parse_hamnosys(ham("parbegin finger23 plus flathand fingerbendmod parend extfingerr palmd movei"))
    assert (result.dominant.base_form, result.nondominant.base_form, result.nondominant.bending) == (3, 1, 3)
    assert result.nondominant.finger_direction is None and result.dominant.finger_direction == 2


def test_two_handed_sign_with_the_nondominant_hand_after_the_palm():
    result = labels("fist extfingeru palml plus flathand extfingero palmu chest touch")
    assert result["nondominant_hand_shape_base_form"] == 1
    assert result["nondominant_hand_position_finger_direction"] == 8  # extfingero
    assert result["nondominant_hand_position_palm_orientation"] == 0
    assert result["hand_location_y"] == sym.LOCATION_TB[sym.code("chest")]


def test_nondominant_hand_as_the_dominant_one():
    result = labels("parbegin flathand extfingerol palmdl plus nondominant etc extfingeror palmd parend chest")
    assert result["nondominant_hand_shape_base_form"] == -1
    assert result["nondominant_hand_position_finger_direction"] == 9  # extfingeror


@pytest.mark.parametrize(
    "operator, expected",
    [
        ("", 0),
        ("symmlr", 7),
        ("symmpar", 8),
        ("symmlr largemod", 5),
        ("symmpar fingerstraightmod", 4),
        ("symmlr largemod fingerstraightmod", 1),
        ("symmpar fingerstraightmod largemod", 2),
    ],
)
def test_symmetry_operators(operator, expected):
    assert labels(f"{operator} fist extfingeru palml")["symmetry_operator"] == expected


def test_nondominant_first_is_not_a_symmetry():
    result = parse_hamnosys(ham("nondominant flathand extfingeru palml"))
    assert (result.symmetry, result.nondominant_first, result.dominant.base_form) == (0, 1, 1)


def test_between_gives_a_second_handshape_and_a_finger_range_does_not():
    assert parse_hamnosys(ham("finger2 between finger23 extfingeru palml")).dominant.base_form2 == 3
    ranged = parse_hamnosys(ham("finger23 middlefinger between ringfinger extfingeruo palmd circlei"))
    assert ranged.dominant.base_form == 3 and ranged.dominant.base_form2 is None


def test_alternatives_and_spaces_keep_the_first_reading():
    notation = "{" + ham("fist") + "|" + ham("flathand") + "} " + ham("extfingeru palml")
    assert parse_hamnosys(notation).dominant.base_form == 0


def test_no_location_means_neutral_space():
    result = labels("flathand extfingero palmd moveo")
    assert (result["hand_location_x"], result["hand_location_y"], result["hand_location_distance"]) == (0, 14, 0)


@pytest.mark.parametrize(
    "notation, message",
    [
        (ham("extfingeru palmd shoulders"), "expected a handshape base form, found hamextfingeru (symbol 1 of 3)"),
        (ham("fist palml chest"), "expected an extended finger direction, found hampalml (symbol 2 of 3)"),
        (ham("fist extfingeru chest"), "expected a palm orientation, found hamchest (symbol 3 of 3)"),
        (ham("fist extfingeru"), "expected a palm orientation, found the end of the notation (after all 2"),
        (ham("fist between extfingeru palml"), "expected a handshape base form, found hamextfingeru (symbol 3"),
        (ham("fist") + "A" + ham("extfingeru palml"), "invalid character 'A' (U+0041), not a HamNoSys 4 symbol"),
        (ham("fist extfingeru palml") + "\ue0ff", "(U+E0FF), not a HamNoSys 4 symbol"),
        (ham("fist") + "|" + ham("extfingeru palml"), "'|' outside an alternative"),
        ("{" + ham("fist extfingeru palml"), "'{' has no closing '}'"),
        ("  ", "empty notation"),
    ],
)
def test_unparsable_notations_say_where_and_why(notation, message):
    with pytest.raises(HamNoSysParseError) as caught:
        parse_hamnosys(notation)
    assert message in str(caught.value)


def _write_source(path: Path) -> Path:
    lines = [
        f"good 0 10 1 word {ham('symmlr fist extfingeru palml chest')}",
        f"nohand 0 10 2 word {ham('extfingeru palml chest')}",
        "short 0 10 word",
        f"frames x 10 3 word {ham('fist extfingeru palml')}",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_unparsable_lines_go_to_the_error_file_with_the_reason(tmp_path, capsys):
    source, out, errors = _write_source(tmp_path / "src.txt"), tmp_path / "out.txt", tmp_path / "err.tsv"
    assert main(["-sf", str(source), "-df", str(out), "-ef", str(errors)]) == 0
    assert f"parsed 1 of 4 lines (25.0%); 3 could not be parsed (listed in {errors})" in capsys.readouterr().out
    rows = list(csv.DictReader(errors.open(encoding="utf-8"), delimiter="\t"))
    assert [(r["line"], r["name"]) for r in rows] == [("2", "nohand"), ("3", "short"), ("4", "frames")]
    assert "expected a handshape base form" in rows[0]["reason"]
    assert "expected 6 space-separated columns" in rows[1]["reason"]
    assert "frame numbers" in rows[2]["reason"]
    assert [line.split()[0] for line in out.read_text(encoding="utf-8").splitlines()] == ["Name", "good"]


def test_csv_to_annotation_file_that_training_reads(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "class_names.json").write_text(json.dumps({"gloss": ["a", "b"]}), encoding="utf-8")
    source = tmp_path / "signs.csv"
    source.write_text(
        "clip,first,last,notation\n"
        f"c1,0,4,{ham('fist extfingeru palml cheek')}\n"
        f"c2,2,9,{ham('parbegin flathand plus fist parend extfingero palmd chest touch')}\n",
        encoding="utf-8",
    )
    args = ["-sf", str(source), "-af", str(data / "hamnosys.txt")]
    columns = ["--name_column", "clip", "--start_column", "first", "--end_column", "last"]
    assert main(args + columns + ["--hamnosys_column", "notation"]) == 0
    heads = validate_config(read_yaml(HAMNOSYS_CONFIG), "hamnosys.yml").heads["hamnosys"]
    entries = read_annotation_file(data / "hamnosys.txt", heads)
    assert [(name, start, end) for name, start, end, _ in entries] == [("c1", 0, 4), ("c2", 2, 9)]
    assert entries[1][3]["nondominant_hand_shape_base_form"] == 0 and entries[0][3]["hand_location_y"] == 21
    class_names = json.loads((data / "class_names.json").read_text(encoding="utf-8"))
    assert class_names["gloss"] == ["a", "b"]  # other heads' names are kept
    assert class_names["hand_shape_base_form"][:2] == ["fist", "flathand"]
    assert "parsed 2 of 2 lines" in capsys.readouterr().out


def test_hearai_heads_preset_writes_eight_labels(tmp_path):
    source, annotation = _write_source(tmp_path / "src.txt"), tmp_path / "ann.txt"
    assert main(["-sf", str(source), "-af", str(annotation), "--heads", "hearai"]) == 0
    assert annotation.read_text(encoding="utf-8").split() == [
        "good",
        "0",
        "10",
        "7",
        "0",
        "0",
        "0",
        "0",
        "6",
        "0",
        "14",
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["-sf", "missing.txt", "-df", "out.txt"], "missing.txt: source file does not exist"),
        (["-sf", "signs.csv", "-df", "out.txt"], "signs.csv: no column 'hamnosys'"),
        (["-sf", "signs.csv"], "give -df/--dst_file and/or -af/--annotation_file"),
        (["-sf", "signs.csv", "-af", "a.txt", "--heads", "wrist"], "unknown head(s) wrist"),
    ],
)
def test_command_line_errors_exit_2_naming_the_problem(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    Path("signs.csv").write_text("name,start,end,ham\nx,0,1,y\n", encoding="utf-8")
    try:
        status = main(args)
    except SystemExit as stop:  # argparse's own errors
        status = stop.code
    assert status == 2
    assert message in capsys.readouterr().err


def test_runs_as_a_script(tmp_path):
    source, out = _write_source(tmp_path / "src.txt"), tmp_path / "out.txt"
    script = ROOT / "data_preprocessing" / "parse_hamnosys.py"
    done = subprocess.run(
        [sys.executable, str(script), "-sf", str(source), "-df", str(out)], capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert b"could not be parsed" in done.stdout and out.is_file()


def test_hamnosys_config_heads_follow_the_parser_tables():
    heads = validate_config(read_yaml(HAMNOSYS_CONFIG), str(HAMNOSYS_CONFIG)).heads["hamnosys"]
    assert list(heads) == sym.HEADS
    assert {head: cfg.num_class for head, cfg in heads.items()} == sym.NUM_CLASSES
    assert sym.HEADS[:8] == [
        "symmetry_operator",
        "hand_shape_base_form",
        "hand_shape_thumb_position",
        "hand_shape_bending",
        "hand_position_finger_direction",
        "hand_position_palm_orientation",
        "hand_location_x",
        "hand_location_y",
    ]  # HearAI's hamnosys heads, in its order


TINY_RUN = {
    "general_parameters.workers": "0",
    "augmentations_parameters.resize_size": "32",
    "augmentations_parameters.center_crop_size": "32",
    "train_parameters.epochs": "1",
    "train_parameters.batch_size": "4",
    "train_parameters.num_segments": "2",
    "feature_extractor.model_path": "resnet10t",
    "feature_extractor.representation_size": "16",
    "transformer.feedforward_size": "32",
    "transformer.output_size": "16",
    "transformer.num_encoder_layers": "1",
    "trainer.log_every_n_steps": "1",
}


def _frames_and_csv(root: Path) -> Path:
    """12 three-frame clips in the HearAI layout under `root/data`, and `root/signs.csv` with their HamNoSys."""
    notations = [
        "fist extfingeru palml cheek",
        "flathand extfingerol palmd chest touch",
        "symmlr finger2 extfingeru palmu shoulders lrat",
        "parbegin finger23 plus flathand parend extfingerr palmd movei",
    ]
    rows = ["name,start,end,hamnosys"]
    for index in range(12):
        clip = root / "data" / f"clip{index}"
        clip.mkdir(parents=True)
        for frame in range(3):
            Image.new("RGB", (32, 32), (20 * index, 10 * frame, 90)).save(clip / f"clip{index}_{frame}.jpg")
        rows.append(f"clip{index},0,2,{ham(notations[index % 4])}")
    (root / "signs.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root / "signs.csv"


@pytest.mark.slow
def test_hamnosys_config_trains_on_a_parsed_annotation_file(tmp_path, capsys):
    import train  # pylint: disable=import-outside-toplevel  # heavy (torch, Lightning): only for this test

    data = tmp_path / "data"
    assert main(["-sf", str(_frames_and_csv(tmp_path)), "-af", str(data / "hamnosys.txt")]) == 0
    overrides = TINY_RUN | {"general_parameters.data_path": str(data), "general_parameters.runs_dir": str(tmp_path)}
    args = ["--model_config_path", str(HAMNOSYS_CONFIG)]
    for key, value in overrides.items():
        args += ["--set", f"{key}={value}"]
    assert train.main(args) == 0
    run_dir = Path(capsys.readouterr().out.strip().splitlines()[-1].removeprefix("run_dir: "))
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["val"]) == set(sym.HEADS)
