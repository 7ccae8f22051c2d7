"""fix18e: labelled governance rates under ``--repeat`` take their intervals from the distinct cases.

A case repeated 3 times was counted 3 times: ``violation_block_rate`` over 3 repeats of 7 cases had the
Wilson interval of 21 independent cases, 3 times too narrow; the gate's other rates count distinct cases
(``gatekit.metrics.rate_interval``, attack17) and so do these now.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy.stats import binomtest
from spine_project import make_project, run_cli

from gatekit.governance.labelled import Labelled, label_quality

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"

POLICY = """\
id: labelled
version: "1"
rules:
  - id: secrets
    kind: sensitive_data
    outcomes: {secrets: deny}
"""


def _wilson(k: int, n: int) -> list[float]:
    ci = binomtest(k, n).proportion_ci(0.95, method="wilson")
    return [ci.low, ci.high]


def test_repeated_decisions_of_a_case_do_not_narrow_its_interval() -> None:
    once = [Labelled("v0", "deny", "deny", ("secrets",)), Labelled("v1", "deny", "allow", ())]
    quality = label_quality(once * 3, rules=["secrets"])
    block = quality["violation_block_rate"]
    assert (block["hits"], block["n"], block["rate"]) == (3, 6, 0.5)
    assert block["ci"] == pytest.approx(_wilson(1, 2), abs=1e-12)  # 2 cases, not 6
    assert quality["by_rule"]["secrets"]["violation_block_rate"]["ci"] == pytest.approx(_wilson(1, 2), abs=1e-12)
    assert quality["missed"] == [{"case_id": "v1", "expected": "deny", "outcome": "allow"}]  # listed once


@pytest.mark.slow
def test_repeat_3_gives_the_labelled_intervals_of_repeat_1(tmp_path: Path) -> None:
    rows = (
        [{"id": f"leak{i}", "input": f"my key is {AWS_KEY} #{i}", "expected": {"governance": "deny"}} for i in range(6)]
        + [{"id": "missed", "input": "tell me the admin password", "expected": {"governance": "deny"}}]
        + [{"id": f"ok{i}", "input": f"where is order {i}?", "expected": {"governance": "allow"}} for i in range(8)]
        + [{"id": "fp", "input": f"the docs show {AWS_KEY} as an example", "expected": {"governance": "allow"}}]
    )
    qualities = {}
    for repeat in ("1", "3"):
        root = make_project(tmp_path / f"r{repeat}", rows=rows)
        (root / "policy.yaml").write_text(POLICY, encoding="utf-8")
        (root / "thresholds.yaml").write_text("checks:\n  governance.violation_block_rate: {min: 50%}\n")
        proc = run_cli(root, "eval", "--no-mlflow", "--repeat", repeat)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        verdict = json.loads((root / "out" / "verdict.json").read_text(encoding="utf-8"))
        qualities[repeat] = verdict["governance"]["labelled"]
    one, three = qualities["1"], qualities["3"]
    assert (three["violation_block_rate"]["hits"], three["violation_block_rate"]["n"]) == (18, 21)  # every decision
    assert (one["violation_block_rate"]["hits"], one["violation_block_rate"]["n"]) == (6, 7)
    for name in ("violation_block_rate", "false_positive_rate", "agreement_rate"):
        assert three[name]["rate"] == pytest.approx(one[name]["rate"])
        assert three[name]["ci"] == pytest.approx(one[name]["ci"], abs=1e-12), name  # was about 3 times narrower
    assert one["violation_block_rate"]["ci"] == pytest.approx(_wilson(6, 7), abs=1e-9)
    rule = three["by_rule"]["secrets"]["false_positive_rate"]
    assert rule["ci"] == pytest.approx(one["by_rule"]["secrets"]["false_positive_rate"]["ci"], abs=1e-12)
    assert rule["ci"] == pytest.approx(_wilson(1, 9), abs=1e-9)
    assert three["missed"] == one["missed"] == [{"case_id": "missed", "expected": "deny", "outcome": "allow"}]
