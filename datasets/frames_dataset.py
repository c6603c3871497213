"""The HearAI frames source's original entry points, kept for their callers.

`FramesDataset` is the general `ClipDataset` (records without a reader are HearAI frame folders);
`read_image` decodes one frame file.
"""

from datasets.clip_dataset import ClipDataset as FramesDataset
from datasets.images import read_image

__all__ = ["FramesDataset", "read_image"]
