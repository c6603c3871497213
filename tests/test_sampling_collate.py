"""Frame sampling (TSN segments, time steps) and the padding collate."""

import torch

from datasets.collate import collate_clips
from datasets.sampling import sample_indices, segment_indices, time_indices


def test_segments_centred_when_validating():
    assert segment_indices(0, 15, 4, random_offset=False) == [2, 6, 10, 14]


def test_segments_random_offset_stays_in_its_segment():
    torch.manual_seed(0)
    for _ in range(50):
        picked = segment_indices(10, 29, 4, random_offset=True)
        assert [(p - 10) // 5 for p in picked] == [0, 1, 2, 3]


def test_random_offsets_vary_between_calls():
    torch.manual_seed(0)
    draws = {tuple(segment_indices(0, 99, 4, random_offset=True)) for _ in range(20)}
    assert len(draws) > 1


def test_short_clip_gives_every_frame_once():
    assert segment_indices(3, 5, 8, random_offset=True) == [3, 4, 5]
    assert segment_indices(0, 0, 8, random_offset=False) == [0]


def test_time_sampling_steps_by_fps():
    # 0.2 s at 25 fps = 5 frames apart; 40 frames hold 8 such frames, centred.
    picked = time_indices(0, 39, 8, step_seconds=0.2, fps=25, random_offset=False)
    assert picked == [2 + 5 * i for i in range(8)]


def test_time_sampling_short_clip_takes_what_fits():
    assert time_indices(0, 9, 8, step_seconds=0.2, fps=25, random_offset=False) == [2, 7]  # centred


def test_time_sampling_requires_fps():
    try:
        sample_indices(0, 9, 4, time=0.1, fps=None, train=False)
    except ValueError as error:
        assert "fps" in str(error)
    else:
        raise AssertionError("time sampling without fps must fail")


def _sample(length: int, label: int) -> dict:
    return {"frames": torch.ones(length, 3, 4, 4), "labels": {"gloss": label}, "meta": {"clip_id": str(length)}}


def test_collate_pads_to_num_segments_with_mask():
    batch = collate_clips([_sample(3, 1), _sample(1, -1)], pad_to=4)
    assert batch["frames"].shape == (2, 4, 3, 4, 4)
    assert batch["mask"].tolist() == [[True, True, True, False], [True, False, False, False]]
    assert batch["frames"][1, 1:].abs().sum() == 0
    assert batch["labels"]["gloss"].tolist() == [1, -1]
    assert [m["clip_id"] for m in batch["meta"]] == ["3", "1"]


def test_collate_never_truncates_a_longer_clip():
    assert collate_clips([_sample(6, 0)], pad_to=4)["frames"].shape[1] == 6
