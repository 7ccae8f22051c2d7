"""The four paths that enforce one policy file, each run for real on a corpus group (parity_corpus.Group):

- the gate: ``gatekit eval`` in a subprocess on a golden dataset, a python agent answering each case;
- ``gatekit policy test`` in a subprocess, on a test file whose steps expect what the gate decided;
- the in-process Enforcer (``@guard.guard``; the agent checks each tool call before it runs);
- the proxy (``gatekit.runtime.proxy``) in front of a real upstream HTTP server on 127.0.0.1 answering each case's
  response, streamed and not.

Each returns, per case id, what that path decided and wrote (its decision-trace records, its production-log row, the
text it handed on), for test_parity21_differential.py to compare field by field.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from parity_corpus import Group, agent_key
from proxy_harness import reassemble, request, serving
from runtime_helpers import FakeClock

from gatekit.runtime import Enforcer, PolicyViolation

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent


def write_policy(group: Group, folder: Path) -> Path:
    path = folder / f"{group.name}-policy.yaml"
    path.write_text(json.dumps(group.policy), encoding="utf-8")  # (JSON is YAML, and never writes an alias)
    return path


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "OPENAI_API_KEY")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(TESTS), env.get("PYTHONPATH", "")])
    env.update(extra)
    return env


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- (a) the gate ------------------------------------------------------------------------------------------------


def run_gate(group: Group, folder: Path) -> dict[str, dict[str, Any]]:
    """``gatekit eval --no-mlflow`` over the group's cases in order (concurrency 1: one run state, in order)."""
    root = folder / f"gate-{group.name}"
    root.mkdir()
    policy = write_policy(group, root)
    rows = [{k: case[k] for k in ("id", "input", "context", "timestamp")} for case in group.cases]
    (root / "cases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    table = {agent_key(case["input"], case["context"]): case["response"] for case in group.cases}
    assert len(table) == len(group.cases), "two cases of a group share an input and user"
    (root / "responses.json").write_text(json.dumps(table), encoding="utf-8")
    (root / "thresholds.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 100%}\n", encoding="utf-8")
    (root / "pricing.yaml").write_text("models:\n  m-test: {input_per_1m: 1.0, output_per_1m: 2.0}\n")
    (root / "gatekit.yaml").write_text(
        f"dataset: cases.jsonl\nagent: python:parity_agent:answer\nthresholds: thresholds.yaml\npricing: pricing.yaml\n"
        f"policy: {policy.name}\nout: out\nconcurrency: 1\ntimeout: 10\nretries: 0\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "eval", "--no-mlflow"],
        cwd=root,
        env=_env(PARITY_RESPONSES=str(root / "responses.json")),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    traces = {t["case_id"]: t for t in _lines(root / "out" / "governance_traces.jsonl")}
    results = {r["case_id"]: r for r in _lines(root / "out" / "results.jsonl")}
    verdict = json.loads((root / "out" / "verdict.json").read_text(encoding="utf-8"))
    stop = (verdict.get("governance") or {}).get("stop_reason")
    judged = [case["id"] for case in group.cases if case["id"] in traces]
    out: dict[str, dict[str, Any]] = {}
    for case in group.cases:
        if case["id"] not in traces:  # (after an emergency stop the replay ends: the case is never judged)
            continue
        result = results[case["id"]]
        response = result.get("response") or {}
        out[case["id"]] = {
            "trace": traces[case["id"]],
            "output": response.get("output"),
            "tool_calls": response.get("tool_calls"),
            "stopped": bool(stop) and case["id"] == judged[-1],
        }  # (the case the replay stopped at)
    return out


# --- (b) gatekit policy test -------------------------------------------------------------------------------------


def run_policy_test(group: Group, gate: dict[str, dict[str, Any]], folder: Path) -> dict[str, list[str]]:
    """One test with a step per case (one run state, in order), each expecting what the gate decided.

    Returns the failures of each case's step (``[]``: policy test agrees with the gate).
    """
    root = folder / f"policytest-{group.name}"
    root.mkdir()
    policy = write_policy(group, root)
    # (an emergency_stop rule never fires on a case: naming it in not_rules is a bad test file since attack22p)
    rule_ids = [
        rule["id"]
        for rule in group.policy["rules"]
        if rule.get("enabled", True) and rule.get("kind") != "emergency_stop"
    ]
    steps, ids = [], []
    for case in group.cases:
        if case["id"] not in gate:
            continue
        trace, judged = gate[case["id"]]["trace"], gate[case["id"]]
        fired = sorted({r["id"] for r in trace["rules"]})
        expect: dict[str, Any] = {
            "outcome": trace["outcome"],
            "redactions": trace["redactions"],
            "output": judged["output"],
        }
        if fired:
            expect["rules"] = fired
            # (a reason quoting the agent's text is scrubbed in the gate's trace: '[EMAIL_ADDRESS]_now'; policy test
            # reads the decision itself, the test file's own text)
            expect["reasons_contain"] = [r for r in trace["reasons"] if not re.search(r"\[[A-Z_]+\]", r)]
        if set(rule_ids) - set(fired):
            expect["not_rules"] = sorted(set(rule_ids) - set(fired))
        steps.append({"case": {k: case[k] for k in ("id", "input", "context", "timestamp")},
                      "response": case["response"], "expect": expect})  # fmt: skip
        ids.append(case["id"])
    test = root / "parity_test.yaml"
    test.write_text(
        json.dumps({"policy": policy.name, "tests": [{"name": group.name, "steps": steps}]}),  # (YAML: no aliases)
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "policy", "test", str(test)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    failures: dict[str, list[str]] = {case_id: [] for case_id in ids}
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("step "):
            number, _, failure = line[len("step ") :].partition(": ")
            failures[ids[int(number)]].append(failure)
    return failures


# --- (c) the Enforcer in process ---------------------------------------------------------------------------------


def _epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def run_enforcer(group: Group, folder: Path, mode: str, checks_calls: bool = True) -> dict[str, dict[str, Any]]:
    """``@guard.guard`` around an agent that checks each call before it runs (``checks_calls``; else the calls are
    judged with the response), the clock at each case's timestamp."""
    root = folder / f"enforcer-{group.name}-{mode}{'' if checks_calls else '-calls-in-response'}"
    root.mkdir()
    clock = FakeClock(_epoch(group.cases[0]["timestamp"]))
    seen: list[str] = []  # the request id of every decision, in order
    guard = Enforcer.from_file(
        write_policy(group, root), trace_to=root / "traces.jsonl", log_to=root / "rows.jsonl", mode=mode,
        clock=clock, review_hook=lambda decision: True, on_decision=lambda decision: seen.append(decision.request_id),
    )  # fmt: skip
    current: dict[str, Any] = {}

    @guard.guard
    def agent(question: Any, context: dict[str, Any]) -> dict[str, Any]:
        response = current["response"]
        calls = []
        if not checks_calls:
            return dict(response)
        for call in response.get("tool_calls") or []:
            arguments = guard.check_tool_call(call["name"], call["arguments"])
            calls.append({**call, "arguments": arguments})
        return {**response, "tool_calls": calls}

    ids: dict[str, str] = {}
    handed: dict[str, Any] = {}
    for case in group.cases:
        clock.now = _epoch(case["timestamp"])
        current["response"] = case["response"]
        try:
            handed[case["id"]] = agent(case["input"], dict(case["context"]))
        except PolicyViolation as exc:
            handed[case["id"]] = exc
        ids[case["id"]] = seen[-1]
    guard.close()
    return _joined(group, ids, handed, root)


def _joined(group: Group, ids: dict[str, str], handed: dict[str, Any], root: Path) -> dict[str, dict[str, Any]]:
    traces: dict[str, list[dict[str, Any]]] = {}
    for record in _lines(root / "traces.jsonl"):
        traces.setdefault(record["case_id"], []).append(record)
    rows = {row["request_id"]: row for row in _lines(root / "rows.jsonl")}
    return {
        case["id"]: {
            "traces": traces.get(ids.get(case["id"], ""), []),
            "row": rows.get(ids.get(case["id"], "")),
            "handed": handed.get(case["id"]),
        }
        for case in group.cases
    }


# --- (d) the proxy in front of a real upstream -------------------------------------------------------------------


def _completion(response: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int] | None]:
    calls = [
        {"id": f"call_{n}", "type": "function",
         "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])}}
        for n, c in enumerate(response.get("tool_calls") or [])
    ]  # fmt: skip
    message: dict[str, Any] = {"role": "assistant", "content": response.get("output")}
    if calls:
        message["tool_calls"] = calls
    usage = response.get("usage")
    counts = None
    if usage:
        names = {"input_tokens": "prompt_tokens", "output_tokens": "completion_tokens"}
        counts = {names[key]: value for key, value in usage.items()}  # (only the counts the case reports)
    return message, counts


def _upstream_handler(answers: dict[str, dict[str, Any]]) -> type[http.server.BaseHTTPRequestHandler]:
    class Upstream(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            message, usage = _completion(answers[body["model"]])
            finish = "tool_calls" if message.get("tool_calls") else "stop"
            if not body.get("stream"):
                data = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m-test",
                        "choices": [{"index": 0, "message": message, "finish_reason": finish}]}  # fmt: skip
                if usage:
                    data["usage"] = usage
                payload = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            head = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m-test"}
            events = [{**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
            text = message.get("content") or ""
            for start in range(0, len(text), 7):  # a few characters a chunk, as a model streams
                events.append({**head, "choices": [{"index": 0, "delta": {"content": text[start : start + 7]}}]})
            for n, call in enumerate(message.get("tool_calls") or []):
                arguments = call["function"]["arguments"]
                first = {"index": n, "id": call["id"], "type": "function",
                         "function": {"name": call["function"]["name"], "arguments": arguments[:5]}}  # fmt: skip
                events.append({**head, "choices": [{"index": 0, "delta": {"tool_calls": [first]}}]})
                if arguments[5:]:
                    rest = {"index": n, "function": {"arguments": arguments[5:]}}
                    events.append({**head, "choices": [{"index": 0, "delta": {"tool_calls": [rest]}}]})
            events.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
            if usage and (body.get("stream_options") or {}).get("include_usage"):
                events.append({**head, "choices": [], "usage": usage})
            payload = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Upstream


@contextmanager
def upstream(groups: list[Group]) -> Iterator[str]:
    from conftest import serve_http

    answers = {case["id"]: case["response"] for group in groups for case in group.cases}
    with serve_http(_upstream_handler(answers)) as port:
        yield f"http://127.0.0.1:{port}/v1"


def _messages(case_input: Any) -> list[dict[str, Any]]:
    if isinstance(case_input, dict):
        return list(case_input["messages"])
    return [{"role": "user", "content": case_input}]


def run_proxy(group: Group, base: str, folder: Path, mode: str, stream: bool) -> dict[str, dict[str, Any]]:
    """Each case as an OpenAI client sends it: ``model`` names the case, ``user`` in the body, the rest of the context
    in ``X-Gatekit-Context``."""
    root = folder / f"proxy-{group.name}-{mode}-{'stream' if stream else 'whole'}"
    root.mkdir()
    ids: dict[str, str] = {}
    handed: dict[str, Any] = {}
    with serving(base, write_policy(group, root), log_to=root / "rows.jsonl", trace_to=root / "traces.jsonl",
                 mode=mode) as proxy:  # fmt: skip
        for case in group.cases:
            context = dict(case["context"])
            body: dict[str, Any] = {"model": case["id"], "messages": _messages(case["input"])}
            if "user" in context:
                body["user"] = context.pop("user")
            if stream:
                body["stream"] = True
            answer = request(f"{proxy.url}/v1/chat/completions", body,
                             headers={"X-Gatekit-Context": json.dumps(context)} if context else None)  # fmt: skip
            ids[case["id"]] = answer.headers["x-gatekit-request-id"]
            if answer.status != 200:
                handed[case["id"]] = ("blocked", answer.status, answer.json())
            elif stream:
                events = answer.events()
                errors = [e for e in events if isinstance(e, dict) and "error" in e]
                whole = reassemble(events)
                for call in whole["tool_calls"]:
                    call["arguments"] = json.loads(call["arguments"])
                handed[case["id"]] = ("blocked", 200, errors[0]) if errors else whole
            else:
                message = answer.json()["choices"][0]["message"]
                calls = [{"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])}
                         for c in message.get("tool_calls") or []]  # fmt: skip
                handed[case["id"]] = {"content": message.get("content"), "tool_calls": calls}
    deadline = time.monotonic() + 10  # (the proxy's writer thread has written everything when it stopped)
    while not (root / "rows.jsonl").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return _joined(group, ids, handed, root)


def run_in_thread(fn: Any, *args: Any) -> Any:
    """``fn(*args)`` on a thread of its own (a path's run while another runs)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(600)
    if "error" in box:
        raise box["error"]
    return box["value"]
