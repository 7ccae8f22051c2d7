"""One policy, four paths: the gate, ``gatekit policy test``, the in-process Enforcer and the proxy (streamed and not)
judge the same ~200 cases (parity_corpus) and must agree on the decision, the rules and reasons, the redacted text,
the decision-trace records and the production-log rows, field by field.

Differences that are by design are listed here, each with the doc that says so (KNOWN); anything else fails.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import needs_shared_data
from parity_corpus import DATA, HMAC_KEY_ENV, Group, groups
from parity_paths import run_enforcer, run_gate, run_in_thread, run_policy_test, run_proxy, upstream

from gatekit.runtime import PolicyViolation

pytestmark = pytest.mark.slow

# the runtime's trace adds these attributes to the gate's (docs/runtime.md, "What every decision leaves")
RUNTIME_ATTRIBUTES = {"gen_ai.security.target.type", "gen_ai.security.action.type"}
TOOL_ATTRIBUTE = "gen_ai.tool.name"
# columns a row of the guard and of the proxy for the same request may differ in, and why
PER_WRITER_COLUMNS = {"timestamp", "request_id", "trace_id", "latency_ms", "source"}


@cache
def _judged(folder: str) -> dict[str, Any]:
    """Every path's judgement of every group (computed once per session; the paths run side by side)."""
    root = Path(folder)
    os.environ.setdefault(HMAC_KEY_ENV, "parity21-test-key-not-a-secret")  # (every path reads it, as in production)
    everything: dict[str, Any] = {}
    wired = [group for group in groups() if group.wire]
    with upstream(wired) as base:
        for group in groups():
            gate = run_gate(group, root)
            paths: dict[str, Any] = {"gate": gate, "policy_test": run_policy_test(group, gate, root)}
            paths["enforcer"] = run_enforcer(group, root, "evaluate")
            paths["enforcer_calls_in_response"] = run_enforcer(group, root, "evaluate", checks_calls=False)
            paths["enforcer_enforce"] = run_enforcer(group, root, "enforce")
            if group.wire:
                for mode in ("evaluate", "enforce"):
                    for stream in (False, True):
                        name = f"proxy_{mode}_{'stream' if stream else 'whole'}"
                        paths[name] = run_in_thread(run_proxy, group, base, root, mode, stream)
            stopped = [cid for cid in gate if gate[cid]["stopped"]]
            paths["stopped_at"] = stopped[0] if stopped else None
            everything[group.name] = paths
    everything["_root"] = root
    return everything


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _judged(str(tmp_path_factory.mktemp("parity")))


def _merged(records: list[dict[str, Any]]) -> dict[str, Any]:
    """A request's decision-trace records (one per check point) read as one decision: the gate's one record."""
    outcome_rank = {"allow": 0, "allow_with_redaction": 1, "require_review": 2, "deny": 3}
    rules: list[dict[str, Any]] = []
    redactions: Counter[str] = Counter()
    notes: list[str] = []
    for record in records:
        rules += record["rules"]
        redactions.update(record["redactions"])
        notes += [n for n in record["notes"] if n not in notes]
    outcome = max((r["outcome"] for r in records), key=outcome_rank.__getitem__, default=None)
    return {"outcome": outcome, "rules": rules, "redactions": dict(redactions), "notes": notes}


def _rule_view(rules: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted((r["id"], r["kind"], r["outcome"], r["reason"], tuple(r["owasp"])) for r in rules)


def differences(group: Group, paths: dict[str, Any]) -> list[tuple[str, str, str, Any, Any]]:
    """(case, path, field, the gate's value, the path's value) for every field a path decides or writes otherwise."""
    found: list[tuple[str, str, str, Any, Any]] = []
    gate = paths["gate"]
    # per enforcing path, the users (None: anyone) of earlier requests it blocked before their tokens were spent
    spent_less: dict[str, set[Any]] = {}
    for case in group.cases:
        cid = case["id"]
        if cid not in gate:
            # the replay ends at an emergency stop (docs/governance.md); the guard's breaker denies from there on
            # (docs/runtime.md, Circuit breaker)
            if paths["stopped_at"] is None:
                found.append((cid, "gate", "judged", None, "not judged"))
            for name, by_case in paths.items():
                if name.startswith(("enforcer", "proxy")):
                    rules = [r for t in by_case[cid]["traces"] for r in t["rules"]]
                    if not rules or any(not r["reason"].startswith("circuit breaker open") for r in rules):
                        found.append((cid, name, "breaker", "circuit breaker open", rules))
            continue
        trace = gate[cid]["trace"]
        for failure in paths["policy_test"].get(cid, []):
            found.append((cid, "policy_test", "expect", None, failure))
        for name, by_case in paths.items():
            if not name.startswith(("enforcer", "proxy")):
                continue
            judged = by_case[cid]
            merged = _merged(judged["traces"])
            row = judged["row"]
            evaluate = "enforce" not in name.replace("enforcer", "")
            # (the request that tripped the emergency stop: its later check points meet the open breaker)
            stop_rules = {r["id"] for r in group.policy["rules"] if r["kind"] == "emergency_stop"}
            stop_rules = stop_rules if cid == paths["stopped_at"] else set()
            if evaluate:  # every check point ran: the request's decision is the gate's
                for field, want, got in (
                    ("outcome", trace["outcome"], merged["outcome"]),
                    ("row.outcome", trace["outcome"], row and row["outcome"]),
                    (
                        "row.rules",
                        sorted({r["id"] for r in trace["rules"]}),
                        sorted(set(row["rules"]) - stop_rules) if row else None,
                    ),
                    ("redactions", trace["redactions"], merged["redactions"]),
                    ("row.redactions", trace["redactions"], row and row["redactions"]),
                    ("notes", sorted(trace["notes"]), sorted(merged["notes"])),
                ):
                    if want != got:
                        found.append((cid, name, field, want, got))
            if evaluate:
                names = [n for record in judged["traces"] for n in record["actions"]["tool_names"]]
                if names != trace["actions"]["tool_names"]:
                    found.append((cid, name, "trace.actions", trace["actions"]["tool_names"], names))
                if name.startswith("proxy") and row is not None:  # the guard's and the proxy's rows of one request
                    guard_row = paths["enforcer"][cid]["row"]
                    if set(row) != set(guard_row):
                        found.append((cid, name, "row.columns", sorted(guard_row), sorted(row)))
                    for column in sorted(set(row) - PER_WRITER_COLUMNS):
                        if row.get(column) != guard_row.get(column):
                            found.append((cid, name, f"row.{column}", guard_row.get(column), row.get(column)))
                found += _rule_differences(cid, name, trace, merged["rules"], gate_stopped=cid == paths["stopped_at"])
            for record in judged["traces"]:  # each record has the gate's keys and values where they mean the same
                if set(record) != set(trace):
                    found.append((cid, name, "trace.keys", sorted(trace), sorted(record)))
                for key in ("policy", "context", "run_id"):
                    if record.get(key) != trace.get(key) and key != "run_id":
                        found.append((cid, name, f"trace.{key}", trace.get(key), record.get(key)))
                extra = set(record["attributes"]) - set(trace["attributes"])
                if extra - {TOOL_ATTRIBUTE} != RUNTIME_ATTRIBUTES:
                    found.append(
                        (cid, name, "trace.attributes", sorted(trace["attributes"]), sorted(record["attributes"]))
                    )
            if not evaluate:
                user = case["context"].get("user")
                found += _handed(cid, name, trace, gate[cid], judged["handed"], spent_less.get(name, set()), user)
                if _spent_nothing(name, judged):
                    spent_less.setdefault(name, set()).update({None, user})  # (None: the run's windows)
    return found


_ACROSS_REQUESTS = re.compile(r"(user .*|run): \d+ tokens per |tool .*: \d+ calls in a minute")
_RANK = {"allow": 0, "allow_with_redaction": 1, "require_review": 2, "deny": 3}


def _rule_differences(
    cid: str, name: str, trace: dict[str, Any], got: list[dict[str, Any]], gate_stopped: bool
) -> list[tuple[Any, ...]]:
    """The rules a request's records fired against the gate's one decision.

    Every rule the gate fired, with its reason, is in the records, and each rule's strongest outcome is the gate's.
    A record may hold more, by design (docs/runtime.md, "Reading a request's records"): a check point decides on
    what it has seen so far, so a rule that a later call escalates fired weaker first (the input's injection went to
    review; the call after it is denied), a count or rate fires at each call past its limit ("26 tool calls", then
    "27"), an escalation at each risky call; and the emergency stop the request itself tripped denies its later
    check points (the gate's replay stops after that case).
    """
    want = [(r["id"], r["kind"], r["outcome"], r["reason"], tuple(r["owasp"])) for r in trace["rules"]]
    have = [(r["id"], r["kind"], r["outcome"], r["reason"], tuple(r["owasp"])) for r in got]
    found: list[tuple[Any, ...]] = [(cid, name, "rule missing", rule, None) for rule in want if rule not in have]
    strongest = {}
    for rule in have:
        strongest[rule[0]] = max(strongest.get(rule[0], -1), _RANK[rule[2]])
    for rule in want:
        if strongest.get(rule[0]) != max(_RANK[r[2]] for r in want if r[0] == rule[0]):
            found.append((cid, name, "rule outcome", rule, strongest.get(rule[0])))
    digitless = {(r[0], r[2], re.sub(r"\d+", "N", r[3])) for r in want}
    for rule in have:
        if rule in want:
            continue
        same_rule = [r for r in want if r[0] == rule[0]]
        escalated = any(_RANK[r[2]] > _RANK[rule[2]] and r[3].startswith(rule[3]) for r in same_rule)
        earlier_count = rule[1] == "tools" and (rule[0], rule[2], re.sub(r"\d+", "N", rule[3])) in digitless
        another_call = any(
            r[2] == rule[2]
            and " followed by " in r[3]
            and r[3].split(" followed by ")[0] == rule[3].split(" followed by ")[0]
            for r in same_rule
        )
        tripped = gate_stopped and rule[1] == "emergency_stop" and rule[3].startswith("circuit breaker open")
        if not (escalated or earlier_count or another_call or tripped):
            found.append((cid, name, "rule extra", None, rule))
    return found


def _spent_nothing(name: str, judged: dict[str, Any]) -> bool:
    """The enforcing path blocked this request before its tokens were spent, or known: the proxy at the request
    point (nothing went upstream), the in-process agent at any point (it raised before it reported its usage)."""
    if name.startswith("enforcer"):
        handed = judged["handed"]
        return isinstance(handed, PolicyViolation) or (isinstance(handed, tuple) and handed[0] == "blocked")
    return any(
        record["attributes"]["gen_ai.security.target.type"] == "llm_input" and _RANK[record["outcome"]] >= 2
        for record in judged["traces"]
    )


def _handed(
    cid: str,
    name: str,
    trace: dict[str, Any],
    gate: dict[str, Any],
    handed: Any,
    spent_less: set[Any] | None = None,
    user: Any = None,
) -> list[tuple[Any, ...]]:
    """What an enforcing path hands on: the gate's redacted output and calls, or nothing when the gate blocks."""
    outcome = trace["outcome"]
    blocked = isinstance(handed, PolicyViolation) or (isinstance(handed, tuple) and handed[0] == "blocked")
    # a window over requests (a per-user or per-run token budget, a per-minute rate) counts what was spent: a request
    # an enforcing path blocked before its answer spent nothing, the gate counts every case (docs/runtime.md)
    stops = [r for r in trace["rules"] if _RANK[r["outcome"]] >= 2]
    spent_less = spent_less or set()
    across = bool(stops) and all(
        _ACROSS_REQUESTS.match(r["reason"]) and (user if r["reason"].startswith("user ") else None) in spent_less
        for r in stops
    )
    if across and not blocked:
        outcome = "allow_with_redaction" if trace["redactions"] else "allow"
    reviewed_by_hook = name.startswith("enforcer") and outcome == "require_review"  # (the test's hook approves)
    if outcome == "deny" or (outcome == "require_review" and not reviewed_by_hook):
        return [] if blocked else [(cid, name, "blocked", True, handed)]
    if blocked:
        return [(cid, name, "blocked", False, str(handed))]
    if name.startswith("enforcer"):
        output, calls = handed.get("output"), handed.get("tool_calls") or []
    else:
        output, calls = handed.get("content") or "", handed.get("tool_calls") or []
    found = []
    if (output or "") != (gate["output"] or ""):
        found.append((cid, name, "redacted output", gate["output"], output))
    want = [(c["name"], c["arguments"]) for c in gate["tool_calls"] or []]
    got = [(c["name"], c["arguments"]) for c in calls]
    if want != got:
        found.append((cid, name, "redacted tool calls", want, got))
    return found


def test_the_corpus_is_large_and_reaches_every_outcome(judged):
    cases = [case for group in groups() for case in group.cases]
    assert len(cases) >= (150 if DATA.is_dir() else 60), len(cases)  # (the edge cases alone without the data)
    outcomes = Counter(t["trace"]["outcome"] for group in groups() for t in judged[group.name]["gate"].values())
    assert set(outcomes) == {"allow", "allow_with_redaction", "require_review", "deny"}, outcomes
    assert min(outcomes.values()) >= 5, outcomes  # each outcome compared on several cases
    assert {group.name for group in groups() if not group.wire} == {"attached"}  # the proxy judges every other case


def test_every_path_decides_and_writes_as_the_gate(judged):
    found = [d for group in groups() for d in differences(group, judged[group.name])]
    shown = "\n".join(json.dumps(d, default=str)[:600] for d in found[:80])
    print(f"{len(found)} differences; by path and field: {Counter((d[1], d[2]) for d in found)}\n{shown}")
    assert found == []


@needs_shared_data  # (its traffic is the shared data's cases: roles, a mix of outcomes)
def test_drift_reads_the_guards_and_the_proxys_rows_of_the_same_requests_as_one_traffic(judged):
    """The rows both writers leave for the same requests are read by ``gatekit drift`` alike: no feature moves."""
    import subprocess
    import sys

    root = judged["_root"]
    guard_rows, proxy_rows = (
        root / "enforcer-default-evaluate" / "rows.jsonl",
        root / "proxy-default-evaluate-whole" / "rows.jsonl",
    )
    numeric = ["input_chars", "input_tokens_est", "output_chars", "tool_calls", "turns"]
    args = ["drift", "--reference", str(guard_rows), "--production", str(proxy_rows), "--categorical", "outcome",
            "--categorical", "role", "--no-mlflow", "--json", "--out", str(root / "drift")]  # fmt: skip
    for name in numeric:
        args += ["--numeric", name]
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    proc = subprocess.run([sys.executable, "-m", "gatekit", *args], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((root / "drift" / "drift.json").read_text())
    features = {f["name"]: f for f in report["features"]}
    assert set(numeric) | {"outcome", "role"} <= set(features)
    assert all(features[name]["statistic"] == 0 for name in numeric), features  # the same numbers, row for row
    assert report["drift"] is False


CANARY_RULES = """\
window: 1s
stages: [10, 50, 100]
min_requests: 5
min_windows: 3
rollback:
  - rule: "deny_rate > 20% for 3 consecutive windows"
compare:
  min_requests: 20
  metrics:
    error_rate: {allowed_increase: 5pp, critical: true}
    deny_rate: {allowed_increase: 5pp, critical: true}
"""


@needs_shared_data  # (its traffic is the shared data's cases: roles, a mix of outcomes)
def test_canary_reads_the_guards_and_the_proxys_rows_of_the_same_requests_alike(tmp_path):
    """The guard (baseline) and the proxy (canary) judge the same requests into one log; ``gatekit canary`` reads
    both writers' rows and finds the variants alike (promote), each request counted once per variant."""
    import time
    from datetime import UTC, datetime

    from parity_paths import write_policy
    from proxy_harness import request, serving
    from typer.testing import CliRunner

    from gatekit.cli import app
    from gatekit.runtime import Enforcer

    group = groups()[0]
    cases = [c for c in group.cases if isinstance(c["input"], str)][:40]
    log = tmp_path / "production.jsonl"
    policy = write_policy(group, tmp_path)
    guard = Enforcer.from_file(policy, log_to=log, variant="baseline")
    current: dict[str, Any] = {}

    @guard.guard
    def agent(question: Any, context: dict[str, Any]) -> dict[str, Any]:
        return dict(current["response"])

    sent = 0
    with upstream([group]) as base, serving(base, policy, log_to=log, variant="canary") as proxy:
        end = time.time() + 3.3
        while time.time() < end:
            case = cases[sent % len(cases)]
            sent += 1
            current["response"] = case["response"]
            try:
                agent(case["input"], dict(case["context"]))
            except PolicyViolation:
                pass
            context = {k: v for k, v in case["context"].items() if k != "user"}
            body = {"model": case["id"], "messages": [{"role": "user", "content": case["input"]}],
                    "user": case["context"].get("user")}  # fmt: skip
            request(f"{proxy.url}/v1/chat/completions", body, headers={"X-Gatekit-Context": json.dumps(context)})
    guard.close()
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    by_variant = Counter(row["variant"] for row in rows)
    assert by_variant == {"baseline": sent, "canary": sent}, by_variant
    outcomes = {v: Counter(r["outcome"] for r in rows if r["variant"] == v) for v in by_variant}
    assert outcomes["baseline"] == outcomes["canary"], outcomes  # the same decisions, row for row
    assert {"allow", "allow_with_redaction", "require_review"} <= set(outcomes["canary"]), outcomes
    rules = tmp_path / "rollout.yaml"
    rules.write_text(CANARY_RULES, encoding="utf-8")
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["canary", "--logs", str(log), "--rules", str(rules), "--now", now, "--out", str(out), "--no-mlflow"]
    )
    report = json.loads((out / "canary.json").read_text(encoding="utf-8"))
    assert (result.exit_code, report["decision"]) == (0, "promote"), result.output
