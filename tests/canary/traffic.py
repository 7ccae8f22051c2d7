"""Generated minute-level production traffic with known truth, in the production-log row format."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def minute_rows(
    minute: int,
    variant: str,
    requests: int,
    *,
    error_rate: float = 0.0,
    latency_scale: float = 1.0,
    deny: int = 0,
    seed: int = 0,
    start: datetime = T0,
    window_s: int = 60,
) -> list[dict[str, Any]]:
    """``requests`` rows of one variant in window ``minute``; exactly round(error_rate * requests) errors."""
    rng = random.Random(f"{seed}-{minute}-{variant}")
    errors = set(rng.sample(range(requests), round(error_rate * requests))) if requests else set()
    denies = set(rng.sample(sorted(set(range(requests)) - errors), deny)) if deny else set()
    rows = []
    for k in range(requests):
        moment = start + timedelta(seconds=minute * window_s + window_s * (k + 0.5) / requests)
        rows.append(
            {
                "schema_version": 1,
                "timestamp": stamp(moment),
                "request_id": f"{variant}-{minute}-{k}",
                "variant": variant,
                "latency_ms": round(rng.lognormvariate(6.0, 0.35) * latency_scale, 3),
                "error": "http_5xx" if k in errors else None,
                "cost_usd": round(rng.uniform(0.001, 0.003), 6),
                "outcome": "deny" if k in denies else "allow",
                "enforced": "deny" if k in denies else "allow",
                "rules": ["r1"] if k in denies else [],
            }
        )
    return rows


def traffic(
    minutes: int,
    *,
    per_minute: int = 200,
    canary: Callable[[int], dict[str, Any]] | None = None,
    baseline_per_minute: int | None = None,
    seed: int = 0,
    skip: Iterable[int] = (),
) -> list[dict[str, Any]]:
    """Baseline and canary rows for ``minutes`` windows; ``canary(m)`` gives per-minute canary options."""
    skipped = set(skip)
    rows: list[dict[str, Any]] = []
    for m in range(minutes):
        if m in skipped:
            continue
        rows += minute_rows(m, "baseline", baseline_per_minute or per_minute, seed=seed)
        opts = {"requests": per_minute, **(canary(m) if canary else {})}
        rows += minute_rows(m, "canary", seed=seed, **opts)
    rows.sort(key=lambda r: r["timestamp"])
    return rows


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def now_after(minutes: int) -> str:
    return stamp(T0 + timedelta(minutes=minutes))
