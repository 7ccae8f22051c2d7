"""Render drift.json into one self-contained drift.html (inline SVG, no network, everything escaped).

Geometry (numbers only) is computed here; every piece of text, including category
names that come from production logs, goes through jinja2's autoescape.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from gatekit import fmt

TEMPLATES = Path(__file__).resolve().parent / "templates"
WIDTH, HEIGHT = 560, 190
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 10, 28


def _fmt(value: Any, digits: int = 3) -> str:
    """The template's ``fmt`` filter: :func:`gatekit.fmt.number` with 3 significant digits."""
    return fmt.number(value, digits)


class _Scale:
    def __init__(self, lo: float, hi: float, out_lo: float, out_hi: float) -> None:
        self.lo, self.hi, self.out_lo, self.out_hi = lo, hi, out_lo, out_hi

    def __call__(self, value: float) -> float:
        # halved so that hi - lo cannot overflow for values near ±1.8e308
        span = (self.hi / 2 - self.lo / 2) or 0.5
        clipped = min(max(value, self.lo), self.hi)
        return round(self.out_lo + (clipped / 2 - self.lo / 2) / span * (self.out_hi - self.out_lo), 1)


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    return [lo * (1 - i / (count - 1)) + hi * (i / (count - 1)) for i in range(count)]


def _step_points(points: list[list[float]], sx: _Scale, sy: _Scale, lo: float, hi: float) -> str:
    coords = [f"{sx(lo)},{sy(0.0)}"]
    previous = 0.0
    for x, f in points:
        coords.append(f"{sx(x)},{sy(previous)}")
        coords.append(f"{sx(x)},{sy(f)}")
        previous = f
    coords.append(f"{sx(hi)},{sy(previous)}")
    return " ".join(coords)


def _ecdf_at(points: list[list[float]], x: float) -> float:
    value = 0.0
    for px, f in points:
        if px <= x:
            value = f
        else:
            break
    return value


def _numeric_view(feature: dict[str, Any]) -> dict[str, Any]:
    plot = feature["plot"]
    lo, hi = plot["x_range"]
    sx = _Scale(lo, hi, LEFT, WIDTH - RIGHT)
    sy = _Scale(0.0, 1.0, HEIGHT - BOTTOM, TOP)
    d_x = feature.get("d_location")
    marker = None
    if d_x is not None:
        f_ref = _ecdf_at(plot["ecdf_reference"], d_x)
        f_prod = _ecdf_at(plot["ecdf_production"], d_x)
        marker = {"x": sx(d_x), "y1": sy(f_ref), "y2": sy(f_prod), "label": f"D = {fmt.number(feature['statistic'], 3)}",
                  "outside": not (lo <= d_x <= hi)}  # fmt: skip
    edges = plot["bin_edges"]
    top = max([*plot["hist_reference"], *plot["hist_production"], 1e-12])
    hy = _Scale(0.0, top, HEIGHT - BOTTOM, TOP)
    bars = []
    for i in range(len(edges) - 1):
        x0, x1 = sx(edges[i]), sx(edges[i + 1])
        half = max((x1 - x0) / 2 - 0.5, 0.5)
        for j, (side, share) in enumerate((("ref", plot["hist_reference"][i]), ("prod", plot["hist_production"][i]))):
            y = hy(share)
            bars.append({"x": round(x0 + j * (half + 0.5), 1), "y": y, "w": round(half, 1),
                         "h": round(HEIGHT - BOTTOM - y, 1), "side": side})  # fmt: skip
    return {
        "ecdf_ref": _step_points(plot["ecdf_reference"], sx, sy, lo, hi),
        "ecdf_prod": _step_points(plot["ecdf_production"], sx, sy, lo, hi),
        "marker": marker,
        "x_ticks": [{"x": sx(t), "label": _fmt(t)} for t in _ticks(lo, hi)],
        "y_ticks": [{"y": sy(t), "label": fmt.number(t, 2)} for t in (0.0, 0.25, 0.5, 0.75, 1.0)],
        "hist_y_ticks": [{"y": hy(t), "label": fmt.rate(t, 0)} for t in _ticks(0.0, top, 3)],
        "bars": bars,
    }


def _categorical_view(feature: dict[str, Any]) -> dict[str, Any]:
    rows = feature["plot"]["categories"]
    top = max([r["reference"] for r in rows] + [r["production"] for r in rows] + [1e-12])
    bar_w = 300
    out = []
    for index, row in enumerate(rows):
        out.append(
            {
                "label": row["category"],
                "new": row["new"],
                "y": index * 26,
                "ref_w": round(row["reference"] / top * bar_w, 1),
                "prod_w": round(row["production"] / top * bar_w, 1),
                "ref_pct": fmt.rate(row["reference"], 1),
                "prod_pct": fmt.rate(row["production"], 1),
            }
        )
    return {"rows": out, "height": max(len(out) * 26, 26), "bar_w": bar_w}


def render_drift_html(report: dict[str, Any]) -> str:
    """Return the HTML text of the drift report for a drift.json ``report`` dict."""
    import jinja2

    from gatekit.report.html import shown_value

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, finalize=shown_value)
    env.filters["fmt"] = _fmt
    env.filters["apart"] = fmt.digits_apart  # digits that show an effect apart from its floor
    views = []
    for feature in report["features"]:
        view: dict[str, Any] = {"f": feature, "numeric": None, "categorical": None}
        if feature.get("plot") and feature["kind"] == "numeric":
            view["numeric"] = _numeric_view(feature)
        elif feature.get("plot"):
            view["categorical"] = _categorical_view(feature)
        views.append(view)
    order = sorted(range(len(views)), key=lambda i: (not views[i]["f"]["drifted"], -_effect_ratio(views[i]["f"])))
    return env.get_template("drift.html.j2").render(
        report=report, views=[views[i] for i in order], width=WIDTH, height=HEIGHT, left=LEFT, bottom=BOTTOM
    )


def _effect_ratio(feature: dict[str, Any]) -> float:
    floor = feature.get("effect_floor") or 0.0
    effect = feature.get("effect_size") or 0.0
    return effect / floor if floor > 0 else (math.inf if effect > 0 else 0.0)
