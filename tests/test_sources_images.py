"""Letter images: Sign MNIST CSVs (plain and .gz) and class-per-folder trees (a folder or a zip), bad input named."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from datasets.data_module import SignDataModule
from datasets.errors import BadSamples, DataError
from datasets.sources.image_folder import ImageFolderSource
from datasets.sources.sign_mnist import SignMnistSource
from tests.data_factories import write_image_folder, write_image_zip, write_sign_mnist
from utils.config_data import DatasetEntry
from utils.config_schema import AugmentationsParameters, HeadConfig, TrainParameters

LETTERS = {"letters": {"letter": HeadConfig(num_class=24)}}
SIGN_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "sign_mnist"


def _mnist(path: Path, test_path=None) -> SignMnistSource:
    entry = DatasetEntry(path=str(path), format="sign_mnist_csv", heads=["letter"], test_path=test_path)
    return SignMnistSource(entry, LETTERS)


@pytest.mark.parametrize("name", ["train.csv", "train.csv.gz"])
def test_sign_mnist_rows_are_one_frame_letter_clips(tmp_path, name):
    source = _mnist(write_sign_mnist(tmp_path / name, [0, 10, 24]))
    records = source.records(BadSamples())
    assert [r.tokens["letter"] for r in records] == ["A", "K", "Y"]  # label k is chr(65 + k); 9 (J) is skipped
    clip = source.read(records[1], pick=None)
    assert clip.shape == (1, 3, 28, 28) and clip.dtype == torch.uint8
    assert (clip == 10).all()  # row 1's pixels, the same in all three channels


@pytest.mark.parametrize(
    "extra, message",
    [
        ("9," + ",".join(["0"] * 784), "train.csv:3: label 9 is not a Sign MNIST class"),
        ("25," + ",".join(["0"] * 784), "train.csv:3: label 25"),
        ("3,1,2,3", "train.csv:3: expected 785 values"),
        ("3," + ",".join(["x"] * 784), "train.csv:3: values must be integers"),
        ("3," + ",".join(["300"] * 784), "train.csv:3: pixels must be 0-255"),
        ("", "train.csv:3: empty line"),
    ],
)
def test_bad_sign_mnist_row_names_file_and_line(tmp_path, extra, message):
    path = write_sign_mnist(tmp_path / "train.csv", [1], extra=(extra, "2," + ",".join(["0"] * 784)))
    with pytest.raises(DataError, match=message):
        _mnist(path).records(BadSamples())
    bad = BadSamples(skip=True)
    assert [r.tokens["letter"] for r in _mnist(path).records(bad)] == ["B", "C"] and len(bad) == 1


def test_sign_mnist_needs_its_head_named(tmp_path):
    entry = DatasetEntry(path=str(write_sign_mnist(tmp_path / "t.csv", [1])), format="sign_mnist_csv")
    with pytest.raises(DataError, match="labels one head; name it with heads"):
        SignMnistSource(entry, LETTERS)


def test_test_csv_is_its_own_split(tmp_path):
    source = _mnist(write_sign_mnist(tmp_path / "a.csv", [1, 2]), str(write_sign_mnist(tmp_path / "b.csv", [3])))
    assert [r.split for r in source.records(BadSamples())] == [None, None, "test"]


@pytest.mark.parametrize("archive", [False, True])
def test_image_folder_from_a_folder_or_straight_from_a_zip(tmp_path, archive):
    location = str(write_image_zip(tmp_path / "asl.zip") / "train") if archive else str(write_image_folder(tmp_path))
    entry = DatasetEntry(path=location, format="image_folder", heads=["letter"])
    source = ImageFolderSource(entry, LETTERS)
    records = source.records(BadSamples())
    assert sorted(r.tokens["letter"] for r in records) == ["A", "A", "B", "B", "space"]
    for record in records:  # grey, palette, alpha and RGB images all become uint8 RGB
        clip = source.read(record, pick=None)
        assert clip.dtype == torch.uint8 and clip.shape[:2] == (1, 3)
    sizes = {r.name: tuple(source.read(r, None).shape[2:]) for r in records}
    assert sizes["A/a2.png"] == (10, 12)


def test_corrupt_image_in_a_zip_is_named(tmp_path):
    zip_path = write_image_zip(tmp_path / "asl.zip")
    with zipfile.ZipFile(zip_path, "a") as archive:
        archive.writestr("train/B/broken.jpg", b"not an image")
    source = ImageFolderSource(DatasetEntry(path=f"{zip_path}/train", format="image_folder", heads=["letter"]), LETTERS)
    broken = next(r for r in source.records(BadSamples()) if r.name == "B/broken.jpg")
    with pytest.raises(DataError, match=r"asl.zip/train/B/broken.jpg: cannot decode image"):
        source.read(broken, None)


def _module(entries, heads=None, **options) -> SignDataModule:
    params = TrainParameters(batch_size=4, num_segments=1)
    augment = AugmentationsParameters(resize_size=16, center_crop_size=16)
    return SignDataModule(entries, heads or LETTERS, params, augment, 0.5, **options)


def test_two_letter_datasets_share_a_head_by_name_and_bad_images_are_skipped_and_counted(tmp_path):
    (write_image_folder(tmp_path / "images") / "A" / "broken.png").write_bytes(b"\x89PNG broken")
    mnist = DatasetEntry(
        path=str(write_sign_mnist(tmp_path / "m.csv", [0, 1] * 3, extra=("9," + ",".join(["0"] * 784),))),
        format="sign_mnist_csv",
        heads=["letter"],
    )
    images = DatasetEntry(path=str(tmp_path / "images"), format="image_folder", heads=["letter"])
    heads = {"letters": {"letter": HeadConfig(num_class=3)}}  # A, B, space: the union of both datasets' names
    data = _module([mnist, images], heads, skip_bad_samples=True)
    data.setup()
    assert data.class_names["letter"] == ["A", "B", "space"]
    assert len(data.bad) == 2 and any("broken.png" in p for p in data.bad.problems)
    assert any("m.csv:8: label 9" in p for p in data.bad.problems)
    batch = next(iter(data.train_dataloader()))
    assert batch["frames"].shape == (4, 1, 3, 16, 16)


@pytest.mark.skipif(not SIGN_MNIST.is_dir(), reason=f"the real Sign MNIST is not at {SIGN_MNIST}")
def test_real_sign_mnist_test_csv():
    source = _mnist(SIGN_MNIST / "sign_mnist_test.csv.gz")
    records = source.records(BadSamples())
    assert len(records) == 7172
    assert len({r.tokens["letter"] for r in records}) == 24 and records[0].tokens["letter"] == "G"  # first row: 6
    assert source.read(records[0], None)[0, 0, 0, 0] == 149  # the first pixel of the first test row


def test_zip_read_by_two_workers_at_once(tmp_path):
    """Forked workers must not share the parent's zip handle (its file offset): every image decodes."""
    noise = np.random.default_rng(0).integers(0, 255, (96, 96, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="PNG")
    with zipfile.ZipFile(tmp_path / "big.zip", "w") as archive:
        for i in range(300):
            archive.writestr(f"{'AB'[i % 2]}/{i}.png", buffer.getvalue())
    entry = DatasetEntry(path=str(tmp_path / "big.zip"), format="image_folder", heads=["letter"])
    data = _module([entry], {"letters": {"letter": HeadConfig(num_class=2)}}, ratio_test=0.0)
    data.workers = 2
    data.setup()
    data.records[0].reader.read(data.records[0], None)  # the parent opens the zip before the workers fork
    for _ in range(2):
        assert sum(len(b["mask"]) for b in data.train_dataloader()) == len(data.splits["train"])
        assert sum(len(b["mask"]) for b in data.val_dataloader()) == len(data.splits["val"])
