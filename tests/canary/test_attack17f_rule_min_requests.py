"""attack17f: a rollback rule that judged no window (its own min_requests above the traffic) does not pass a stage.

The real guard denied 35 % of the canary's 20 requests a minute; the deny rule asked for 30 requests a window, so
every window was no-data for it while the stage's min_requests (10) counted six windows with data: ``gatekit canary``
promoted, the deny rule never having judged a window.
"""

from __future__ import annotations

import json
from pathlib import Path

from canary.guarded_traffic import ROLLOUT_HEAD, gatekit_cli, guarded_traffic

RULES = ROLLOUT_HEAD + """\
  - {{rule: "deny_rate > 5% for 3 consecutive windows", min_requests: {deny_min}}}
  - rule: "error_rate > 50% for 3 consecutive windows"
"""


def _guarded_log(tmp_path: Path, *, background: bool) -> Path:
    sides = {v: {"variant": v, "background": background} for v in ("baseline", "canary")}
    return guarded_traffic(tmp_path / "production.jsonl", range(6), sides=sides, deny_every=3)


def _canary(tmp_path: Path, log: Path, deny_min: int) -> tuple[int, dict, str]:
    rules = tmp_path / "rollout.yaml"
    rules.write_text(RULES.format(deny_min=deny_min), encoding="utf-8")
    out = tmp_path / f"out{deny_min}"
    proc = gatekit_cli("canary", "--logs", str(log), "--rules", str(rules), "--now", "2026-05-28T20:33:20Z",
                       "--out", str(out), "--no-mlflow")  # fmt: skip
    return proc.returncode, json.loads((out / "canary.json").read_text(encoding="utf-8")), proc.stdout + proc.stderr


def test_a_rule_that_judged_no_window_holds_the_stage(tmp_path: Path) -> None:
    log = _guarded_log(tmp_path, background=True)
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    canary = [r for r in rows if r["variant"] == "canary"]
    assert len(canary) == 120 and sum(r["outcome"] == "deny" for r in canary) == 42
    code, report, output = _canary(tmp_path, log, deny_min=30)
    assert (code, report["decision"]) == (4, "hold"), output
    deny_rule = report["rules"][0]
    assert (deny_rule["ok_windows"], deny_rule["bad_windows"], deny_rule["no_data_windows"]) == (0, 0, 6)
    assert any("judged only 0 window" in reason for reason in report["reasons"]), report["reasons"]
    # the same rows with a rule that can judge them: the guard's denials roll the canary back
    code, report, output = _canary(tmp_path, log, deny_min=10)
    assert (code, report["decision"]) == (1, "rollback"), output
    assert report["rules"][0]["fired"] and report["rules"][0]["bad_windows"] == 6
