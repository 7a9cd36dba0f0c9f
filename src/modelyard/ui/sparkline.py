"""A sparkline: a small inline SVG line of a figure over time, drawn on the server.

Apart from :mod:`modelyard.evaluation.svg` on purpose: that package imports the evaluation
stack (scikit-learn, scipy, pandas), which a serving install does not carry, and the live
endpoint pages are served by every server.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

COLOR = "#1f77b4"
"""The dashboard's accent colour (``--accent`` in ``ui.css``)."""


def sparkline(
    title: str, points: Sequence[tuple[float, float]], *, span: float, width: int = 180
) -> str:
    """A small line of ``(age, value)`` points, newest on the right (marked by a dot), the x
    axis covering the last ``span`` seconds and the y axis 0 to the largest value; no axes,
    a ``<title>``."""
    height, pad = 36, 2
    tallest = max((value for _, value in points), default=0.0) or 1.0
    coordinates = [
        f"{pad + (1 - min(age, span) / span) * (width - 2 * pad):.1f},"
        f"{height - pad - value / tallest * (height - 2 * pad):.1f}"
        for age, value in points
    ]
    newest = ""
    if coordinates:
        x, y = coordinates[-1].split(",")
        newest = f'<circle class="point" cx="{x}" cy="{y}" r="2" fill="{COLOR}"/>'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" data-points="{len(points)}"><title>{escape(title)}</title>'
        f'<line x1="0" y1="{height - pad}" x2="{width}" y2="{height - pad}" stroke="#ddd"/>'
        f'<polyline points="{" ".join(coordinates)}" fill="none" stroke="{COLOR}" '
        f'stroke-width="1.5"/>{newest}</svg>'
    )
