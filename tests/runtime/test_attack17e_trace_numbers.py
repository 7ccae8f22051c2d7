"""attack17e: a decision trace is JSON whatever numbers the caller's context holds.

The in-process guard's trace sink wrote a context value ``float("nan")`` as ``NaN`` (and ``inf`` as
``Infinity``): not JSON (RFC 8259), so a strict reader (``jq``, a browser's ``JSON.parse``, Go's
``encoding/json``) refused the line, and with it the file. The proxy's orjson encoder wrote null; its standard-library path (taken for an integer over
64 bits) wrote ``NaN`` again. Both now write null.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def _strict(line: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(line, parse_constant=refuse)


@pytest.mark.parametrize("sink", ["file", "proxy-batch"])
def test_non_finite_context_numbers_are_written_null(tmp_path: Path, sink: str) -> None:
    import duckdb

    from gatekit.runtime import Enforcer
    from gatekit.runtime.proxy_sinks import TraceFile

    path = tmp_path / "governance_traces.jsonl"
    target: Any = path if sink == "file" else TraceFile(path)
    guard = Enforcer.from_file(REPO / "policies" / "default.yaml", trace_to=target, log_to=tmp_path / "rows.jsonl")
    # an integer over 64 bits sends the proxy's encoder down its standard-library path
    context = {"user": float("nan"), "role": float("inf"), "env": 10**30}
    with guard.request("Where is my order?", context) as scope:
        scope.check_request()
        scope.check_response("It ships tomorrow.")
    guard.close()
    if sink == "proxy-batch":
        target.batch.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and guard.stats()["sink_failures"] == 0
    records = [_strict(line) for line in lines]  # every line is JSON
    assert all(r["context"]["user"] is None and r["context"]["role"] is None for r in records)
    assert all(r["context"]["env"] == 10**30 for r in records)
    # and DuckDB, the production engine, reads the whole file
    with duckdb.connect() as con:
        count = con.execute("select count(*) from read_json_auto(?, format='newline_delimited')", [str(path)]).fetchall()
    assert count == [(2,)]
