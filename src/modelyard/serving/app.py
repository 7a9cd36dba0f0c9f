"""The ASGI application: a small router for the predict hot paths in front of FastAPI.

``POST /endpoints/{id}/predict`` and ``POST /v2/models/{name}[/versions/{v}]/infer`` are
matched by string tests and answered by :mod:`modelyard.serving.flow`; everything else
(health, metadata, ``/metrics``, ``/admin/reload``, ``/openapi.json``, ``/docs``) is a FastAPI
route. Measured here (one worker, 64 connections): a raw ASGI constant answer 18,000
requests/s, the same through a FastAPI route about a third of it; the router costs one
``startswith`` per request. Admin routes need an admin token, predict routes a token when
their endpoint says so (:mod:`modelyard.serving.auth`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from modelyard.core.errors import ModelyardError
from modelyard.monitoring.capture import Capture
from modelyard.monitoring.store import open_store
from modelyard.monitoring.writer import LogWriter
from modelyard.pipeline import Endpoint
from modelyard.pipeline.encoders.image import ImageEncoder
from modelyard.pipeline.encoders.payload import pointer
from modelyard.registry import Registry
from modelyard.serving import auth, v2
from modelyard.serving.alias_routes import add_alias_routes
from modelyard.serving.asgi import Receive, RequestHeaders, Scope, Send, respond_error
from modelyard.serving.docs import add_docs
from modelyard.serving.errors import HttpError, method_not_allowed, unknown_endpoint
from modelyard.serving.feedback_route import add_feedback_route
from modelyard.serving.flow import handle
from modelyard.serving.metrics import (
    CONTENT_TYPE,
    STAGES,
    PredictionLogCollector,
    ServerMetrics,
)
from modelyard.serving.monitoring import Monitors, require_monitoring_libraries
from modelyard.serving.monitoring_metrics import MonitoringCollector
from modelyard.serving.openapi import error_response, openapi_builder
from modelyard.serving.predict_route import NativeCodec
from modelyard.serving.reload import EndpointTable, warm
from modelyard.serving.rollout_metrics import RolloutCollector
from modelyard.serving.rollout_routes import add_rollout_routes
from modelyard.serving.rollouts import RolloutSync
from modelyard.serving.served import DEFAULT_BODY_TIMEOUT_S, ServedEndpoint
from modelyard.serving.tally import Tally
from modelyard.serving.v2 import not_that_version
from modelyard.serving.variant import DEFAULT_TIMEOUT_S, Variant
from modelyard.ui import Live, UiContext, add_ui
from modelyard.ui.live_stats import LiveStats

log = logging.getLogger("modelyard.serving")

RELOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    503: error_response("the reload failed; the versions already serving stay"),
}
"""What a reload may answer besides 200 and the admin router's 401/403 (``auth.RESPONSES``):
documented in ``/openapi.json``."""


class PrometheusText(Response):
    """Prometheus's text exposition format, so ``/openapi.json`` names its real type."""

    media_type = CONTENT_TYPE


_GC_YOUNG_THRESHOLD = 50_000
_NATIVE = NativeCodec()
_V2 = v2.V2Codec()


class Server:
    """The served endpoints and the ASGI app answering for them."""

    def __init__(
        self,
        endpoints: dict[str, Endpoint],
        registry: Registry,
        *,
        reload_interval_s: float | None = 5.0,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S,
        runner_threads: int = 4,
        rollout_interval_s: float = 1.0,
    ) -> None:
        self.metrics = ServerMetrics()
        self.live_stats = LiveStats(self.metrics.series, STAGES)
        self._unrouted = self.metrics.for_endpoint("", "", "", "")
        self._executor = ThreadPoolExecutor(runner_threads, thread_name_prefix="runner")
        self._registry = registry
        self._timeout_s = timeout_s
        self._body_timeout_s = body_timeout_s
        self.tokens = auth.TokenCache(registry.tokens)
        self.tokens.load()
        self._guards = auth.Guards(self.tokens)
        self.rollouts = RolloutSync(registry.rollouts, rollout_interval_s)
        self.metrics.registry.register(RolloutCollector(self.rollouts.states))
        self.log_writer = LogWriter(lambda where: open_store(where, registry))
        self.metrics.registry.register(PredictionLogCollector(self.log_writer))
        self.monitors = Monitors(registry)
        self.metrics.registry.register(MonitoringCollector(self.monitors.latest))
        self.table = EndpointTable(self._serve, registry)
        self.rollouts.reload = self.table.reload
        for endpoint in endpoints.values():
            self.table.add(endpoint)
        self._reload_interval_s = reload_interval_s
        self.api = self._build_api(self._guards.admin)

    def _serve(self, endpoint: Endpoint) -> ServedEndpoint:
        """``endpoint`` with every arm of its traffic loaded and warmed, its rollout resumed
        (or started) from the registry database."""
        spec = endpoint.spec
        if spec.monitoring is not None:
            require_monitoring_libraries(spec.id)
        plans = spec.traffic.plan(spec.model)
        primary = spec.traffic.primary_arm(spec.model)
        arms = []
        for plan in plans:
            loaded = (
                endpoint
                if plan.name == primary
                else Endpoint.for_arm(spec, plan, self._registry, endpoint.origin)
            )
            warm(loaded)
            arms.append((loaded, plan.name, plan.role))
        served = ServedEndpoint(
            spec.traffic,
            arms,
            self._variant,
            primary=primary,
            guard=self._guards.for_predict(spec.auth),
            body_timeout_s=self._body_timeout_s,
        )
        self.rollouts.start(served, {plan.name: plan.weight for plan in plans})
        if spec.logging is not None and spec.logging.enabled:
            image = isinstance(endpoint.pipeline.encoder, ImageEncoder)
            capture = self.log_writer.attach(Capture(spec.id, spec.logging, image=image))
            served.capture, served.sample_header = capture, capture.sample_header
        return served

    def _variant(self, endpoint: Endpoint, name: str, tally: Tally, shadow: bool) -> Variant:
        return Variant(
            endpoint,
            name,
            self.metrics,
            self._executor,
            tally,
            timeout_s=self._timeout_s,
            shadow=shadow,
        )

    @contextlib.asynccontextmanager
    async def _lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        watcher = None
        if self._reload_interval_s:
            watcher = asyncio.create_task(
                self.table.watch(self._reload_interval_s, self.tokens.refresh)
            )
        self.log_writer.start()
        syncer = asyncio.create_task(self.rollouts.run(lambda: list(self.table.current.values())))
        monitor = asyncio.create_task(self.monitors.run(lambda: list(self.table.current.values())))
        sampler = asyncio.create_task(self.live_stats.run())  # the dashboard's live figures
        # Everything loaded so far (modules, models) lives as long as the server: freezing it
        # keeps the garbage collector from walking it again and again on the request path.
        gc.collect()
        gc.freeze()
        # A predict request allocates a few dozen containers that die by reference counting;
        # with the default threshold (700) a young-generation collection ran every ~20
        # requests and walked all the requests in flight. 50,000 cuts the server's CPU per
        # request by 5-7% at 64 connections; cycles are still collected, a little later.
        thresholds = gc.get_threshold()
        gc.set_threshold(_GC_YOUNG_THRESHOLD, *thresholds[1:])
        log.info("serving", extra={"endpoints": sorted(self.table.current)})
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
            syncer.cancel()
            monitor.cancel()
            sampler.cancel()
            await self.rollouts.close()
            await self.table.close()
            self.log_writer.stop()  # after the last request: its last flush has them all
            for served in list(self.table.current.values()):  # the last counts and requests
                with contextlib.suppress(Exception):
                    await self.rollouts.tick(served)
            self._executor.shutdown(wait=True)
            gc.set_threshold(*thresholds)
            log.info("stopped")

    def _build_api(self, admin: auth.Guard) -> FastAPI:
        api = FastAPI(title="modelyard", lifespan=self._lifespan, docs_url=None, redoc_url=None)
        current = self.table.current
        api.add_exception_handler(auth.AuthError, auth.refusal_response)
        # Every admin and write route goes on this router: none can forget the token check.
        admin_routes = APIRouter(
            dependencies=[Depends(auth.requirement(admin))], responses=auth.RESPONSES
        )

        @api.exception_handler(StarletteHTTPException)
        async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
            # The Open Inference Protocol (and tritonclient) read the message under "error";
            # the headers carry e.g. a 405's Allow.
            return JSONResponse(
                {"error": error.detail}, status_code=error.status_code, headers=error.headers
            )

        @api.exception_handler(RequestValidationError)
        async def invalid_request(request: Request, error: RequestValidationError) -> Response:
            # A body that does not fit a route's model: one line naming the field, and the
            # request id, as every other error answers.
            problems = [
                {"pointer": pointer(*item["loc"][1:]) or "/", "problem": item["msg"]}
                for item in error.errors()
            ]
            first = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            refused = HttpError(
                422, f"{first['pointer']}: {first['problem']}{more}", problems=problems
            )
            request_id = RequestHeaders(request.scope).request_id
            assert request_id is not None
            return Response(
                refused.body(request_id), 422, {"x-request-id": request_id},
                media_type="application/json",
            )  # fmt: skip

        @api.get("/endpoints", tags=["endpoints"], summary="List endpoints and their versions")
        async def endpoints() -> dict[str, Any]:
            return {"endpoints": [_describe(s) for s in current.values()]}

        @api.get(
            "/metrics", tags=["operations"], summary="Prometheus metrics",
            response_class=PrometheusText,
        )  # fmt: skip
        async def metrics() -> Response:
            return PrometheusText(self.metrics.render())

        @admin_routes.post(
            "/admin/reload",
            tags=["operations"],
            summary="Switch to moved aliases and re-read the tokens now",
            responses=RELOAD_ERRORS,
        )
        async def reload() -> Any:
            await self.tokens.refresh()
            try:
                return {"switched": await self.table.reload()}
            except ModelyardError as error:
                # e.g. the registry is unreachable or a new version fails to load: the
                # versions already serving stay, and the caller learns why.
                return JSONResponse({"error": f"reload failed: {error}"}, status_code=503)

        add_rollout_routes(api, admin_routes, current, self.rollouts, self.tokens)
        add_alias_routes(admin_routes, self._registry, self.tokens)
        add_feedback_route(api, current, self.rollouts, self.tokens, self._registry)
        api.include_router(admin_routes)
        v2.add_routes(api, current, self.table.unready)
        add_docs(api)
        add_ui(
            api,
            UiContext(
                self._registry,
                Live(current, self.metrics, self.rollouts, self.monitors, self.live_stats),
            ),
        )
        api.openapi = openapi_builder(api, lambda: list(current.values()))  # type: ignore[method-assign]
        return api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith("/endpoints/") and path.endswith("/predict"):
                if scope["method"] != "POST":
                    await self._refuse_method(scope, send)
                    return
                name = path[11:-8]
                served = self.table.current.get(name)
                if served is not None:  # the hot path: one coroutine level to the answer
                    headers = RequestHeaders(
                        scope, sticky=served.sticky_header, sample=served.sample_header
                    )
                    await handle(_NATIVE, served, headers, receive, send)
                    return
                await self._refuse(name, None, scope, send)
                return
            if path.startswith("/v2/models/") and path.endswith("/infer"):
                if scope["method"] != "POST":
                    await self._refuse_method(scope, send)
                    return
                name, _, version = path[11:-6].partition("/versions/")
                served = self.table.current.get(name)
                if served is not None:
                    variant = served.with_version(version) if version else None
                    if not version or variant is not None:
                        headers = RequestHeaders(
                            scope,
                            extra=v2.HEADER_LENGTH,
                            sticky=served.sticky_header,
                            sample=served.sample_header,
                        )
                        await handle(_V2, served, headers, receive, send, variant)
                        return
                await self._refuse(name, version or None, scope, send)
                return
        await self.api(scope, receive, send)

    async def _refuse(self, name: str, version: str | None, scope: Scope, send: Send) -> None:
        """404 for a predict path naming no served endpoint (or another version)."""
        await self._answer_error(_not_served(name, version, self.table.current), scope, send)

    async def _refuse_method(self, scope: Scope, send: Send) -> None:
        """405 with ``Allow`` for a predict or infer path asked with another method than POST."""
        await self._answer_error(method_not_allowed("POST"), scope, send)

    async def _answer_error(self, error: HttpError, scope: Scope, send: Send) -> None:
        self._unrouted.request(error.status, 0.0)
        request_id = RequestHeaders(scope).request_id
        assert request_id is not None
        await respond_error(send, error, request_id)


def _describe(served: ServedEndpoint) -> dict[str, Any]:
    return {
        "id": served.id,
        "model": served.primary.model_doc,
        "reference": served.spec.model,
        "strategy": served.traffic.strategy,
        "variants": [
            {"name": v.name, "reference": v.endpoint.spec.model, "model": v.model_doc}
            for v in served.variants
        ],
        "shadows": [
            {"name": v.name, "reference": v.endpoint.spec.model, "model": v.model_doc}
            for v in served.shadows
        ],
    }


def _not_served(name: str, version: str | None, current: dict[str, ServedEndpoint]) -> HttpError:
    if name in current and version is not None:
        return HttpError(404, not_that_version(current[name]), endpoints=sorted(current))
    return unknown_endpoint(sorted(current))
