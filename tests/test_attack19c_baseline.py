"""attack19c: thresholds and baselines at their edges — a bad regression ``confidence``, a ``max_regression`` that
limits nothing, a baseline artifact that is not UTF-8, and a check line that says the opposite of its numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from spine_project import make_project, run_cli

_LIMITS = "max_regression:\n  error_rate: 1pp\n"


def _with_regression(root: Path, block: str) -> None:
    path = root / "thresholds.yaml"
    path.write_text(path.read_text(encoding="utf-8") + block, encoding="utf-8")


@pytest.mark.parametrize("value", ["95%", "high", "[0.9]", "null"])
def test_a_regression_confidence_that_is_no_number_is_exit_2_naming_the_line(tmp_path: Path, value: str) -> None:
    """``confidence: 95%`` under max_regression was ``float('95%')``: an internal error, exit 3."""
    root = make_project(tmp_path / "p")
    _with_regression(root, _LIMITS + f"  confidence: {value}\n")
    proc = run_cli(root, "eval", "--no-mlflow")
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "internal error" not in proc.stderr
    assert "thresholds.yaml:9: max_regression.confidence: must be a number between 0.5 and 1" in proc.stderr


def test_a_baseline_with_no_metric_limit_is_refused(tmp_path: Path) -> None:
    """``max_regression: {confidence: 0.9}`` and ``--baseline``: the baseline was loaded and nothing compared."""
    root = make_project(tmp_path / "p")
    _with_regression(root, "max_regression:\n  confidence: 0.9\n")
    proc = run_cli(root, "eval", "--no-mlflow", "--baseline", "last-pass")
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "sets no metric limit (only 'confidence'), so nothing would be compared" in proc.stderr


def test_a_baseline_results_artifact_that_is_not_utf8_is_exit_2(tmp_path: Path) -> None:
    """The baseline's results.jsonl was decoded before it was parsed: bytes that are not UTF-8 were exit 3."""
    import mlflow

    root = make_project(tmp_path / "p")
    _with_regression(root, _LIMITS)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    first = run_cli(root, "eval", "--tracking-uri", uri, "-q")
    assert first.returncode == 0, first.stderr
    client = mlflow.MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("spine-tests").experiment_id])
    artifact = Path(client.download_artifacts(run.info.run_id, "results.jsonl", str(tmp_path)))
    stored = Path(run.info.artifact_uri.removeprefix("file://")) / "results.jsonl"
    assert stored.read_bytes() == artifact.read_bytes()
    stored.write_bytes(b'{"case_id": "c0", "ok": true}\n\xff\xfe not text\n{"case_id": "c1", "ok": true}\n')
    proc = run_cli(root, "eval", "--tracking-uri", uri, "--baseline", run.info.run_id, "-q")
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "internal error" not in proc.stderr
    assert f"baseline run {run.info.run_id} results.jsonl:2: not valid JSON" in proc.stderr


def test_an_inconclusive_check_beyond_its_limit_does_not_read_within_it() -> None:
    """A regression whose estimate is above its limit (interval straddling) read "0.63 <= limit 0.5"."""
    from gatekit.models import Check, CheckStatus
    from gatekit.verdict import describe

    above = Check("regression.latency_p95_ms", 0.63, 0.5, "<=", CheckStatus.INCONCLUSIVE, (0.13, 0.77), "m", "")
    assert describe(above).startswith("regression.latency_p95_ms 0.63 > limit 0.5")
    below = Check("pass_rate", 0.7, 0.75, ">=", CheckStatus.INCONCLUSIVE, (0.6, 0.8), "m", "")
    assert describe(below).startswith("pass_rate 0.7 < limit 0.75")
    inside = Check("pass_rate", 0.8, 0.75, ">=", CheckStatus.INCONCLUSIVE, (0.6, 0.9), "m", "")
    assert describe(inside).startswith("pass_rate 0.8 >= limit 0.75")
    # a check without a limit (drift that could not be computed) read "drift unknown  limit ? (...)"
    no_limit = Check("drift", None, None, "", CheckStatus.FAIL, None, "drift check failed: no rows", "")
    assert describe(no_limit) == "drift unknown (drift check failed: no rows)"


def test_last_pass_skips_a_run_whose_logging_failed(tmp_path: Path) -> None:
    """A gate run is tagged ``pass`` before its artifacts upload; when the upload failed (exit 3, MLflow status
    FAILED) that run still became ``--baseline last-pass``, and every later gate stopped with exit 2 ("run ... has
    no results.jsonl artifact")."""
    import mlflow

    root = make_project(tmp_path / "p")
    _with_regression(root, _LIMITS)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    good = run_cli(root, "eval", "--tracking-uri", uri, "-q")
    assert good.returncode == 0, good.stderr
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("spine-tests")
    (good_run,) = client.search_runs([experiment.experiment_id])
    store = Path(experiment.artifact_location.removeprefix("file://"))
    moved = store.with_name(store.name + ".away")
    store.rename(moved)
    store.write_text("not a folder", encoding="utf-8")  # the artifact upload fails; the run and its tags exist
    broken = run_cli(root, "eval", "--tracking-uri", uri, "-q")
    store.unlink()
    moved.rename(store)
    assert broken.returncode == 3, (broken.returncode, broken.stderr)
    failed = [r for r in client.search_runs([experiment.experiment_id]) if r.info.status == "FAILED"]
    assert len(failed) == 1 and failed[0].data.tags["gatekit.verdict"] == "pass"
    proc = run_cli(root, "eval", "--tracking-uri", uri, "--baseline", "last-pass")
    assert proc.returncode in (0, 4), (proc.returncode, proc.stderr)  # it was 2
    assert f"last passing gate run {good_run.info.run_id}" in proc.stderr


@pytest.mark.parametrize(("passing", "of", "limit"), [(7, 10, "70%"), (19, 20, "95%"), (57, 100, "57%")])
def test_a_pass_rate_exactly_at_a_percent_limit_passes(tmp_path: Path, passing: int, of: int, limit: str) -> None:
    """``min: 70%`` was 70 x 0.01 = 0.7000000000000001 in binary floating point: 7 passes of 10 (exactly 70%)
    failed the check at its own limit (as 19 of 20 did 95%, 57 of 100 57%)."""
    import json

    rows = [
        {"id": f"c{i}", "input": f"question {i}", "expected": {"output_contains": ["echo" if i < passing else "nope"]}}
        for i in range(of)
    ]
    root = make_project(tmp_path / "p", rows=rows)
    (root / "thresholds.yaml").write_text(f"checks:\n  pass_rate: {{min: {limit}}}\n", encoding="utf-8")
    proc = run_cli(root, "eval", "--no-mlflow", "--json")
    verdict = json.loads(proc.stdout)
    (check,) = [c for c in verdict["checks"] if c["name"] == "pass_rate"]
    assert check["value"] == passing / of == check["limit"], check
    assert check["status"] == "pass" and proc.returncode == 0, (check, proc.stderr)


def test_percent_literals_are_the_decimal_fraction_they_name() -> None:
    from gatekit.units import parse_quantity

    for k in range(101):
        assert parse_quantity(f"{k}%", kind="fraction") == k / 100
        assert parse_quantity(f"{k}pp", kind="fraction") == k / 100
        assert parse_quantity(f"{k}us", kind="duration_ms") == k / 1000
    assert parse_quantity("2.5s", kind="duration_ms") == 2500.0 and parse_quantity("1.5k") == 1500.0
