"""Render canary.json into one self-contained canary.html (inline SVG time series, no network, everything escaped).

Per metric, one chart with both variants over the windows: a window without data is a gap in the
line (never a zero), each rollback rule on that metric is a dashed limit line, and the windows that
triggered a fired rule are shaded. Geometry (numbers only) is computed here; every text goes through
jinja2's autoescape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatekit import fmt

WIDTH, HEIGHT = 900, 170
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 10, 26
CHART_METRICS = (
    ("requests", "requests per window", ""),
    ("error_rate", "error rate", "rate"),
    ("latency_p50_ms", "latency p50 (ms)", "ms"),
    ("latency_p95_ms", "latency p95 (ms)", "ms"),
    ("latency_p99_ms", "latency p99 (ms)", "ms"),
    ("deny_rate", "deny rate", "rate"),
    ("review_rate", "review rate", "rate"),
    ("cost_per_request_usd", "cost per request (USD)", "usd"),
)


def _label(value: float, kind: str) -> str:
    if kind == "rate":
        return fmt.rate(value)
    return fmt.number(value, 3)


def _chart(data: Mapping[str, Any], metric: str, title: str, kind: str) -> dict[str, Any]:
    windows = data["windows"]
    count = len(windows)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    limits = [r for r in data["rules"] if r["metric"] == metric]
    values = [w[side].get(metric) for w in windows for side in ("baseline", "canary")]
    known = [float(v) for v in values if isinstance(v, int | float)]
    known += [float(r["threshold"]) for r in limits]
    hi = max(known) if known else 1.0
    hi = hi * 1.1 if hi > 0 else 1.0

    def x(i: float) -> float:
        return round(LEFT + (i + 0.5) / max(count, 1) * inner_w, 1)

    def y(v: float) -> float:
        return round(TOP + inner_h - min(max(v, 0.0), hi) / hi * inner_h, 1)

    series = {}
    for side in ("baseline", "canary"):
        segments: list[str] = []
        current: list[str] = []
        for i, w in enumerate(windows):
            v = w[side].get(metric)
            if isinstance(v, int | float):
                current.append(f"{x(i)},{y(float(v))}")
            elif current:
                segments.append(" ".join(current))
                current = []
        if current:
            segments.append(" ".join(current))
        series[side] = segments
    no_data = [x(i) for i, w in enumerate(windows) if not isinstance(w["canary"].get(metric), int | float)]
    band = inner_w / max(count, 1)
    shaded = []
    for rule in limits:
        if rule["fired"]:
            marked = set(rule["triggering_windows"])
            shaded += [round(x(i) - band / 2, 1) for i, w in enumerate(windows) if w["start"] in marked]
    ticks = [{"y": y(hi * k / 4), "label": _label(hi * k / 4, kind)} for k in range(5)]
    step = max(1, count // 8)
    xticks = [{"x": x(i), "label": windows[i]["start"][11:16]} for i in range(0, count, step)]
    return {
        "metric": metric, "title": title, "series": series, "no_data": no_data, "shaded": shaded,
        "band": round(max(band, 1.0), 1), "ticks": ticks, "xticks": xticks,
        "limits": [{"y": y(float(r["threshold"])), "label": f"{r['name']}", "fired": r["fired"]} for r in limits],
        "width": WIDTH, "height": HEIGHT, "top": TOP, "bottom": HEIGHT - BOTTOM, "left": LEFT, "right": WIDTH - RIGHT,
    }  # fmt: skip


def render_canary_html(data: Mapping[str, Any]) -> str:
    """Return the canary report HTML for a canary.json mapping."""
    import json

    from gatekit.report.html import template_environment

    env = template_environment()
    env.filters["num"] = lambda v, digits=4: fmt.number(v, digits)
    env.filters["apart"] = fmt.digits_apart  # digits that show an estimate or interval end apart from the allowance
    env.filters["pct"] = fmt.rate
    charts = [_chart(data, m, t, k) for m, t, k in CHART_METRICS] if data.get("windows") else []
    shown = {k: v for k, v in data.items() if k != "windows"}
    return env.get_template("canary.html.j2").render(
        data=data, charts=charts, raw=json.dumps(shown, indent=2, ensure_ascii=False, default=str)
    )
