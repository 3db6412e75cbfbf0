"""Seeing performance: the annual KPI assessment and the KPI trend chart, as pure functions of period results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from workflows.monitoring import KpiSpec, Monitoring

RATINGS = ("Good", "Approaching target", "Requires improvement", "Inadequate")


@dataclass(frozen=True)
class Assessment:
    """One KPI's rating for a contract year."""

    kpi: KpiSpec
    periods: int
    met: int
    amber: int
    red: int

    @property
    def rating(self) -> str:
        """Good (every period green), Approaching target (none red, some amber), Requires improvement (red in at
        most half the periods) or Inadequate (red in more than half); "No data" when nothing was reported."""
        if not self.periods:
            return "No data"
        if not self.red:
            return "Good" if not self.amber else "Approaching target"
        return "Requires improvement" if self.red * 2 <= self.periods else "Inadequate"


def assess_year(monitoring: Monitoring, results, year: int) -> list[Assessment]:
    """Rate every KPI with a target over the financial year from 1 April `year` (results: kpi id, start, rag)."""
    start, end = date(year, 4, 1), date(year + 1, 3, 31)
    out = []
    for kpi in monitoring.kpis:
        if kpi.monitor_only or kpi.unit == "rating":
            continue
        rags = [rag for kpi_id, period_start, rag in results
                if kpi_id == kpi.id and start <= period_start <= end and rag is not None]
        out.append(Assessment(kpi=kpi, periods=len(rags), met=sum(r != "red" for r in rags),
                              amber=rags.count("amber"), red=rags.count("red")))
    return out


def trend_svg(kpi: KpiSpec, points: list[tuple[str, float | None, str | None]], width: int = 640,
              height: int = 260, axis_labels: list[str] | None = None) -> str:
    """A line chart of a KPI's values by period, with the target as a dashed line; every point has a text title
    (axis_labels: short names for the periods under the axis, the full labels are in the titles).

    The chart is an image with a text alternative; the same figures are always in a table beside it.
    """
    left, right, top, bottom = 48, 16, 16, 56
    values = [v for _label, v, _rag in points if v is not None]
    target = kpi.target if kpi.target is not None else (kpi.bands.green_limit if kpi.bands else None)
    highest = max([*values, target or 0])
    ceiling = 100.0 if kpi.unit == "percent" and highest <= 100 else max(highest * 1.05, 1)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / max(len(points), 1))

    def y(v: float) -> float:
        return top + plot_h * (1 - v / ceiling)

    title = f"{kpi.id} {kpi.name}: trend by period"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="remedy-trend" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-labelledby="trend-title trend-desc">',
             f'<title id="trend-title">{escape(title)}</title>',
             f'<desc id="trend-desc">{escape(_describe(kpi, points))}</desc>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#0b0c0c"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#0b0c0c"/>']
    for tick in (0, ceiling / 2, ceiling):
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="12">'
                     f'{escape(kpi.format_value(round(tick)))}</text>')
    if target is not None:
        parts.append(f'<line x1="{left}" y1="{y(target):.1f}" x2="{width - right}" y2="{y(target):.1f}" '
                     f'stroke="#505a5f" stroke-dasharray="6 4"/>')
        parts.append(f'<text x="{width - right}" y="{y(target) - 4:.1f}" text-anchor="end" font-size="12">'
                     f'Target {escape(kpi.format_value(target))}</text>')
    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_l, v, _r) in enumerate(points) if v is not None)
    if line:
        parts.append(f'<polyline points="{line}" fill="none" stroke="#1d70b8" stroke-width="3"/>')
    for i, (label, value, rag) in enumerate(points):
        if value is not None:
            # Shape as well as colour: a square for red, a circle otherwise, so colour is never the only cue.
            colour = {"red": "#d4351c", "amber": "#f47738", "green": "#00703c"}.get(rag or "", "#505a5f")
            text = f"{label}: {kpi.format_value(value)} ({(rag or 'no rating').capitalize()})"
            if rag == "red":
                parts.append(f'<rect x="{x(i) - 6:.1f}" y="{y(value) - 6:.1f}" width="12" height="12" '
                             f'fill="{colour}"><title>{escape(text)}</title></rect>')
            else:
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="6" fill="{colour}">'
                             f'<title>{escape(text)}</title></circle>')
        parts.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 18}" text-anchor="middle" font-size="11">'
                     f'{escape((axis_labels[i] if axis_labels else label)[:14])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _describe(kpi: KpiSpec, points) -> str:
    shown = [f"{label} {kpi.format_value(v)}" for label, v, _r in points if v is not None]
    return (f"{len(shown)} periods against {kpi.target_text()}: " + "; ".join(shown)) if shown else "No figures yet"
