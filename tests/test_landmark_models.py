"""Landmark models on generated landmark sequences: layouts, shapes, masking of missing joints, normalisation,
fusion, and the config that builds them."""

from __future__ import annotations

import tarfile
import typing
from pathlib import Path

import mediapipe as mp
import numpy as np
import pytest
import torch

from datasets.landmark_files import joint_names, read_islr_parquet
from models.feature_extractors import CnnExtractor
from models.heads import ClassificationHead
from models.landmark_fusion import FusedExtractor
from models.landmark_gcn import LandmarksGcn
from models.registry import LANDMARK_EXTRACTORS
from models.sign_model import SignModel
from models.skeleton_layouts import (
    FACE_MIRROR_PAIRS,
    HAND_EDGES,
    LAYOUTS,
    UPPER_BODY_EDGES,
    hop_distances,
    mirror_permutation,
    partitioned_adjacency,
)
from models.temporal_encoders import FakeTransformer
from utils.config import ConfigError, validate_config
from utils.config_schema import LANDMARK_LAYOUTS, LAYOUT_PARTS, LandmarkExtractorConfig

PARTS = ["pose", "left_hand", "right_hand", "face"]
JOINTS = joint_names(PARTS)
SILFA = Path(__file__).resolve().parents[2] / "shared/data/silfa_mediapipe_parquet/train_landmark_files.tar"
SMALL = {"channels": (8, 8), "temporal_kernel": 3, "dropout": 0.0}


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def signing(batch: int, time: int) -> torch.Tensor:
    """Random but body-like landmarks `[B, T, J, 3]` in [0.2, 0.8], face points beyond the mesh's 468 missing."""
    clip = 0.2 + 0.6 * torch.rand(batch, time, len(JOINTS), 3)
    clip[:, :, 33 + 42 + 468 :] = float("nan")  # no iris points, as from an unrefined face mesh
    return clip


def build(name: str, layout: str = "upper_body_hands", normalisation: str = "shoulders") -> torch.nn.Module:
    """A small landmark extractor of the registry, D = 16, over `JOINTS`, in eval mode."""
    return LANDMARK_EXTRACTORS[name](JOINTS, 16, layout=layout, normalisation=normalisation, **SMALL).eval()


def test_layout_edges_are_mediapipes_own() -> None:
    assert set(HAND_EDGES) == set(mp.solutions.hands.HAND_CONNECTIONS)
    # Our links: nose to eyes (MediaPipe passes through the inner eye points, which the layout leaves out) and
    # nose to shoulders (joins the head to the body).
    links = {(0, 2), (0, 5), (0, 11), (0, 12)}
    assert set(UPPER_BODY_EDGES) - links <= set(mp.solutions.pose.POSE_CONNECTIONS)
    assert set(UPPER_BODY_EDGES) & links == links
    face_edges = {
        frozenset(int(joint.partition(".")[2]) for joint in edge)
        for edge in LAYOUTS["upper_body_hands_face"].edges
        if edge[0].startswith("face.") and edge[1].startswith("face.")
    }
    mesh = mp.solutions.face_mesh_connections
    known = {frozenset(e) for e in mesh.FACEMESH_LIPS | mesh.FACEMESH_LEFT_EYEBROW | mesh.FACEMESH_RIGHT_EYEBROW}
    # Our links: an eyebrow's two chains at both ends, the nose tip to the upper lip and the inner eyebrow ends.
    links = {frozenset(e) for e in [(70, 46), (107, 55), (300, 276), (336, 285), (1, 0), (1, 107), (1, 336)]}
    assert face_edges - known == links


def test_face_mirror_pairs_swap_mediapipes_eyebrows() -> None:
    mirror = {**dict(FACE_MIRROR_PAIRS), **{b: a for a, b in FACE_MIRROR_PAIRS}}
    right = mp.solutions.face_mesh_connections.FACEMESH_RIGHT_EYEBROW
    left = {tuple(sorted(edge)) for edge in mp.solutions.face_mesh_connections.FACEMESH_LEFT_EYEBROW}
    assert {tuple(sorted((mirror[a], mirror[b]))) for a, b in right} == left


def test_face_mirror_pairs_are_mirror_images_on_a_real_face() -> None:
    """On a real face (SILFA, MediaPipe face mesh), each point reflected about the face's midline (forehead 10 to
    chin 152) lands nearer its pair than itself."""
    if not SILFA.is_file():
        pytest.skip(f"shared data not found: {SILFA}")
    with tarfile.open(SILFA) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith(".parquet"))
        face, _ = read_islr_parquet(archive.extractfile(member).read(), ["face"])
    points = face[0, :, :2].astype(np.float64)
    top, axis = points[10], (points[152] - points[10]) / np.linalg.norm(points[152] - points[10])
    normal = np.array([-axis[1], axis[0]])

    def reflect(point: np.ndarray) -> np.ndarray:
        return point - 2 * ((point - top) @ normal) * normal

    for a, b in FACE_MIRROR_PAIRS:
        assert np.linalg.norm(reflect(points[a]) - points[b]) < np.linalg.norm(reflect(points[a]) - points[a]) / 2


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layouts_are_connected_and_partitioned(layout) -> None:
    assert hop_distances(LAYOUTS[layout]).min() == 0
    adjacency = partitioned_adjacency(LAYOUTS[layout])
    np.testing.assert_array_equal(adjacency[0], np.eye(len(LAYOUTS[layout].joints)))
    # A neighbour nearer the root in one direction is farther in the other, or both are at the same distance.
    assert ((adjacency[1] + adjacency[2]) == (adjacency[1] + adjacency[2]).T).all()
    assert (adjacency[1] <= adjacency[2].T).all()


def test_mirror_permutation_swaps_sides_and_is_an_involution() -> None:
    mirror = mirror_permutation(JOINTS)
    assert JOINTS[mirror[JOINTS.index("left_hand.8")]] == "right_hand.8"
    assert JOINTS[mirror[JOINTS.index("pose.11")]] == "pose.12"
    assert JOINTS[mirror[JOINTS.index("pose.0")]] == "pose.0"
    assert [mirror[i] for i in mirror] == list(range(len(JOINTS)))


def test_config_names_match_registries() -> None:
    assert set(typing.get_args(typing.get_type_hints(LandmarkExtractorConfig)["name"])) == set(LANDMARK_EXTRACTORS)
    assert set(LANDMARK_LAYOUTS) == set(LAYOUTS)
    assert {name: layout.parts for name, layout in LAYOUTS.items()} == LAYOUT_PARTS


@pytest.mark.parametrize("name", sorted(LANDMARK_EXTRACTORS))
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_shapes_for_any_clip_length(name, layout) -> None:
    model = build(name, layout)
    for batch, time in ((1, 1), (3, 40)):
        features = model(signing(batch, time), torch.ones(batch, time, dtype=torch.bool))
        assert features.shape == (batch, time, 16) and torch.isfinite(features).all()


@pytest.mark.parametrize("name", sorted(LANDMARK_EXTRACTORS))
def test_padding_never_changes_a_real_frame(name) -> None:
    model = build(name)
    clip = signing(1, 6)
    batch = torch.cat([torch.cat([clip, 100 * torch.randn(1, 4, len(JOINTS), 3)], dim=1), signing(1, 10)])
    mask = torch.ones(2, 10, dtype=torch.bool)
    mask[0, 6:] = False
    padded = model(batch, mask)
    torch.testing.assert_close(padded[0, :6], model(clip, torch.ones(1, 6, dtype=torch.bool))[0])
    assert (padded[0, 6:] == 0).all()


@pytest.mark.parametrize("name", sorted(LANDMARK_EXTRACTORS))
def test_a_missing_hand_is_not_a_hand_at_zero(name) -> None:
    model = build(name, "upper_body_hands", "none")
    clip, mask = signing(1, 5), torch.ones(1, 5, dtype=torch.bool)
    left = [JOINTS.index(f"left_hand.{i}") for i in range(21)]
    missing, zeros = clip.clone(), clip.clone()
    missing[:, 2, left] = float("nan")
    zeros[:, 2, left] = 0.0
    assert torch.isfinite(model(missing, mask)).all()
    assert not torch.allclose(model(missing, mask), model(zeros, mask))


def test_gcn_never_reads_a_missing_joint() -> None:
    """Values of joints outside the layout, and of frames that are padding, cannot reach the output; a joint of the
    layout marked missing (NaN) gives the same output whatever the rest of its row holds."""
    model = build("landmarks_gcn")
    clip, mask = signing(2, 7), torch.ones(2, 7, dtype=torch.bool)
    reference = model(clip, mask)
    elsewhere = clip.clone()
    elsewhere[..., [JOINTS.index("pose.25"), JOINTS.index("face.10")], :] = 1e6  # not in the layout
    torch.testing.assert_close(model(elsewhere, mask), reference)
    half_missing = clip.clone()
    half_missing[0, 3, JOINTS.index("right_hand.4"), 0] = float("nan")
    other = half_missing.clone()
    other[0, 3, JOINTS.index("right_hand.4"), 1:] = -5.0
    torch.testing.assert_close(model(half_missing, mask), model(other, mask))


@pytest.mark.parametrize("name", sorted(LANDMARK_EXTRACTORS))
def test_shoulder_normalisation_ignores_where_and_how_big_the_signer_is(name) -> None:
    model = build(name, "upper_body_hands", "shoulders")
    clip, mask = signing(2, 4), torch.ones(2, 4, dtype=torch.bool)
    moved = clip * torch.tensor([0.5, 0.5, 0.5]) + torch.tensor([0.3, -0.1, 0.2])
    torch.testing.assert_close(model(moved, mask), model(clip, mask), atol=1e-4, rtol=1e-4)


def test_wrist_normalisation_ignores_where_each_hand_is() -> None:
    model = build("landmarks_gcn", "hands", "wrist")
    clip, mask = signing(1, 4), torch.ones(1, 4, dtype=torch.bool)
    moved = clip.clone()
    right = [JOINTS.index(f"right_hand.{i}") for i in range(21)]
    moved[:, 1, right, :2] += torch.tensor([0.2, -0.1])  # the right hand moves in one frame only
    torch.testing.assert_close(model(moved, mask), model(clip, mask), atol=1e-5, rtol=1e-4)


def test_layout_without_its_parts_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="add \\['pose'\\] to the dataset's landmark_parts"):
        LandmarksGcn(joint_names(["left_hand", "right_hand"]), 8, layout="upper_body_hands")


def test_sign_model_reads_landmarks_and_fuses_them_with_frames() -> None:
    landmarks_only = SignModel(build("landmarks_gcn"), FakeTransformer(16, 8, 1, 1, 1, 0.0), heads(8))
    mask = torch.ones(2, 3, dtype=torch.bool)
    assert landmarks_only(None, mask, signing(2, 3))["letter"].shape == (2, 5)
    with pytest.raises(ValueError, match="\\['landmarks'\\] were not given"):
        landmarks_only(torch.zeros(2, 3, 3, 32, 32), mask)
    fused = FusedExtractor(CnnExtractor("resnet10t", 8), build("landmarks_mlp"), 12)
    model = SignModel(fused, FakeTransformer(12, 8, 1, 1, 1, 0.0), heads(8))
    assert model(torch.randn(2, 3, 3, 32, 32), mask, signing(2, 3))["letter"].shape == (2, 5)
    assert fused(torch.randn(2, 3, 3, 32, 32), signing(2, 3), mask).shape == (2, 3, 12)


def heads(width: int) -> dict[str, torch.nn.Module]:
    """One letter head with 5 classes."""
    return {"letter": ClassificationHead(input_size=width, num_class=5, additional_layers=0, dropout_rate=0.0)}


def landmark_config(**feature_extractor) -> dict:
    """A raw landmarks-only config (one dataset giving pose only) with `feature_extractor` keys added."""
    return {
        "general_parameters": {"data_paths": [{"path": "x", "format": "landmarks", "landmark_parts": ["pose"]}]},
        "feature_extractor": {"use_frames": False, "use_landmarks": True} | feature_extractor,
        "heads": {"letters": {"letter": {"num_class": 3}}},
        "train_parameters": {"classification_mode": "letters"},
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (landmark_config(), "upper_body_hands reads the parts \\['pose', 'left_hand', 'right_hand'\\]"),
        (
            landmark_config(use_frames=True),
            "reads frames\\+landmarks, but general_parameters.data_paths \\(x\\) gives landmarks",
        ),
        (
            landmark_config(use_landmarks=False, use_frames=True),
            "feature_extractor reads frames, but .* gives landmarks",
        ),
        (landmark_config(landmarks={"temporal_kernel": 4}), "feature_extractor.landmarks.temporal_kernel: must be odd"),
        (landmark_config(use_landmarks=False, use_frames=False), "both false: the model has no input"),
    ],
)
def test_config_errors_name_the_key(raw, message) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_config(raw, "c.yml")


def test_hearai_landmarks_switch_turns_landmarks_on() -> None:
    raw = landmark_config(use_landmarks=False, landmarks={"layout": "hands"})  # HearAI's key only
    raw["general_parameters"]["data_paths"][0]["landmark_parts"] = ["left_hand", "right_hand"]
    raw["train_parameters"]["landmarks"] = True
    assert validate_config(raw, "c.yml").feature_extractor.use_landmarks
