"""Hostile and unusual images: judged by their header before any pixel is decoded."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from hostile_images import blank_png, declared_png
from modelyard.core.errors import PayloadError
from modelyard.pipeline import Pipeline
from modelyard.pipeline.spec import Limits
from modelyard.pipeline.types import MAX_IMAGE_PIXELS, Resources

EXPECTED = 'PNG or JPEG image (bytes, base64 string or {"b64": ...})'
DEFAULT_LIMIT = f"image of at most {MAX_IMAGE_PIXELS} pixels (limits.max_image_pixels)"


@pytest.fixture(scope="module")
def digits(digits_package) -> Pipeline:
    return Pipeline.from_package(digits_package)


def _problems(pipeline: Pipeline, payload: object) -> list[dict[str, str]]:
    with pytest.raises(PayloadError) as caught:
        pipeline.encode(payload)
    return caught.value.problems


def _saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("side", [100_000, 20_000])
def test_a_bomb_beyond_pillows_own_limit_is_refused_naming_the_limit(digits, side):
    png = declared_png(side, side)
    assert _problems(digits, [png]) == [
        {
            "pointer": "/0",
            "expected": DEFAULT_LIMIT,
            "got": "an image declaring more pixels than that",
        }
    ]


def test_an_image_over_the_limit_is_refused_before_its_pixels_are_decoded(digits):
    png = blank_png(4097, 4096)  # one column more than the default allows; a real, valid PNG
    assert _problems(digits, {"instances": [{"b64": base64.b64encode(png).decode()}]}) == [
        {
            "pointer": "/instances/0/b64",
            "expected": DEFAULT_LIMIT,
            "got": "an image declaring 4097x4096 pixels",
        }
    ]


def test_the_endpoints_limit_reaches_the_encoder(digits_package, digit_images):
    images, _ = digit_images
    tight = Pipeline.from_package(digits_package, resources=Resources(max_image_pixels=63))
    assert _problems(tight, [images[0]]) == [
        {
            "pointer": "/0",
            "expected": "image of at most 63 pixels (limits.max_image_pixels)",
            "got": "an image declaring 8x8 pixels",
        }
    ]
    exact = Pipeline.from_package(digits_package, resources=Resources(max_image_pixels=64))
    assert exact.encode([images[0]]).rows == 1


def test_truncated_empty_and_zero_sized_images_are_no_images(digits, digit_images):
    images, _ = digit_images
    truncated = images[0][: len(images[0]) // 2]
    assert _problems(digits, [truncated, b"", declared_png(0, 8), b"\x89PNG\r\n\x1a\n"]) == [
        {
            "pointer": "/0",
            "expected": EXPECTED,
            "got": f"{len(truncated)} bytes of a truncated or corrupt PNG image",
        },
        {"pointer": "/1", "expected": EXPECTED, "got": "0 bytes that are no image"},
        {
            "pointer": "/2",
            "expected": EXPECTED,
            "got": f"{len(declared_png(0, 8))} bytes that are no image",
        },
        {"pointer": "/3", "expected": EXPECTED, "got": "8 bytes that are no image"},
    ]


def test_an_animated_png_is_refused(digits):
    frames = [Image.new("L", (8, 8), shade) for shade in (0, 255)]
    apng = _saved(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert _problems(digits, [apng]) == [
        {
            "pointer": "/0",
            "expected": f"single-frame {EXPECTED}",
            "got": "animated image of 2 frames",
        }
    ]


def test_sixteen_bit_grayscale_reads_as_its_eight_bit_twin(digits, digit_images):
    images, _ = digit_images
    eight = np.asarray(Image.open(io.BytesIO(images[0])))
    sixteen = _saved(Image.fromarray(eight.astype(np.uint16) * 257), "PNG")
    assert Image.open(io.BytesIO(sixteen)).mode.startswith("I")
    np.testing.assert_array_equal(
        digits.encode([sixteen]).feeds["input"], digits.encode([images[0]]).feeds["input"]
    )


def test_palette_and_cmyk_images_are_converted(digits, digit_images):
    images, _ = digit_images
    gray = Image.open(io.BytesIO(images[0]))
    palette = _saved(gray.convert("P"), "PNG")
    np.testing.assert_array_equal(
        digits.encode([palette]).feeds["input"], digits.encode([images[0]]).feeds["input"]
    )
    cmyk = _saved(gray.convert("CMYK"), "JPEG", quality=100)
    assert digits.encode([cmyk]).feeds["input"].shape == (1, 64)


def test_the_limit_cannot_promise_more_than_pillow_decodes():
    largest = 2 * Image.MAX_IMAGE_PIXELS
    assert Limits(max_image_pixels=largest).max_image_pixels == largest
    with pytest.raises(ValidationError, match="less than or equal to 178956970"):
        Limits(max_image_pixels=largest + 1)


def test_the_images_of_one_request_share_a_pixel_budget(digits_package, digit_images):
    images, _ = digit_images
    budget = Pipeline.from_package(
        digits_package, resources=Resources(max_image_pixels=64, max_request_pixels=128)
    )
    assert budget.encode(images[:2]).rows == 2
    assert _problems(budget, images[:3]) == [
        {
            "pointer": "/2",
            "expected": "images of at most 128 pixels in all per request "
            "(limits.max_request_pixels)",
            "got": "an image declaring 8x8 pixels past that total",
        }
    ]


def test_the_request_budget_defaults_to_four_images_and_holds_at_least_one():
    assert Limits().request_pixels == 4 * MAX_IMAGE_PIXELS
    assert Limits(max_image_pixels=100).request_pixels == 400
    with pytest.raises(ValidationError, match="max_request_pixels must be at least"):
        Limits(max_image_pixels=100, max_request_pixels=99)
