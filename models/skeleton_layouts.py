"""Named skeleton layouts over MediaPipe Holistic joints: which joints a landmark model reads, how they connect, and
which joint is each joint's mirror image (for the horizontal flip).

Joints are named `<part>.<MediaPipe index>` (`pose.11`, `left_hand.0`, `face.61`), the names of
`datasets/landmark_files.py`; `left`/`right` are the signer's own sides, as MediaPipe Holistic names them. Layouts:

- `hands`: both hands, 42 joints (MediaPipe's hand connections).
- `upper_body_hands`: nose, eyes, shoulders, elbows and wrists of the pose (9 joints) + both hands, 51 joints; each
  pose wrist is joined to its hand's wrist.
- `upper_body_hands_face`: the above + 41 face points (outer lip contour, both eyebrows, nose tip), 92 joints.

The edge lists are MediaPipe's own (`HAND_CONNECTIONS`, `POSE_CONNECTIONS`, `FACEMESH_LIPS`, `FACEMESH_*_EYEBROW`;
`tests/test_landmark_models.py` checks them against mediapipe), plus links that join the parts or skip joints
the layout leaves out: nose to eyes and to shoulders, pose wrists to hand wrists, an eyebrow's two chains at their
ends, the nose tip to the upper lip, the inner eyebrow ends and the pose's nose.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

HAND_EDGES = (
    (0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10), (10, 11), (11, 12),
    (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17), (17, 18), (18, 19), (19, 20),
)  # fmt: skip
UPPER_BODY_JOINTS = (0, 2, 5, 11, 12, 13, 14, 15, 16)  # nose, eyes, shoulders, elbows, wrists
UPPER_BODY_EDGES = ((11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (0, 2), (0, 5), (0, 11), (0, 12))
# Outer lip contour (upper then lower arc, corner 61 to corner 291), eyebrows, nose tip (1).
LIPS_OUTER = ((61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291), (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291))
RIGHT_EYEBROW = ((70, 63, 105, 66, 107), (46, 53, 52, 65, 55))
LEFT_EYEBROW = ((300, 293, 334, 296, 336), (276, 283, 282, 295, 285))
EYEBROWS = (RIGHT_EYEBROW, LEFT_EYEBROW)
NOSE_TIP = 1
# Face points that are each other's mirror image (checked on a real face in the tests); the lips pair their arcs
# end to end, the eyebrows chain by chain.
FACE_MIRROR_PAIRS = tuple(
    dict.fromkeys(
        [(a, b) for arc in LIPS_OUTER for a, b in zip(arc, reversed(arc)) if a < b]
        + [(a, b) for right, left in zip(*EYEBROWS) for a, b in zip(right, left)]
    )
)
# MediaPipe pose: the eye points 1-3 (left) mirror 4-6 (right); from 7 on, odd (left) and even (right) pairs.
POSE_MIRROR_PAIRS = ((1, 4), (2, 5), (3, 6)) + tuple((i, i + 1) for i in range(7, 33, 2))
_MIRROR = {
    f"{part}.{x}": f"{part}.{y}"
    for part, pairs in (("pose", POSE_MIRROR_PAIRS), ("face", FACE_MIRROR_PAIRS))
    for a, b in pairs
    for x, y in ((a, b), (b, a))
}
SHOULDERS = ("pose.11", "pose.12")
HAND_PARTS = ("left_hand", "right_hand")
WRIST, MIDDLE_FINGER_BASE = 0, 9  # hand joints that give a hand's position and size


@dataclass(frozen=True)
class SkeletonLayout:
    """A named graph over joints: `joints` in model order, `edges` between joint names, `roots` (the centre the
    spatial partitions are measured from; one per connected part)."""

    name: str
    joints: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]
    roots: tuple[str, ...]

    @property
    def parts(self) -> tuple[str, ...]:
        """The parts the layout reads, in joint order (`pose`, `left_hand`, ...)."""
        return tuple(dict.fromkeys(joint.partition(".")[0] for joint in self.joints))


def _chain_edges(part: str, chains: tuple[tuple[int, ...], ...]) -> list[tuple[str, str]]:
    return [(f"{part}.{a}", f"{part}.{b}") for chain in chains for a, b in zip(chain, chain[1:])]


def _hands() -> tuple[list[str], list[tuple[str, str]]]:
    joints = [f"{hand}.{i}" for hand in HAND_PARTS for i in range(21)]
    edges = [(f"{hand}.{a}", f"{hand}.{b}") for hand in HAND_PARTS for a, b in HAND_EDGES]
    return joints, edges


def _upper_body_hands() -> tuple[list[str], list[tuple[str, str]]]:
    joints, edges = _hands()
    joints = [f"pose.{i}" for i in UPPER_BODY_JOINTS] + joints
    edges += [(f"pose.{a}", f"pose.{b}") for a, b in UPPER_BODY_EDGES]
    edges += [("pose.15", "left_hand.0"), ("pose.16", "right_hand.0")]
    return joints, edges


def _upper_body_hands_face() -> tuple[list[str], list[tuple[str, str]]]:
    joints, edges = _upper_body_hands()
    face = sorted({i for chains in (LIPS_OUTER, RIGHT_EYEBROW, LEFT_EYEBROW) for c in chains for i in c} | {NOSE_TIP})
    joints += [f"face.{i}" for i in face]
    edges += _chain_edges("face", LIPS_OUTER + RIGHT_EYEBROW + LEFT_EYEBROW)
    # Join the face points to each other (the two chains of an eyebrow at their ends, the nose tip to the upper lip
    # and the inner eyebrow ends) and to the body.
    edges += [(f"face.{chains[0][end]}", f"face.{chains[1][end]}") for chains in EYEBROWS for end in (0, -1)]
    edges += [("face.1", "face.0"), ("face.1", "face.107"), ("face.1", "face.336"), ("face.1", "pose.0")]
    return joints, edges


def _build(name: str, parts: tuple[list[str], list[tuple[str, str]]], roots: tuple[str, ...]) -> SkeletonLayout:
    joints, edges = parts
    return SkeletonLayout(name, tuple(joints), tuple(edges), roots)


LAYOUTS: dict[str, SkeletonLayout] = {
    "hands": _build("hands", _hands(), ("left_hand.0", "right_hand.0")),
    "upper_body_hands": _build("upper_body_hands", _upper_body_hands(), SHOULDERS),
    "upper_body_hands_face": _build("upper_body_hands_face", _upper_body_hands_face(), SHOULDERS),
}
FACE_SUBSET = tuple(int(j.partition(".")[2]) for j in LAYOUTS["upper_body_hands_face"].joints if j.startswith("face."))


def hop_distances(layout: SkeletonLayout) -> np.ndarray:
    """int `[J]`: each joint's number of edges to the nearest root (breadth-first search)."""
    index = {joint: i for i, joint in enumerate(layout.joints)}
    neighbours: list[list[int]] = [[] for _ in layout.joints]
    for a, b in layout.edges:
        neighbours[index[a]].append(index[b])
        neighbours[index[b]].append(index[a])
    distance = np.full(len(layout.joints), -1, dtype=np.int64)
    queue = deque(index[root] for root in layout.roots)
    for root in queue:
        distance[root] = 0
    while queue:
        joint = queue.popleft()
        for other in neighbours[joint]:
            if distance[other] < 0:
                distance[other] = distance[joint] + 1
                queue.append(other)
    if (distance < 0).any():
        unreachable = [layout.joints[i] for i in np.flatnonzero(distance < 0)]
        raise ValueError(f"layout {layout.name}: joints {unreachable} are not connected to a root")
    return distance


def partitioned_adjacency(layout: SkeletonLayout) -> np.ndarray:
    """float32 `[3, J, J]`, ST-GCN's spatial partitions of each joint's neighbourhood: itself, its neighbours nearer
    a root (centripetal), and the others (centrifugal). Entry `[k, i, j]` is 1 when joint j is in partition k of
    joint i. The models divide by the number of neighbours present (the degree normalisation D^-1 A, counted over
    detected joints only)."""
    distance = hop_distances(layout)
    index = {joint: i for i, joint in enumerate(layout.joints)}
    adjacency = np.zeros((3, len(layout.joints), len(layout.joints)), dtype=np.float32)
    adjacency[0] = np.eye(len(layout.joints), dtype=np.float32)
    for a, b in layout.edges:
        for i, j in ((index[a], index[b]), (index[b], index[a])):
            adjacency[1 if distance[j] < distance[i] else 2, i, j] = 1.0
    return adjacency


def mirror_name(joint: str) -> str:
    """The joint in the mirror image: left and right swapped (the joint itself on the midline or if unknown)."""
    part, _, index = joint.partition(".")
    if part in HAND_PARTS:
        return f"{HAND_PARTS[1 - HAND_PARTS.index(part)]}.{index}"
    return _MIRROR.get(joint, joint)


def mirror_permutation(joints: list[str]) -> list[int]:
    """For joint names in some order, the index of each joint's mirror image in that same list (itself if the
    mirror joint is not in the list)."""
    position = {joint: i for i, joint in enumerate(joints)}
    return [position.get(mirror_name(joint), i) for i, joint in enumerate(joints)]


def layout_indices(layout: SkeletonLayout, input_joints: list[str]) -> list[int]:
    """Where each of the layout's joints sits in the input's joints; a clear error if the data lacks any."""
    position = {joint: i for i, joint in enumerate(input_joints)}
    missing = [joint for joint in layout.joints if joint not in position]
    if missing:
        parts = sorted({joint.partition(".")[0] for joint in missing})
        raise ValueError(
            f"layout {layout.name} needs the parts {list(layout.parts)}, but the data has no {missing[:3]}"
            f"{' ...' if len(missing) > 3 else ''} (add {parts} to the dataset's landmark_parts)"
        )
    return [position[joint] for joint in layout.joints]
