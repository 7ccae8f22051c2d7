"""attack22g: a rate's upper limit written as the bare number 1 checked nothing.

``error_rate: {max: 5}`` is refused (above 100%), but ``{max: 1}`` — one percent, as the user wrote it — was read as
100%: a candidate failing two of its three cases passed (exit 0). The same for ``max_regression: {error_rate: 1}``
(+100 percentage points, never exceeded). ``1%`` and ``100%`` say which is meant; a bare 1 as a lower limit (``min``:
every case) and on a count or cost stays a number.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import attack_gate, one_line_exit_2

from gatekit.errors import ConfigError
from gatekit.verdict import load_thresholds

REFUSED = {
    "max 1": ("checks:\n  error_rate: {max: 1}\n", "checks.error_rate.max: 1 is read as a fraction, 100%"),
    "max 1.0": ("checks:\n  pass_rate: {max: 1.0}\n", "checks.pass_rate.max: 1 is read as a fraction, 100%"),
    "governance rate": (
        "checks:\n  governance.deny_rate: {max: 1}\n",
        "checks.governance.deny_rate.max: 1 is read as a fraction",
    ),
    "per-rule rate": (
        "checks:\n  governance.rule.pii.false_positive_rate: {max: 1}\n",
        "checks.governance.rule.pii.false_positive_rate.max: 1 is read",
    ),
    "regression": (
        "checks:\n  error_rate: {max: 5%}\nmax_regression:\n  error_rate: 1\n",
        "max_regression.error_rate: 1 is read as a fraction, 100%, a limit every run meets; for one percentage point "
        "write 1pp",
    ),
}


@pytest.mark.parametrize("form", sorted(REFUSED))
def test_a_bare_one_as_a_rate_limit_is_refused(tmp_path: Path, form: str) -> None:
    text, words = REFUSED[form]
    path = tmp_path / "th.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_thresholds(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:"), message
    assert words in message


ACCEPTED = {
    "100% said": ("checks:\n  error_rate: {max: 100%}\n", "error_rate", 1.0),
    "1% said": ("checks:\n  error_rate: {max: 1%}\n", "error_rate", 0.01),
    "min 1: every case": ("checks:\n  pass_rate: {min: 1}\n", "pass_rate", 1.0),
    "coverage min 1": ("checks:\n  governance.coverage: {min: 1}\n", "governance.coverage", 1.0),
    "a cost of 1": ("checks:\n  cost_total_usd: {max: 1}\n", "cost_total_usd", 1.0),
    "a count of 1": ("checks:\n  governance.deny_count: {max: 1}\n", "governance.deny_count", 1.0),
    "a small fraction": ("checks:\n  error_rate: {max: 0.5}\n", "error_rate", 0.5),
}


@pytest.mark.parametrize("form", sorted(ACCEPTED))
def test_limits_that_say_what_they_mean_are_kept(tmp_path: Path, form: str) -> None:
    text, name, limit = ACCEPTED[form]
    path = tmp_path / "th.yaml"
    path.write_text(text, encoding="utf-8")
    spec = load_thresholds(path).checks[name]
    assert (spec.max if spec.max is not None else spec.min) == limit


FLAKY_AGENT = """
def run(case_input, context=None):
    if "fail" in str(case_input):
        raise RuntimeError("backend down")
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def test_the_gate_refuses_error_rate_max_1_instead_of_passing_a_failing_candidate(tmp_path: Path) -> None:
    (tmp_path / "agent22l.py").write_text(FLAKY_AGENT, encoding="utf-8")
    rows = [{"id": "a", "input": "fail 1"}, {"id": "b", "input": "fail 2"}, {"id": "c", "input": "fine"}]
    (tmp_path / "ds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 1}\n", encoding="utf-8")
    proc = attack_gate(tmp_path, "--no-mlflow", "--out", "out", "--retries", "0", agent="python:agent22l:run")
    line = one_line_exit_2(proc)
    assert "th.yaml:3: checks.error_rate.max: 1 is read as a fraction, 100%" in line
    assert "for one percent write 1%" in line
    assert not (tmp_path / "out" / "verdict.json").exists()  # refused before any case ran
