"""fix18b: the canary did not read ``agent_version``: rows of an earlier deployment under the same ``canary`` label
were judged as the new version's.

Decided (docs/canary.md, "Agent versions"): like an Argo Rollouts analysis that queries the canary ReplicaSet's own
pod-template hash, a stage judges one version per label when told which (``canary_version:`` /
``baseline_version:`` in the rules file, or ``--canary-version`` / ``--baseline-version``); untold, a label whose rows
carry more than one version is never promoted (hold, naming the versions; a rule that fires still rolls back).
Real JSONL files, the real CLI in a subprocess, DuckDB.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from canary.guarded_traffic import gatekit_cli
from canary.traffic import T0, stamp, traffic, write_jsonl

NOW = "2026-03-01T12:30:00Z"
RULES = """\
window: 1m
min_requests: 20
min_windows: 5
rollback:
  - rule: "error_rate > 5% for 5 consecutive windows"
compare:
  min_requests: 500
  metrics:
    latency_ms: 10%
    error_rate: {allowed_increase: 0.5pp, critical: true}
"""


def _log(tmp_path: Path, old_errors: float) -> Path:
    """30 minutes; the canary label's first 15 minutes are an earlier deployment v1 (``old_errors``), then v2."""
    rows = traffic(30, canary=lambda m: {"error_rate": old_errors} if m < 15 else {})
    for row in rows:
        minute = int(row["request_id"].split("-")[1])
        row["agent_version"] = "v0" if row["variant"] == "baseline" else ("v1" if minute < 15 else "v2")
    return write_jsonl(tmp_path / "prod.jsonl", rows)


def _canary(tmp_path: Path, log: Path, rules_text: str, *flags: str) -> tuple[int, dict]:
    rules = tmp_path / "rollout.yaml"
    rules.write_text(rules_text, encoding="utf-8")
    out = tmp_path / "out"
    proc = gatekit_cli("canary", "--logs", str(log), "--rules", str(rules), "--now", NOW, "--out", str(out),
                       "--no-mlflow", *flags)  # fmt: skip
    assert proc.returncode in (0, 1, 4), proc.stdout + proc.stderr
    return proc.returncode, json.loads((out / "canary.json").read_text(encoding="utf-8"))


def test_the_old_versions_bad_rows_do_not_roll_back_the_named_version(tmp_path: Path) -> None:
    log = _log(tmp_path, old_errors=0.3)
    code, report = _canary(tmp_path, log, RULES + "canary_version: v2\n")
    assert (code, report["decision"]) == (0, "promote"), report["reasons"]
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    judged = [r for r in rows if r["variant"] == "baseline" or r["agent_version"] == "v2"]
    assert report["rows_seen"] == len(judged) == 30 * 200 + 15 * 200
    assert sum(w["canary"]["requests"] for w in report["windows"]) == 15 * 200
    assert report["versions"]["by_variant"]["canary"]["judged_version"] == "v2"
    latency = next(c for c in report["comparisons"] if c["metric"] == "latency_ms")
    assert (latency["n_canary"], latency["n_baseline"]) == (3000, 6000)


def test_the_flag_names_the_version_as_the_rules_key_does(tmp_path: Path) -> None:
    log = _log(tmp_path, old_errors=0.3)
    code, report = _canary(tmp_path, log, RULES, "--canary-version", "v2")
    assert (code, report["decision"]) == (0, "promote"), report["reasons"]
    code, report = _canary(tmp_path, log, RULES, "--canary-version", "v1")  # the bad deployment: rolled back
    assert (code, report["decision"]) == (1, "rollback"), report["reasons"]


def test_untold_two_versions_under_one_label_are_never_promoted(tmp_path: Path) -> None:
    log = _log(tmp_path, old_errors=0.0)  # both deployments healthy: mixed rows would have been promoted
    code, report = _canary(tmp_path, log, RULES)
    assert (code, report["decision"]) == (4, "hold"), report["reasons"]
    assert report["versions"]["mixed"] is True
    reason = report["reasons"][0]
    assert "'canary' rows carry more than one agent_version" in reason
    assert "'v1' (3000 rows)" in reason and "'v2' (3000 rows)" in reason and "canary_version" in reason


def test_one_version_per_label_promotes_as_before(tmp_path: Path) -> None:
    rows = traffic(30)
    for row in rows:
        row["agent_version"] = "v0" if row["variant"] == "baseline" else "v2"
    code, report = _canary(tmp_path, write_jsonl(tmp_path / "prod.jsonl", rows), RULES)
    assert (code, report["decision"]) == (0, "promote") and report["versions"]["mixed"] is False


def test_rows_without_any_version_promote_as_before(tmp_path: Path) -> None:
    code, report = _canary(tmp_path, write_jsonl(tmp_path / "prod.jsonl", traffic(30)), RULES)
    assert (code, report["decision"]) == (0, "promote") and report["versions"]["mixed"] is False


def test_a_named_version_without_rows_holds_saying_what_the_rows_carry(tmp_path: Path) -> None:
    log = _log(tmp_path, old_errors=0.0)
    code, report = _canary(tmp_path, log, RULES, "--canary-version", "v3")
    assert (code, report["decision"]) == (4, "hold")
    shown = " ".join(report["reasons"])
    assert "no 'canary' row in the period has agent_version 'v3'" in shown and "'v2' (3000 rows)" in shown


def test_a_version_that_is_no_plain_name_is_exit_2(tmp_path: Path) -> None:
    log = _log(tmp_path, old_errors=0.0)
    proc = gatekit_cli("canary", "--logs", str(log), "--now", NOW, "--no-mlflow", "--out", str(tmp_path / "o"),
                       "--canary-version", "v2' OR '1'='1")  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--canary-version" in lines[0] and "Traceback" not in proc.stderr


def test_watch_holds_at_the_timeout_on_mixed_versions(tmp_path: Path) -> None:
    """The same traffic moved to the last 30 complete minutes (a watch judges up to the wall clock)."""
    log = _log(tmp_path, old_errors=0.0)
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    shift = end - timedelta(minutes=30) - T0
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row["timestamp"] = stamp(datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")) + shift)
    write_jsonl(log, rows)
    rules = tmp_path / "rollout.yaml"
    rules.write_text(RULES, encoding="utf-8")
    since = stamp(T0 + shift)
    proc = gatekit_cli("watch", "--logs", str(log), "--rules", str(rules), "--since", since, "--timeout", "0",
                       "--interval", "0.1")  # fmt: skip
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "WARNING: inconclusive: the 'canary' rows carry more than one agent_version" in proc.stderr
    proc = gatekit_cli("watch", "--logs", str(log), "--rules", str(rules), "--since", since, "--timeout", "0",
                       "--interval", "0.1", "--canary-version", "v2")  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no rollback rule fired" in proc.stderr


def test_spark_judges_the_named_version_like_duckdb(tmp_path: Path, spark) -> None:
    from gatekit.canary.core import analyse, parse_time
    from gatekit.canary.engine import open_engine
    from gatekit.canary.rules import RolloutRules

    log = _log(tmp_path, old_errors=0.3)
    rules = RolloutRules.model_validate({"rollback": [{"rule": "error_rate > 5% for 5 consecutive windows"}],
                                         "compare": {"metrics": {"error_rate": "0.5pp"}}})  # fmt: skip
    results = {}
    for name, version in (("duckdb", "v2"), ("spark", "v2"), ("spark", None)):
        engine = open_engine(str(log), name, spark=spark) if name == "spark" else open_engine(str(log), name)
        try:
            judged = analyse(engine, rules.with_versions(None, version), stage=10.0, now_us=parse_time(NOW, "now"))
        finally:
            engine.close()
        results[(name, version)] = judged.data
    duck, on_spark, untold = results[("duckdb", "v2")], results[("spark", "v2")], results[("spark", None)]
    assert duck["decision"] == on_spark["decision"] == "promote"
    assert duck["rows_seen"] == on_spark["rows_seen"] == 45 * 200
    assert duck["versions"] == on_spark["versions"]
    assert untold["decision"] == "rollback" and untold["versions"]["mixed"] is True  # a fired rule still rolls back
