"""The small per-window line chart of the monitoring page: a point per judged window, a gap
where a window was not judged, the threshold dashed across."""

from __future__ import annotations

import re

from modelyard.evaluation.svg import window_chart


def test_a_point_per_judged_window_and_the_threshold() -> None:
    svg = window_chart(
        "mean <radius>", ["09:00", "10:00", "11:00"], [0.5, None, 0.01],
        threshold=0.05, flagged=[False, None, True], y_label="p-value",
    )  # fmt: skip

    points = re.findall(r'<circle class="point" data-window="(\d+)" data-drifted="(\w+)"', svg)
    assert points == [("0", "false"), ("2", "true")]
    assert svg.count('class="threshold"') == 1
    assert "mean &lt;radius&gt;" in svg and "<radius>" not in svg
    assert "<polyline" not in svg  # a window without a verdict breaks the line


def test_runs_of_judged_windows_are_joined() -> None:
    svg = window_chart(
        "psi", list("abcde"), [0.2, 0.3, None, 0.4, 0.5],
        threshold=None, flagged=[False, False, None, True, True], y_label="psi",
    )  # fmt: skip

    assert svg.count("<polyline") == 2
    assert 'class="threshold"' not in svg
