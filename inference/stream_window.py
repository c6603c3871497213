"""The sliding window of a live stream, for every model kind: each frame's model inputs (the preprocessed frame,
and/or MediaPipe Holistic's landmarks in tracking mode, as the extractor runs it over a video), sampled as validation
samples a clip, with the time spent in landmark extraction and in the model."""

from __future__ import annotations

import time
from collections import deque
from typing import Optional, Union

import numpy as np
import torch
from torch import Tensor

from inference.holistic import NOBODY, NobodyDetected, StreamLandmarks, check_detected, landmark_spec
from inference.predictor import Predictor


class SlidingWindow:
    """The last `size` frames of a stream as the model reads them; `predict()` runs the model on the frames the
    validation sampling picks from them. `latest` holds the last frame's landmarks `[J, 3]` (for drawing);
    `landmark_seconds` and `model_seconds` add up the time spent in MediaPipe and in the model."""

    def __init__(self, predictor: Predictor, size: int, fps: Optional[float], name: str) -> None:
        self.predictor = predictor
        self.fps = fps
        self.name = name
        self.frames: deque = deque(maxlen=size)  # float [3, h, w] per frame (models of frames)
        self.landmarks: deque = deque(maxlen=size)  # float32 [J, 3] per frame (landmark models)
        self.spec = landmark_spec(predictor.config) if "landmarks" in predictor.inputs else None
        self.holistic = StreamLandmarks(self.spec, fps) if self.spec is not None else None
        self.latest: Optional[np.ndarray] = None
        self.landmark_seconds = self.model_seconds = 0.0

    def push(self, rgb: np.ndarray) -> None:
        """Add one uint8 RGB frame `[H, W, 3]`: preprocessed to float `[3, h, w]` and/or its landmarks `[J, 3]`."""
        if "frames" in self.predictor.inputs:
            clip = torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0)
            self.frames.append(self.predictor.preprocess(clip)[0])
        if self.holistic is not None:
            started = time.perf_counter()
            self.latest = self.holistic(rgb)
            self.landmark_seconds += time.perf_counter() - started
            self.landmarks.append(self.latest)

    def clip(self) -> dict[str, Tensor]:
        """The window's frames that the model's frame sampling picks: `frames` float `[T, 3, h, w]` and/or
        `landmarks` float `[T, J, 3]`; `NobodyDetected` when none of the model's joints is in them."""
        length = max(len(self.frames), len(self.landmarks))
        indices = self.predictor.frame_indices(length, self.fps, self.name)
        clip = {}
        if "frames" in self.predictor.inputs:
            clip["frames"] = torch.stack([self.frames[i] for i in indices])
        if self.spec is not None:
            landmarks = np.stack([self.landmarks[i] for i in indices])
            check_detected(landmarks, self.spec, self.name)
            clip["landmarks"] = torch.from_numpy(landmarks)
        return clip

    def predict(self) -> Union[dict[str, np.ndarray], str]:
        """{head: probabilities `[C]`} for the window, or `NOBODY` when MediaPipe found nobody in its frames."""
        try:
            clip = self.clip()
        except NobodyDetected:
            return NOBODY
        started = time.perf_counter()
        probabilities = self.predictor.predict([clip])[0]
        self.model_seconds += time.perf_counter() - started
        return probabilities

    def close(self) -> None:
        """Release MediaPipe's graph."""
        if self.holistic is not None:
            self.holistic.close()
