"""attack18d: a YAML true/false (also yes/no/on/off) where a number is due is refused, naming file, line and field.

Pydantic read ``True`` as 1 and ``False`` as 0 for int and float fields, silently: ``min_requests: yes`` in the
rollout rules judged canary windows of a single request, ``drift: {ks_floor: yes}`` set the effect floor to 1 (no
numeric feature could ever drift), ``concurrency: true`` ran one case at a time. Errors no longer start with pydantic's
"Value error, " (a Python exception's name to a reader).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ATTACK_AGENT, REPO_ROOT, one_line_exit_2

from gatekit.canary.rules import load_rules
from gatekit.config import load_config
from gatekit.errors import ConfigError
from gatekit.verdict import load_thresholds

ROLLOUT = (REPO_ROOT / "gatekit" / "scaffold" / "thresholds" / "rollout.yaml").read_text(encoding="utf-8")
SAID = "expected a number, got true (YAML reads yes/no/on/off as true/false)"


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of ``text`` holding ``needle`` (the shipped files' lines move)."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (ROLLOUT.replace("min_requests: 20 ", "min_requests: yes"), "min_requests: yes|min_requests: "),
        (ROLLOUT.replace("min_windows: 5 ", "min_windows: on"), "min_windows: on|min_windows: "),
        (ROLLOUT.replace("for: 5}", "for: true}"), "for: true}|rollback.1.for: "),
        (ROLLOUT.replace("min_requests: 500", "min_requests: yes"), "  min_requests: yes|compare.min_requests: "),
    ],
    ids=["min-requests", "min-windows", "for", "compare-min-requests"],
)
def test_rollout_rules(tmp_path: Path, text: str, where: str) -> None:
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rules(tmp_path / "r.yaml")
    needle, field = where.split("|")
    assert f"{tmp_path / 'r.yaml'}:{line_of(text, needle)}: {field}{SAID}" in str(caught.value), str(caught.value)


def test_thresholds_min_cases(tmp_path: Path) -> None:
    (tmp_path / "th.yaml").write_text("min_cases: yes\nchecks:\n  error_rate: {max: 1%}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"th\.yaml:1: min_cases: expected a number, got true"):
        load_thresholds(tmp_path / "th.yaml")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("concurrency: true\n", "g.yaml:1: concurrency: "),
        ("retries: yes\n", "g.yaml:1: retries: "),
        ("timeout: on\n", "g.yaml:1: timeout: "),
        ("drift:\n  ks_floor: yes\n", "g.yaml:2: drift.ks_floor: "),
        (
            "drift:\n  features:\n    latency_ms: {effect_floor: yes}\n",
            "g.yaml:3: drift.features.latency_ms.effect_floor: ",
        ),
    ],
    ids=["concurrency", "retries", "timeout", "ks-floor", "effect-floor"],
)
def test_gatekit_yaml(tmp_path: Path, text: str, where: str) -> None:
    (tmp_path / "g.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "g.yaml")
    assert f"{tmp_path / where}{SAID}" in str(caught.value), str(caught.value)


def test_numbers_and_a_confidence_of_true_still_read(tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_text("concurrency: 3\ntimeout: 2.5\ndrift:\n  ks_floor: 0.2\n", encoding="utf-8")
    config = load_config(tmp_path / "g.yaml")
    assert (config.concurrency, config.timeout, config.drift and config.drift.ks_floor) == (3, 2.5, 0.2)
    (tmp_path / "th.yaml").write_text("checks:\n  error_rate: {max: 1%, confidence: true}\n", encoding="utf-8")
    assert load_thresholds(tmp_path / "th.yaml").checks["error_rate"].confidence == 0.95  # documented: true = 0.95


def test_the_cli_prints_it_in_one_line_without_value_error(tmp_path: Path) -> None:
    (tmp_path / "agent16.py").write_text(ATTACK_AGENT, encoding="utf-8")
    (tmp_path / "ds.jsonl").write_text('{"id": "a", "input": "hi"}\n', encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    (tmp_path / "gatekit.yaml").write_text("repeat: yes\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_")}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{tmp_path}"
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", "python:agent16:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(REPO_ROOT / "policies" / "default.yaml"), "--no-mlflow"]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    line = one_line_exit_2(proc)
    assert line == f"error: gatekit.yaml:1: repeat: {SAID}", line


POLICY = (REPO_ROOT / "policies" / "default.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("max_calls_per_case: 25", "max_calls_per_case: yes", "rules[0].max_calls_per_case: "),
        ("max_calls: 1", "max_calls: no", "rules[0].limits.transfer_to_human_agents.max_calls: "),
        ("high_risk_tools: []", "high_risk_tools: []\n    threshold: yes", "rules[4].threshold: "),
    ],
    ids=["max-calls-per-case", "max-calls", "injection-threshold"],
)
def test_policy_numbers(tmp_path: Path, old: str, new: str, where: str) -> None:
    from gatekit.errors import PolicyError
    from gatekit.governance.policy import load_policy

    assert old in POLICY
    text = POLICY.replace(old, new)
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:  # threshold: yes was 1.0, a score no injection reaches
        load_policy(tmp_path / "p.yaml")
    message = str(caught.value)
    line = line_of(text, new.split("\n")[-1].strip())
    assert f"p.yaml:{line}: {where}expected a number, got " in message and "(YAML reads yes/no" in message, message


def test_pricing_numbers(tmp_path: Path) -> None:
    from gatekit.metrics import load_pricing

    (tmp_path / "pricing.yaml").write_text("models:\n  m: {input_per_1m: yes, output_per_1m: 2}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"pricing\.yaml:2: models\.m\.input_per_1m: expected a number, got true"):
        load_pricing(tmp_path / "pricing.yaml")


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("GATEKIT_DRYRUN", "GATEKIT_DRY_RUN"),
        ("GATEKIT_NO_MLFOW", "GATEKIT_NO_MLFLOW"),
        ("GATEKIT_CONCURENCY", "GATEKIT_CONCURRENCY"),
    ],
)
def test_a_misspelt_environment_setting_is_refused_with_the_name_meant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, meant: str
) -> None:
    monkeypatch.chdir(tmp_path)  # (no ./gatekit.yaml)
    monkeypatch.setenv(name, "1")  # GATEKIT_DRYRUN=1 was ignored: promote moved the alias for real
    with pytest.raises(ConfigError) as caught:
        load_config(None, {"dataset": "ds.jsonl"})
    assert str(caught.value) == f"{name}: not a gatekit setting; did you mean {meant}? fix or unset it"


def test_other_gatekit_variables_are_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("GATEKIT_ROLLBACK_RULE", "GATEKIT_DRIFT_ARGS", "GATEKIT_REDACTION_KEY", "GATEKIT_SPEC"):
        monkeypatch.setenv(name, "x")  # the watch's, the GitHub action's, a key, a test's
    monkeypatch.setenv("GATEKIT_DRY_RUN", "1")
    assert load_config(None, {"dataset": "ds.jsonl"}).dry_run is True


def test_drift_settings_in_a_thresholds_file_are_refused_not_ignored(tmp_path: Path) -> None:
    (tmp_path / "th.yaml").write_text("checks:\n  error_rate: {max: 1%}\ndrift: {ks_floor: 0.2}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:  # the section was accepted and read by nothing
        load_thresholds(tmp_path / "th.yaml")
    assert str(caught.value) == (
        f"{tmp_path / 'th.yaml'}:3: drift: drift settings are read from the drift: section of gatekit.yaml "
        "(docs/drift.md); move them"
    )


@pytest.mark.parametrize(
    ("loader", "name", "text", "said"),
    [
        (
            "config",
            "g.yaml",
            "datset: ds.jsonl\n",
            "g.yaml:1: unknown key 'datset'; did you mean 'dataset'? fix the spelling",
        ),
        (
            "config",
            "g.yaml",
            "drift:\n  numerc: [a]\n",
            "g.yaml:2: unknown key 'drift.numerc'; did you mean 'numeric'?",
        ),
        (
            "config",
            "g.yaml",
            "drift:\n  features:\n    latency_ms: {efect_floor: 0.1}\n",
            "g.yaml:3: unknown key 'drift.features.latency_ms.efect_floor'; did you mean 'effect_floor'?",
        ),
        ("config", "g.yaml", "zzz: 1\n", "g.yaml:1: unknown key 'zzz'; remove it or check its spelling"),
        ("thresholds", "th.yaml", "min_case: 1\n", "th.yaml:1: unknown key 'min_case'; did you mean 'min_cases'?"),
        (
            "thresholds",
            "th.yaml",
            "checks:\n  error_rate: {maxx: 1%}\n",
            "th.yaml:2: unknown key 'checks.error_rate.maxx'; did you mean 'max'?",
        ),
        (
            "rules",
            "r.yaml",
            ROLLOUT.replace("min_windows:", "min_window:"),
            "unknown key 'min_window'; did you mean",
        ),
        (
            "rules",
            "r.yaml",
            ROLLOUT.replace("confidence:", "confidnce:"),
            "unknown key 'compare.confidnce'; did you mean 'confidence'?",
        ),
    ],
    ids=["config", "drift", "drift-feature", "no-match", "min-cases", "check-op", "rules", "rules-compare"],
)
def test_a_misspelt_key_is_refused_with_the_key_meant(
    tmp_path: Path, loader: str, name: str, text: str, said: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    load = {"config": load_config, "thresholds": load_thresholds, "rules": load_rules}[loader]
    with pytest.raises(ConfigError) as caught:
        load(tmp_path / name)
    assert said in str(caught.value), str(caught.value)


def test_a_misspelt_checks_key_is_named_not_reported_as_no_checks(tmp_path: Path) -> None:
    (tmp_path / "th.yaml").write_text("chekcs:\n  error_rate: {max: 1%}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:  # was "no checks in the thresholds file"
        load_thresholds(tmp_path / "th.yaml")
    assert (
        str(caught.value) == f"{tmp_path / 'th.yaml'}:1: unknown key 'chekcs'; did you mean 'checks'? fix the spelling"
    )


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("rules:", "rulez:", ":10: rulez: unknown key 'rulez'; did you mean 'rules'? fix the spelling"),
        ("max_calls_per_case: 25", "max_call_per_case: 25", "rules[0].max_call_per_case: unknown key "),
        ("    max_calls: 1", "    max_cals: 1", "rules[0].limits.transfer_to_human_agents.max_cals: unknown key "),
    ],
    ids=["top", "rule", "tool-limit"],
)
def test_a_misspelt_policy_key_names_the_key_meant(tmp_path: Path, old: str, new: str, said: str) -> None:
    from gatekit.errors import PolicyError
    from gatekit.governance.policy import load_policy

    (tmp_path / "p.yaml").write_text(POLICY.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(tmp_path / "p.yaml")
    meant = new.strip().split(":")[0].replace("rulez", "rules").replace("max_call_per", "max_calls_per")
    meant = meant.replace("max_cals", "max_calls")
    assert said in str(caught.value) and f"did you mean '{meant}'?" in str(caught.value), str(caught.value)
