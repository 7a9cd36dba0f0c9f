"""The life of one predict request, shared by the native and the V2 routes.

read body → decode → validate (encoder, against the signature) → micro-batcher (queue, infer,
postprocess) → encode → answer. Each stage is timed; the times go to the Prometheus stage
histograms and to the ``Server-Timing`` header with the size of the batch the request rode in.
A route differs only in its :class:`Codec`: how bytes become a payload and a payload arrays,
and how answers become bytes.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

from modelyard.serving.asgi import (
    ClientDisconnectedError,
    Receive,
    RequestHeaders,
    Send,
    inflate,
    read_body,
    respond,
    respond_error,
)
from modelyard.serving.errors import HttpError, from_exception
from modelyard.serving.served import Answer, Job, ServedEndpoint
from modelyard.serving.timing import server_timing

log = logging.getLogger("modelyard.serving")


class Codec(Protocol):
    """How one route reads requests and writes answers."""

    tensors: bool
    """Whether the route wants raw runner outputs (V2) rather than predictions."""

    def decode(self, served: ServedEndpoint, body: bytes, headers: RequestHeaders) -> Any:
        """The payload in ``body``; malformed bytes raise :class:`HttpError` (400), a content
        type the route does not take 415."""
        ...

    def validate(self, served: ServedEndpoint, payload: Any) -> Job:
        """The payload as arrays checked against the signature (``PayloadError`` if not)."""
        ...

    def encode(
        self, served: ServedEndpoint, payload: Any, answer: Answer, request_id: str
    ) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        """The answer's body and its content headers."""
        ...


async def handle(
    codec: Codec,
    served: ServedEndpoint,
    headers: RequestHeaders,
    receive: Receive,
    send: Send,
) -> None:
    """Answer one request to ``served``, whatever happens; never raises (but for cancel)."""
    started = time.perf_counter()
    request_id = headers.request_id
    assert request_id is not None
    if served.guard is not None:
        refused = served.guard.check(headers.authorization)
        if refused is not None:  # before the batcher hears of the request
            _log_error(refused, refused, served, request_id)
            await respond_error(send, refused, request_id)
            served.metrics.request(refused.status, time.perf_counter() - started)
            return
    served.enter()
    batcher = served.batcher
    batcher.arriving()
    announced = True
    inferring = False
    try:
        body = await read_body(
            receive, served.max_body_bytes, headers.content_length, served.body_deadlines
        )
        if headers.content_encoding is not None:
            body = inflate(body, headers.content_encoding, served.max_body_bytes)
        payload = codec.decode(served, body, headers)
        decoded = time.perf_counter()
        job = codec.validate(served, payload)
        validated = time.perf_counter()
        batcher.arrived()
        announced = False
        inferring = True
        answer, ride = await batcher.submit(job, job.batch.rows)
        answered = time.perf_counter()
        inferring = False
        content, response_headers = codec.encode(served, payload, answer, request_id)
        encoded = time.perf_counter()
        decode_s, validate_s, encode_s = decoded - started, validated - decoded, encoded - answered
        timing = server_timing(decode_s, validate_s, encode_s, ride)
        response_headers += served.headers
        response_headers.append((b"x-request-id", request_id.encode()))
        response_headers.append((b"server-timing", timing))
        await respond(send, 200, content, response_headers)
        status = 200
    except ClientDisconnectedError:
        status = 499
    except Exception as raised:
        error = from_exception(raised, served.id, request_id, inferring=inferring)
        status = error.status
        _log_error(error, raised, served, request_id)
        await respond_error(send, error, request_id)
    finally:
        if announced:
            batcher.arrived()
        served.leave()
    elapsed = time.perf_counter() - started
    if status == 200:
        batch_stages = ride.stages
        served.metrics.answered(
            (decode_s, validate_s, ride.queue_s, batch_stages.get("infer", 0.0),
             batch_stages.get("postprocess", 0.0), encode_s, elapsed)
        )  # fmt: skip
        if log.isEnabledFor(logging.DEBUG):  # the access log, off by default (it costs ~5 µs)
            fields = {"request_id": request_id, "endpoint": served.id, "status": 200}
            log.debug("answered", extra={**fields, "ms": round(elapsed * 1000, 3)})
    else:
        served.metrics.request(status, elapsed)


def _log_error(
    error: HttpError, raised: Exception, served: ServedEndpoint, request_id: str
) -> None:
    fields = {
        "request_id": request_id,
        "endpoint": served.id,
        "model": served.model_name,
        "version": served.version,
        "status": error.status,
    }
    if error.status >= 500:
        log.error(error.message, extra=fields, exc_info=error.status != 504 and raised)
    else:
        log.info(error.message, extra=fields)
