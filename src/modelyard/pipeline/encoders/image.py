"""The ``image`` encoder: PNG/JPEG bytes (or base64) → a normalised image tensor.

Steps, each an argument: decode (Pillow) → grayscale or RGB → resize to a fixed size, either
stretched or keeping the aspect ratio with padding → ``pixel * scale`` → ``(x - mean) / std``
per channel → layout ``NCHW``, ``NHWC`` or ``flat`` (one row of ``H*W*C`` values, as models
trained on flattened pixels expect). Arithmetic is done in float64 and cast to the input's
dtype once, so e.g. ``scale: 1/15`` gives back exactly the integers a model was trained on.

Payloads: raw bytes (one image, as the server hands over an ``image/*`` body), a list of
bytes, or ``{"instances": [...]}`` whose items are ``{"b64": "..."}`` (the TF Serving
convention) or base64 strings.

Images come from strangers, so nothing is decoded before the header has been judged: Pillow's
``Image.open`` reads only the header, and an image declaring more pixels than the endpoint's
``limits.max_image_pixels`` (``Resources.max_image_pixels``) is refused there, before its
pixels would take memory (a 160 KB PNG of 13000x13000 pixels took 323 MB to decode).
Animated images are refused (which frame would the model see?); truncated or corrupt ones
are reported like any undecodable item; 16-bit grayscale is scaled to 8 bits before the
usual conversion, which would otherwise clip it.
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from PIL import Image
from pydantic import Field, model_validator

from modelyard.core.errors import PayloadError
from modelyard.pipeline.components import ComponentArgs
from modelyard.pipeline.dtypes import NUMPY
from modelyard.pipeline.encoders.payload import (
    Problem,
    instances_of,
    json_type,
    pointer,
    problem,
    single_input,
)
from modelyard.pipeline.types import Batch, Context

if TYPE_CHECKING:
    import pandas as pd

_RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
_EXPECTED = 'PNG or JPEG image (bytes, base64 string or {"b64": ...})'
_WIDE_MODES = {"I", "I;16", "I;16B", "I;16L"}  # 16-bit grayscale, as PNG decodes it


class ImageArgs(ComponentArgs):
    """How to turn an image into the model's input tensor."""

    size: tuple[int, int] = Field(description="(height, width) the image is resized to")
    resize: Literal["stretch", "pad"] = "stretch"
    pad_value: int = Field(0, ge=0, le=255)
    resample: Literal["nearest", "bilinear", "bicubic", "lanczos"] = "bilinear"
    color: Literal["grayscale", "rgb"] = "rgb"
    scale: float = 1 / 255
    mean: list[float] = Field(default_factory=lambda: [0.0])
    std: list[float] = Field(default_factory=lambda: [1.0])
    layout: Literal["NCHW", "NHWC", "flat"] = "NCHW"
    formats: tuple[Literal["PNG", "JPEG"], ...] = ("PNG", "JPEG")
    input: str | None = None

    @model_validator(mode="after")
    def _channels_agree(self) -> ImageArgs:
        channels = 1 if self.color == "grayscale" else 3
        for name in ("mean", "std"):
            if len(getattr(self, name)) not in (1, channels):
                raise ValueError(f"{name} needs 1 or {channels} values for {self.color}")
        if any(value == 0 for value in self.std):
            raise ValueError("std values must not be 0")
        if min(self.size) < 1:
            raise ValueError("size values must be at least 1")
        return self


class ImageEncoder:
    """Decodes, resizes and normalises images into one input tensor."""

    def __init__(self, args: ImageArgs, context: Context) -> None:
        self._args = args
        self._input = single_input(context.signature, args.input)
        self._dtype = NUMPY[self._input.dtype]
        self._mode = "L" if args.color == "grayscale" else "RGB"
        self._mean = np.asarray(args.mean, dtype=np.float64)
        self._std = np.asarray(args.std, dtype=np.float64)
        self._max_pixels = context.resources.max_image_pixels
        self._max_request_pixels = context.resources.max_request_pixels

    def encode(self, payload: Any) -> Batch:
        """One tensor row per image; undecodable items are reported by pointer."""
        if isinstance(payload, (bytes, bytearray, memoryview)):
            located = [("", bytes(payload))]  # the body itself: pointer to the root
        else:
            items, prefix = instances_of(payload)
            located = [(pointer(*prefix, i), item) for i, item in enumerate(items)]
        problems: list[Problem] = []
        arrays = []
        budget = [self._max_request_pixels]  # what the rest of the request may still declare
        for where, item in located:
            image = self._decode(item, where, problems, budget)
            if image is not None:
                arrays.append(self._to_array(image))
        if problems:
            raise PayloadError(problems)
        return Batch({self._input.name: np.stack(arrays).astype(self._dtype)}, len(arrays))

    def encode_frame(self, frame: pd.DataFrame) -> Batch:
        """Images from the frame's first column (bytes or base64 strings), one per row."""
        return self.encode(frame.iloc[:, 0].tolist())

    def _decode(
        self, item: Any, where: str, problems: list[Problem], budget: list[int]
    ) -> Image.Image | None:
        if isinstance(item, dict) and set(item) == {"b64"}:
            item, where = item["b64"], f"{where}/b64"
        if isinstance(item, str):
            try:
                item = base64.b64decode(item, validate=True)
            except (binascii.Error, ValueError):
                problems.append(problem(where, _EXPECTED, "string that is not base64"))
                return None
        if not isinstance(item, (bytes, bytearray)):
            problems.append(problem(where, _EXPECTED, json_type(item)))
            return None
        opened = self._open(bytes(item), budget)
        if isinstance(opened, tuple):
            problems.append(problem(where, *opened))
            return None
        return opened

    def _open(self, item: bytes, budget: list[int]) -> Image.Image | tuple[str, str]:
        """The decoded image, or ``(expected, got)`` saying why it is refused; the header is
        judged before any pixel is decoded, against the image's limit and against what is left
        of the request's ``budget`` (which a decoded image spends)."""
        limit = self._max_pixels
        too_large = f"image of at most {limit} pixels (limits.max_image_pixels)"
        try:
            image = Image.open(io.BytesIO(item))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return too_large, "an image declaring more pixels than that"
        except Exception:  # Pillow's header parsers raise many types on hostile bytes
            return _EXPECTED, f"{len(item)} bytes that are no image"
        if image.format not in self._args.formats:
            return _EXPECTED, f"{image.format} image"
        width, height = image.size
        if width * height > limit:
            return too_large, f"an image declaring {width}x{height} pixels"
        if width * height > budget[0]:
            total = self._max_request_pixels
            return (
                f"images of at most {total} pixels in all per request (limits.max_request_pixels)",
                f"an image declaring {width}x{height} pixels past that total",
            )
        frames: int = getattr(image, "n_frames", 1)
        if frames > 1:
            return f"single-frame {_EXPECTED}", f"animated image of {frames} frames"
        budget[0] -= width * height
        try:
            image.load()
        except Exception:  # Pillow's decoders raise many types on bad bytes
            return _EXPECTED, f"{len(item)} bytes of a truncated or corrupt {image.format} image"
        return image

    def _to_array(self, image: Image.Image) -> np.ndarray:
        args = self._args
        if image.mode in _WIDE_MODES:
            eight_bits = np.asarray(image, dtype=np.float64) / 257  # 65535 → 255
            image = Image.fromarray(np.round(eight_bits).astype(np.uint8), "L")
        image = self._resized(image.convert(self._mode))
        pixels = np.asarray(image, dtype=np.float64) * args.scale
        if pixels.ndim == 2:
            pixels = pixels[:, :, None]
        pixels = (pixels - self._mean) / self._std
        if args.layout == "NCHW":
            return pixels.transpose(2, 0, 1)
        if args.layout == "flat":
            return pixels.reshape(-1)
        return pixels

    def _resized(self, image: Image.Image) -> Image.Image:
        height, width = self._args.size
        resample = _RESAMPLE[self._args.resample]
        if self._args.resize == "stretch" or image.size == (width, height):
            return image.resize((width, height), resample)
        ratio = min(width / image.width, height / image.height)
        inner = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
        fill = self._args.pad_value if self._mode == "L" else (self._args.pad_value,) * 3
        canvas = Image.new(self._mode, (width, height), fill)
        offset = ((width - inner[0]) // 2, (height - inner[1]) // 2)
        canvas.paste(image.resize(inner, resample), offset)
        return canvas
