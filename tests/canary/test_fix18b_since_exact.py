"""fix18b: ``--since`` was rounded down to the start of its window, so rows before the given instant were judged.

200 rows a minute per variant, spread evenly: ``--since 12:10:30`` must judge the rows from 12:10:30 on (100 of
minute 10 per variant, then every row of minutes 11-29), in the windows, the rank-sum comparison and the report.
"""

from __future__ import annotations

import json
from pathlib import Path

from canary.guarded_traffic import gatekit_cli
from canary.traffic import traffic, write_jsonl


def _judge(tmp_path: Path, since: str) -> dict:
    logs = write_jsonl(tmp_path / "prod.jsonl", traffic(30))
    out = tmp_path / "out"
    proc = gatekit_cli("canary", "--logs", str(logs), "--since", since, "--now", "2026-03-01T12:30:00Z",
                       "--out", str(out), "--no-mlflow")  # fmt: skip
    assert proc.returncode in (0, 4), proc.stdout + proc.stderr
    return json.loads((out / "canary.json").read_text(encoding="utf-8"))


def test_rows_before_since_are_not_judged(tmp_path: Path) -> None:
    report = _judge(tmp_path, "2026-03-01T12:10:30Z")
    rows = [json.loads(line) for line in (tmp_path / "prod.jsonl").read_text(encoding="utf-8").splitlines()]
    expected = [r for r in rows if "2026-03-01T12:10:30.000Z" <= r["timestamp"] < "2026-03-01T12:30:00.000Z"]
    assert len(expected) == 2 * (100 + 19 * 200)  # the independent count: 7,800 rows from 12:10:30 to 12:30
    assert report["rows_seen"] == len(expected)
    assert report["since"] == "2026-03-01T12:10:30Z"
    first = report["windows"][0]
    assert first["start"] == "2026-03-01T12:10:00Z"  # the window holding --since, judged from --since on
    assert first["canary"]["requests"] == 100 and first["baseline"]["requests"] == 100
    latency = next(c for c in report["comparisons"] if c["metric"] == "latency_ms")
    assert latency["n_canary"] == 100 + 19 * 200 and latency["n_baseline"] == 100 + 19 * 200


def test_a_since_on_a_window_boundary_is_unchanged(tmp_path: Path) -> None:
    report = _judge(tmp_path, "2026-03-01T12:10:00Z")
    assert report["rows_seen"] == 2 * 20 * 200 and report["since"] == "2026-03-01T12:10:00Z"
    assert report["windows"][0]["canary"]["requests"] == 200
