"""The `phonology` mode: ASL-LEX labels by gloss (mapping, class lists, -1 without an entry), its config checks, a
tiny multi-task run, and the gloss-held-out folds of the unseen-sign benchmark."""

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

import train
from benchmarks import phonology_unseen
from data_preprocessing import asl_lex_heads
from datasets.asl_lex import RARE, AslLex, normalise_gloss
from datasets.data_module import SignDataModule
from datasets.errors import DataError
from datasets.gloss_folds import TEST, gloss_folds, write_fold_split
from datasets.splits import TRAIN, VAL, read_split_file
from tests.phonology_factories import SIGNS, write_lexicon
from tests.signer_factories import write_signers_corpus
from utils.config import ConfigError, load_config, validate_config

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
ASL_LEX = SHARED / "asl_lex" / "asl_lex2_signdata-11-5-20.csv.gz"
SIGNERS_INDEX = SHARED / "mediapipe_signers" / "index.csv.gz"
needs_shared = pytest.mark.skipif(
    not (ASL_LEX.is_file() and SIGNERS_INDEX.is_file()), reason="../shared/data (asl_lex, mediapipe_signers) is absent"
)
CORPUS = {f"s{i}": ["hello", "thanks", "iloveyou", "idle"] for i in range(4)}
TWO_HEADS = {"handshape": {"num_class": 4, "loss_weight": 0.5}, "major_location": {"num_class": 3, "loss_weight": 0.5}}


def test_glosses_and_entry_ids_are_compared_after_normalisation():
    assert {normalise_gloss(g) for g in ("Thank You", "thank-you", " THANK_you ", "thank__you")} == {"thank_you"}
    assert normalise_gloss("I_love_you") == "i_love_you" and normalise_gloss("don't") == "don_t"
    assert normalise_gloss("_") == ""


def test_a_gloss_maps_by_exact_match_or_alias_and_nothing_else(tmp_path):
    lexicon = AslLex(write_lexicon(tmp_path / "lex.csv.gz"))
    assert lexicon.entry_for("Hello") == "hello" and lexicon.entry_for("house") == "house"
    assert lexicon.entry_for("thanks") == "thank_you"  # built-in aliases
    assert lexicon.entry_for("iloveyou") == "i_love_you" and lexicon.entry_for("deaf") == "deaf_1"
    assert lexicon.entry_for("hell") is None and lexicon.entry_for("happiness") is None  # no fuzzy matching
    own = AslLex(tmp_path / "lex.csv.gz", aliases={"glad": "happy", "hello": None})
    assert own.entry_for("glad") == "happy" and own.entry_for("hello") is None  # the config's aliases win
    with pytest.raises(DataError, match="not in ASL-LEX: glad -> joyful"):
        AslLex(tmp_path / "lex.csv.gz", aliases={"glad": "joyful"})


def test_class_lists_are_the_coded_values_with_rare_ones_merged(tmp_path):
    path = write_lexicon(tmp_path / "lex.csv.gz", [*SIGNS.items(), ("hello", {"handshape": "5"})])
    every = AslLex(path, min_signs=1)
    assert every.class_names("handshape") == ["1", "a", "c", "closed_b", "flat_h", "ily", "open_b", "s"]
    assert every.class_names("contact") == ["no", "yes"]  # 0/1 columns
    assert every.class_names("flexion") == ["FullyOpen"]  # NA is no value
    assert "None" in every.class_names("movement")  # ASL-LEX's value "None" (no path movement) is a class
    assert every.values("hello")["handshape"] == "closed_b"  # an EntryID coded twice keeps its first row
    assert "flexion" not in every.values("sorry") and "nondominant_handshape" not in every.values("hello")
    merged = AslLex(path, min_signs=2)
    assert merged.class_names("handshape") == ["1", "open_b", "s", RARE]
    assert merged.values("hello")["handshape"] == RARE and merged.values("deaf_2")["handshape"] == "1"


@needs_shared
def test_which_glosses_of_mediapipe_signers_have_an_asl_lex_entry():
    glosses = asl_lex_heads.read_glosses(SIGNERS_INDEX)
    lexicon = AslLex(ASL_LEX)
    mapped = {gloss: lexicon.entry_for(gloss) for gloss in glosses if lexicon.entry_for(gloss)}
    aliased = {g: e for g, e in mapped.items() if g != e}
    assert aliased == {"thanks": "thank_you", "iloveyou": "i_love_you", "deaf": "deaf_1", "welcome": "welcome_1"}
    exact = "again bad can coffee feel finish get go good hate have hearing hello help house indian language man maybe"
    exact += " my name no play please sign small sorry start tea teacher tired try water woman yes you"
    assert sorted(set(mapped) - set(aliased)) == exact.split()
    unmapped = sorted(set(glosses) - set(mapped))
    assert len(mapped) == 40 and len(unmapped) == 38
    # letters, the idle classes, phrases, and words ASL-LEX spells otherwise (food = EAT, okay = OK, large = BIG)
    assert {"a", "z", "_", "idle", "how_are_you", "my_name_is", "food", "okay", "large", "i", "namaste"} <= set(
        unmapped
    )


@needs_shared
@pytest.mark.parametrize("name", ["signers_gloss_phonology", "signers_phonology_unseen"])
def test_the_shipped_configs_num_class_are_what_asl_lex_gives(name):
    config = load_config(ROOT / "configs" / f"{name}.yml")
    lexicon = AslLex(ASL_LEX, min_signs=config.phonology.min_signs)
    assert {h: c.num_class for h, c in config.heads["phonology"].items()} == {
        h: len(lexicon.class_names(h)) for h in config.heads["phonology"]
    }


def test_the_multitask_config_is_signers_gloss_plus_the_phonology_heads():
    base = yaml.safe_load((ROOT / "configs" / "signers_gloss.yml").read_text(encoding="utf-8"))
    multi = yaml.safe_load((ROOT / "configs" / "signers_gloss_phonology.yml").read_text(encoding="utf-8"))
    assert multi.pop("phonology")["lexicon"].endswith("asl_lex2_signdata-11-5-20.csv.gz")
    assert multi["heads"].pop("phonology") and multi["train_parameters"]["classification_mode"] == [
        "gloss",
        "phonology",
    ]
    multi["train_parameters"]["classification_mode"] = base["train_parameters"]["classification_mode"]
    multi["general_parameters"]["experiment_name"] = base["general_parameters"]["experiment_name"]
    assert multi == base  # same data, split, model and budget: the two differ only in the heads


def _config(tmp_path: Path, mode, heads: dict, **phonology) -> dict:
    corpus = write_signers_corpus(tmp_path / "corpus", CORPUS, clips=2, frames=6)
    lexicon = write_lexicon(tmp_path / "asl_lex.csv.gz")
    return {
        "general_parameters": {
            "data_paths": [{"path": str(corpus), "format": "landmarks", "annotation_files": {"gloss": "index.csv.gz"}}],
            "runs_dir": str(tmp_path / "runs"),
            "ratio_train_test": 0.5,
            "ratio_test": 0.25,
        },
        "train_parameters": {"classification_mode": mode, "epochs": 2, "batch_size": 4, "num_segments": 4},
        "feature_extractor": {
            "use_frames": False,
            "use_landmarks": True,
            "representation_size": 16,
            "landmarks": {"name": "landmarks_mlp", "layout": "upper_body_hands"},
        },
        "transformer": {"feedforward_size": 32, "num_encoder_layers": 1, "output_size": 16},
        "heads": heads,
        "phonology": {"lexicon": str(lexicon)} | phonology,
    }


def _data(raw: dict) -> SignDataModule:
    data = SignDataModule.from_config(validate_config(raw, "test"))
    data.setup()
    return data


def test_each_clip_gets_its_glosss_phonology_and_minus_one_without_an_entry(tmp_path):
    heads = {"gloss": {"gloss": {"num_class": 4}}, "phonology": TWO_HEADS}
    data = _data(_config(tmp_path, ["gloss", "phonology"], heads, min_signs=2))
    names = data.class_names
    assert names["handshape"] == ["1", "open_b", "s", RARE]  # read from ASL-LEX: values of 2+ signs, then rare
    assert names["major_location"] == ["Body", "Head", "Neutral"]
    by_gloss = {names["gloss"][r.labels["gloss"]]: r.labels for r in data.records}
    assert names["handshape"][by_gloss["thanks"]["handshape"]] == "open_b"  # thanks -> thank_you
    assert names["handshape"][by_gloss["hello"]["handshape"]] == RARE  # closed_b: one sign < min_signs 2
    assert names["handshape"][by_gloss["iloveyou"]["handshape"]] == RARE
    assert names["major_location"][by_gloss["hello"]["major_location"]] == "Head"
    assert by_gloss["idle"]["handshape"] == by_gloss["idle"]["major_location"] == -1  # no entry: no label
    assert Counter(r.labels["handshape"] == -1 for r in data.records) == {False: 24, True: 8}


def test_phonology_alone_reads_the_gloss_only_to_look_it_up(tmp_path):
    data = _data(_config(tmp_path, "phonology", {"phonology": TWO_HEADS}, only_mapped_glosses=True, min_signs=2))
    assert set(data.class_names) == {"handshape", "major_location"}  # no gloss head is trained
    assert {r.tokens["gloss"] for r in data.records} == {"hello", "thanks", "iloveyou"}  # idle left out
    assert all(r.labels["handshape"] >= 0 for r in data.records)


def test_a_num_class_that_does_not_fit_asl_lex_names_the_key_and_the_count(tmp_path):
    heads = {"phonology": TWO_HEADS | {"handshape": {"num_class": 5}}}
    with pytest.raises(
        DataError, match=r"heads\.phonology\.handshape\.num_class: ASL-LEX .* gives 8 .*set num_class: 8"
    ):
        _data(_config(tmp_path, "phonology", heads, min_signs=1))


def test_config_errors_name_the_key(tmp_path):
    raw = _config(tmp_path, "phonology", {"phonology": TWO_HEADS})
    with pytest.raises(ConfigError, match=r"heads\.phonology\.hand_shape: not an ASL-LEX phonology head"):
        validate_config(raw | {"heads": {"phonology": {"hand_shape": {"num_class": 3}}}}, "x.yml")
    with pytest.raises(ConfigError, match=r"phonology\.lexicon: .*selects phonology, which needs"):
        validate_config(raw | {"phonology": {}}, "x.yml")
    with pytest.raises(ConfigError, match=r"phonology\.min_signs: .*greater than or equal to 1"):
        validate_config(raw | {"phonology": {"lexicon": "x", "min_signs": 0}}, "x.yml")
    path = tmp_path / "missing.yml"
    path.write_text(yaml.safe_dump(raw | {"phonology": {"lexicon": str(tmp_path / "nope.csv")}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"phonology\.lexicon: no such file: .*nope\.csv"):
        load_config(path)
    assert train.main(["--model_config_path", str(path)]) == 2


def test_a_tiny_gloss_and_phonology_run(tmp_path, capsys):
    heads = {"gloss": {"gloss": {"num_class": 4}}, "phonology": TWO_HEADS}
    raw = _config(tmp_path, ["gloss", "phonology"], heads, min_signs=2)
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert train.main(["--model_config_path", str(path)]) == 0
    run_dir = Path(capsys.readouterr().out.strip().splitlines()[-1].removeprefix("run_dir: "))
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["test"]) == {"gloss", "handshape", "major_location"}
    assert all(summary["test"][head]["accuracy"] is not None for head in summary["test"])
    names = json.loads((run_dir / "class_names.json").read_text(encoding="utf-8"))
    assert names["major_location"] == ["Body", "Head", "Neutral"]


def test_gloss_folds_never_put_a_sign_in_two_splits():
    signs = [f"g{i % 7}" for i in range(70)]
    folds = gloss_folds(signs, 5, seed=3)
    assert len(folds) == 5 and folds == gloss_folds(signs, 5, seed=3)
    tested = Counter()
    for fold in folds:
        glosses = {split: {signs[i] for i in fold[split]} for split in (TRAIN, VAL, TEST)}
        assert not glosses[TRAIN] & glosses[VAL] and not glosses[TRAIN] & glosses[TEST]
        assert not glosses[VAL] & glosses[TEST] and glosses[TRAIN] and glosses[VAL]
        assert sorted(fold[TRAIN] + fold[VAL] + fold[TEST]) == list(range(70))
        tested.update(glosses[TEST])
    assert tested == Counter({f"g{i}": 1 for i in range(7)})  # every sign is tested once
    with pytest.raises(DataError, match="3 or more folds"):
        gloss_folds(signs, 2, seed=0)
    with pytest.raises(DataError, match="8 gloss folds need 8 or more signs, found 7"):
        gloss_folds(signs, 8, seed=0)


def test_a_gloss_fold_is_a_split_file_that_train_py_reads(tmp_path):
    heads = {"phonology": TWO_HEADS}
    data = _data(_config(tmp_path, "phonology", heads, only_mapped_glosses=True, min_signs=2))
    signs = [data.options["phonology"].entry_of(r) for r in data.records]
    fold = gloss_folds(signs, 3, seed=0)[0]
    path = write_fold_split(data.records, fold, tmp_path / "fold.csv")
    assert read_split_file(path, data.records) == {split: sorted(fold[split]) for split in (TRAIN, VAL, TEST)}


def test_asl_lex_heads_prints_the_mapping_and_the_heads_block(tmp_path, capsys):
    lexicon = write_lexicon(tmp_path / "lex.csv.gz")
    index = tmp_path / "index.csv.gz"
    with gzip.open(index, "wt", encoding="utf-8") as handle:
        handle.write("path,gloss\na,hello\nb,hello\nc,thanks\nd,idle\n")
    args = ["--lexicon", str(lexicon), "--glosses", str(index), "--heads", "contact", "--min_signs", "1"]
    assert asl_lex_heads.main(args) == 0
    out = capsys.readouterr().out
    assert "hello                     2  hello" in out and "idle                      1  no entry" in out
    assert "# 2 of 3 glosses have an ASL-LEX entry" in out
    assert "        contact:  # Contact.2.0: no, yes\n            num_class: 2\n" in out
    assert asl_lex_heads.main(["--lexicon", str(tmp_path / "none.csv")]) == 2


def test_the_unseen_benchmark_scores_clips_and_glosses_against_the_majority():
    truth = [("hello", 0)] * 8 + [("you", 1), ("sorry", 2)]
    assert phonology_unseen.scores(truth, [0] * 10) == (0.8, pytest.approx(1 / 3))  # majority: 8 clips, 1 sign
    assert phonology_unseen.scores(truth, [1] * 8 + [1, 2]) == (0.2, pytest.approx(2 / 3))
    folds = [
        {"h": {"accuracy": a, "majority": 0.5, "balanced": a, "majority_balanced": 0.5, "classes": 2}}
        for a in (0.6, 0.8)
    ]
    assert phonology_unseen.table_rows(folds) == [
        {"head": "h", "classes": "2.0", "accuracy": "0.700 ± 0.141", "majority": "0.500 ± 0.000"}
        | {"balanced": "0.700 ± 0.141", "majority_balanced": "0.500 ± 0.000"}
    ]
