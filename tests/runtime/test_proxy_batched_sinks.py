"""The proxy's batched trace and row files (gatekit/runtime/proxy_sinks.py), the event-loop choice and the
GC tuning of ``guard serve``: real servers on 127.0.0.1, a real ``gatekit guard serve`` subprocess."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import free_port, wait_http
from runtime.chat_upstream import chat_upstream
from runtime.proxy_harness import DEFAULT_POLICY, REPO, chat, kill_if_running, request, serve_process, serving

from gatekit.errors import ConfigError
from gatekit.runtime import proxy_sinks
from gatekit.runtime.proxy import GC_YOUNG_THRESHOLD, ProxySettings, _tune_gc, loop_factory
from gatekit.runtime.proxy_sinks import JsonlBatch, RowFile, dumps_line


def test_every_finished_request_has_its_row_on_disk_after_sigterm(tmp_path: Path) -> None:
    """200 concurrent requests, SIGTERM right after the last answer: every row and trace is written, whole."""
    rows, traces = tmp_path / "rows.jsonl", tmp_path / "traces.jsonl"
    port = free_port()
    with chat_upstream() as upstream:
        proc = serve_process(
            "--upstream", upstream.url, "--policy", str(DEFAULT_POLICY), "--port", str(port),
            "--log-to", str(rows), "--trace-to", str(traces), verbose=False,
        )  # fmt: skip
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", timeout_s=60)
            base = f"http://127.0.0.1:{port}"
            models = ["plain", "pii", "allowed-tool"] * 66 + ["forbidden-tool"] * 2  # few denies: no circuit breaker
            with ThreadPoolExecutor(16) as pool:
                answers = list(pool.map(lambda model: chat(base, model), models))
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        finally:
            kill_if_running(proc)
    assert proc.returncode == 0, err
    assert [a.status for a in answers].count(200) == 198 and [a.status for a in answers].count(403) == 2
    ids = {a.headers["x-gatekit-request-id"] for a in answers}
    written = [json.loads(line) for line in rows.read_text(encoding="utf-8").splitlines()]  # whole lines only
    assert len(written) == 200 and {row["request_id"] for row in written} == ids
    denied = [row for row in written if row["error"] == "policy_denied"]
    assert len(denied) == 2 and all(row["rules"] == ["retail-tools"] for row in denied)
    trace_ids = [json.loads(line)["case_id"] for line in traces.read_text(encoding="utf-8").splitlines()]
    assert set(trace_ids) == ids and len(trace_ids) >= 400  # a request and a response decision each


def test_a_batch_is_on_disk_within_its_delay_while_the_loop_runs(tmp_path: Path) -> None:
    path = tmp_path / "lines.jsonl"
    batch = JsonlBatch(path, "test", delay_s=0.01)

    async def run() -> tuple[int, int]:
        batch.attach(asyncio.get_running_loop())
        for number in range(5):
            batch.add(dumps_line({"n": number}))
        from_thread = threading.Thread(target=lambda: batch.add(dumps_line({"n": "thread"})))
        from_thread.start()
        from_thread.join()
        before = path.read_text().count("\n") if path.exists() else 0  # nothing yet: the batch waits for the loop
        await asyncio.sleep(0.2)
        return before, path.read_text().count("\n")

    before, after = asyncio.run(run())
    batch.close()
    assert (before, after) == (0, 6)
    assert [json.loads(line)["n"] for line in path.read_text().splitlines()] == [0, 1, 2, 3, 4, "thread"]
    assert (batch.written, batch.failures) == (6, 0)
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # rows may hold context: private


def test_a_file_that_cannot_be_written_is_counted_and_the_request_still_answered(tmp_path: Path) -> None:
    folder_not_file = tmp_path / "rows"
    traces = tmp_path / "traces.jsonl"
    with chat_upstream() as upstream, serving(upstream.url, log_to=folder_not_file, trace_to=traces) as server:
        folder_not_file.mkdir()  # a folder only after the start: one given as the path is refused at start (exit 2)
        answers = [chat(server.url, "plain") for _ in range(3)]
        sink = server.proxy.enforcer.log_sink
        deadline = time.monotonic() + 10
        while True:  # the rows are written a few milliseconds after the answers: /metrics counts them then
            metrics = request(f"{server.url}/metrics", method="GET").body.decode()
            if 'gatekit_guard_sink_failures_total{sink="rows"} 3.0' in metrics or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert [a.status for a in answers] == [200, 200, 200]
    assert 'gatekit_guard_sink_failures_total{sink="rows"} 3.0' in metrics
    assert 'gatekit_guard_sink_written_total{sink="rows"} 0.0' in metrics
    assert 'gatekit_guard_sink_failures_total{sink="traces"} 0.0' in metrics
    assert isinstance(sink, RowFile)
    assert (sink.rows_written, sink.failures) == (0, 3) and "IsADirectoryError" in (sink.last_error or "")
    assert len(traces.read_text().splitlines()) == 6  # the other file is not affected


def test_a_row_the_schema_refuses_is_counted_not_written(tmp_path: Path) -> None:
    rows = RowFile(tmp_path / "rows.jsonl")
    assert rows.write(request_id="r1", outcome="allow", latency_ms=1.5) is True
    assert rows.write(request_id="r2", outcome="maybe") is False  # not one of the four outcomes
    assert rows.write(request_id="r3", latency_ms=float("nan")) is False
    rows.close()
    written = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]
    assert [row["request_id"] for row in written] == ["r1"] and written[0]["latency_ms"] == 1.5
    assert (rows.rows_written, rows.failures) == (1, 2) and "latency_ms" in (rows.last_error or "")  # the latest


@pytest.mark.parametrize("orjson_installed", [True, False])
def test_lines_are_the_same_json_with_or_without_orjson(
    monkeypatch: pytest.MonkeyPatch, orjson_installed: bool
) -> None:
    if not orjson_installed:
        monkeypatch.setattr(proxy_sinks, "_orjson", None)
    record = {"text": 'naïve ☃ "quoted"\n', "big": 2**70, "ratio": 0.1, "when": Path("x"), "list": [1, None, True]}
    line = dumps_line(record)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {**record, "when": "x"}  # 2**70 exact (orjson refuses it: the stdlib writes it)
    lone = dumps_line({"text": "a\ud800b"})  # a lone surrogate (untrusted text) stays a valid JSON escape
    assert json.loads(lone) == {"text": "a\ud800b"}


def test_loop_choice() -> None:
    assert loop_factory("asyncio") is None
    pytest.importorskip("uvloop")
    import uvloop

    assert loop_factory("auto") is uvloop.new_event_loop and loop_factory("uvloop") is uvloop.new_event_loop
    with pytest.raises(ConfigError, match="--loop"):
        ProxySettings(upstream="http://127.0.0.1:1/v1", policy=DEFAULT_POLICY, event_loop="trio").checked()


def test_serve_with_a_bad_loop_is_a_usage_error() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, "-m", "gatekit", "guard", "serve", "--upstream", "http://127.0.0.1:9/v1",
         "--policy", str(DEFAULT_POLICY), "--loop", "trio"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--loop" in done.stderr and "Traceback" not in done.stderr


def test_gc_tuning_freezes_start_up_objects_and_raises_the_young_threshold() -> None:
    def full_collection_s() -> float:
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            gc.collect()
            timings.append(time.perf_counter() - started)
        return min(timings)

    before = gc.get_threshold()
    unfrozen = full_collection_s()
    try:
        _tune_gc()
        assert gc.get_freeze_count() > 10_000  # everything loaded so far: out of the collector's sight
        assert gc.get_threshold()[0] == max(before[0], GC_YOUNG_THRESHOLD)
        assert full_collection_s() < unfrozen / 3  # a full collection no longer walks the start-up objects
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_lines_handed_over_after_the_loop_closed_are_written_at_once(tmp_path: Path) -> None:
    path = tmp_path / "late.jsonl"
    batch = JsonlBatch(path, "test")
    loop = asyncio.new_event_loop()

    async def hand_over() -> None:
        batch.attach(asyncio.get_running_loop())
        batch.add(dumps_line({"n": 1}))  # scheduled on the loop, which stops before the delay is over

    loop.run_until_complete(hand_over())
    loop.close()
    batch.add(dumps_line({"n": 2}))  # e.g. the writer thread draining at exit: no loop left to wait for
    assert [json.loads(line)["n"] for line in path.read_text().splitlines()] == [1, 2]
    batch.close()
