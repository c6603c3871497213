"""inference/webcam.py: a video file read as a stream and written back annotated with the region of interest and the
prediction."""

import cv2
import numpy as np
import pytest

from inference import webcam
from utils.config_schema import AugmentationsParameters

# pylint: disable=no-member  # cv2 is a compiled extension whose members pylint cannot see


def read_frames(path) -> list[np.ndarray]:
    """Every frame of a video file, BGR."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(frame)


def test_headless_run_writes_an_annotated_video(capsys, tmp_path, tiny_checkpoint, tiny_video):
    output = tmp_path / "annotated.mp4"
    args = ["--checkpoint", str(tiny_checkpoint), "--source", str(tiny_video), "--headless", "--output", str(output)]
    assert webcam.main(args + ["--window", "8", "--stride", "3", "--threshold", "0"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "processed 24 frames (8 predictions)" in out and "frames/s" in out
    assert "last prediction: gloss: " in out
    source, annotated = read_frames(tiny_video), read_frames(output)
    assert len(annotated) == len(source) and annotated[0].shape == source[0].shape
    # The region of interest is drawn in its colour, and the text changes the top-left corner.
    assert np.any(np.all(np.abs(annotated[5].astype(int) - webcam.ROI_COLOUR) < 60, axis=-1))
    assert np.abs(annotated[5][:20].astype(int) - source[5][:20].astype(int)).mean() > 5


def test_max_frames_and_roi(capsys, tmp_path, tiny_checkpoint, tiny_video):
    args = ["--checkpoint", str(tiny_checkpoint), "--source", str(tiny_video), "--headless"]
    args += ["--output", str(tmp_path / "out.mp4"), "--max_frames", "5", "--roi", "8,4,40,40"]
    assert webcam.main(args) == 0
    assert "processed 5 frames" in capsys.readouterr().out
    assert webcam.main(args[:-1] + ["60,0,40,40"]) == 2  # outside the 64x48 frame
    assert "--roi 60,0,40,40: must lie inside the 64x48 frame" in capsys.readouterr().err


def test_seen_region_is_the_centre_crop_in_frame_pixels():
    augmentations = AugmentationsParameters(resize_size=32, center_crop_size=32)
    assert webcam.seen_region((0, 0, 640, 480), augmentations) == (80, 0, 480, 480)
    assert webcam.seen_region((100, 50, 200, 100), augmentations) == (150, 50, 100, 100)
    no_crop = AugmentationsParameters(apply_center_crop=False)
    assert webcam.seen_region((0, 0, 640, 480), no_crop) == (0, 0, 640, 480)


def test_bad_source_and_missing_output_exit_2(capsys, tmp_path, tiny_checkpoint):
    missing = tmp_path / "missing.mp4"
    args = ["--checkpoint", str(tiny_checkpoint), "--headless", "--output", str(tmp_path / "out.mp4")]
    assert webcam.main(args + ["--source", str(missing)]) == 2
    assert f"--source {missing}: no such video file" in capsys.readouterr().err
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    assert webcam.main(args + ["--source", str(broken)]) == 2
    assert f"--source {broken}: cannot open" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        webcam.main(["--checkpoint", str(tiny_checkpoint), "--source", str(broken), "--headless"])
    assert exit_info.value.code == 2 and "--headless needs --output" in capsys.readouterr().err
