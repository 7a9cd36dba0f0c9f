"""Every endpoint's rollout state, kept in the registry database and applied to routing.

Once a tick (a second by default) and off the request path, for each endpoint: the arms'
tallies are taken as deltas, added in one write transaction to what every replica wrote
(:meth:`RolloutStore.sync`), the strategy judges the sums (a canary's step, a bandit's
weights) in that same transaction, and the weights that come back are applied to routing.
So replicas on one database agree within a tick, and a restarted server resumes the
rollout where the database says it is. Requests answered by a rollout's variants are written
in the same tick, so feedback reaching any replica finds them.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson

from modelyard.pipeline.traffic import BanditTraffic, CanaryTraffic
from modelyard.registry.answer_blocks import NumberedAnswers
from modelyard.registry.database import UNREACHABLE, first_line
from modelyard.registry.rollout_types import ArmCounters, ArmState, RolloutState, Transition
from modelyard.registry.rollouts import RolloutStore, StaleConfigurationError
from modelyard.routing.bandit import bandit_transition
from modelyard.routing.canary import judge
from modelyard.serving.asgi import ID_PREFIX
from modelyard.serving.served import ServedEndpoint

log = logging.getLogger("modelyard.serving.rollouts")

Decide = Callable[[RolloutState], Transition | None]

_PRUNE_EVERY_S = 60.0


def rollout_digest(served: ServedEndpoint) -> str:
    """What identifies a rollout: the traffic block and the model reference as written.

    Not the versions the references resolve to: an alias a variant follows may move (a hot
    reload switches that variant and the rollout goes on counting), and a promotion moves
    the primary's alias itself; a restart after either must resume the same rollout. To
    start over, change the block (e.g. pin the candidate's version).
    """
    document = {"model": served.spec.model, "traffic": served.traffic.model_dump(mode="json")}
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


class RolloutSync:
    """Writes the endpoints' counts to the registry, runs their strategies, applies weights."""

    def __init__(self, store: RolloutStore, interval_s: float = 1.0) -> None:
        self.store = store
        self.interval_s = interval_s
        self._unsent: dict[str, dict[str, ArmCounters]] = {}
        self._lock = asyncio.Lock()
        self._pruned_at: dict[str, float] = {}
        self._stale: set[str] = set()
        self._reloading: set[asyncio.Task[Any]] = set()
        self.reload: Callable[[], Coroutine[Any, Any, Any]] | None = None
        """Checks every variant's ref now (the server's hot reload), run after a promotion."""
        self._rng = np.random.default_rng()
        self.states: dict[str, RolloutState] = {}
        """The last state read of each endpoint (what ``/metrics`` reports)."""

    def start(self, served: ServedEndpoint, plan_weights: dict[str, float]) -> RolloutState:
        """Resume the endpoint's rollout of the same configuration, or start a new one."""
        arms = [
            ArmState(
                name=variant.name,
                ref=variant.endpoint.spec.model,
                version=int(variant.version),
                role="variant" if variant in served.variants else "shadow",
                weight=plan_weights[variant.name],
            )
            for variant in served.arms()
        ]
        state = self.store.start(
            served.id, served.traffic.strategy, rollout_digest(served), served.primary.name, arms
        )
        self._apply(served, state, None)
        return state

    async def run(self, endpoints: Callable[[], list[ServedEndpoint]]) -> None:
        """Tick every ``interval_s`` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.interval_s)
            unreachable: Exception | None = None
            for served in endpoints():
                try:
                    await self.tick(served)
                except StaleConfigurationError:
                    pass  # said once, when first seen
                except UNREACHABLE as error:
                    unreachable = error  # said once per tick, not once per endpoint
                except Exception:
                    log.exception("rollout sync failed", extra={"endpoint": served.id})
            if unreachable is not None:
                log.error(
                    "registry unreachable; rollout counts are kept for the next tick",
                    extra={"error": first_line(unreachable)},
                )

    async def tick(self, served: ServedEndpoint, decide: Decide | None = None) -> RolloutState:
        """Write the endpoint's counts and requests, judge, apply; ``decide`` replaces the
        strategy's own judgement (a person's action)."""
        async with self._lock:
            deltas = self._unsent.pop(served.id, {})
            for name, tally in served.tallies.items():
                taken = tally.take()
                deltas[name] = deltas[name].plus(taken) if name in deltas else taken
            rows, numbered = served.ledger.take_pending()
            versions = {variant.name: int(variant.version) for variant in served.arms()}
            decided: list[Transition] = []
            judged = decide or self._strategy(served)

            def deciding(state: RolloutState) -> Transition | None:
                transition = judged(state) if judged is not None else None
                if transition is not None:
                    decided.append(transition)
                return transition

            try:
                state = await asyncio.to_thread(self._sync, served, deltas, deciding, versions)
            except StaleConfigurationError:
                # Another replica started this endpoint's rollout anew: this one's counts
                # belong to a rollout that is over, and are dropped. Its weights stay as they
                # were until it is restarted with the same file.
                if served.id not in self._stale:
                    self._stale.add(served.id)
                    log.warning(
                        "rollout restarted under another configuration by another replica; "
                        "this replica's counts are not written",
                        extra={"endpoint": served.id},
                    )
                raise
            except UNREACHABLE:
                # Nothing was written, and nothing else can be: the counts wait for the next
                # tick; which arm answered these requests is lost, as it would be below.
                self._unsent[served.id] = deltas
                raise
            except Exception:
                self._unsent[served.id] = deltas  # nothing was written: counted next tick
                await asyncio.to_thread(self._record, served, rows, numbered)
                raise
            # Which arm answered what: written after the counts, in their own transactions
            # (also when the sync failed, above). A failure here loses them: feedback for
            # those requests is then taken by the replica that answered only; the counts
            # are never lost nor written twice.
            await asyncio.to_thread(self._record, served, rows, numbered)
            self._apply(served, state, decided[0] if decided else None)
            return state

    def _sync(
        self,
        served: ServedEndpoint,
        deltas: dict[str, ArmCounters],
        decide: Decide,
        versions: dict[str, int],
    ) -> RolloutState:
        sent = {name: delta for name, delta in deltas.items() if not delta.is_empty()}
        return self.store.sync(served.id, sent, decide, versions, rollout_digest(served))

    def _record(
        self,
        served: ServedEndpoint,
        rows: list[tuple[str, str, list[Any] | None]],
        numbered: NumberedAnswers,
    ) -> None:
        """Write which arm answered each request, and prune what the window has passed."""
        now = datetime.now(UTC)
        try:
            self.store.record_block(served.id, ID_PREFIX, numbered, now)
            if rows:
                self.store.record_requests(served.id, [(*row, now) for row in rows])
            if time.monotonic() - self._pruned_at.get(served.id, 0.0) > _PRUNE_EVERY_S:
                self._pruned_at[served.id] = time.monotonic()
                self.store.prune(served.id, now - timedelta(seconds=served.feedback_window_s))
        except Exception:
            log.exception(
                "could not write which variant answered the last tick's requests",
                extra={"endpoint": served.id, "requests": len(rows) + len(numbered)},
            )

    def _reloaded(self, task: asyncio.Task[Any]) -> None:
        """A promotion's reload is done; a failure is logged (the poll, if on, retries)."""
        self._reloading.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "reload after a promotion failed; the primary serves its old version until "
                "the next successful reload",
                exc_info=task.exception(),
            )

    async def close(self) -> None:
        """Stop the reloads a promotion started (before the endpoints are closed)."""
        for task in list(self._reloading):
            task.cancel()
        await asyncio.gather(*self._reloading, return_exceptions=True)

    def _strategy(self, served: ServedEndpoint) -> Decide | None:
        """What the endpoint's strategy decides at each tick, if anything."""
        traffic = served.traffic
        if isinstance(traffic, CanaryTraffic):
            return lambda state: judge(traffic, state, datetime.now(UTC))
        if isinstance(traffic, BanditTraffic):
            return lambda state: bandit_transition(traffic, state, self._rng)
        return None

    def _apply(
        self, served: ServedEndpoint, state: RolloutState, transition: Transition | None
    ) -> None:
        """Route by the state's weights; log what changed."""
        before = self.states.get(served.id)
        self.states[served.id] = state
        weights = {arm.name: arm.weight for arm in state.arms}
        if before is None or weights != {arm.name: arm.weight for arm in before.arms}:
            served.set_weights(weights)
        if before is None or before.revision == state.revision:
            return
        if state.state == "promoted" and self.reload is not None:
            # the primary's alias moved: switch the primary to it now, not at the next poll
            task = asyncio.get_running_loop().create_task(self.reload())
            self._reloading.add(task)
            task.add_done_callback(self._reloaded)
        fields = {
            "endpoint": served.id,
            "strategy": state.strategy,
            "state": state.state,
            "step": state.step,
            "weights": state.weights,
        }
        if transition is not None and transition.record:
            fields |= {"action": transition.action, "reason": transition.reason}
            fields["figures"] = transition.figures
            log.info("rollout transition", extra=fields)
        else:
            log.info("rollout state changed", extra=fields)
