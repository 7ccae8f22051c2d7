"""cost20: a retried case costs every attempt it made and its answer came after all of them.

``cost_total_usd`` summed the successful attempts only and a retried case's latency was its last attempt's: an agent
whose calls fail half the time spent twice the money, kept its users waiting twice as long, and the gate reported it
cheaper and faster than it was. Now every attempt's reported cost counts (a failed one that reported none is unknown,
never 0) and ``latency_ms`` is the time to the answer (every attempt and backoff wait). Real parts: the CLI in
process, a real ``python:`` agent and a real ``cmd:`` subprocess agent, real files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from spine_project import make_project, run_cli

from gatekit.regression import regression_checks

CASES = 4
CALL_USD = (100 * 1.0 + 50 * 2.0) / 1_000_000  # 100 in + 50 out tokens of m-test (pricing.yaml of make_project)
FIRST_ATTEMPT_S = 0.3  # each case's first attempt takes this long, then fails

AGENT = f"""\
import time

SEEN = set()
USAGE = {{"input_tokens": 100, "output_tokens": 50}}


class Billed(Exception):
    # the model call was billed, then the agent failed (e.g. it could not parse the answer)
    def __init__(self, message, **spent):
        super().__init__(message)
        for key, value in spent.items():
            setattr(self, key, value)


def _first(case_input):
    if case_input in SEEN:
        return False
    SEEN.add(case_input)
    time.sleep({FIRST_ATTEMPT_S})
    return True


def billed_tokens(case_input):
    if _first(case_input):
        raise Billed("unparsable model answer", usage=USAGE, model="m-test")
    return {{"output": "ok", "usage": USAGE, "model": "m-test"}}


def billed_cost(case_input):
    if _first(case_input):
        raise Billed("unparsable model answer", cost_usd={CALL_USD!r})
    return {{"output": "ok", "usage": USAGE, "model": "m-test"}}


def unreported(case_input):
    if _first(case_input):
        raise RuntimeError("upstream reset")
    return {{"output": "ok", "usage": USAGE, "model": "m-test"}}


def steady(case_input):
    return {{"output": "ok", "usage": USAGE, "model": "m-test"}}
"""

# a cmd: worker; a marker file per input, so a retry on another worker process still succeeds
CMD_AGENT = f"""\
import json, pathlib, sys, time

for line in sys.stdin:
    request = json.loads(line)
    marker = pathlib.Path("seen-" + str(request["input"]).replace(" ", "_"))
    if not marker.exists():
        marker.write_text("1")
        time.sleep({FIRST_ATTEMPT_S})
        answer = {{"id": request["id"], "error": "busy", "retryable": True}}
    else:
        answer = {{"id": request["id"], "output": "ok", "usage": {{"input_tokens": 100, "output_tokens": 50}},
                  "model": "m-test"}}
    print(json.dumps(answer), flush=True)
"""

THRESHOLDS = """\
min_cases: 1
checks:
  cost_total_usd: {max: 0.0012}
  latency_p50_ms: {max: 250ms}
"""


def _run(root: Path, *args: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    proc = run_cli(root, "eval", "--no-mlflow", *args)
    assert proc.returncode in (0, 1), proc.stderr
    verdict = json.loads((root / "out" / "verdict.json").read_text())
    rows = [json.loads(line) for line in (root / "out" / "results.jsonl").read_text().splitlines()]
    return verdict, rows


def _project(tmp_path: Path, agent: str) -> Path:
    root = make_project(tmp_path / "p", agent=agent, cases=CASES)
    (root / "flaky20.py").write_text(AGENT, encoding="utf-8")
    (root / "cmd_flaky20.py").write_text(CMD_AGENT, encoding="utf-8")
    (root / "thresholds.yaml").write_text(THRESHOLDS, encoding="utf-8")
    return root


def _checks(verdict: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in verdict["checks"]}


def test_a_billed_failed_attempt_counts_toward_the_cost_and_the_wait_toward_the_latency(tmp_path: Path) -> None:
    verdict, rows = _run(_project(tmp_path, "python:flaky20:billed_tokens"))
    metrics = verdict["metrics"]
    # old code: 4 answers x $0.0002 = $0.0008 (the 4 billed failures free) and a p50 of a few ms (the retry alone)
    assert abs(metrics["cost_total_usd"] - 2 * CASES * CALL_USD) < 1e-12, metrics
    assert abs(metrics["cost_per_case_usd"] - 2 * CALL_USD) < 1e-12  # spent / answers
    assert metrics["tokens_input"] == 2 * CASES * 100 and metrics["tokens_output"] == 2 * CASES * 50
    assert abs(metrics["cost_per_1k_tokens_usd"] - CALL_USD / 150 * 1000) < 1e-12
    assert metrics["failed_attempts"] == CASES and metrics["cost_unknown_attempts"] == 0
    assert metrics["latency_p50_ms"] >= FIRST_ATTEMPT_S * 1000 + 100  # + the backoff wait (>= 0.1 s)
    checks = _checks(verdict)
    assert checks["cost_total_usd"]["status"] == "fail" and checks["latency_p50_ms"]["status"] == "fail"
    for row in rows:
        first, answer = row["attempts"]
        assert (first["ok"], first["model"], first["input_tokens"], first["output_tokens"]) == (
            False,
            "m-test",
            100,
            50,
        )
        assert abs(first["cost_usd"] - CALL_USD) < 1e-12 and abs(answer["cost_usd"] - CALL_USD) < 1e-12
        assert abs(row["cost_usd"] - 2 * CALL_USD) < 1e-12  # the row says what the case spent
        # the time to the answer: both attempts and the wait between them
        assert row["latency_ms"] >= first["latency_ms"] + answer["latency_ms"] + 100


def test_a_failed_attempt_reporting_its_cost_usd_counts_without_a_price(tmp_path: Path) -> None:
    verdict, rows = _run(_project(tmp_path, "python:flaky20:billed_cost"))
    assert abs(verdict["metrics"]["cost_total_usd"] - 2 * CASES * CALL_USD) < 1e-12, verdict["metrics"]
    # its tokens were not reported: a cost per token would divide all the money by part of the tokens
    assert verdict["metrics"]["cost_per_1k_tokens_usd"] is None
    assert all(abs(row["cost_usd"] - 2 * CALL_USD) < 1e-12 for row in rows)


def test_a_failed_attempt_that_reported_nothing_leaves_the_cost_unknown_not_zero(tmp_path: Path) -> None:
    verdict, rows = _run(_project(tmp_path, "python:flaky20:unreported"))
    metrics = verdict["metrics"]
    # old code: $0.0008, a passing cost check; the 4 failed calls may have been billed
    assert metrics["cost_total_usd"] is None and metrics["cost_per_case_usd"] is None
    assert metrics["cost_unknown_attempts"] == CASES and metrics["cost_unknown_models"] == []
    check = _checks(verdict)["cost_total_usd"]
    assert check["status"] == "fail" and check["value"] is None
    assert f"cost unknown: {CASES} failed agent call(s) reported no cost" in check["message"]
    assert all(row["cost_usd"] is None and row["attempts"][0]["cost_usd"] is None for row in rows)
    assert metrics["latency_p50_ms"] >= FIRST_ATTEMPT_S * 1000 + 100


def test_a_cmd_agent_retried_case_is_as_slow_as_its_attempts_and_its_cost_unknown(tmp_path: Path) -> None:
    root = _project(tmp_path, f"cmd:{sys.executable} cmd_flaky20.py")
    verdict, rows = _run(root)
    metrics = verdict["metrics"]
    assert metrics["successes"] == CASES and metrics["retried_cases"] == CASES, metrics
    assert metrics["latency_p50_ms"] >= FIRST_ATTEMPT_S * 1000 + 100  # old code: the second attempt's few ms
    assert _checks(verdict)["latency_p50_ms"]["status"] == "fail"
    assert metrics["cost_total_usd"] is None and metrics["cost_unknown_attempts"] == CASES  # old code: $0.0008
    assert all(row["latency_ms"] >= sum(a["latency_ms"] for a in row["attempts"]) for row in rows)


def test_resume_restores_what_retried_cases_spent_and_waited(tmp_path: Path) -> None:
    root = _project(tmp_path, "python:flaky20:billed_tokens")
    whole, rows = _run(root)
    results = root / "out" / "results.jsonl"
    results.write_text("".join(json.dumps(row) + "\n" for row in rows[:2]), encoding="utf-8")
    resumed, again = _run(root, "--resume")
    assert [r["case_id"] for r in again] == [r["case_id"] for r in rows] and again[:2] == rows[:2]
    assert abs(resumed["metrics"]["cost_total_usd"] - 2 * CASES * CALL_USD) < 1e-12  # the kept rows' retries count
    for key in ("cost_total_usd", "cost_per_case_usd", "tokens_input", "failed_attempts"):
        assert (
            resumed["metrics"][key] == whole["metrics"][key]
            or abs(resumed["metrics"][key] - whole["metrics"][key]) < 1e-12
        ), key
    assert resumed["metrics"]["latency_p50_ms"] >= FIRST_ATTEMPT_S * 1000 + 100


def test_the_regression_comparison_uses_what_each_case_spent_and_waited(tmp_path: Path) -> None:
    _, candidate = _run(_project(tmp_path / "cand", "python:flaky20:billed_tokens"))
    _, baseline = _run(_project(tmp_path / "base", "python:flaky20:steady"))
    checks = regression_checks(
        candidate, baseline, {"cost_per_case_usd": "10%", "latency_p50_ms": "50ms"}, n_boot=500, seed=1
    )
    by_name = {c.name: c for c in checks}
    cost, latency = by_name["regression.cost_per_case_usd"], by_name["regression.latency_p50_ms"]
    # old code: the same cost per case (+0%) and the retry's few ms: both passed
    assert cost.status.value == "fail" and abs(cost.value - 1.0) < 1e-9, cost
    assert latency.status.value == "fail" and latency.value >= FIRST_ATTEMPT_S * 1000, latency


def test_a_legacy_row_keeps_its_answer_cost_and_waits_at_least_its_attempts() -> None:
    from gatekit.replay import result_from_row

    row = {
        "case_id": "c0",
        "ok": True,
        "latency_ms": 5.0,
        "cost_usd": 0.25,
        "attempts": [
            {"attempt": 1, "latency_ms": 300.0, "ok": False, "error_type": "exception", "error_message": "x"},
            {"attempt": 2, "latency_ms": 5.0, "ok": True},
        ],
    }
    restored = result_from_row(row)
    assert restored.latency_ms == 305.0  # an older gatekit kept the last attempt's 5 ms
    assert [a.cost_usd for a in restored.attempts] == [None, 0.25]  # the failed attempt's cost was never known


def test_what_failed_attempts_spent_adds_up_and_an_unpriced_one_is_named() -> None:
    from gatekit.metrics import AttemptSpend, MetricInputs, compute_metrics

    inputs = MetricInputs()
    common: dict[str, Any] = {"latency_ms": 10.0, "input_tokens": 1, "output_tokens": 1, "passed": None}
    inputs.add(
        ok=True,
        attempts_ok=[False, True],
        error_type=None,
        model="m",
        cost_usd=0.5,
        **common,
        failed_attempts=[AttemptSpend(0.25, "m", 1, 1)],
    )
    # a case that failed every attempt still spent what they reported
    inputs.add(
        ok=False,
        attempts_ok=[False],
        error_type="exception",
        model=None,
        cost_usd=None,
        **common,
        failed_attempts=[AttemptSpend(0.25, None, 1, 1)],
    )
    metrics = compute_metrics(inputs)
    assert metrics["cost_total_usd"] == 1.0 and metrics["cost_per_case_usd"] == 1.0  # $1 for the one answer
    assert metrics["tokens_input"] == 3 and metrics["failed_attempts"] == 2
    inputs.add(
        ok=False,
        attempts_ok=[False],
        error_type="exception",
        model=None,
        cost_usd=None,
        **common,
        failed_attempts=[AttemptSpend(None, "unpriced", 5, 5)],
    )
    metrics = compute_metrics(inputs)
    assert metrics["cost_total_usd"] is None and metrics["cost_unknown_models"] == ["unpriced"]
    assert metrics["cost_unknown_attempts"] == 0


def test_a_hostile_or_invalid_failure_report_is_no_report() -> None:
    from gatekit.replay import failure_usage

    class Hostile(Exception):
        @property
        def usage(self) -> Any:
            raise RuntimeError("no")

    class Exits(Exception):
        @property
        def cost_usd(self) -> Any:
            raise SystemExit(0)

    class Negative(Exception):
        usage = {"input_tokens": -5, "output_tokens": 1}
        cost_usd = float("nan")

    class Good(Exception):
        usage = {"prompt_tokens": "12", "completion_tokens": 3.0}
        cost_usd = "0.5"
        model = "m-test"

    assert failure_usage(Hostile()) == {} and failure_usage(Exits()) == {} and failure_usage(Negative()) == {}
    assert failure_usage(RuntimeError("plain")) == {
        "cost_usd": None,
        "input_tokens": None,
        "output_tokens": None,
        "model": None,
    }
    assert failure_usage(Good()) == {"cost_usd": 0.5, "input_tokens": 12, "output_tokens": 3, "model": "m-test"}
