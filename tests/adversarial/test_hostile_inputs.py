"""The adversarial suite: one parametrised test per class of hostile input; the gate must fail closed.

Bad input exits 2 before any case runs, with one line naming the file and the line
(or key); nothing hangs, nothing crashes with exit 3, no run passes on input it could
not judge, and every JSON file gatekit writes is strict JSON.
"""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from spine_project import make_project, run_cli
from typer.testing import CliRunner

from adversarial.hostile_inputs import (
    HUGE_LATENCIES,
    NON_FINITE_LATENCIES,
    deep_yaml,
    hostile_datasets,
    hostile_limits,
    production_rows,
    with_duplicate_key,
    yaml_alias_bomb,
)
from gatekit.cli import app


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    """A hostile file that hangs a reader fails the test instead of hanging the suite."""

    def _timeout(signum: int, frame: object) -> None:
        raise TimeoutError("gatekit hung on a hostile input")

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def strict_json(text: str) -> object:
    """``json.loads`` that refuses NaN / Infinity (as jq and most parsers do)."""

    def refuse(constant: str) -> object:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def cli(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    """Run the real command line in-process from ``root``; return (exit code, stdout + stderr)."""
    monkeypatch.chdir(root)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def assert_refused(code: int, output: str, filename: str, line: int | None, *fragments: str) -> None:
    assert code == 2, output
    assert "Traceback" not in output, output
    message = [x for x in output.splitlines() if filename in x]
    assert len(message) == 1, output  # one line naming the file
    if line is not None:
        assert re.search(rf"{re.escape(filename)}:{line}\b|\bline {line}\b", message[0]), message[0]
    for fragment in fragments:
        assert fragment in message[0], message[0]


# --- YAML files ---------------------------------------------------------------------------------------------

POLICY_TEST = """\
policy: ../policy.yaml
tests:
  - name: plain answer
    case: {input: "hi"}
    response: {output: "hello"}
    expect: {outcome: allow}
"""

# file -> (a top-level key line that duplicates one already in the file, command to run)
YAML_FILES = {
    "gatekit.yaml": ("agent: python:spine_agents:always_raises", ("eval",)),
    "thresholds.yaml": ("checks: {tokens_input: {max: 1000000000}}", ("eval",)),
    "pricing.yaml": ("models: {}", ("eval",)),
    "policy.yaml": ("rules: []", ("eval",)),
    "ptests/p_test.yaml": ("tests: []", ("policy", "test", "ptests/p_test.yaml")),
}


@pytest.mark.parametrize("attack", ["alias-bomb", "duplicate-key", "deep-nesting"])
@pytest.mark.parametrize("target", list(YAML_FILES))
def test_hostile_yaml_file_exits_2_naming_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, attack: str
) -> None:
    root = make_project(tmp_path / "p")
    (root / "ptests").mkdir()
    (root / "ptests" / "p_test.yaml").write_text(POLICY_TEST)
    path = root / target
    duplicate, command = YAML_FILES[target]
    if attack == "alias-bomb":
        text, line = yaml_alias_bomb(), 2
        assert len(text.encode()) < 500
    elif attack == "duplicate-key":
        text, line = with_duplicate_key(path.read_text(), duplicate)
    else:
        text, line = deep_yaml(), 1
    path.write_text(text)
    code, output = cli(root, monkeypatch, *command)
    assert_refused(code, output, Path(target).name, line)
    assert not (root / "out" / "results.jsonl").exists()


# --- datasets -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", hostile_datasets(), ids=lambda h: h.name)
def test_hostile_dataset_is_refused_before_any_case_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hostile: object
) -> None:
    from adversarial.hostile_inputs import HostileDataset

    assert isinstance(hostile, HostileDataset)
    root = make_project(tmp_path / "p", agent="python:adversarial.hostile_inputs:always_refuses")
    (root / hostile.filename).write_text(hostile.text, encoding="utf-8")
    code, output = cli(root, monkeypatch, "eval", "--dataset", hostile.filename)
    assert_refused(code, output, hostile.filename, hostile.line, hostile.says)
    assert not (root / "out" / "results.jsonl").exists()


# --- thresholds and pricing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", hostile_limits(), ids=lambda h: h.name)
def test_hostile_limits_exit_2_naming_file_line_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hostile: object
) -> None:
    from adversarial.hostile_inputs import HostileLimits

    assert isinstance(hostile, HostileLimits)
    root = make_project(tmp_path / "p")
    (root / hostile.target).write_text(hostile.text)
    code, output = cli(root, monkeypatch, "eval")  # no --baseline: max_regression is still checked
    assert_refused(code, output, hostile.target, hostile.line, hostile.key)


# --- drift: hostile numbers in production logs ---------------------------------------------------------------


@pytest.mark.parametrize("value", NON_FINITE_LATENCIES + HUGE_LATENCIES)
def test_hostile_numbers_in_logs_never_crash_drift_and_files_stay_valid(tmp_path: Path, value: str) -> None:
    from gatekit.drift import check_drift

    huge = value in HUGE_LATENCIES
    reference = tmp_path / "reference.jsonl"
    # huge on both sides, of opposite signs: ranges, means and plot scales overflow a float
    reference.write_text(production_rows(300, "-1e308" if huge else None, every=7, seed=5))
    production = tmp_path / "production.jsonl"
    production.write_text(production_rows(300, value))
    out = tmp_path / "drift"
    result = check_drift(reference, production, out=out, log_to_mlflow=False)
    report = strict_json((out / "drift.json").read_text())
    assert isinstance(report, dict)
    latency = next(f for f in report["features"] if f["name"] == "latency_ms")
    html = (out / "drift.html").read_text()
    assert not re.search(r"\b(nan|inf)\b", html)  # Python spells a broken coordinate nan or inf
    if huge:
        assert latency["n_production"] == 300
        assert all(x is not None for x in latency["plot"]["bin_edges"])
    else:
        assert latency["n_production"] == 200  # the 100 non-finite values count as missing
        assert latency["production_missing"] == 100
        assert any("latency_ms: 100 non-finite" in w for w in result.warnings), result.warnings


# --- drift: names that match no feature ------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["critical", "features"])
def test_drift_setting_naming_no_feature_is_refused_listing_valid_names(tmp_path: Path, setting: str) -> None:
    from gatekit.drift import DriftConfig, check_drift
    from gatekit.errors import ConfigError

    (tmp_path / "r.jsonl").write_text(production_rows(50))
    (tmp_path / "p.jsonl").write_text(production_rows(50, seed=3))
    typo = "latency_msx"
    config = DriftConfig(critical=[typo]) if setting == "critical" else DriftConfig(features={typo: {"critical": True}})
    with pytest.raises(ConfigError, match=rf"unknown feature\(s\) '{typo}'; valid names: .*latency_ms") as caught:
        check_drift(tmp_path / "r.jsonl", tmp_path / "p.jsonl", config=config, out=tmp_path / "o", log_to_mlflow=False)
    assert caught.value.exit_code == 2
    assert not (tmp_path / "o" / "drift.json").exists()


# --- whole runs an attacker can make look good -------------------------------------------------------------


BLIND_THRESHOLDS = "min_cases: 0\nchecks:\n  governance.deny_count: {max: 0}\n  tokens_input: {max: 1000}\n"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("agent", "verdict_word", "failed_check"),
    [
        ("always_raises", "fail", "cases_succeeded"),  # 100% errors used to print PASS
        ("nan_cost", "fail", None),  # a NaN cost used to write bare NaN into verdict.json
    ],
)
def test_hostile_agent_run_never_passes_and_verdict_json_stays_strict(
    tmp_path: Path, agent: str, verdict_word: str, failed_check: str | None
) -> None:
    root = make_project(tmp_path / "p", agent=f"python:adversarial.hostile_inputs:{agent}", cases=4)
    thresholds = BLIND_THRESHOLDS + ("  cost_total_usd: {max: 1}\n" if agent == "nan_cost" else "")
    (root / "thresholds.yaml").write_text(thresholds)
    proc = run_cli(root, "eval", "--retries", "0", "--json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert strict_json(proc.stdout) == strict_json((root / "out" / "verdict.json").read_text())
    verdict = strict_json((root / "out" / "verdict.json").read_text())
    assert isinstance(verdict, dict) and verdict["verdict"] == verdict_word
    failed = {c["name"]: c for c in verdict["checks"] if c["status"] == "fail"}
    if failed_check:
        assert failed_check in failed and "no case succeeded" in failed[failed_check]["message"]
        assert any("cases_succeeded" in r for r in verdict["reasons"])
    else:  # the NaN cost is unknown (cost check fails), or the agent adapter refuses it (no case succeeds)
        assert {"cost_total_usd", "cases_succeeded"} & set(failed), failed
        assert verdict["metrics"]["cost_total_usd"] in (None, 0.0)
