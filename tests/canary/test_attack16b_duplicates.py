"""attack16b: duplicate ``request_id`` rows (a log shipped twice, a retried batch) do not decide a canary stage.

Three extra copies of every canary row turned a stage that needed more canary traffic ("hold": 10 canary
requests a minute, 20 needed) into "promote". Now the windows query also counts each window's distinct
request ids (``approx_count_distinct``, the same SQL on DuckDB and Spark); when the copies are evident the
judgement is "hold" with the estimated number of duplicate rows, never "promote". A rollback still fires.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from canary.traffic import now_after, traffic, write_jsonl
from gatekit.canary.core import CanaryResult, analyse, parse_time
from gatekit.canary.engine import open_engine
from gatekit.canary.rules import default_rules

NOW = parse_time(now_after(30), "--now")


def _judge(path: Path, engine: str = "duckdb", spark: Any = None) -> CanaryResult:
    eng = open_engine(str(path), engine, **({"spark": spark} if spark is not None else {}))
    try:
        return analyse(eng, default_rules(), stage=10, now_us=NOW)
    finally:
        eng.close()


def _copies(rows: list[dict[str, Any]], variant: str | None, extra: int) -> list[dict[str, Any]]:
    copied = [r for r in rows if variant is None or r["variant"] == variant]
    return rows + copied * extra


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("dups")
    thin = traffic(30, canary=lambda m: {"requests": 10})
    busy = traffic(30, per_minute=600, baseline_per_minute=3000)
    spiked = traffic(30, canary=lambda m: {"error_rate": 0.05 if m >= 10 else 0.0})
    return {
        "thin": write_jsonl(root / "thin.jsonl", thin),
        "thin_x4": write_jsonl(root / "thin_x4.jsonl", _copies(thin, "canary", 3)),
        "busy": write_jsonl(root / "busy.jsonl", busy),
        "busy_x2": write_jsonl(root / "busy_x2.jsonl", _copies(busy, None, 1)),
        "spiked_x2": write_jsonl(root / "spiked_x2.jsonl", _copies(spiked, None, 1)),
    }


def _assert_held_for_duplicates(result: CanaryResult, at_least: int) -> None:
    assert result.decision == "hold", result.data["reasons"]
    assert result.exit_code == 4
    block = result.data["duplicates"]
    assert block is not None and block["evident"] is True
    assert block["rows"] >= at_least, block
    assert any("duplicate request_id" in r for r in result.data["reasons"]), result.data["reasons"]


def test_four_copies_of_thin_canary_traffic_hold_instead_of_promoting(logs: dict[str, Path]) -> None:
    assert _judge(logs["thin"]).decision == "hold"  # 10 canary requests a minute: not enough
    _assert_held_for_duplicates(_judge(logs["thin_x4"]), at_least=int(0.8 * 3 * 300))  # 900 copies, HLL estimate


def test_a_log_shipped_twice_holds(logs: dict[str, Path]) -> None:
    _assert_held_for_duplicates(_judge(logs["busy_x2"]), at_least=int(0.8 * 108_000))


def test_unique_busy_traffic_still_promotes_with_no_duplicates_flagged(logs: dict[str, Path]) -> None:
    result = _judge(logs["busy"])
    assert result.decision == "promote", result.data["reasons"]
    assert result.data["duplicates"]["evident"] is False


def test_a_rollback_still_fires_on_duplicated_rows(logs: dict[str, Path]) -> None:
    result = _judge(logs["spiked_x2"])
    assert result.decision == "rollback", result.data["reasons"]
    assert result.data["duplicates"]["evident"] is True


@pytest.mark.slow
def test_spark_runs_the_same_check(logs: dict[str, Path], spark: Any) -> None:
    _assert_held_for_duplicates(_judge(logs["thin_x4"], "spark", spark), at_least=int(0.8 * 900))
    busy = _judge(logs["busy"], "spark", spark)
    assert busy.decision == "promote" and busy.data["duplicates"]["evident"] is False, busy.data["reasons"]
