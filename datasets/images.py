"""Decode an image file (or its bytes) into the frame layout every source gives: uint8 RGB `[3, H, W]`."""

import io
from pathlib import Path
from typing import Union

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from datasets.errors import DataError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def decode_image(data: Union[bytes, Path], name: str) -> Tensor:
    """Image bytes or a path -> uint8 RGB `[3, H, W]`; grey, palette, CMYK and alpha images are converted the same
    way (PIL's `convert("RGB")`, alpha dropped). A corrupt file raises DataError naming `name`."""
    try:
        with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as image:
            pixels = np.asarray(image.convert("RGB"))
    except (OSError, SyntaxError, ValueError) as error:  # PIL raises these three for broken files
        raise DataError(f"{name}: cannot decode image: {error}") from error
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1)


def read_image(path: Path) -> Tensor:
    """Any image file as uint8 RGB `[3, H, W]`."""
    return decode_image(path, str(path))
