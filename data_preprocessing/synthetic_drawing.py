"""Drawing of the synthetic signer: a cartoon hand in front of a textured background and a signer silhouette.

The hand is described in "palm units" (half the palm width) with the fingers pointing up (-y); it is rotated
clockwise on screen by the palm-orientation angle and placed at the palm centre. Everything is drawn on a canvas
`SUPERSAMPLE` times the output size and shrunk with area interpolation, which anti-aliases the thin finger strokes
much better than drawing at 64x64 directly. Frames are returned as RGB `uint8` arrays of shape `[H, W, 3]`.
"""

from dataclasses import dataclass

import cv2
import numpy as np

# pylint: disable=no-member  # cv2 is a compiled extension whose members pylint cannot see

SUPERSAMPLE = 3
# Sub-pixel precision of the cv2 drawing calls: smooth motion instead of whole-pixel jumps.
_SHIFT = 4
_ONE = 1 << _SHIFT

# Which fingers are extended; the rest are curled into the palm (a folded thumb lies across it).
HANDSHAPES: dict[str, frozenset[str]] = {
    "fist": frozenset(),
    "flat": frozenset({"index", "middle", "ring", "pinky"}),
    "index": frozenset({"index"}),
    "v": frozenset({"index", "middle"}),
    "thumb_out": frozenset({"thumb"}),
    "y": frozenset({"thumb", "pinky"}),
}
# Direction the extended fingers point, as a clockwise screen angle in degrees from "up".
ORIENTATION_ANGLES: dict[str, float] = {"up": 0.0, "right": 90.0, "down": 180.0, "left": 270.0}
# Start positions (frame fractions) of the 3x3 location grid; the position jitter (+-0.04) stays inside a cell.
LOCATIONS_X: dict[str, float] = {"left": 0.27, "centre": 0.5, "right": 0.73}
LOCATIONS_Y: dict[str, float] = {"top": 0.28, "middle": 0.5, "bottom": 0.72}
MOVEMENTS: tuple[str, ...] = ("none", "up", "down", "left", "right", "circle")
_DIRECTIONS = {"up": (0.0, -1.0), "down": (0.0, 1.0), "left": (-1.0, 0.0), "right": (1.0, 0.0)}

# Finger geometry in palm units: base x on the palm's top edge, length, and spread angle (degrees, clockwise)
# used when the finger is extended. The V and Y shapes spread their fingers so that they read as separate strokes.
_FINGER_BASE_Y = -0.85
_FINGERS = {"index": (-0.72, 1.8), "middle": (-0.24, 2.0), "ring": (0.24, 1.85), "pinky": (0.72, 1.45)}
_SPREAD = {"v": {"index": -13.0, "middle": 9.0}, "y": {"pinky": 28.0}}
_FINGER_WIDTH = 0.5
_THUMB_WIDTH = 0.58
_SKIN_TONES = np.array([[255, 219, 172], [234, 192, 134], [224, 172, 105], [198, 134, 66], [141, 85, 36]], float)


@dataclass(frozen=True)
class ClipSpec:
    """What a clip shows: label-defining attributes plus its length. `start` is the palm centre of the first
    frame as fractions (x, y) of the frame size."""

    handshape: str
    orientation: str
    start: tuple[float, float]
    movement: str
    num_frames: int


@dataclass(frozen=True)
class _Style:
    """Per-clip nuisance parameters."""

    skin: tuple[float, float, float]
    outline: tuple[float, float, float]
    sleeve: tuple[float, float, float]
    unit: float  # palm half-width in canvas pixels
    angle: float  # clockwise degrees, orientation plus jitter
    noise_sigma: float


def _luminance(rgb: np.ndarray) -> float:
    return float(rgb @ np.array([0.299, 0.587, 0.114]))


def _random_colour(rng: np.random.Generator, avoid: np.ndarray) -> np.ndarray:
    """A background colour whose luminance stays clearly away from the hand's, so the hand never melts into it."""
    colour = rng.uniform(20, 235, size=3)
    for _ in range(50):
        if abs(_luminance(colour) - _luminance(avoid)) > 55:
            break
        colour = rng.uniform(20, 235, size=3)
    return colour


def _background(rng: np.random.Generator, size: int, skin: np.ndarray) -> np.ndarray:
    """Textured background with a flat signer silhouette (head and torso). Returns uint8 `[size, size, 3]`
    (cv2 only anti-aliases on 8-bit images)."""
    base = _random_colour(rng, skin)
    grid = int(rng.integers(3, 9))
    coarse = rng.normal(0.0, rng.uniform(6, 22), size=(grid, grid, 3)).astype(np.float32)
    canvas = base.astype(np.float32) + cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    if rng.random() < 0.5:  # stripes: a second, oriented texture so that the background is not just a blur
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
        theta, freq = rng.uniform(0, np.pi), rng.uniform(3, 10)
        stripes = np.sin(2 * np.pi * freq * (xx * np.cos(theta) + yy * np.sin(theta)))
        canvas += (rng.uniform(5, 15) * stripes)[..., None]
    shade = base * rng.uniform(0.45, 0.75) if _luminance(base) > 110 else base + rng.uniform(40, 80)
    body = tuple(float(c) for c in np.clip(shade, 0, 255))
    cx, cy = size * (0.5 + rng.uniform(-0.06, 0.06)), size * rng.uniform(0.2, 0.26)
    head = size * rng.uniform(0.1, 0.13)
    canvas = np.clip(np.round(canvas), 0, 255).astype(np.uint8)
    cv2.ellipse(canvas, (int(cx), int(cy)), (int(head * 0.85), int(head)), 0, 0, 360, body, -1, cv2.LINE_AA)
    torso = (int(size * rng.uniform(0.3, 0.38)), int(size * 0.45))
    cv2.ellipse(canvas, (int(cx), int(cy + head + torso[1] * 0.95)), torso, 0, 0, 360, body, -1, cv2.LINE_AA)
    return canvas


def _style(rng: np.random.Generator, spec: ClipSpec, canvas_size: int) -> _Style:
    skin = np.clip(_SKIN_TONES[rng.integers(len(_SKIN_TONES))] + rng.uniform(-15, 15, size=3), 0, 255)
    return _Style(
        skin=tuple(float(c) for c in skin),
        outline=tuple(float(c) for c in skin * rng.uniform(0.35, 0.55)),
        sleeve=tuple(float(c) for c in rng.uniform(10, 245, size=3)),
        unit=canvas_size * 0.09 * rng.uniform(0.85, 1.15),
        # +-10 degrees: well below the 90 degrees between orientation classes
        angle=ORIENTATION_ANGLES[spec.orientation] + rng.uniform(-10, 10),
        noise_sigma=rng.uniform(2, 7),
    )


def trajectory(rng: np.random.Generator, movement: str, start: np.ndarray, num_frames: int) -> np.ndarray:
    """Palm-centre positions `[num_frames, 2]` as frame fractions. The movement starts and ends at random moments
    (speed jitter) and eases in and out; "none" only has a slight tremor so that frames are not identical."""
    if movement not in MOVEMENTS:
        raise ValueError(f"unknown movement {movement!r}; expected one of {MOVEMENTS}")
    t = np.linspace(0.0, 1.0, num_frames) if num_frames > 1 else np.zeros(1)
    begin, end = rng.uniform(0.0, 0.2), rng.uniform(0.75, 1.0)
    p = np.clip((t - begin) / (end - begin), 0.0, 1.0)
    p = p * p * (3 - 2 * p)
    if movement == "none":
        phase = rng.uniform(0, 2 * np.pi, size=2)
        return start + 0.008 * np.stack([np.sin(7 * t + phase[0]), np.sin(5 * t + phase[1])], axis=1)
    if movement == "circle":
        # The circle passes through the start point and bends towards the frame centre, so it stays in view.
        to_centre = np.array([0.5, 0.5]) - start
        norm = np.linalg.norm(to_centre)
        direction = to_centre / norm if norm > 0.05 else np.array([0.0, -1.0])
        centre = start + 0.11 * rng.uniform(0.9, 1.1) * direction
        ang = 2 * np.pi * p
        rel = start - centre
        rot = np.stack([np.cos(ang) * rel[0] - np.sin(ang) * rel[1], np.sin(ang) * rel[0] + np.cos(ang) * rel[1]])
        return centre + rot.T
    amplitude = 0.24 * rng.uniform(0.85, 1.15)
    return start + amplitude * p[:, None] * np.array(_DIRECTIONS[movement])


_SLEEVE = np.array([[-0.85, 1.9], [0.85, 1.9], [0.95, 4.5], [-0.95, 4.5]])
_FOLDED_THUMB = np.array([[-0.8, 0.35], [0.25, -0.1]])
_THUMB_BASE = np.array([-0.85, 0.25])
_THUMB_REACH = 1.55 * np.array([-np.sin(np.radians(60)), -np.cos(np.radians(60))])


def _hand_parts(handshape: str) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Silhouette of the hand in palm units: polygons (palm, wrist), strokes `[N, 2, 2]` (start and end of the
    extended fingers and thumb; knuckles of curled fingers as short stubs) and their widths `[N]`."""
    extended = HANDSHAPES[handshape]
    palm = cv2.ellipse2Poly((0, 0), (100, 112), 0, 0, 360, 10).astype(float) / 100.0
    wrist = np.array([[-0.72, 0.6], [0.72, 0.6], [0.8, 2.3], [-0.8, 2.3]])
    strokes, widths = [], []
    for finger, (base_x, length) in _FINGERS.items():
        base = np.array([base_x, _FINGER_BASE_Y])
        spread = np.radians(_SPREAD.get(handshape, {}).get(finger, 0.0))
        reach = length if finger in extended else 0.12
        strokes.append((base, base + reach * np.array([np.sin(spread), -np.cos(spread)])))
        widths.append(_FINGER_WIDTH)
    if "thumb" in extended:
        strokes.append((_THUMB_BASE, _THUMB_BASE + _THUMB_REACH))
        widths.append(_THUMB_WIDTH)
    return [palm, wrist], np.array(strokes), np.array(widths)


# MediaPipe hand joints in palm units: the wrist at the bottom of the palm, the thumb's first joint (CMC) on the
# palm near the wrist; an extended finger's joints along its stroke (knuckle at its base, PIP and DIP at 50% and 78%
# of its length, the tip at its end); a curled finger's knuckle at its base, its PIP at the drawn stub and its DIP
# and tip folded onto the palm below; a folded thumb's joints along the stroke across the palm.
_WRIST_JOINT = np.array([0.0, 1.1])
_THUMB_CMC = np.array([-0.55, 0.75])
_EXTENDED_JOINTS = (0.0, 0.5, 0.78, 1.0)
_CURLED_OFFSETS = np.array([[0.0, 0.0], [0.0, -0.12], [0.0, 0.35], [0.0, 0.7]])


def hand_joints(handshape: str) -> np.ndarray:
    """The drawn hand's 21 joints in palm units (fingers up), float `[21, 2]`, in MediaPipe's order: wrist, thumb
    1-4 (CMC, MCP, IP, tip), then index, middle, ring and pinky 4 each (MCP, PIP, DIP, tip)."""
    extended = HANDSHAPES[handshape]
    if "thumb" in extended:
        thumb = [_THUMB_BASE, _THUMB_BASE + 0.55 * _THUMB_REACH, _THUMB_BASE + _THUMB_REACH]
    else:
        thumb = [_FOLDED_THUMB[0], _FOLDED_THUMB.mean(axis=0), _FOLDED_THUMB[1]]
    joints = [_WRIST_JOINT, _THUMB_CMC, *thumb]
    for finger, (base_x, length) in _FINGERS.items():
        base = np.array([base_x, _FINGER_BASE_Y])
        if finger in extended:
            spread = np.radians(_SPREAD.get(handshape, {}).get(finger, 0.0))
            direction = np.array([np.sin(spread), -np.cos(spread)])
            joints += [base + share * length * direction for share in _EXTENDED_JOINTS]
        else:
            joints += list(base + _CURLED_OFFSETS)
    return np.array(joints)


def track_joints(track: "HandTrack", handshape: str) -> np.ndarray:
    """The hand's joints in every frame of a clip as fractions (x, y) of the frame, float `[T, 21, 2]`: the palm-unit
    joints rotated and scaled as the drawing does, placed at each frame's palm centre."""
    a = np.radians(track.angle)
    rot_t = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]).T * track.unit
    return (hand_joints(handshape) @ rot_t)[None] + track.centres[:, None, :]


def _placement(centre: np.ndarray, style: _Style):
    """A function mapping palm units `[..., 2]` to fixed-point canvas coordinates (rotated clockwise)."""
    a = np.radians(style.angle)
    rot_t = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]).T * style.unit
    return lambda points: np.round((points @ rot_t + centre) * _ONE).astype(np.int32)


def _line(canvas: np.ndarray, ends: np.ndarray, colour: tuple, thickness: int) -> None:
    cv2.line(
        canvas,
        (int(ends[0, 0]), int(ends[0, 1])),
        (int(ends[1, 0]), int(ends[1, 1])),
        colour,
        thickness,
        cv2.LINE_AA,
        _SHIFT,
    )


def _draw_hand(canvas: np.ndarray, centre: np.ndarray, parts: tuple, handshape: str, style: _Style) -> None:
    """Draw the hand in place: outline pass then fill pass, so the outline surrounds the union of all parts."""
    place = _placement(centre, style)
    polys = [place(poly) for poly in parts[0]]
    strokes, thicknesses = place(parts[1]), np.maximum(1, np.round(parts[2] * style.unit)).astype(int)
    cv2.fillPoly(canvas, [place(_SLEEVE)], style.sleeve, cv2.LINE_AA, _SHIFT)
    border = max(2, int(round(0.2 * style.unit)))
    cv2.polylines(canvas, polys, True, style.outline, 2 * border, cv2.LINE_AA, _SHIFT)
    for colour, extra in ((style.outline, border), (style.skin, 0)):
        cv2.fillPoly(canvas, polys, colour, cv2.LINE_AA, _SHIFT)
        for ends, thickness in zip(strokes, thicknesses):
            _line(canvas, ends, colour, int(thickness) + 2 * extra)
    if "thumb" not in HANDSHAPES[handshape]:
        # A folded thumb lies across the front of the palm: drawn last, with its own outline.
        ends, thickness = place(_FOLDED_THUMB), max(1, int(round(0.42 * style.unit)))
        _line(canvas, ends, style.outline, thickness + border)
        _line(canvas, ends, style.skin, thickness)


@dataclass(frozen=True)
class HandTrack:
    """Where the drawn hand is in each frame of a clip, for its landmarks: `centres` `[T, 2]` the palm centre as
    fractions (x, y) of the frame (pixel i spans [i, i + 1) / size), `angle` the clockwise rotation in degrees and
    `unit` the palm half-width as a fraction of the frame (the drawing's palm unit)."""

    centres: np.ndarray
    angle: float
    unit: float


def render_clip_and_track(
    rng: np.random.Generator, spec: ClipSpec, image_size: int
) -> tuple[list[np.ndarray], HandTrack]:
    """Render one clip: `spec.num_frames` RGB `uint8` frames of shape `[image_size, image_size, 3]`, and where its
    hand is (the random draws are those of `render_clip`, so the frames are the same)."""
    if spec.handshape not in HANDSHAPES or spec.orientation not in ORIENTATION_ANGLES:
        raise ValueError(f"unknown handshape/orientation {spec.handshape!r}/{spec.orientation!r}")
    size = image_size * SUPERSAMPLE
    style = _style(rng, spec, size)
    background = _background(rng, size, np.array(style.skin))
    start = np.array(spec.start) + rng.uniform(-0.04, 0.04, size=2)  # position jitter, well inside a grid cell
    path = trajectory(rng, spec.movement, start, spec.num_frames)
    parts = _hand_parts(spec.handshape)
    frames = []
    for position in path:
        canvas = background.copy()
        _draw_hand(canvas, position * size, parts, spec.handshape, style)
        small = cv2.resize(canvas, (image_size, image_size), interpolation=cv2.INTER_AREA).astype(np.float32)
        small += style.noise_sigma * rng.standard_normal(size=small.shape, dtype=np.float32)
        frames.append(np.clip(np.round(small), 0, 255).astype(np.uint8))
    # cv2 puts canvas pixel centres at integer coordinates: half a pixel before the centre of that pixel's span.
    return frames, HandTrack((path * size + 0.5) / size, style.angle, style.unit / size)


def render_clip(rng: np.random.Generator, spec: ClipSpec, image_size: int) -> list[np.ndarray]:
    """Render one clip: `spec.num_frames` RGB `uint8` frames of shape `[image_size, image_size, 3]`."""
    return render_clip_and_track(rng, spec, image_size)[0]
