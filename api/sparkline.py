"""An inline SVG sparkline of ``[ts, value]`` points: a few lines, no library, no script."""

from __future__ import annotations

from collections.abc import Sequence

from api.html import Html, el

WIDTH = 320
HEIGHT = 60
PAD = 3


def sparkline(
    points: Sequence[tuple[float, float]], label: str, marks: Sequence[float] = ()
) -> Html:
    """The points as a polyline; each of ``marks`` (a ts) inside them as a red vertical line."""
    if not points:
        return el("span", "no data", class_="muted")
    t0, t1 = points[0][0], points[-1][0]
    lo = min(value for _, value in points)
    hi = max(value for _, value in points)

    def x(ts: float) -> float:
        return PAD + (ts - t0) / (t1 - t0) * (WIDTH - 2 * PAD) if t1 > t0 else WIDTH / 2

    def y(value: float) -> float:
        return PAD + (hi - value) / (hi - lo) * (HEIGHT - 2 * PAD) if hi > lo else HEIGHT / 2

    line = " ".join(f"{x(ts):.1f},{y(value):.1f}" for ts, value in points)
    shapes = [el("polyline", points=line, fill="none", stroke="#2563eb", stroke_width=1.5)]
    for mark in marks:
        if t0 <= mark <= t1:
            at = f"{x(mark):.1f}"
            shapes.append(el("line", x1=at, x2=at, y1=0, y2=HEIGHT, stroke="#dc2626"))
    return el(
        "svg",
        el("title", label),
        *shapes,
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {WIDTH} {HEIGHT}",
        width=WIDTH,
        height=HEIGHT,
        role="img",
        aria_label=label,
        class_="spark",
    )
