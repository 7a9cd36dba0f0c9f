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
from modelyard.serving.served import ServedEndpoint
from modelyard.serving.timing import server_timing
from modelyard.serving.variant import Answer, Job, Variant

log = logging.getLogger("modelyard.serving")


class Codec(Protocol):
    """How one route reads requests and writes answers."""

    tensors: bool
    """Whether the route wants raw runner outputs (V2) rather than predictions."""

    def decode(self, served: Variant, body: bytes, headers: RequestHeaders) -> Any:
        """The payload in ``body``; malformed bytes raise :class:`HttpError` (400), a content
        type the route does not take 415."""
        ...

    def validate(self, served: Variant, payload: Any) -> Job:
        """The payload as arrays checked against the signature (``PayloadError`` if not)."""
        ...

    def encode(
        self, served: Variant, payload: Any, answer: Answer, request_id: str
    ) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        """The answer's body and its content headers."""
        ...


async def handle(
    codec: Codec,
    served: ServedEndpoint,
    headers: RequestHeaders,
    receive: Receive,
    send: Send,
    variant: Variant | None = None,
) -> None:
    """Answer one request to ``served``, whatever happens; never raises (but for cancel).

    The request goes to ``variant`` when the route names one (a V2 versioned path), else to
    the variant the endpoint's traffic picks: from the headers before the body is read, or
    from the decoded payload when the sticky key is a field of it.
    """
    started = time.perf_counter()
    request_id = headers.request_id
    assert request_id is not None
    if served.guard is not None:
        refused = served.guard.check(headers.authorization)
        if refused is not None:  # before the batcher hears of the request
            _log_error(refused, refused, served.primary, request_id)
            await respond_error(send, refused, request_id)
            served.primary.metrics.request(refused.status, time.perf_counter() - started)
            return
    if variant is None:
        variant = served.pick(headers)
    announced = variant is not None
    if variant is not None:
        variant.enter()
        variant.batcher.arriving()
    inferring = False
    message: str | None = None
    try:
        body = await read_body(
            receive, served.max_body_bytes, headers.content_length, served.body_deadlines
        )
        if headers.content_encoding is not None:
            body = inflate(body, headers.content_encoding, served.max_body_bytes)
        payload = codec.decode(variant or served.primary, body, headers)
        decoded = time.perf_counter()
        if variant is None:
            variant = served.pick_for(payload)
            variant.enter()
        job = codec.validate(variant, payload)
        validated = time.perf_counter()
        batcher = variant.batcher
        if announced:
            batcher.arrived()
            announced = False
        inferring = True
        answer, ride = await batcher.submit(job, job.batch.rows)
        answered = time.perf_counter()
        inferring = False
        content, response_headers = codec.encode(variant, payload, answer, request_id)
        encoded = time.perf_counter()
        decode_s, validate_s, encode_s = decoded - started, validated - decoded, encoded - answered
        timing = server_timing(decode_s, validate_s, encode_s, ride)
        response_headers += variant.headers
        response_headers.append((b"x-request-id", request_id.encode()))
        response_headers.append((b"server-timing", timing))
        await respond(send, 200, content, response_headers)
        status = 200
    except ClientDisconnectedError:
        status = 499
    except Exception as raised:
        error = from_exception(raised, served.id, request_id, inferring=inferring)
        status = error.status
        message = error.message
        _log_error(error, raised, variant or served.primary, request_id)
        await respond_error(send, error, request_id, variant.headers if variant else ())
    finally:
        if variant is not None:
            if announced:
                variant.batcher.arrived()
            variant.leave()
    elapsed = time.perf_counter() - started
    if variant is None:  # refused before any variant was chosen
        served.primary.metrics.request(status, elapsed)
        if served.capture is not None:
            served.capture.failed(None, request_id, status, elapsed, message)
        return
    variant.tally.answered(status, elapsed)
    capture = served.capture
    if status == 200:
        served.answered(variant, codec, payload, answer, headers)
        if capture is not None:  # references only: the writer thread converts
            inputs = payload if capture.image else job.batch.feeds
            capture.answered(
                headers.sample, variant, request_id, elapsed, inputs, answer, len(body)
            )
        batch_stages = ride.stages
        variant.metrics.answered(
            (decode_s, validate_s, ride.queue_s, batch_stages.get("infer", 0.0),
             batch_stages.get("postprocess", 0.0), encode_s, elapsed)
        )  # fmt: skip
        if log.isEnabledFor(logging.DEBUG):  # the access log, off by default (it costs ~5 µs)
            fields = {"request_id": request_id, "endpoint": served.id, "status": 200}
            log.debug("answered", extra={**fields, "ms": round(elapsed * 1000, 3)})
    else:
        variant.metrics.request(status, elapsed)
        if capture is not None:
            capture.failed(variant, request_id, status, elapsed, message)


def _log_error(error: HttpError, raised: Exception, served: Variant, request_id: str) -> None:
    fields = {
        "request_id": request_id,
        "endpoint": served.id,
        "variant": served.name,
        "model": served.model_name,
        "version": served.version,
        "status": error.status,
    }
    if error.status >= 500:
        log.error(error.message, extra=fields, exc_info=error.status != 504 and raised)
    else:
        log.info(error.message, extra=fields)
