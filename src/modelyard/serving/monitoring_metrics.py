"""Monitoring series for ``/metrics``: drift per feature, per dataset, of the predictions,
and live performance from labels.

They come from the last background computation (:mod:`modelyard.serving.monitoring`). A
feature's ``modelyard_feature_drift`` is the figure its method's threshold applies to: the
p-value for a test (``ks``, ``chisquare``, ``z``: drift below 0.05), the distance for the
others (``wasserstein``, ``jensenshannon``: drift at 0.1 or more). A feature not judged (too
few rows) has no sample, rather than a zero that would read as "no drift".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from modelyard.monitoring.drift_report import FeatureDrift
    from modelyard.serving.monitoring import EndpointFigures


def drift_score(feature: FeatureDrift) -> float | None:
    """The figure ``feature``'s threshold is compared with (p-value or distance)."""
    return feature.p_value if feature.p_value is not None else feature.statistic


class MonitoringCollector(Collector):
    """Reads ``latest`` (endpoint id → last figures) at each scrape."""

    def __init__(self, latest: Mapping[str, EndpointFigures]) -> None:
        self._latest = latest

    def collect(self) -> Iterator[Metric]:
        feature_labels = ["endpoint", "variant", "feature", "method"]
        drift = GaugeMetricFamily(
            "modelyard_feature_drift",
            "Drift score of a feature: the p-value (ks, chisquare, z) or distance "
            "(wasserstein, jensenshannon) its threshold judges.",
            labels=feature_labels,
        )
        drifted = GaugeMetricFamily(
            "modelyard_feature_drifted",
            "1 if the feature drifted, 0 if not.",
            labels=feature_labels,
        )
        arm = ["endpoint", "variant"]
        dataset = GaugeMetricFamily(
            "modelyard_dataset_drift",
            "1 if at least half of the judged features drifted, 0 if not.",
            labels=arm,
        )
        share = GaugeMetricFamily(
            "modelyard_dataset_drift_share",
            "Share of the judged features that drifted.",
            labels=arm,
        )
        prediction = GaugeMetricFamily(
            "modelyard_prediction_drift",
            "Drift score of the answers (label or value) against the reference's answers.",
            labels=["endpoint", "variant", "method"],
        )
        prediction_drifted = GaugeMetricFamily(
            "modelyard_prediction_drifted", "1 if the answers drifted, 0 if not.",
            labels=["endpoint", "variant", "method"],
        )  # fmt: skip
        rows = GaugeMetricFamily(
            "modelyard_drift_rows", "Logged answered requests in the drift window.", labels=arm
        )
        computed = GaugeMetricFamily(
            "modelyard_drift_computed_timestamp_seconds",
            "When the drift was last computed (Unix time).",
            labels=["endpoint"],
        )
        live = GaugeMetricFamily(
            "modelyard_live_metric",
            "A metric of the newest judged window of labelled requests.",
            labels=["endpoint", "variant", "metric"],
        )
        gate_failed = GaugeMetricFamily(
            "modelyard_live_gate_failed",
            "1 if the gate fails on the newest judged window of labelled requests, 0 if not.",
            labels=["endpoint", "variant", "gate"],
        )
        for endpoint, figures in sorted(self._latest.items()):
            computed.add_metric([endpoint], figures.at)
            for gauge in figures.live:
                live.add_metric([endpoint, gauge.variant, gauge.metric], gauge.value)
            for verdict in figures.gates:
                gate_failed.add_metric([endpoint, verdict.variant, verdict.gate], verdict.failed)
            for variant in figures.variants:
                report = variant.drift
                rows.add_metric([endpoint, variant.variant], variant.rows)
                for feature in report.features:
                    if feature.drifted is None or feature.method is None:
                        continue
                    labels = [endpoint, variant.variant, feature.name, feature.method]
                    score = drift_score(feature)
                    if score is not None:
                        drift.add_metric(labels, score)
                    drifted.add_metric(labels, feature.drifted)
                if report.dataset.drifted is not None:
                    dataset.add_metric([endpoint, variant.variant], report.dataset.drifted)
                if report.dataset.share is not None:
                    share.add_metric([endpoint, variant.variant], report.dataset.share)
                answer = report.prediction
                if answer is not None and answer.drifted is not None and answer.method:
                    labels = [endpoint, variant.variant, answer.method]
                    score = drift_score(answer)
                    if score is not None:
                        prediction.add_metric(labels, score)
                    prediction_drifted.add_metric(labels, answer.drifted)
        yield from (
            drift, drifted, dataset, share, prediction, prediction_drifted, rows, computed, live,
            gate_failed,
        )  # fmt: skip
