"""Cross-dataset tests (docs/out_of_distribution.md): a dataset entry that is only a test split, its labels mapped
onto the head's letters by name, and the frame augmentations of the out-of-distribution recipe."""

import json
from pathlib import Path

import pytest
import torch
import yaml
from torchvision.transforms import v2

import train
from benchmarks.results import CROSS_DATASET, EXPERIMENTS
from datasets.data_module import SignDataModule
from datasets.transforms import build_transform
from tests.conftest import write_tiny_config
from tests.data_factories import write_image_folder, write_sign_mnist
from utils.config import ConfigError, apply_override, read_yaml, validate_config
from utils.config_data import DatasetEntry
from utils.config_schema import AugmentationsParameters, HeadConfig, TrainParameters

ROOT = Path(__file__).resolve().parents[1]
LETTERS = ["A", "B", "C"]  # the tiny Sign MNIST's letters (labels 0, 1, 2)


def _entries(tmp_path: Path) -> list[DatasetEntry]:
    """Sign MNIST rows of A, B, C to train on; an image folder (A, B and `space`) that is only a test split."""
    mnist = write_sign_mnist(tmp_path / "train.csv", [0, 1, 2] * 4)
    photos = write_image_folder(tmp_path / "photos")  # A: 2 images, B: 2, space: 1 (not a letter of the head)
    return [
        DatasetEntry(path=str(mnist), format="sign_mnist_csv", heads=["letter"]),
        DatasetEntry(
            path=str(photos), format="image_folder", heads=["letter"], test_split="photos", only_listed_classes=True
        ),
    ]


def _module(entries: list[DatasetEntry], augmentations: AugmentationsParameters) -> SignDataModule:
    heads = {"letters": {"letter": HeadConfig(num_class=3, class_names=LETTERS)}}
    params = TrainParameters(classification_mode="letters", batch_size=8, num_segments=1)
    return SignDataModule(entries, heads, params, augmentations, 0.75)


def test_a_test_split_entry_is_never_trained_on_and_maps_letters_by_name(tmp_path):
    grey = AugmentationsParameters(
        resize_size=28, center_crop_size=28, apply_grayscale=True, normalize_mean=[0.0] * 3, normalize_std=[1.0] * 3
    )
    data = _module(_entries(tmp_path), grey)
    data.setup()
    assert data.test_splits() == ["photos"] and data.class_names == {"letter": LETTERS}
    photos = [data.records[i] for i in data.splits["photos"]]
    assert sorted(r.labels["letter"] for r in photos) == [0, 0, 1, 1]  # A and B by name; `space` left out
    trained = [data.records[i] for split in ("train", "val") for i in data.splits[split]]
    assert len(trained) == 12 and all(r.root.name == "train.csv" for r in trained)
    batch = next(iter(data.eval_dataloader("photos")))
    frames = batch["frames"]  # colour photos of any size, through the validation transform of the model's input
    assert frames.shape == (4, 1, 3, 28, 28)
    assert torch.allclose(frames[:, :, 0], frames[:, :, 1]) and torch.allclose(frames[:, :, 1], frames[:, :, 2])


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"test_split": "val"}, "test_split: names a test split; train and val are made from the other datasets"),
        ({"test_split": "test", "test_path": "t.csv"}, "test_split: is already the name of a split of test_path"),
        ({"test_split": ""}, "test_split: String should have at least 1 character"),
    ],
)
def test_bad_test_split_names_the_key(entry, message):
    raw = read_yaml(ROOT / "configs" / "sign_mnist.yml")
    raw["general_parameters"]["data_paths"][0] |= entry
    with pytest.raises(ConfigError, match=message):
        validate_config(raw, "c.yml")


def test_cross_dataset_split_is_reported_in_the_summary(tmp_path, tiny_dataset, capsys):
    """What benchmarks/results.py reads: the cross-dataset split's figures and count in summary.json."""
    raw = read_yaml(write_tiny_config(tmp_path, tiny_dataset))
    raw["general_parameters"] |= {
        "data_path": None,
        "data_paths": [entry.model_dump(exclude_defaults=True) for entry in _entries(tmp_path / "data")],
        "ratio_train_test": 0.75,
    }
    raw["augmentations_parameters"] |= {"apply_grayscale": True, "apply_horizontal_flip": True}
    raw["train_parameters"] |= {"classification_mode": "letters", "num_segments": 1}
    raw["heads"] = {"letters": {"letter": {"num_class": 3, "class_names": LETTERS}}}
    config = tmp_path / "cross.yml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    assert train.main(["--model_config_path", str(config)]) == 0
    run_dir = Path(capsys.readouterr().out.strip().splitlines()[-1].removeprefix("run_dir: "))
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["samples"]["photos"] == 4 and 0 <= summary["photos"]["letter"]["accuracy"] <= 1


def _step_types(augmentations: AugmentationsParameters, train_split: bool) -> list[type]:
    return [type(step) for step in build_transform(augmentations, train=train_split).transforms]


def test_recipe_steps_are_off_by_default():
    plain = AugmentationsParameters()
    for train_split in (True, False):
        steps = _step_types(plain, train_split)
        assert not {v2.Grayscale, v2.RandomGrayscale, v2.RandomHorizontalFlip} & set(steps)


def test_grayscale_is_part_of_the_input_and_random_steps_only_train():
    recipe = AugmentationsParameters(apply_grayscale=True, apply_horizontal_flip=True, apply_random_grayscale=True)
    assert v2.Grayscale in _step_types(recipe, False) and v2.Grayscale in _step_types(recipe, True)
    assert {v2.RandomHorizontalFlip, v2.RandomGrayscale} <= set(_step_types(recipe, True))
    assert not {v2.RandomHorizontalFlip, v2.RandomGrayscale} & set(_step_types(recipe, False))


def test_flip_mirrors_every_frame_of_a_clip_alike():
    augmentations = AugmentationsParameters(
        apply_resize=False,
        apply_center_crop=False,
        apply_horizontal_flip=True,
        horizontal_flip_probability=1.0,
        normalize_mean=[0.0] * 3,
        normalize_std=[1.0] * 3,
    )
    clip = torch.arange(2 * 3 * 4 * 5, dtype=torch.uint8).reshape(2, 3, 4, 5)
    flipped = build_transform(augmentations, train=True)(clip)
    assert torch.allclose(flipped, clip.flip(-1).float() / 255)


def test_flip_is_refused_for_fused_frames_and_landmarks():
    raw = read_yaml(ROOT / "train_config.yml")
    raw["feature_extractor"] |= {"use_landmarks": True}
    raw["general_parameters"] |= {"data_path": None, "data_paths": [{"path": "d", "landmarks_path": "l"}]}
    raw["augmentations_parameters"] |= {"apply_horizontal_flip": True}
    with pytest.raises(ConfigError, match="apply_horizontal_flip: must be false when frames and landmarks"):
        validate_config(raw, "c.yml")


@pytest.mark.parametrize("name", ["sign_mnist_to_asl.yml", "asl_alphabet_to_sign_mnist.yml"])
def test_shipped_cross_dataset_configs_validate(name):
    config = validate_config(read_yaml(ROOT / "configs" / name), name)
    tests = [d.test_split for d in config.general_parameters.datasets() if d.test_split]
    assert len(tests) == 1 and config.heads["letters"]["letter"].class_names[9] == "K"  # 24 letters, no J


@pytest.mark.parametrize("key", sorted(CROSS_DATASET))
def test_before_trains_as_the_shipped_config_and_after_as_the_recipe(key):
    """benchmarks/results.py's `<key>_before` turns the recipe config back into its shipped config's training."""
    (recipe, shipped, _), _ = CROSS_DATASET[key]
    raw = read_yaml(ROOT / recipe)
    for assignment in EXPERIMENTS[f"{key}_before"].overrides:
        apply_override(raw, assignment)
    before, reference = validate_config(raw, recipe), validate_config(read_yaml(ROOT / shipped), shipped)
    assert before.augmentations_parameters == reference.augmentations_parameters
    assert before.train_parameters == reference.train_parameters
    after = validate_config(read_yaml(ROOT / recipe), recipe)
    assert after.augmentations_parameters.apply_grayscale and not EXPERIMENTS[f"{key}_after"].overrides


def test_finetune_stage_trains_as_the_shipped_asl_config_from_the_recipe_run():
    """Stage 2 of the ASL recipe: the shipped augmentations with grey input, 5 epochs at a fifth of the rate,
    starting from the `_after` row's run."""
    experiment = EXPERIMENTS["asl_to_sign_mnist_finetuned"]
    raw = read_yaml(ROOT / experiment.config)
    for assignment in experiment.overrides:
        apply_override(raw, assignment)
    finetune = validate_config(raw, experiment.config)
    shipped = validate_config(read_yaml(ROOT / "configs" / "asl_alphabet.yml"), "asl_alphabet.yml")
    assert finetune.augmentations_parameters == shipped.augmentations_parameters.model_copy(
        update={"apply_grayscale": True}
    )
    changed = {"epochs": 5, "lr": shipped.train_parameters.lr / 5}
    assert finetune.train_parameters == shipped.train_parameters.model_copy(update=changed)
    assert finetune.feature_extractor.init_from == "runs/results_asl_to_sign_mnist_after"
