"""The schema of ``endpoints.yaml``: what clients call and how it is served.

The smallest file names an id and a model reference; everything else has a default::

    endpoints:
      - id: breast-cancer
        model: breast_cancer@production   # or breast_cancer:3

The model's pipeline comes from its own manifest. An endpoint may override stages of it, and
that override is recorded in the endpoint's description and logged, never silent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from modelyard.core.errors import ConfigError
from modelyard.core.refs import ModelRef, check_name, parse_ref
from modelyard.package.manifest import ComponentSpec
from modelyard.pipeline.config_values import Duration, Ref, raise_at
from modelyard.pipeline.traffic import SingleTraffic, Traffic
from modelyard.pipeline.types import MAX_IMAGE_PIXELS, Resources

T = TypeVar("T")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunnerResources(_Strict):
    """What the runner may use on this machine; wins over the manifest's runner args."""

    threads: int | None = Field(default=None, ge=1, description="intra-op threads per model")
    providers: list[str] | None = Field(
        default=None, description="ONNX Runtime execution providers"
    )

    def as_resources(self, limits: Limits | None = None) -> Resources:
        """The pipeline-facing value, with the image size limits of ``limits``."""
        providers = tuple(self.providers) if self.providers is not None else None
        limits = limits or Limits()
        return Resources(
            threads=self.threads,
            providers=providers,
            max_image_pixels=limits.max_image_pixels,
            max_request_pixels=limits.request_pixels,
        )


class Batching(_Strict):
    """Adaptive micro-batching: wait at most ``max_wait_ms`` to fill ``max_batch_size`` rows.

    ``max_concurrent_batches`` batches of one endpoint may run at once. Two by default: a
    batch that takes long (a slow remote runner, one huge request) leaves a lane for the
    requests behind it instead of making them all time out; more lanes cut the queue into
    smaller batches, and the server's runner pool (4 threads) is shared by every endpoint.
    """

    max_batch_size: int = Field(default=32, ge=1)
    max_wait_ms: float = Field(default=2.0, ge=0)
    max_concurrent_batches: int = Field(default=2, ge=1)


_PILLOW_REFUSES_ABOVE = 2 * 89_478_485  # Pillow's DecompressionBombError threshold


class Limits(_Strict):
    """Request limits enforced before any decoding.

    ``max_image_pixels`` is checked against the size an image declares in its header, before
    a pixel is decoded: a 67-byte PNG may declare 100000x100000 pixels (30 GB decoded). It
    cannot go past Pillow's own refusal, twice ``PIL.Image.MAX_IMAGE_PIXELS``.
    ``max_request_pixels`` bounds the pixels all the images of one request declare together,
    so one body cannot make the server decode hundreds of large images (images are decoded on
    the event loop); by default four images of the largest size allowed.
    """

    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    max_instances: int = Field(default=1024, ge=1)
    max_image_pixels: int = Field(default=MAX_IMAGE_PIXELS, ge=1, le=_PILLOW_REFUSES_ABOVE)
    max_request_pixels: int | None = Field(default=None, ge=1)

    @property
    def request_pixels(self) -> int:
        """``max_request_pixels``, or its default: four images of the largest size."""
        return self.max_request_pixels or 4 * self.max_image_pixels

    @model_validator(mode="after")
    def _one_image_fits_a_request(self) -> Limits:
        if self.request_pixels < self.max_image_pixels:
            raise ValueError(
                "max_request_pixels must be at least max_image_pixels: one image of the "
                "largest size allowed must fit in a request"
            )
        return self


class Validation(_Strict):
    """Input check against the training data profile: off, warn (log), or reject (422)."""

    profile: Literal["off", "warn", "reject"] = "warn"

    @field_validator("profile", mode="before")
    @classmethod
    def _unquoted_off(cls, value: object) -> object:
        """YAML 1.1 reads an unquoted ``off`` as ``false``: take it as the user wrote it."""
        return "off" if value is False else value


class Logging(_Strict):
    """Which requests go to the prediction log, where it is kept, and for how long.

    Off by default (``sample_rate: 0``): a log costs throughput and storage, so an endpoint
    asks for it. Failed requests are kept whatever the rate (``keep_errors``): they are few
    and the ones people look for. ``sample_by: header:NAME`` keeps or drops all the requests
    of one key (a user, a session) together, by a hash of the header's value.
    """

    sample_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    keep_errors: bool = True
    sample_by: str = Field(
        default="random",
        pattern=r"^(random|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$",
        description="random, or header:NAME to keep or drop all requests of one key",
    )
    store: str = Field(
        default="registry",
        pattern=r"^(registry|parquet:.+)$",
        description="registry (the registry database) or parquet:PATH (any fsspec location)",
    )
    keep: Duration = Field(default=30 * 86400.0, description="retention (default 30d)")
    buffer: int = Field(
        default=100_000, ge=100, description="records held in memory before the writer takes them"
    )
    flush_every: Duration = Field(default=1.0, description="how often the writer writes")

    @property
    def sample_header(self) -> str | None:
        """The header whose value decides sampling, lower-cased; ``None`` for random."""
        return self.sample_by.partition(":")[2].lower() or None

    @property
    def enabled(self) -> bool:
        """Whether any request can reach the log."""
        return self.sample_rate > 0 or self.keep_errors


class Monitoring(_Strict):
    """Drift and live performance computed by the server in the background."""

    drift_every: Duration = Field(default=300.0, description="how often drift is recomputed")
    window: Duration = Field(default=3600.0, description="the logged requests drift looks at")
    min_rows: int = Field(
        default=100, ge=1, description="fewer rows than this in the window: no verdict"
    )
    gates: str | None = Field(
        default=None, description="a gates file whose metric gates judge live performance"
    )
    performance_window: Duration = Field(
        default=86400.0, description="the labelled requests live performance looks at"
    )


class Auth(_Strict):
    """Who may call an endpoint's predict routes: anyone (``open``), or holders of a token of
    role ``predict`` or ``admin`` (``required``). Admin routes always need an admin token."""

    predict: Literal["open", "required"] = "open"


class PipelineOverride(_Strict):
    """Stages that replace the manifest's; stages left out keep the manifest's."""

    encoder: ComponentSpec | None = None
    runner: ComponentSpec | None = None
    postprocess: list[ComponentSpec] | None = None
    formatter: ComponentSpec | None = None

    def stages(self) -> list[str]:
        """The names of the overridden stages."""
        return [name for name in type(self).model_fields if getattr(self, name) is not None]


class EndpointSpec(_Strict):
    """One endpoint: what clients call, which model answers, and how it is served."""

    id: str
    model: Ref = Field(description="name@alias or name:VERSION; the primary of any rollout")
    description: str | None = None
    runner: RunnerResources = Field(default_factory=RunnerResources)
    batching: Batching = Field(default_factory=Batching)
    limits: Limits = Field(default_factory=Limits)
    validation: Validation = Field(default_factory=Validation)
    logging: Logging = Field(default_factory=Logging)
    monitoring: Monitoring | None = Field(
        default=None, description="background drift and live performance; needs logging"
    )
    traffic: Traffic = Field(default_factory=SingleTraffic)
    pipeline: PipelineOverride | None = None
    auth: Auth | None = Field(
        default=None, description="overrides the file's top-level auth for this endpoint"
    )

    @field_validator("id")
    @classmethod
    def _id_is_a_name(cls, value: str) -> str:
        return _as_value_error(lambda: check_name(value, "endpoint id"))

    @model_validator(mode="after")
    def _traffic_fits_the_model(self) -> EndpointSpec:
        """The ``traffic:`` checks that need ``model:`` (a canary's candidate is a version of
        it; A/B and bandit arms include it), each at the field to edit."""
        if problems := self.traffic.problems(self.model):
            raise_at("EndpointSpec", problems, self.model)
        return self

    @model_validator(mode="after")
    def _monitoring_has_a_log(self) -> EndpointSpec:
        """Drift and live performance read the prediction log: without logged requests
        they could only ever report that nothing was seen."""
        if self.monitoring is not None and self.logging.sample_rate == 0:
            message = (
                "monitoring reads the prediction log: set logging.sample_rate above 0 "
                "(e.g. 0.1) for it to have requests to judge"
            )
            raise_at("EndpointSpec", [(("monitoring",), message)], self.monitoring)
        return self

    @property
    def ref(self) -> ModelRef:
        """The parsed model reference."""
        return parse_ref(self.model)


class EndpointsFile(_Strict):
    """The whole ``endpoints.yaml``."""

    auth: Auth = Field(default_factory=Auth, description="every endpoint's, unless it says")
    endpoints: list[EndpointSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _endpoints_inherit_auth(self) -> EndpointsFile:
        """Give each endpoint without an ``auth`` of its own the file's, so an endpoint
        carries its whole policy wherever it is served from."""
        for spec in self.endpoints:
            if spec.auth is None:
                spec.auth = self.auth
        return self


def _as_value_error(check: Callable[[], T]) -> T:
    """Run a core check inside a validator, where pydantic expects ``ValueError``."""
    try:
        return check()
    except ConfigError as error:
        raise ValueError(str(error)) from None
