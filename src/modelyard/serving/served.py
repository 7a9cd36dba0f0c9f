"""One endpoint as the server runs it: its limits and auth, its variants, and its routing.

The endpoint owns what is the same whatever version answers (id, body limits, who may call
it, the traffic strategy); each :class:`Variant` owns one loaded version. A request is routed
to a variant by a weighted pick (a random number and a bisect), or by the bucket its sticky
key hashes to; no I/O and no lock on the request path. Weights come from the rollout state,
which the rollout syncer reads and applies once a tick (:meth:`ServedEndpoint.set_weights`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from modelyard.monitoring.capture import Capture
from modelyard.pipeline import Endpoint
from modelyard.pipeline.traffic import ABTraffic, CanaryTraffic, ShadowTraffic, Traffic
from modelyard.routing.picker import WeightedPicker, sticky_bucket
from modelyard.serving.asgi import BodyDeadlines, RequestHeaders
from modelyard.serving.auth import Guard
from modelyard.serving.ledger import Ledger
from modelyard.serving.mirror import Mirror, Validator
from modelyard.serving.tally import Tally
from modelyard.serving.variant import Answer, Variant

DEFAULT_BODY_TIMEOUT_S = 30.0

MakeVariant = Callable[[Endpoint, str, Tally, bool], Variant]
"""Builds the variant of an arm: its loaded endpoint, its name, the arm's tally, and whether
it is a shadow."""


class ServedEndpoint:
    """An endpoint's variants (answering), shadows (never answering) and routing."""

    def __init__(
        self,
        traffic: Traffic,
        arms: Sequence[tuple[Endpoint, str, str]],
        make_variant: MakeVariant,
        *,
        primary: str,
        guard: Guard | None = None,
        body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S,
    ) -> None:
        """``arms`` are (loaded endpoint, arm name, role) in the traffic plan's order."""
        spec = arms[0][0].spec
        self.spec = spec
        self.id = spec.id
        self.traffic = traffic
        self.guard = guard
        """Who may call the predict routes; ``None``: anyone."""
        self.max_body_bytes = spec.limits.max_body_bytes
        self.body_deadlines = BodyDeadlines(body_timeout_s)
        self._make_variant = make_variant
        self.tallies = {name: Tally() for _, name, _ in arms}
        self.variants = [
            make_variant(e, n, self.tallies[n], False) for e, n, r in arms if r == "variant"
        ]
        self.shadows = [
            make_variant(e, n, self.tallies[n], True) for e, n, r in arms if r == "shadow"
        ]
        self.primary_index = next(i for i, v in enumerate(self.variants) if v.name == primary)
        self.ledger = Ledger(persist=traffic.strategy != "single")
        self.feedback_window_s = traffic.feedback_window
        self.sticky_header: bytes | None = None
        self._sticky_field: str | None = None
        self._seed = b""
        sticky = traffic.sticky_key if isinstance(traffic, ABTraffic) else None
        if sticky is not None:
            kind, key = sticky
            if kind == "header":
                self.sticky_header = key.lower().encode()
            else:
                self._sticky_field = key
            self._seed = (getattr(traffic, "seed", None) or self.id).encode()
        self.capture: Capture | None = None
        """The prediction log's capture of this endpoint; ``None`` when it logs nothing."""
        self.sample_header: bytes | None = None
        """The header whose value the prediction log samples by, if any."""
        self._only: Variant | None = None
        self._picker: WeightedPicker | None = None
        self._shadow_mirrors: dict[str, Mirror] = {}
        self._mirrors = self._build_mirrors(traffic)
        self.set_weights({self.primary.name: 100.0})

    def _build_mirrors(self, traffic: Traffic) -> dict[str, list[Mirror]]:
        """The copies made after an answer, by the name of the arm that answered; each
        shadow's mirror is also kept by the shadow's name, whose weight is its share."""
        if isinstance(traffic, ShadowTraffic):
            self._shadow_mirrors = {
                shadow.name: Mirror(
                    self._arm_getter(shadow.name),
                    self.tallies[shadow.name],
                    share=traffic.percent / 100,
                    capacity=traffic.queue,
                    target_is_primary=False,
                )
                for shadow in self.shadows
            }
            return {self.primary.name: list(self._shadow_mirrors.values())}
        if isinstance(traffic, CanaryTraffic) and traffic.min_agreement is not None:
            mirror = Mirror(
                self._arm_getter(self.primary.name),
                self.tallies["candidate"],
                share=traffic.agreement_percent / 100,
                capacity=1000,
                target_is_primary=True,
            )
            return {"candidate": [mirror]}
        return {}

    def _arm_getter(self, name: str) -> Callable[[], Variant]:
        """The current variant of arm ``name`` (a reload may have replaced it)."""
        return lambda: self.arm(name)

    @property
    def primary(self) -> Variant:
        """The variant that answers by default."""
        return self.variants[self.primary_index]

    def arms(self) -> list[Variant]:
        """Every loaded variant, answering ones first."""
        return [*self.variants, *self.shadows]

    def arm(self, name: str) -> Variant:
        """The variant of arm ``name``; ``KeyError`` if none."""
        for variant in self.arms():
            if variant.name == name:
                return variant
        raise KeyError(name)

    def versions(self) -> list[str]:
        """The versions the answering variants serve, each once, in the variants' order."""
        return list(dict.fromkeys(variant.version for variant in self.variants))

    def with_version(self, version: str) -> Variant | None:
        """The answering variant serving ``version``, if any (V2's versioned routes)."""
        for variant in self.variants:
            if variant.version == version:
                return variant
        return None

    def set_weights(self, weights: Mapping[str, float]) -> None:
        """Route by ``weights`` (percent by arm name; arms left out get 0); shadows' weights
        are the percent of requests they are sent."""
        shares = [weights.get(variant.name, 0.0) for variant in self.variants]
        live = [i for i, share in enumerate(shares) if share > 0]
        if not live:
            self._only, self._picker = self.primary, None
        elif len(live) == 1:
            self._only, self._picker = self.variants[live[0]], None
        else:
            self._only, self._picker = None, WeightedPicker(shares)
        for name, mirror in self._shadow_mirrors.items():
            if name in weights:
                mirror.share = weights[name] / 100

    def pick(self, headers: RequestHeaders) -> Variant | None:
        """The variant answering this request; ``None`` when the key is in the payload."""
        if self._only is not None:
            return self._only
        picker = self._picker
        assert picker is not None
        if self._sticky_field is not None:
            return None
        key = headers.sticky
        if key is not None:
            return self.variants[picker.pick_bucket(sticky_bucket(key, self._seed))]
        return self.variants[picker.pick()]

    def pick_for(self, payload: Any) -> Variant:
        """The variant for a request keyed by a field of its payload (first instance)."""
        picker = self._picker
        if picker is None:
            return self._only or self.primary
        key = _field_key(payload, self._sticky_field or "")
        if key is None:
            return self.variants[picker.pick()]
        return self.variants[picker.pick_bucket(sticky_bucket(key, self._seed))]

    def answered(
        self,
        variant: Variant,
        codec: Validator,
        payload: Any,
        answer: Answer,
        headers: RequestHeaders,
    ) -> None:
        """After a successful answer: remember who answered, start the copies."""
        request_id = headers.request_id
        assert request_id is not None
        labels = _labels(answer) if variant.labelled else None
        self.ledger.add(request_id, headers.number, variant.name, labels)
        mirrors = self._mirrors.get(variant.name)
        if mirrors:
            for mirror in mirrors:
                mirror.offer(codec, payload, answer)

    def renew(self, old: Variant, fresh: Endpoint) -> Variant:
        """Serve ``fresh`` in ``old``'s place (a hot reload); returns the new variant."""
        new = self._make_variant(fresh, old.name, old.tally, old in self.shadows)
        for table in (self.variants, self.shadows):
            for i, variant in enumerate(table):
                if variant is old:
                    table[i] = new
        if self._only is old:
            self._only = new
        return new

    async def drained_mirrors(self) -> None:
        """Wait for copies in flight."""
        for mirrors in self._mirrors.values():
            for mirror in mirrors:
                await mirror.drained()


def _labels(answer: Answer) -> list[Any] | None:
    """The labels a classifier's answer predicted, one per instance."""
    if isinstance(answer, list):
        return [item.get("label") if isinstance(item, dict) else None for item in answer]
    label = answer.get("label")
    return None if label is None else label.tolist()


def _field_key(payload: Any, field: str) -> bytes | None:
    """The sticky key in a native payload's first instance (a record, under ``instances`` or
    in a bare list), or the first value of a V2 input of that name (JSON or binary);
    ``None`` when absent. The same value gives the same key whichever way it came."""
    instances = payload.get("instances") if type(payload) is dict else payload
    if type(instances) is list and instances and type(instances[0]) is dict:
        return _key_of(instances[0].get(field))
    inputs = payload.get("inputs") if type(payload) is dict else None
    if type(inputs) is list:
        for tensor in inputs:
            if type(tensor) is dict and tensor.get("name") == field:
                return _key_of(_first_value(tensor.get("data")))
    return None


def _first_value(data: Any) -> Any:
    """The first value of V2 tensor data, flat or nested by shape, JSON or binary."""
    while isinstance(data, list) and data:
        data = data[0]
    if isinstance(data, np.ndarray):
        data = data.ravel()[0] if data.size else None
    return data.item() if isinstance(data, np.generic) else data


def _key_of(value: Any) -> bytes | None:
    """A key's bytes: text as UTF-8 (binary V2 strings arrive as bytes), others as text."""
    if value is None or isinstance(value, list | dict):
        return None
    if isinstance(value, bytes):
        return value
    return str(value).encode()
