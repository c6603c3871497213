"""A multi-signer landmark corpus read as it is published: clips in a .zip, a gzipped index CSV naming signer and
gloss, a subset of its glosses kept with `only_listed_classes`."""

import gzip

import pytest

from datasets.annotations import read_annotations
from datasets.errors import BadSamples, DataError
from datasets.sources.landmarks import LandmarksSource
from tests.signer_factories import write_signers_corpus
from utils.config_data import DatasetEntry
from utils.config_schema import HeadConfig

SIGNERS = {"ann": ["hello", "thanks", "house"], "bob": ["hello", "thanks"], "cy": ["hello", "house"]}


def _entry(archive, **options) -> DatasetEntry:
    return DatasetEntry(path=str(archive), format="landmarks", annotation_files={"gloss": "index.csv.gz"}, **options)


def test_a_gzipped_index_csv_is_read_like_a_csv(tmp_path):
    archive = write_signers_corpus(tmp_path, SIGNERS)
    records = read_annotations(archive.parent / "index.csv.gz", ["gloss"], BadSamples())
    assert len(records) == 14
    assert (
        records[0].name == "ann/hello/0.npz" and records[0].signer == "ann" and records[0].tokens == {"gloss": "hello"}
    )


def test_a_bad_line_of_a_gzipped_csv_names_the_file_and_line(tmp_path):
    path = tmp_path / "index.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as output:
        output.write("path,gloss\na.npz,hello\nb.npz\n")
    with pytest.raises(DataError, match=r"index\.csv\.gz:3: expected 2 columns"):
        read_annotations(path, ["gloss"], BadSamples())


def test_only_listed_classes_keeps_the_glosses_named_in_class_names(tmp_path):
    archive = write_signers_corpus(tmp_path, SIGNERS)
    heads = {"gloss": {"gloss": HeadConfig(num_class=2, class_names=["hello", "thanks"])}}
    bad = BadSamples()
    records = LandmarksSource(_entry(archive, only_listed_classes=True), heads).records(bad)
    assert sorted({r.tokens["gloss"] for r in records}) == ["hello", "thanks"] and len(records) == 10
    assert not bad.problems  # left out, not counted as bad samples
    assert len(LandmarksSource(_entry(archive), heads).records(bad)) == 14  # off: every clip


def test_only_listed_classes_needs_class_names(tmp_path):
    archive = write_signers_corpus(tmp_path, SIGNERS)
    heads = {"gloss": {"gloss": HeadConfig(num_class=3)}}
    with pytest.raises(DataError, match="only_listed_classes needs"):
        LandmarksSource(_entry(archive, only_listed_classes=True), heads).records(BadSamples())
