"""The shapes every pipeline stage agrees on: batches, the model context and the protocols.

A pipeline is encoder → runner → postprocessors → formatter. Encoders and formatters know
JSON, runners know arrays, postprocessors turn the runner's outputs into the *standard keys*
below. Nothing deeper than an encoder validates user data again.

Standard keys after postprocessing (what evaluation and formatters read):

- ``label`` — shape ``(n,)``: the predicted class, one of ``context.classes``;
- ``probabilities`` — shape ``(n, k)``: column ``j`` is the probability of ``context.classes[j]``;
- ``score`` — shape ``(n,)``: the probability of the returned ``label``;
- ``value`` — shape ``(n,)`` or ``(n, m)``: a regression output.

Other keys (e.g. ``top_labels``/``top_scores`` from ``top_k``) may ride along.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from modelyard.package.manifest import Signature

Arrays = dict[str, np.ndarray]
"""Named arrays: feeds into a runner or outputs out of it; axis 0 is always the row."""

LABEL = "label"
PROBABILITIES = "probabilities"
SCORE = "score"
VALUE = "value"


class Batch(NamedTuple):
    """Named arrays ready for a runner, and how many rows (requests' instances) they hold.

    A named tuple: one is built per request, and a frozen dataclass costs 1.3 µs to build
    where a tuple costs 0.2."""

    feeds: Arrays
    rows: int


MAX_IMAGE_PIXELS = 4096 * 4096
"""The most pixels an image may declare unless the endpoint says otherwise (16.7 M: a
4096x4096 RGB image decodes to 50 MB, far above any model's input size)."""

MAX_REQUEST_PIXELS = 4 * MAX_IMAGE_PIXELS
"""The most pixels the images of one request may declare together unless the endpoint says
otherwise (67 M): images are decoded on the event loop, so a 10 MiB body of many small,
highly compressed large images must not hold it for long."""


@dataclass(frozen=True)
class Resources:
    """What an endpoint grants its pipeline: the runner's intra-op threads and execution
    providers, and the most pixels an image (and all the images of a request) may declare
    before the encoder decodes them."""

    threads: int | None = None
    providers: tuple[str, ...] | None = None
    max_image_pixels: int = MAX_IMAGE_PIXELS
    max_request_pixels: int = MAX_REQUEST_PIXELS


@dataclass(frozen=True)
class Context:
    """What components know about the model they serve, fixed when the pipeline is built.

    ``classes`` starts as the signature's classes; a postprocessor that renames them
    (``label_map``) hands the next stage a new context through ``Postprocessor.bind``.
    ``format``, ``package_dir`` and ``digest`` tell local runners what to open and verify.
    """

    signature: Signature
    name: str
    version: int | None = None
    classes: tuple[Any, ...] | None = None
    format: str | None = None
    package_dir: Path | None = None
    digest: str | None = None
    resources: Resources = field(default_factory=Resources)

    def with_classes(self, classes: Sequence[Any]) -> Context:
        """The same context with other class names (same order as the probability columns)."""
        return replace(self, classes=tuple(classes))


@runtime_checkable
class Encoder(Protocol):
    """Turns a request payload (parsed JSON, or bytes) into a validated :class:`Batch`."""

    def encode(self, payload: Any) -> Batch:
        """Validate ``payload`` against the signature; bad fields raise ``PayloadError``."""
        ...

    def encode_frame(self, frame: pd.DataFrame) -> Batch:
        """The same arrays from a DataFrame, for offline evaluation and batch scoring."""
        ...


@runtime_checkable
class Runner(Protocol):
    """Runs the model on named arrays; knows nothing of JSON."""

    def load(self) -> None:
        """Acquire the model (session, pickle, connection); called once before ``run``."""
        ...

    def run(self, feeds: Mapping[str, np.ndarray]) -> Arrays:
        """Outputs by name for all rows of ``feeds`` (thread-safe once loaded)."""
        ...

    def close(self) -> None:
        """Release what ``load`` acquired."""
        ...


@runtime_checkable
class Postprocessor(Protocol):
    """One step from raw model outputs towards the standard keys."""

    def bind(self, context: Context) -> Context:
        """The context the *next* stage sees (most steps return it unchanged)."""
        ...

    def apply(self, outputs: Arrays, context: Context) -> Arrays:
        """New outputs for all rows; must not modify ``outputs`` in place."""
        ...


@runtime_checkable
class Formatter(Protocol):
    """Turns standard outputs into one JSON-able prediction per row."""

    def format(self, outputs: Arrays, context: Context) -> list[Any]:
        """One prediction per row, made of plain Python values only."""
        ...
