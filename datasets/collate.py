"""Batch clips of different lengths: pad to a fixed number of frames and say which frames are real."""

from typing import Any

import torch

from datasets.errors import DataError

MODALITIES = ("frames", "landmarks")


def _pad(samples: list[dict[str, Any]], key: str, length: int) -> torch.Tensor:
    first = samples[0][key]
    padded = first.new_zeros((len(samples), length, *first.shape[1:]))
    for row, sample in enumerate(samples):
        padded[row, : sample[key].shape[0]] = sample[key]
    return padded


def collate_clips(samples: list[dict[str, Any]], pad_to: int) -> dict[str, Any]:
    """Samples -> batch: `frames [B, T, 3, H, W]` and/or `landmarks [B, T, J, C]` (zeros where padded),
    `mask [B, T]` (True = real frame), `labels {head: LongTensor[B]}` (-1 = no label), `meta` (the samples' meta).

    T is `pad_to`, or the longest clip if one is longer. Every sample of a batch must carry the same modalities.
    """
    present = [key for key in MODALITIES if key in samples[0]]
    if not present or any([key for key in MODALITIES if key in s] != present for s in samples):
        kinds = sorted({"+".join(key for key in MODALITIES if key in s) or "nothing" for s in samples})
        raise DataError(f"a batch mixes samples carrying {kinds}; datasets of one run must give the same inputs")
    lengths = [s[present[0]].shape[0] for s in samples]
    length = max([pad_to, *lengths])
    batch: dict[str, Any] = {key: _pad(samples, key, length) for key in present}
    batch["mask"] = torch.arange(length)[None, :] < torch.tensor(lengths)[:, None]
    heads = samples[0]["labels"].keys()
    batch["labels"] = {h: torch.tensor([s["labels"][h] for s in samples], dtype=torch.long) for h in heads}
    batch["meta"] = [s["meta"] for s in samples]
    return batch
