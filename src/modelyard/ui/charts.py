"""The models pages' charts, as inline SVG (drawn by :mod:`modelyard.evaluation.svg`): a metric
across versions with its bootstrap intervals, and a thumbnail histogram per profiled feature."""

from __future__ import annotations

from markupsafe import Markup

from modelyard.evaluation import svg
from modelyard.package.manifest import DataProfile, FeatureProfile
from modelyard.ui.model_views import VersionView


def metric_chart(name: str, metric: str, views: list[VersionView]) -> Markup:
    """``metric`` of every version of ``name`` that has it, one point per version."""
    points = []
    for view in views:
        figures = view.figures
        if figures is None or metric not in figures.values:
            continue
        low, high = figures.intervals.get(metric, (None, None))
        points.append((str(view.version.version), figures.values[metric], low, high))
    chart = svg.interval_chart(
        f"{metric} of {name} across versions", points, x_label="version", y_label=metric
    )
    return Markup(chart)  # svg escapes every label it writes


def _feature_histogram(feature: FeatureProfile) -> str:
    numeric = feature.numeric
    if numeric is not None:
        return svg.small_histogram(
            feature.name, numeric.histogram_counts, (f"{numeric.min:.4g}", f"{numeric.max:.4g}")
        )
    top = feature.categorical.top if feature.categorical is not None else {}
    names = list(top)
    ends = (names[0][:12], names[-1][:12]) if names else ("", "")
    return svg.small_histogram(feature.name, list(top.values()), ends)


def profile_histograms(profile: DataProfile | None) -> list[Markup]:
    """One thumbnail per profiled feature, in the profile's order (none without a profile)."""
    if profile is None:
        return []
    return [Markup(_feature_histogram(feature)) for feature in profile.features]
