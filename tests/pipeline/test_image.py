"""The image encoder, on the digits model fed real PNG (and JPEG) files."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from modelyard.core.errors import ConfigError, PayloadError
from modelyard.package.manifest import Signature, TensorSpec
from modelyard.pipeline import Pipeline
from modelyard.pipeline.encoders.image import ImageArgs, ImageEncoder
from modelyard.pipeline.types import Context


@pytest.fixture(scope="module")
def digits(digits_package) -> Pipeline:
    return Pipeline.from_package(digits_package)


def _encoder(**args) -> ImageEncoder:
    signature = Signature(
        inputs=[TensorSpec(name="pixels", dtype="float32", shape=[None, 3, 4, 6])],
        outputs=[TensorSpec(name="y", dtype="float32", shape=[None, 1])],
    )
    return ImageEncoder(ImageArgs(**args), Context(signature=signature, name="images"))


def _png(width: int, height: int, color: tuple[int, int, int], fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format=fmt)
    return buffer.getvalue()


def test_png_digits_decode_to_the_pixels_they_were_made_from(digits, digit_images):
    images, rows = digit_images
    batch = digits.encode(images)
    np.testing.assert_array_equal(batch.feeds["input"], rows.to_numpy(np.float32))


def test_png_digits_are_classified_as_the_model_classifies_the_pixels(
    digits, digit_images, digits_model
):
    images, rows = digit_images
    predictions = digits.predict(images)["predictions"]
    p_three = digits_model.predict_proba(rows)[:, 1]
    expected = np.where(p_three >= 0.3, "three", "other")
    assert [p["label"] for p in predictions] == expected.tolist()
    assert set(predictions[0]["probabilities"]) == {"other", "three"}


def test_base64_and_tf_serving_b64_forms_are_accepted(digits, digit_images):
    images, _ = digit_images
    text = base64.b64encode(images[0]).decode()
    as_bytes = digits.predict(images[0])["predictions"]
    assert digits.predict({"instances": [text]})["predictions"] == as_bytes
    assert digits.predict({"instances": [{"b64": text}]})["predictions"] == as_bytes


def test_undecodable_items_are_reported_by_pointer(digits, digit_images):
    images, _ = digit_images
    gif = io.BytesIO()
    Image.new("L", (8, 8)).save(gif, format="GIF")
    payload = {"instances": [images[0], {"b64": "@@not base64@@"}, b"garbage", gif.getvalue(), 5]}
    with pytest.raises(PayloadError) as caught:
        digits.encode(payload)
    expected = 'PNG or JPEG image (bytes, base64 string or {"b64": ...})'
    assert caught.value.problems == [
        {"pointer": "/instances/1/b64", "expected": expected, "got": "string that is not base64"},
        {"pointer": "/instances/2", "expected": expected, "got": "7 bytes that are no image"},
        {"pointer": "/instances/3", "expected": expected, "got": "GIF image"},
        {"pointer": "/instances/4", "expected": expected, "got": "integer"},
    ]


def test_stretch_resizes_to_the_exact_size_in_nchw():
    batch = _encoder(size=(4, 6)).encode([_png(30, 10, (255, 0, 0))])
    assert batch.feeds["pixels"].shape == (1, 3, 4, 6)
    np.testing.assert_allclose(batch.feeds["pixels"][0, :, 0, 0], [1.0, 0.0, 0.0])


def test_pad_keeps_the_aspect_ratio_and_fills_with_pad_value():
    encoder = _encoder(size=(4, 6), resize="pad", layout="NHWC", scale=1.0, resample="nearest")
    pixels = encoder.encode([_png(6, 2, (200, 200, 200))]).feeds["pixels"][0]
    assert pixels.shape == (4, 6, 3)
    assert pixels[0].max() == 0 and pixels[3].max() == 0  # padded rows above and below
    assert (pixels[1:3] == 200).all()


def test_mean_and_std_normalise_each_channel():
    encoder = _encoder(size=(2, 2), mean=[0.5, 0.0, 1.0], std=[0.5, 1.0, 2.0], layout="NHWC")
    pixels = encoder.encode([_png(2, 2, (255, 0, 255), "JPEG")]).feeds["pixels"][0, 0, 0]
    np.testing.assert_allclose(pixels, [1.0, 0.0, 0.0], atol=0.02)


def test_channel_counts_of_mean_and_std_are_checked():
    with pytest.raises(ValueError, match="mean needs 1 or 1 values for grayscale"):
        ImageArgs(size=(2, 2), color="grayscale", mean=[0.1, 0.2, 0.3])


def test_a_model_with_several_inputs_needs_the_input_named():
    signature = Signature(
        inputs=[
            TensorSpec(name="a", dtype="float32", shape=[None, 4]),
            TensorSpec(name="b", dtype="float32", shape=[None, 4]),
        ],
        outputs=[TensorSpec(name="y", dtype="float32", shape=[None, 1])],
    )
    with pytest.raises(ConfigError, match=r"several inputs \(a, b\): set args.input"):
        ImageEncoder(ImageArgs(size=(2, 2)), Context(signature=signature, name="m"))
