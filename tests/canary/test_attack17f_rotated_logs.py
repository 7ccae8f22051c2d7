"""attack17f: a log folder the runtime guard wrote and logrotate rotated is judged whole, or refused.

The guard's denials of the first minutes sat in ``production.jsonl.1`` / ``production.jsonl.2.gz`` (logrotate's
names); ``gatekit canary`` over the folder skipped both without a word, judged only the healthy current file and
promoted a canary whose guard had denied 35 % of its requests.
"""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

import pytest

from canary.guarded_traffic import DENY_RATE_RULES, gatekit_cli, guarded_traffic, labelled


def _guarded(log: Path, minutes: range, *, deny_every: int | None) -> None:
    guarded_traffic(log, minutes, sides=labelled(baseline="baseline", canary="canary"), deny_every=deny_every)


def _canary(tmp_path: Path, logs: str) -> subprocess.CompletedProcess[str]:
    rules = tmp_path / "rollout.yaml"
    rules.write_text(DENY_RATE_RULES, encoding="utf-8")
    return gatekit_cli("canary", "--logs", logs, "--rules", str(rules), "--since", "2026-05-28T20:27:00Z",
                       "--now", "2026-05-28T20:33:20Z", "--out", str(tmp_path / "out"), "--no-mlflow")  # fmt: skip


@pytest.mark.parametrize("rotated", ["production.jsonl.1", "production.jsonl.2.gz", "production.jsonl-20260528"])
def test_a_rotated_log_in_the_folder_is_not_skipped_into_a_promote(tmp_path: Path, rotated: str) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    early = logs / "early.jsonl"
    _guarded(early, range(3), deny_every=3)  # three minutes of 35 % denials
    assert sum(json.loads(line)["outcome"] == "deny" for line in early.read_text().splitlines()) == 21
    if rotated.endswith(".gz"):
        with gzip.open(logs / rotated, "wb") as handle:
            handle.write(early.read_bytes())
        early.unlink()
    else:
        early.rename(logs / rotated)
    _guarded(logs / "production.jsonl", range(3, 6), deny_every=None)  # then three healthy minutes
    proc = _canary(tmp_path, str(logs))
    assert proc.returncode != 0, proc.stdout + proc.stderr  # never promote on the healthy half alone
    assert proc.returncode == 2 and rotated in proc.stderr and "Traceback" not in proc.stderr
    # a glob naming the rotated file is refused the same way
    proc = _canary(tmp_path, str(logs / "production.jsonl*"))
    assert proc.returncode == 2 and rotated in proc.stderr


def test_the_whole_log_in_readable_names_rolls_back(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    _guarded(logs / "production-1.jsonl", range(3), deny_every=3)
    with gzip.open(logs / "production-1.jsonl.gz", "wb") as handle:  # the denied minutes, compressed: readable
        handle.write((logs / "production-1.jsonl").read_bytes())
    (logs / "production-1.jsonl").unlink()
    _guarded(logs / "production-2.jsonl", range(3, 6), deny_every=None)
    proc = _canary(tmp_path, str(logs))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "deny_rate" in proc.stdout
