"""Small inline SVG charts (lines, heatmap, bars, histograms) for self-contained HTML reports.

Hand-drawn on purpose: a report must open from a mail attachment or a CI artifact with no
network and no plotting library installed on the server that wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from itertools import pairwise

WIDTH, HEIGHT = 360, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 28, 40
PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _frame(
    title: str,
    x_label: str,
    y_label: str,
    body: list[str],
    *,
    x_ticks: bool = True,
    y_ticks: bool = True,
) -> str:
    """The outer ``<svg>`` with title, unit axes (0..1 ticks) and labels around ``body``."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-weight="bold">'
        f"{escape(title)}</text>",
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#999"/>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x, y = LEFT + tick * plot_w, TOP + (1 - tick) * plot_h
        if x_ticks:
            parts.append(
                f'<text x="{x:.1f}" y="{TOP + plot_h + 14}" text-anchor="middle" '
                f'font-size="10">{tick:g}</text>'
            )
        if y_ticks:
            parts.append(
                f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="10">'
                f"{tick:g}</text>"
            )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 6}" text-anchor="middle" '
        f'font-size="11">{escape(x_label)}</text>'
    )
    parts.append(
        f'<text x="12" y="{TOP + plot_h / 2}" text-anchor="middle" font-size="11" '
        f'transform="rotate(-90 12 {TOP + plot_h / 2})">{escape(y_label)}</text>'
    )
    return "\n".join([*parts, *body, "</svg>"])


def _point(x: float, y: float) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    return f"{LEFT + x * plot_w:.1f},{TOP + (1 - y) * plot_h:.1f}"


def line_chart(
    title: str,
    series: Sequence[tuple[str, Sequence[float], Sequence[float]]],
    *,
    x_label: str,
    y_label: str,
    diagonal: bool = False,
) -> str:
    """Lines on unit axes, one per ``(label, xs, ys)``, with a legend; optional y = x."""
    body: list[str] = []
    if diagonal:
        body.append(
            f'<polyline points="{_point(0, 0)} {_point(1, 1)}" stroke="#bbb" '
            'stroke-dasharray="4 3" fill="none"/>'
        )
    for i, (label, xs, ys) in enumerate(series):
        points = " ".join(_point(x, y) for x, y in zip(xs, ys, strict=True))
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{_color(i)}" stroke-width="2"/>'
        )
        body.append(
            f'<text x="{LEFT + 8}" y="{TOP + 14 + 13 * i}" font-size="11" '
            f'fill="{_color(i)}">{escape(label)}</text>'
        )
    return _frame(title, x_label, y_label, body)


def heatmap(title: str, matrix: Sequence[Sequence[int]], labels: Sequence[str]) -> str:
    """A confusion matrix: rows true, columns predicted, each cell shaded by its row share."""
    n = len(labels)
    cell = min(48, 300 // max(n, 1))
    left, top = 110, 44
    size_w, size_h = left + cell * n + 12, top + cell * n + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_w}" height="{size_h}" '
        f'viewBox="0 0 {size_w} {size_h}" role="img" aria-label="{escape(title)}">',
        f'<text x="{size_w / 2}" y="16" text-anchor="middle" font-weight="bold">'
        f"{escape(title)}</text>",
        f'<text x="{left + cell * n / 2}" y="34" text-anchor="middle" font-size="11">'
        "predicted</text>",
    ]
    for i, row in enumerate(matrix):
        total = sum(row) or 1
        y = top + i * cell
        parts.append(
            f'<text x="{left - 6}" y="{y + cell / 2 + 4}" text-anchor="end" '
            f'font-size="11">{escape(labels[i])}</text>'
        )
        for j, count in enumerate(row):
            x = left + j * cell
            share = count / total
            text = "#fff" if share > 0.5 else "#000"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" '
                f'fill="rgb(31,119,180)" fill-opacity="{0.08 + 0.92 * share:.3f}" '
                'stroke="#fff"/>'
            )
            parts.append(
                f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" text-anchor="middle" '
                f'font-size="11" fill="{text}">{count}</text>'
            )
    for j, label in enumerate(labels):
        parts.append(
            f'<text x="{left + (j + 0.5) * cell}" y="{top + n * cell + 14}" '
            'text-anchor="middle" '
            f'font-size="10">{escape(label[:10])}</text>'
        )
    parts.append(
        f'<text x="10" y="{top + n * cell / 2}" font-size="11" '
        f'transform="rotate(-90 10 {top + n * cell / 2})">true</text>'
    )
    return "\n".join([*parts, "</svg>"])


def bar_chart(title: str, groups: Sequence[str], series: dict[str, Sequence[float]]) -> str:
    """Grouped bars of values in 0..1: one group per class, one bar per series."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(groups), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    body: list[str] = []
    for s, (name, values) in enumerate(series.items()):
        # The legend goes in a row under the group names, where no bar can cover it.
        body.append(
            f'<text x="{LEFT + 90 * s}" y="{HEIGHT - 4}" '
            f'font-size="11" fill="{_color(s)}">■ {escape(name)}</text>'
        )
        for g, value in enumerate(values):
            x = LEFT + g * group_w + group_w * 0.1 + s * bar_w
            height = max(0.0, min(1.0, value)) * plot_h
            body.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{bar_w:.1f}" '
                f'height="{height:.1f}" fill="{_color(s)}">'
                f"<title>{escape(groups[g])} {escape(name)}: {value:.3f}</title></rect>"
            )
    # Group names take the place of the x ticks; the frame draws the 0..1 value axis.
    for g, group in enumerate(groups):
        body.append(
            f'<text x="{LEFT + (g + 0.5) * group_w:.1f}" y="{TOP + plot_h + 26}" '
            f'text-anchor="middle" font-size="10">{escape(group[:12])}</text>'
        )
    return _frame(title, "", "", body, x_ticks=False)


def interval_labels(edges: Sequence[float]) -> list[str]:
    """``low..high`` for each bin between successive ``edges``, four significant digits."""
    return [f"{low:.4g}..{high:.4g}" for low, high in pairwise(edges)]


def histogram(
    title: str,
    bins: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    x_range: tuple[str, str] | None = None,
) -> str:
    """Overlaid, half-transparent bars of shares per bin (one colour per series), scaled to
    the tallest bar; ``x_range`` labels the ends of a numeric axis instead of every bin."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    tallest = max((value for values in series.values() for value in values), default=0.0) or 1.0
    bin_w = plot_w / max(len(bins), 1)
    body: list[str] = []
    for s, (name, values) in enumerate(series.items()):
        body.append(
            f'<text x="{LEFT + 110 * s}" y="{HEIGHT - 4}" '
            f'font-size="11" fill="{_color(s)}">■ {escape(name)}</text>'
        )
        for b, value in enumerate(values):
            height = value / tallest * plot_h
            body.append(
                f'<rect x="{LEFT + b * bin_w:.1f}" y="{TOP + plot_h - height:.1f}" '
                f'width="{bin_w:.1f}" height="{height:.1f}" fill="{_color(s)}" '
                f'fill-opacity="0.45"><title>{escape(bins[b])} {escape(name)}: {value:.4f}'
                "</title></rect>"
            )
    ticks = (
        [(0.0, x_range[0]), (1.0, x_range[1])]
        if x_range
        else [((b + 0.5) / len(bins), label[:10]) for b, label in enumerate(bins)]
    )
    for where, label in ticks:
        body.append(
            f'<text x="{LEFT + where * plot_w:.1f}" y="{TOP + plot_h + 14}" '
            f'text-anchor="middle" font-size="10">{escape(label)}</text>'
        )
    body.append(
        f'<text x="{LEFT - 4}" y="{TOP + 3}" text-anchor="end" font-size="10">{tallest:.2g}</text>'
    )
    return _frame(title, "", "share of rows", body, x_ticks=False, y_ticks=False)


def _nice_range(values: Sequence[float]) -> tuple[float, float]:
    """A y range holding every value with a little room, never empty."""
    low, high = min(values, default=0.0), max(values, default=1.0)
    pad = (high - low) * 0.1 or abs(high) * 0.05 or 0.05
    return low - pad, high + pad


def interval_chart(
    title: str,
    points: Sequence[tuple[str, float, float | None, float | None]],
    *,
    x_label: str,
    y_label: str,
    data_name: str = "version",
) -> str:
    """One dot per ``(label, value, low, high)`` in order along x, joined by a line, with its
    interval (when known) as a vertical bar; each dot is a ``<circle class="point">`` with
    ``data-<data_name>`` set to its label, so pages and tests can find it."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    known = [v for _, value, low, high in points for v in (value, low, high) if v is not None]
    bottom, top = _nice_range(known)

    def y_of(value: float) -> float:
        return TOP + (1 - (value - bottom) / (top - bottom)) * plot_h

    step = plot_w / max(len(points), 1)
    xs = [LEFT + (i + 0.5) * step for i in range(len(points))]
    body = [
        f'<text x="{LEFT - 4}" y="{y_of(tick) + 3:.1f}" text-anchor="end" font-size="10">'
        f"{tick:.3g}</text>"
        for tick in (bottom + (top - bottom) * share for share in (0.1, 0.5, 0.9))
    ]
    line = " ".join(
        f"{x:.1f},{y_of(value):.1f}" for x, (_, value, _, _) in zip(xs, points, strict=True)
    )
    body.append(f'<polyline points="{line}" fill="none" stroke="#bbb" stroke-width="1.5"/>')
    for x, (label, value, low, high) in zip(xs, points, strict=True):
        if low is not None and high is not None:
            body.append(
                f'<line class="interval" x1="{x:.1f}" x2="{x:.1f}" y1="{y_of(low):.1f}" '
                f'y2="{y_of(high):.1f}" stroke="{PALETTE[0]}" stroke-width="2"/>'
            )
        span = "" if low is None or high is None else f" [{low:.4g}, {high:.4g}]"
        body.append(
            f'<circle class="point" data-{data_name}="{escape(label)}" cx="{x:.1f}" '
            f'cy="{y_of(value):.1f}" r="4" fill="{PALETTE[0]}"><title>{escape(label)}: '
            f"{value:.4g}{span}</title></circle>"
        )
        body.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 14}" text-anchor="middle" font-size="10">'
            f"{escape(label)}</text>"
        )
    return _frame(title, x_label, y_label, body, x_ticks=False, y_ticks=False)


SMALL_W, SMALL_H = 168, 84


def small_histogram(name: str, counts: Sequence[float], ends: tuple[str, str]) -> str:
    """A thumbnail histogram of one feature (bars scaled to the tallest), its name on top and
    the range's ends under it: many fit on a page. The ``<svg>`` has class ``histogram`` and
    ``data-feature`` set to ``name``."""
    top, bottom = 16, SMALL_H - 14
    tallest = max(counts, default=0) or 1
    bar_w = (SMALL_W - 8) / max(len(counts), 1)
    bars = [
        f'<rect x="{4 + b * bar_w:.1f}" y="{bottom - c / tallest * (bottom - top):.1f}" '
        f'width="{max(bar_w - 1, 0.5):.1f}" height="{c / tallest * (bottom - top):.1f}" '
        f'fill="{PALETTE[0]}" fill-opacity="0.7"/>'
        for b, c in enumerate(counts)
    ]
    label = escape(name)
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="histogram" data-feature="{label}" '
            f'width="{SMALL_W}" height="{SMALL_H}" viewBox="0 0 {SMALL_W} {SMALL_H}" '
            f'role="img" aria-label="histogram of {label}">',
            f'<text x="4" y="11" font-size="10" font-weight="bold">{escape(name[:28])}</text>',
            *bars,
            f'<line x1="4" x2="{SMALL_W - 4}" y1="{bottom}" y2="{bottom}" stroke="#999"/>',
            f'<text x="4" y="{SMALL_H - 2}" font-size="9">{escape(ends[0])}</text>',
            f'<text x="{SMALL_W - 4}" y="{SMALL_H - 2}" font-size="9" text-anchor="end">'
            f"{escape(ends[1])}</text>",
            "</svg>",
        ]
    )


WINDOW_W, WINDOW_H = 260, 150
WINDOW_LEFT, WINDOW_RIGHT, WINDOW_TOP, WINDOW_BOTTOM = 40, 10, 22, 26


def window_chart(
    title: str,
    windows: Sequence[str],
    values: Sequence[float | None],
    *,
    threshold: float | None,
    flagged: Sequence[bool | None],
    y_label: str,
) -> str:
    """A small line of one statistic per time window, with its threshold dashed across.

    ``values[i]`` is the statistic of window ``windows[i]`` (``None``: not judged, a gap);
    ``flagged[i]`` colours its point (drifted, ok, not judged). The y axis runs from 0 to the
    largest of the values, the threshold and 1. Points carry ``class="point"``,
    ``data-window`` and ``data-drifted`` for whoever reads the page.
    """
    plot_w = WINDOW_W - WINDOW_LEFT - WINDOW_RIGHT
    plot_h = WINDOW_H - WINDOW_TOP - WINDOW_BOTTOM
    top = max([1.0, threshold or 0.0, *(v for v in values if v is not None)]) * 1.05
    step = plot_w / max(len(windows) - 1, 1)

    def x_of(i: int) -> float:
        return WINDOW_LEFT + (i * step if len(windows) > 1 else plot_w / 2)

    def y_of(value: float) -> float:
        return WINDOW_TOP + (1 - value / top) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="window-chart" width="{WINDOW_W}" '
        f'height="{WINDOW_H}" viewBox="0 0 {WINDOW_W} {WINDOW_H}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<text x="{WINDOW_W / 2}" y="14" text-anchor="middle" font-size="12" '
        f'font-weight="bold">{escape(title)}</text>',
        f'<rect x="{WINDOW_LEFT}" y="{WINDOW_TOP}" width="{plot_w}" height="{plot_h}" '
        'fill="none" stroke="#bbb"/>',
        f'<text x="{WINDOW_LEFT - 4}" y="{WINDOW_TOP + 4}" text-anchor="end" font-size="9">'
        f"{top:.3g}</text>",
        f'<text x="{WINDOW_LEFT - 4}" y="{WINDOW_TOP + plot_h}" text-anchor="end" '
        'font-size="9">0</text>',
        f'<text x="10" y="{WINDOW_TOP + plot_h / 2}" text-anchor="middle" font-size="9" '
        f'transform="rotate(-90 10 {WINDOW_TOP + plot_h / 2})">{escape(y_label)}</text>',
    ]
    if windows:
        for i, anchor in ((0, "start"), (len(windows) - 1, "end")):
            parts.append(
                f'<text x="{x_of(i):.1f}" y="{WINDOW_H - 8}" text-anchor="{anchor}" '
                f'font-size="9">{escape(windows[i])}</text>'
            )
    if threshold is not None:
        y = y_of(threshold)
        parts.append(
            f'<line class="threshold" x1="{WINDOW_LEFT}" x2="{WINDOW_LEFT + plot_w}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="#d62728" stroke-dasharray="4 3">'
            f"<title>threshold {threshold:g}</title></line>"
        )
    run: list[str] = []
    for i, value in enumerate([*values, None]):
        if value is None:  # a window without a verdict breaks the line
            if len(run) > 1:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{PALETTE[0]}" '
                    'stroke-width="1.5"/>'
                )
            run = []
            continue
        run.append(f"{x_of(i):.1f},{y_of(value):.1f}")
    for i, (value, drifted) in enumerate(zip(values, flagged, strict=True)):
        if value is None:
            continue
        colour = {True: "#d62728", False: PALETTE[0], None: "#999"}[drifted]
        state = {True: "true", False: "false", None: "unknown"}[drifted]
        parts.append(
            f'<circle class="point" data-window="{i}" data-drifted="{state}" '
            f'cx="{x_of(i):.1f}" cy="{y_of(value):.1f}" r="3" fill="{colour}">'
            f"<title>{escape(windows[i])}: {value:.4g}</title></circle>"
        )
    return "\n".join([*parts, "</svg>"])
