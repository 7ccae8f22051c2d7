"""A request the policy denied is a denial, not an error: the guard writes ``error: policy_denied`` on its row.

Counted in ``error_rate`` as well, a canary whose guard denied 10 % of requests (the same share as a healthy
baseline's guests, say) tripped ``error_rate > 1%`` although nothing failed: rolled back twice for one decision.
"""

from __future__ import annotations

import json
from pathlib import Path

from canary.guarded_traffic import ROLLOUT_HEAD, gatekit_cli, guarded_traffic, labelled

RULES = ROLLOUT_HEAD + '  - rule: "error_rate > 1% for 3 consecutive windows"\n'
NOW = "2026-05-28T20:33:20Z"


def _canary(tmp_path: Path, log: Path, rules: str) -> tuple[int, dict, str]:
    path = tmp_path / "rollout.yaml"
    path.write_text(rules, encoding="utf-8")
    out = tmp_path / "out"
    proc = gatekit_cli("canary", "--logs", str(log), "--rules", str(path), "--now", NOW, "--out", str(out), "--no-mlflow")
    return proc.returncode, json.loads((out / "canary.json").read_text(encoding="utf-8")), proc.stdout + proc.stderr


def test_denied_requests_are_not_errors(tmp_path: Path) -> None:
    log = guarded_traffic(tmp_path / "production.jsonl", range(6), sides=labelled(baseline="baseline", canary="canary"),
                          deny_every=10)  # fmt: skip
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    denied = [r for r in rows if r["variant"] == "canary" and r["outcome"] == "deny"]
    assert len(denied) == 12 and {r["error"] for r in denied} == {"policy_denied"}  # what the real guard writes
    code, report, output = _canary(tmp_path, log, RULES)
    assert (code, report["decision"]) == (0, "promote"), output
    rule = report["rules"][0]
    assert not rule["fired"] and rule["bad_windows"] == 0 and rule["ok_windows"] == 6
    # the denials still count where they belong: a deny-rate rule sees them
    code, report, output = _canary(tmp_path, log, ROLLOUT_HEAD + '  - rule: "deny_rate > 5% for 3 consecutive windows"\n')
    assert (code, report["decision"]) == (1, "rollback"), output


def test_a_decision_error_without_its_outcome_is_still_an_error(tmp_path: Path) -> None:
    """``policy_denied`` on a row whose outcome says allow (or none): not a denial anybody can count — an error."""
    log = guarded_traffic(tmp_path / "production.jsonl", range(6), sides=labelled(baseline="baseline", canary="canary"),
                          deny_every=10)  # fmt: skip
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if row["variant"] == "canary" and row["outcome"] == "deny":
            row["outcome"] = None
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, report, output = _canary(tmp_path, log, RULES)
    assert (code, report["decision"]) == (1, "rollback"), output
    assert report["rules"][0]["bad_windows"] == 6
