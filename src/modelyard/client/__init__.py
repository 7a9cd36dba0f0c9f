"""A Python client of the modelyard server, sync (:class:`Client`) and async
(:class:`AsyncClient`), with typed answers and one exception class per kind of failure."""

from modelyard.client.answers import (
    EndpointInfo,
    FeedbackReceipt,
    Health,
    Inference,
    ModelRef,
    Prediction,
    Timings,
    VariantInfo,
)
from modelyard.client.async_ import AsyncClient
from modelyard.client.errors import (
    BadRequest,
    ClientError,
    Conflict,
    ConnectionFailed,
    Forbidden,
    InvalidInput,
    NotFound,
    Problem,
    RequestRefused,
    ServerError,
    ServerTimeout,
    Timeout,
    TooLarge,
    Unauthorized,
    Unavailable,
)
from modelyard.client.retry import Retry
from modelyard.client.sync import Client

__all__ = [
    "AsyncClient",
    "BadRequest",
    "Client",
    "ClientError",
    "Conflict",
    "ConnectionFailed",
    "EndpointInfo",
    "FeedbackReceipt",
    "Forbidden",
    "Health",
    "Inference",
    "InvalidInput",
    "ModelRef",
    "NotFound",
    "Prediction",
    "Problem",
    "RequestRefused",
    "Retry",
    "ServerError",
    "ServerTimeout",
    "Timeout",
    "Timings",
    "TooLarge",
    "Unauthorized",
    "Unavailable",
    "VariantInfo",
]
