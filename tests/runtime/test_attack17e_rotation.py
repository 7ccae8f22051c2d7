"""attack17e: a production log rotated by renaming (``logrotate``'s default ``create`` mode) gets the later rows.

The guard's sinks (``ProductionLogWriter``, the trace file) and the proxy's batched sinks kept writing through the
descriptor they opened first: after ``mv rows.jsonl rows.jsonl.1`` every later row went into ``rows.jsonl.1`` and
``rows.jsonl`` was never created again, so ``gatekit watch`` / ``gatekit canary`` reading the configured path saw no
traffic at all. Each write now notices that its path names another file (or none) and opens the path again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from runtime.chat_upstream import chat_upstream
from runtime.proxy_harness import chat, serving

REPO = Path(__file__).resolve().parents[2]


def _ids(path: Path, key: str) -> list[str]:
    return [json.loads(line)[key] for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_in_process_guard_writes_to_the_path_after_a_rotation(tmp_path: Path) -> None:
    from gatekit.runtime import Enforcer

    rows, traces = tmp_path / "rows.jsonl", tmp_path / "traces.jsonl"
    guard = Enforcer.from_file(REPO / "policies" / "default.yaml", trace_to=traces, log_to=rows)

    def serve(ids: list[str]) -> None:
        for request_id in ids:
            with guard.request("Where is my order?", {"user": "u-1"}, request_id=request_id) as scope:
                scope.check_request()
                scope.check_response("It ships tomorrow.")

    serve(["before-1", "before-2"])
    os.rename(rows, tmp_path / "rows.jsonl.1")
    os.rename(traces, tmp_path / "traces.jsonl.1")
    serve(["after-1", "after-2", "after-3"])
    guard.close()
    assert _ids(tmp_path / "rows.jsonl.1", "request_id") == ["before-1", "before-2"]
    assert _ids(rows, "request_id") == ["after-1", "after-2", "after-3"]
    assert set(_ids(traces, "case_id")) == {"after-1", "after-2", "after-3"}
    assert guard.stats()["sink_failures"] == 0
    assert (rows.stat().st_mode & 0o777) == 0o600  # the new file is private as the first was


def test_the_proxy_writes_to_the_path_after_a_rotation(tmp_path: Path) -> None:
    rows, traces = tmp_path / "rows.jsonl", tmp_path / "traces.jsonl"
    with chat_upstream() as upstream, serving(upstream.url, log_to=rows, trace_to=traces) as proxy:
        for _ in range(2):
            assert chat(proxy.url, "plain").status == 200
        proxy.proxy.enforcer.flush()
        for batch in proxy.proxy._batches:
            batch.flush()
        before = _ids(rows, "request_id")
        os.rename(rows, tmp_path / "rows.jsonl.1")
        os.rename(traces, tmp_path / "traces.jsonl.1")
        for _ in range(3):
            assert chat(proxy.url, "plain").status == 200
    assert len(before) == 2 and _ids(tmp_path / "rows.jsonl.1", "request_id") == before
    after = _ids(rows, "request_id")
    assert len(after) == 3 and not set(after) & set(before)
    assert len(traces.read_text(encoding="utf-8").splitlines()) >= 3


def test_a_relative_log_path_stays_where_it_was_opened_after_a_chdir(tmp_path: Path) -> None:
    """Noticing a rotation must not take a later ``os.chdir`` for one: the rows stay in the file first opened."""
    from gatekit.production.writer import ProductionLogWriter
    from gatekit.runtime.proxy_sinks import RowFile
    from gatekit.runtime.sinks import TraceSink

    first, second = tmp_path / "first", tmp_path / "second"
    (first / "logs").mkdir(parents=True)
    (second / "logs").mkdir(parents=True)
    here = os.getcwd()
    try:
        os.chdir(first)
        writer, batch, traces = ProductionLogWriter("logs/rows.jsonl"), RowFile("logs/batch.jsonl"), TraceSink("logs/t.jsonl")
        assert writer.write(request_id="a") and batch.write(request_id="a") and traces.write({"case_id": "a"})
        batch.batch.flush()
        os.chdir(second)
        assert writer.write(request_id="b") and batch.write(request_id="b") and traces.write({"case_id": "b"})
        batch.close()
        writer.close()
        traces.close()
    finally:
        os.chdir(here)
    assert _ids(first / "logs" / "rows.jsonl", "request_id") == ["a", "b"]
    assert _ids(first / "logs" / "batch.jsonl", "request_id") == ["a", "b"]
    assert _ids(first / "logs" / "t.jsonl", "case_id") == ["a", "b"]
    assert list((second / "logs").iterdir()) == []
