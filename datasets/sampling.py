"""Which frames of a clip become the sample: TSN segments or a fixed time step.

Both return at most `num_segments` sorted frame indexes inside `[start, end]`; a clip with fewer
frames gives fewer indexes (the collate function pads and masks, nothing is duplicated).
"""

from typing import Callable, Optional

import torch

# (first frame, last frame, fps or None, what to name in an error) -> the frame indexes to read
Picker = Callable[[int, int, Optional[float], str], list[int]]


def segment_indices(start: int, end: int, num_segments: int, random_offset: bool) -> list[int]:
    """TSN sampling: one frame per equal segment, random inside it when training, centred otherwise."""
    length = end - start + 1
    if length <= num_segments:
        return list(range(start, end + 1))
    bounds = torch.linspace(0, length, num_segments + 1)
    widths = bounds[1:] - bounds[:-1]
    offsets = torch.rand(num_segments) * widths if random_offset else widths / 2
    positions = (bounds[:-1] + offsets).floor().long().clamp(max=length - 1)
    return [start + int(p) for p in positions]


def time_indices(
    start: int, end: int, num_segments: int, step_seconds: float, fps: float, random_offset: bool
) -> list[int]:
    """`num_segments` frames `step_seconds` apart, the window placed randomly (training) or centred."""
    step = max(1, round(step_seconds * fps))
    length = end - start + 1
    count = min(num_segments, (length - 1) // step + 1)
    span = (count - 1) * step + 1
    slack = length - span
    first = int(torch.randint(0, slack + 1, ()).item()) if random_offset else slack // 2
    return [start + first + i * step for i in range(count)]


def sample_indices(
    start: int, end: int, num_segments: int, time: Optional[float], fps: Optional[float], train: bool
) -> list[int]:
    """Dispatch to time sampling when `time` is set (it needs `fps`), else TSN segments."""
    if time is None:
        return segment_indices(start, end, num_segments, random_offset=train)
    if fps is None:
        raise ValueError("time sampling needs the clip's fps")
    return time_indices(start, end, num_segments, time, fps, random_offset=train)
