"""Retries against a real flaky server: a proxy that fails on a script in front of the
modelyard server, and a port that refuses connections until it opens."""

from __future__ import annotations

import threading
import time

import pytest
from clientsite import FAST_RETRY, Site
from flaky import FlakyProxy

from modelyard.client import Client, ClientError, ConnectionFailed, Unavailable
from modelyard.client.retry import Attempts, Retry, retry_after


def _call(proxy: FlakyProxy, retry: Retry, call: str, site: Site) -> object:
    with Client(proxy.url, retry=retry) as client:
        if call == "predict":
            return client.predict("breast-cancer", [site.demo.cancer_record])
        return client.feedback("breast-cancer", "never-answered", label=1)


def test_503_twice_then_the_answer(site: Site) -> None:
    with FlakyProxy(site.url, ["503", "503"]).bind().open() as proxy:
        answer = _call(proxy, FAST_RETRY, "predict", site)
    assert [seen.action for seen in proxy.seen] == ["503", "503", "forward"]
    assert len({seen.body for seen in proxy.seen}) == 1
    assert answer.model.name == "breast_cancer"  # type: ignore[attr-defined]


def test_retry_after_is_honoured(site: Site) -> None:
    started = time.monotonic()
    with FlakyProxy(site.url, ["503:1"]).bind().open() as proxy:
        _call(proxy, FAST_RETRY, "predict", site)
    assert time.monotonic() - started >= 1.0
    assert [seen.action for seen in proxy.seen] == ["503:1", "forward"]


def test_a_retry_after_past_the_deadline_gives_up_at_once(site: Site) -> None:
    retry = Retry(attempts=5, deadline_s=2)
    started = time.monotonic()
    with FlakyProxy(site.url, ["503:60"]).bind().open() as proxy, pytest.raises(Unavailable):
        _call(proxy, retry, "predict", site)
    assert time.monotonic() - started < 2
    assert len(proxy.seen) == 1


def test_retries_stop_at_the_deadline(site: Site) -> None:
    retry = Retry(attempts=1000, deadline_s=0.5, backoff_s=0.05, max_backoff_s=0.1)
    with FlakyProxy(site.url, ["503"] * 1000).bind().open() as proxy:
        started = time.monotonic()
        with pytest.raises(Unavailable):
            _call(proxy, retry, "predict", site)
        elapsed = time.monotonic() - started
    assert elapsed < 0.5 + 1.0  # the last wait ended before the deadline; then one more try
    assert 2 <= len(proxy.seen) < 100


def test_one_attempt_never_sends_twice(site: Site) -> None:
    with FlakyProxy(site.url, ["503"]).bind().open() as proxy, pytest.raises(Unavailable):
        _call(proxy, Retry(attempts=1), "predict", site)
    assert len(proxy.seen) == 1


def test_a_reset_connection_is_retried_for_a_prediction(site: Site) -> None:
    with FlakyProxy(site.url, ["reset"]).bind().open() as proxy:
        _call(proxy, FAST_RETRY, "predict", site)
    assert [seen.action for seen in proxy.seen] == ["reset", "forward"]


def test_a_reset_connection_is_not_retried_for_feedback(site: Site) -> None:
    flaky = FlakyProxy(site.url, ["reset"]).bind().open()
    with flaky as proxy, pytest.raises(ConnectionFailed) as raised:
        _call(proxy, FAST_RETRY, "feedback", site)
    assert raised.value.message.startswith(f"could not reach {proxy.url}/endpoints/")
    assert [seen.action for seen in proxy.seen] == ["reset"]  # the server may have taken it


def test_503_is_retried_for_feedback_too(site: Site) -> None:
    flaky = FlakyProxy(site.url, ["503"]).bind().open()
    with flaky as proxy, pytest.raises(ClientError) as raised:
        _call(proxy, FAST_RETRY, "feedback", site)
    assert raised.value.status == 404  # the server's answer once the proxy forwarded it
    assert [seen.action for seen in proxy.seen] == ["503", "forward"]


def test_a_port_that_refuses_then_opens_is_waited_for(site: Site) -> None:
    retry = Retry(attempts=1000, deadline_s=30, backoff_s=0.02, max_backoff_s=0.05)
    with FlakyProxy(site.url, []).bind() as proxy:
        outcome: list[object] = []
        caller = threading.Thread(
            target=lambda: outcome.append(_call(proxy, retry, "predict", site))
        )
        caller.start()
        time.sleep(0.5)  # the outage: connections are refused meanwhile
        proxy.open()
        caller.join(30)
    assert len(outcome) == 1
    assert [seen.action for seen in proxy.seen] == ["forward"]  # refused tries never arrived


def test_the_waits_grow_and_stay_within_the_cap() -> None:
    now = [0.0]
    steps: list[float] = []

    def jitter(low: float, high: float) -> float:
        steps.append(high)
        return high

    attempts = Attempts(Retry(attempts=6, deadline_s=100, backoff_s=1, max_backoff_s=5),
                        clock=lambda: now[0], jitter=jitter)  # fmt: skip
    waits = []
    while (wait := attempts.pause(None)) is not None:
        waits.append(wait)
        now[0] += wait
    assert waits == [1, 2, 4, 5, 5]
    assert steps == waits


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after("3") == 3.0
    assert retry_after(None) is None
    assert retry_after("soon") is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: now
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 100))
    seconds = retry_after(later)
    assert seconds is not None and 90 < seconds <= 100


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"attempts": 0}, "Retry.attempts must be at least 1 (the first try)"),
        ({"deadline_s": -1}, "Retry's deadline and backoff must be seconds, not negative"),
    ],
)
def test_a_retry_policy_that_cannot_work_is_refused(
    options: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError) as raised:
        Retry(**options)  # type: ignore[arg-type]
    assert str(raised.value) == message
