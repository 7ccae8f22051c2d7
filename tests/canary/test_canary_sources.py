"""The canary reads what the production engine reads: production-log JSONL and Parquet, older logs, globs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from canary.traffic import now_after, traffic, write_jsonl
from gatekit.canary.core import analyse, parse_time
from gatekit.canary.engine import open_engine
from gatekit.canary.rules import default_rules
from gatekit.errors import ConfigError

NOW = parse_time(now_after(30), "now")
SPIKE = traffic(30, canary=lambda m: {"error_rate": 0.02 if 10 <= m < 16 else 0.0})


def assert_same_windows(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    assert [w["start"] for w in a] == [w["start"] for w in b]
    for x, y in zip(a, b, strict=True):
        for side in ("baseline", "canary"):  # float sums may differ in the last bits with the reading order
            assert x[side] == {
                k: v if v is None or isinstance(v, list) else pytest.approx(v, rel=1e-12) for k, v in y[side].items()
            }


def decide(source: str) -> dict[str, object]:
    eng = open_engine(source)
    try:
        return analyse(eng, default_rules(), stage=10, now_us=NOW).data
    finally:
        eng.close()


def test_parquet_and_a_glob_of_jsonl_files_give_the_same_judgement(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from gatekit.production.schema import arrow_schema, make_row

    reference = decide(str(write_jsonl(tmp_path / "all.jsonl", SPIKE)))
    rows = [make_row(**{**r, "timestamp": r["timestamp"]}) for r in SPIKE]
    table = pa.Table.from_pylist(
        [{**r, "timestamp": pa.scalar(parse_time(r["timestamp"], "t"), pa.timestamp("us", tz="UTC"))} for r in rows],
        schema=arrow_schema(),
    )
    pq.write_table(table, tmp_path / "all.parquet")
    parquet = decide(str(tmp_path / "all.parquet"))
    split = tmp_path / "split"
    split.mkdir()
    for k in range(3):
        write_jsonl(split / f"part-{k}.jsonl", SPIKE[k::3])
    globbed = decide(str(split / "*.jsonl"))
    for other in (parquet, globbed):
        assert other["decision"] == reference["decision"] == "rollback"
        assert other["rollback"] == reference["rollback"]
        assert_same_windows(other["windows"], reference["windows"])  # type: ignore[arg-type]


def test_older_logs_without_schema_version_are_read_through_the_legacy_mapping(tmp_path: Path) -> None:
    keep = ("timestamp", "request_id", "variant", "latency_ms", "error", "cost_usd", "outcome")
    legacy = tmp_path / "old.jsonl"
    legacy.write_text("".join(json.dumps({k: r[k] for k in keep}) + "\n" for r in SPIKE), encoding="utf-8")
    data = decide(str(legacy))
    assert data["decision"] == "rollback" and data["rollback"]["since"] == "2026-03-01T12:10:00Z"  # type: ignore[index]


def test_rows_without_the_configured_variants_are_a_config_error_naming_what_is_there(tmp_path: Path) -> None:
    rows = [{**r, "variant": "blue" if r["variant"] == "baseline" else "green"} for r in SPIKE]
    with pytest.raises(ConfigError, match=r"no row has variant 'baseline' or 'canary' \(the rows have: 'blue'"):
        decide(str(write_jsonl(tmp_path / "colours.jsonl", rows)))
    empty = tmp_path / "empty.jsonl"
    write_jsonl(empty, SPIKE[:1])
    data = decide(str(empty))  # one row long before now: windows exist but nothing to judge -> hold, not an error
    assert data["decision"] == "hold"


def test_rows_only_after_now_hold_instead_of_failing(tmp_path: Path) -> None:
    eng = open_engine(str(write_jsonl(tmp_path / "later.jsonl", SPIKE)))
    try:
        data = analyse(eng, default_rules(), stage=10, now_us=parse_time("2026-03-01T11:00:00Z", "now")).data
    finally:
        eng.close()
    assert data["decision"] == "hold" and data["windows_total"] == 0 and data["rows_seen"] == 0
