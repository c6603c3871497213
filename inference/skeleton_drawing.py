"""Draw the skeleton a landmark model reads (its layout's joints and edges, `models/skeleton_layouts.py`) onto a
frame: what the webcam and the demo show of MediaPipe's detections."""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from inference.holistic import LandmarkSpec

# pylint: disable=no-member  # cv2 is a compiled extension whose members pylint cannot see

# RGB colour of each part's joints; the edges are drawn in white under them.
PART_COLOURS = {"pose": (255, 200, 0), "left_hand": (0, 220, 120), "right_hand": (255, 80, 200), "face": (0, 190, 255)}
EDGE_COLOUR = (255, 255, 255)


def joint_pixels(
    landmarks: np.ndarray, spec: LandmarkSpec, box: tuple[int, int, int, int]
) -> dict[str, tuple[int, int]]:
    """The layout's detected joints of one frame, `[J, 3]` in fractions of `box` (x, y, width, height in image
    pixels), as image pixel positions by joint name."""
    x0, y0, width, height = box
    position = {joint: i for i, joint in enumerate(spec.joints)}
    pixels = {}
    for joint in spec.layout.joints:
        x, y = landmarks[position[joint], :2]
        if np.isfinite(x) and np.isfinite(y):
            pixels[joint] = (int(round(x0 + x * width)), int(round(y0 + y * height)))
    return pixels


def draw_skeleton(
    image: np.ndarray,
    landmarks: np.ndarray,
    spec: LandmarkSpec,
    box: Optional[tuple[int, int, int, int]] = None,
    bgr: bool = True,
) -> None:
    """Draw one frame's landmarks `[J, 3]` (NaN = not detected; fractions of `box`, by default the whole image) onto
    the uint8 image `[H, W, 3]` (BGR, or RGB with `bgr=False`), in place: the layout's edges, then its joints."""
    pixels = joint_pixels(landmarks, spec, box or (0, 0, image.shape[1], image.shape[0]))
    thickness = max(1, round(min(image.shape[:2]) / 240))
    for first, second in spec.layout.edges:
        if first in pixels and second in pixels:
            cv2.line(image, pixels[first], pixels[second], EDGE_COLOUR, thickness, cv2.LINE_AA)
    for joint, pixel in pixels.items():
        colour = PART_COLOURS[joint.partition(".")[0]]
        cv2.circle(image, pixel, thickness + 1, colour[::-1] if bgr else colour, -1, cv2.LINE_AA)


def skeleton_frames(frames: np.ndarray, landmarks: np.ndarray, spec: LandmarkSpec) -> np.ndarray:
    """uint8 RGB frames `[T, H, W, 3]` with their landmarks `[T, J, 3]` drawn on (a copy)."""
    drawn = frames.copy()
    for image, points in zip(drawn, landmarks):
        draw_skeleton(image, points, spec, bgr=False)
    return drawn
