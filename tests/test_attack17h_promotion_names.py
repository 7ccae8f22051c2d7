"""attack17h: what promotion says about a model named by ``latest`` / a stage, and about a look-alike model name.

``models:/name/latest`` (or a stage) is not promotable, and the skip said "not a registered MLflow model"; a model
name with a non-ASCII look-alike (Greek omicron) or a bidi override was printed raw in the promotion line. Real sqlite
MLflow store, real registered pyfunc models, the real gate and the real CLI in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow_store import model_gate_config as config
from mlflow_store import model_gate_project as project
from mlflow_store import model_store
from mlflow_store import registry_client as client

pytestmark = pytest.mark.slow

PLAIN = "gk-17h"
LOOKALIKES = ["gk-17h-pr\u03bfd", "gk-17h\u202edorp"]  # Greek omicron; right-to-left override


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A store with ``PLAIN`` (two versions, 1 in stage Production) and each look-alike name (one version)."""
    root = tmp_path_factory.mktemp("attack17h-store")
    with model_store(root, [PLAIN, PLAIN, *LOOKALIKES]) as uri:
        client(uri).transition_model_version_stage(PLAIN, "1", "Production")
        yield uri, root


@pytest.mark.parametrize(("moving", "named"), [("latest", "'latest'"), ("Production", "the stage 'Production'")])
def test_latest_or_a_stage_is_not_promoted_and_the_message_says_what_to_gate(
    store: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moving: str, named: str
) -> None:
    from gatekit.gate import run_gate

    uri, _ = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    result = run_gate(config(project(tmp_path), uri, f"models:/{PLAIN}/{moving}"), command="promote")
    assert result.verdict.verdict == "pass", result.verdict.reasons
    promotion = result.verdict.promotion
    assert promotion is not None and promotion.action == "skipped", promotion
    message = promotion.message
    assert "not a registered MLflow model" not in message, message
    assert named in message and f"'{PLAIN}'" in message, message
    assert f"models:/{PLAIN}/3" in message and f"models:/{PLAIN}@candidate" in message, message
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException):
        client(uri).get_model_version_by_alias(PLAIN, "production")  # nothing moved


@pytest.mark.parametrize("name", LOOKALIKES, ids=["omicron", "bidi"])
def test_a_look_alike_model_name_is_escaped_in_the_promotion_line(
    store: tuple[str, Path], tmp_path: Path, name: str
) -> None:
    uri, _ = store
    root = project(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    env["MLFLOW_TRACKING_URI"] = uri
    command = [sys.executable, "-m", "gatekit", "promote", "--dry-run", "--agent", f"models:/{name}/1"]
    command += ["--dataset", str(root / "ds.jsonl"), "--thresholds", str(root / "th.yaml"), "--out", str(root / "out")]
    command += ["--policy", str(Path(__file__).resolve().parents[1] / "policies" / "default.yaml")]
    command += ["--tracking-uri", uri, "--experiment", "gates-17h", "--alias", "production"]
    proc = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    lines = [line for line in proc.stdout.splitlines() if "PROMOTION" in line]
    assert len(lines) == 1, proc.stdout
    assert "would set alias 'production'" in lines[0], lines[0]
    assert ascii(name) in lines[0], lines[0]
    assert all(ch.isascii() for ch in lines[0]), repr(lines[0])
