"""One variant of an endpoint: a loaded model version with its batcher, metrics and drain.

An endpoint (:mod:`modelyard.serving.served`) holds one or more variants; a request is
routed to one of them and keeps its reference to the end, so a hot reload that swaps a
variant never changes the model under a request. The old variant is closed only once every
request that holds it has answered.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from typing import Any, NamedTuple

from modelyard.pipeline import Endpoint
from modelyard.pipeline.batcher import INLINE_BELOW_S, BatchOutcome, MicroBatcher
from modelyard.pipeline.encoders.tensor import TensorArgs, TensorEncoder
from modelyard.pipeline.pipeline import concat_batches
from modelyard.pipeline.runners.local import PackageRunner
from modelyard.pipeline.types import Arrays, Batch
from modelyard.serving.metrics import EndpointMetrics, ServerMetrics
from modelyard.serving.tally import Tally
from modelyard.serving.timing import batch_part

DEFAULT_TIMEOUT_S = 30.0


class Job(NamedTuple):
    """A request's validated arrays; ``tensors`` asks for raw runner outputs (V2) instead of
    the pipeline's formatted predictions (native route)."""

    batch: Batch
    tensors: bool


Answer = list[Any] | Arrays
"""A job's answer: its predictions (native) or its rows of every runner output (V2)."""


class Variant:
    """An :class:`Endpoint` (one model version) with what serving it needs.

    Built once per loaded version; ``name`` is the variant's name in the endpoint's traffic
    (``primary``, ``candidate``, an A/B key, a bandit's ref), ``id`` the endpoint's id.
    ``tally`` counts what the variant answered for the endpoint's rollout state; it belongs
    to the variant's *name*, so a reloaded version goes on counting where the old one was.
    A ``shadow`` variant runs its batches in the runner threads, never on the event loop.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        name: str,
        metrics: ServerMetrics,
        executor: Executor,
        tally: Tally,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        shadow: bool = False,
    ) -> None:
        self.endpoint = endpoint
        self.name = name
        self.tally = tally
        self.id = endpoint.id
        self.pipeline = endpoint.pipeline
        self.model_name = endpoint.model.name
        self.version = str(endpoint.model.version)
        self.model_doc = {"name": self.model_name, "version": endpoint.model.version}
        self.headers = [
            (b"x-model-name", self.model_name.encode()),
            (b"x-model-version", self.version.encode()),
            (b"x-variant", name.encode()),
        ]
        spec = endpoint.spec
        self.max_instances = spec.limits.max_instances
        self.labelled = bool(self.pipeline.output_context.classes)
        """Whether answers carry labels (a classifier): feedback may then send a label."""
        self.metrics: EndpointMetrics = metrics.for_endpoint(
            self.id, name, self.model_name, self.version
        )
        self.tensor_encoder = TensorEncoder(TensorArgs(), self.pipeline.context)
        self.batcher: MicroBatcher[Job, Answer] = MicroBatcher(
            self._run,
            max_batch_size=spec.batching.max_batch_size,
            max_wait_ms=spec.batching.max_wait_ms,
            max_concurrent_batches=spec.batching.max_concurrent_batches,
            executor=executor,
            timeout_s=timeout_s,
            # A remote runner waits on the network, not the CPU: never on the event loop; nor
            # does a shadow, whose copies must not hold up the next request the loop reads.
            inline_below_s=(
                INLINE_BELOW_S
                if isinstance(self.pipeline.runner, PackageRunner) and not shadow
                else 0
            ),
            on_batch=self.metrics.batches.observe,
        )
        self.in_flight = 0
        self._draining = False
        self._quiet = asyncio.Event()

    def _run(self, jobs: Sequence[Job]) -> BatchOutcome[Answer]:
        """Run one batch: concatenate, infer once, finish once, split back by rows.

        Postprocessors and formatters work row by row, so finishing the whole batch at once
        gives each request the predictions it would get alone, for one call instead of many.
        """
        pipeline = self.pipeline
        batch = concat_batches([job.batch for job in jobs])
        started = time.perf_counter()
        outputs = pipeline.infer(batch.feeds)
        inferred = time.perf_counter()
        predictions = None
        tensor_jobs = sum(job.tensors for job in jobs)  # V2 requests want raw outputs
        if tensor_jobs < len(jobs):
            predictions = pipeline.finish(outputs)
        finished = time.perf_counter()
        answers: list[Answer]
        if predictions is not None and batch.rows == len(jobs) and not tensor_jobs:
            answers = [[prediction] for prediction in predictions]  # one row each: no slicing
        else:
            answers = []
            start = 0
            for job in jobs:
                end = start + job.batch.rows
                if job.tensors:
                    answers.append({name: array[start:end] for name, array in outputs.items()})
                else:
                    assert predictions is not None
                    answers.append(predictions[start:end])
                start = end
        stages = {"infer": inferred - started, "postprocess": finished - inferred}
        shared = batch_part(stages["infer"], stages["postprocess"], batch.rows, len(jobs))
        return BatchOutcome(answers, stages, shared)

    def enter(self) -> None:
        """A request starts using this version."""
        self.in_flight += 1

    def leave(self) -> None:
        """A request that used this version has answered."""
        self.in_flight -= 1
        if self._draining and self.in_flight == 0:
            self._quiet.set()

    async def drain(self) -> None:
        """Wait for every request holding this version to answer (no new one may start)."""
        self._draining = True
        if self.in_flight == 0:
            self._quiet.set()
        await self._quiet.wait()
        await self.batcher.drained()
