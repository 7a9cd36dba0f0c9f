"""What the dashboard's pages read from: the registry always, a running server when there is one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from modelyard.registry import Registry
from modelyard.ui.live_stats import LiveStats

if TYPE_CHECKING:  # the serving stack imports the dashboard, never the other way at run time
    from modelyard.serving.metrics import ServerMetrics
    from modelyard.serving.monitoring import Monitors
    from modelyard.serving.rollouts import RolloutSync
    from modelyard.serving.served import ServedEndpoint


@dataclass(frozen=True)
class Live:
    """A running server's state, lent to the dashboard it serves: the endpoints being served
    (the live mapping, replaced in place on reload), its metrics, rollouts and monitors, and
    the snapshots of its metrics that live figures are read from."""

    current: Mapping[str, ServedEndpoint]
    metrics: ServerMetrics
    rollouts: RolloutSync
    monitors: Monitors
    stats: LiveStats


@dataclass(frozen=True)
class UiContext:
    """The registry every page reads, and the server's state (None under ``modelyard ui``,
    where the endpoint pages say that no server is attached)."""

    registry: Registry
    live: Live | None = None
