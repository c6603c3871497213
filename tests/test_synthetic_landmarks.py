"""make_synthetic.py --landmarks: the drawn hand's 21 joints per frame, where the hand is drawn, and the same frames."""

from pathlib import Path

import numpy as np
import pytest

from data_preprocessing import synthetic_drawing as drawing
from data_preprocessing.make_synthetic import HAMNOSYS_ANNOTATION, main, make_synthetic_dataset
from datasets.landmark_files import joint_names

TINY = {"clips_per_gloss": 1, "letter_clips_per_letter": 1, "image_size": 32, "min_frames": 3, "max_frames": 5}
HAND = slice(54, 75)  # right_hand in pose, left_hand, right_hand


@pytest.fixture(name="dataset", scope="module")
def fixture_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny dataset with landmarks."""
    return make_synthetic_dataset(tmp_path_factory.mktemp("synthetic") / "data", seed=3, landmarks=True, **TINY)


def test_each_clip_has_its_right_hand_in_every_frame(dataset: Path) -> None:
    clips = sorted(p.parent.name for p in dataset.glob("*/properties.json"))
    assert sorted(p.stem for p in (dataset / "landmarks").glob("*.npz")) == clips
    for clip in clips:
        with np.load(dataset / "landmarks" / f"{clip}.npz") as archive:
            landmarks = archive["landmarks"]
            assert list(archive["layout"]) == joint_names(["pose", "left_hand", "right_hand"])
            assert float(archive["fps"]) == 25.0 and list(archive["frame_size"]) == [32, 32]
        assert len(landmarks) == len(list((dataset / clip).glob("*.jpg")))
        assert np.isnan(landmarks[:, :54]).all() and np.isnan(landmarks[:, HAND, 3]).all()
        hand = landmarks[:, HAND, :3]
        assert not np.isnan(hand).any() and (hand[..., 2] == 0).all()
        # A fingertip may reach past the frame's edge (as MediaPipe's points may); the palm is always inside.
        assert ((hand[..., :2] > -0.1) & (hand[..., :2] < 1.1)).all()
        assert ((hand[:, [0, 9], :2] > 0) & (hand[:, [0, 9], :2] < 1)).all()


def test_the_palm_centre_starts_in_the_labelled_location_cell(dataset: Path) -> None:
    """The midpoint of the wrist and the middle finger's knuckle in the first frame is nearest the grid cell that
    hamnosys.txt names (location x and y)."""
    cells_x, cells_y = np.array(list(drawing.LOCATIONS_X.values())), np.array(list(drawing.LOCATIONS_Y.values()))
    for line in (dataset / HAMNOSYS_ANNOTATION).read_text(encoding="utf-8").splitlines():
        clip, _, _, _, _, location_x, location_y, _ = line.split()
        with np.load(dataset / "landmarks" / f"{clip}.npz") as archive:
            hand = archive["landmarks"][0, HAND, :2]
        x, y = (hand[0] + hand[9]) / 2
        assert np.abs(cells_x - x).argmin() == int(location_x)
        assert np.abs(cells_y - y).argmin() == int(location_y)


def test_curled_fingers_lie_on_the_palm_and_extended_ones_reach_past_it() -> None:
    palm = np.array([1.0, 1.12])  # the palm ellipse's half axes, in palm units
    tips = {"thumb": 4, "index": 8, "middle": 12, "ring": 16, "pinky": 20}
    for handshape, extended in drawing.HANDSHAPES.items():
        joints = drawing.hand_joints(handshape)
        assert joints.shape == (21, 2)
        for finger, tip in tips.items():
            inside = ((joints[tip] / palm) ** 2).sum() <= 1
            assert inside != (finger in extended), (handshape, finger)


def test_frames_are_the_same_with_and_without_landmarks(tmp_path: Path, dataset: Path) -> None:
    plain = make_synthetic_dataset(tmp_path / "plain", seed=3, **TINY)
    jpgs = sorted(p.relative_to(plain) for p in plain.rglob("*.jpg"))
    assert jpgs and jpgs == sorted(p.relative_to(dataset) for p in dataset.rglob("*.jpg"))
    assert all((plain / p).read_bytes() == (dataset / p).read_bytes() for p in jpgs)
    assert not (plain / "landmarks").exists()


def test_command_line_option_writes_the_landmarks(tmp_path: Path) -> None:
    args = ["--output_dir", str(tmp_path / "d"), "--clips_per_gloss", "0", "--letter_clips_per_letter", "1"]
    assert main(args + ["--image_size", "16", "--landmarks"]) == 0
    assert len(list((tmp_path / "d" / "landmarks").glob("letter_*.npz"))) == 6
