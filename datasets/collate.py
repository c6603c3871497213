"""Batch clips of different lengths: pad to a fixed number of frames and say which frames are real."""

from typing import Any

import torch


def collate_clips(samples: list[dict[str, Any]], pad_to: int) -> dict[str, Any]:
    """Samples -> batch: `frames [B, T, 3, H, W]` (zeros where padded), `mask [B, T]` (True = real frame),
    `labels {head: LongTensor[B]}` (-1 = no label), `meta` (list of the samples' meta dicts).

    T is `pad_to`, or the longest clip if one is longer.
    """
    length = max([pad_to] + [s["frames"].shape[0] for s in samples])
    first = samples[0]["frames"]
    frames = first.new_zeros((len(samples), length, *first.shape[1:]))
    mask = torch.zeros(len(samples), length, dtype=torch.bool)
    for row, sample in enumerate(samples):
        count = sample["frames"].shape[0]
        frames[row, :count] = sample["frames"]
        mask[row, :count] = True
    heads = samples[0]["labels"].keys()
    labels = {h: torch.tensor([s["labels"][h] for s in samples], dtype=torch.long) for h in heads}
    return {"frames": frames, "mask": mask, "labels": labels, "meta": [s["meta"] for s in samples]}
