"""The data sources, by the `format` name a `data_paths` entry gives; keys are exactly the accepted names."""

from datasets.sources.base import Picker, Source
from datasets.sources.frames import FramesSource
from datasets.sources.image_folder import ImageFolderSource
from datasets.sources.landmarks import LandmarksSource
from datasets.sources.mp_data import MpDataSource
from datasets.sources.sign_mnist import SignMnistSource
from datasets.sources.video import VideoSource

SOURCES: dict[str, type[Source]] = {
    source.format: source
    for source in (FramesSource, VideoSource, SignMnistSource, ImageFolderSource, LandmarksSource, MpDataSource)
}

__all__ = ["SOURCES", "Picker", "Source"]
