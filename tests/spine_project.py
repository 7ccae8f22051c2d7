"""Build small throwaway gatekit projects in a temp folder for end-to-end tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlflow_store import seed_store_for_cli

TESTS_DIR = Path(__file__).resolve().parent

POLICY = """\
id: test-policy
version: "1"
rules:
  - id: pii
    kind: sensitive_data
    scan: [output, tool_arguments]
    outcomes:
      EMAIL_ADDRESS: allow_with_redaction
      CREDIT_CARD: allow_with_redaction
"""

THRESHOLDS = """\
min_cases: {min_cases}
checks:
  latency_p95_ms: {{max: 2000ms}}
  error_rate: {{max: 1%}}
  cost_per_1k_tokens_usd: {{max: 0.05}}
  governance.deny_count: {{max: 0}}
"""


def make_project(
    root: Path,
    *,
    agent: str = "python:spine_agents:sync_echo",
    cases: int = 5,
    min_cases: int = 1,
    rows: list[dict[str, Any]] | None = None,
    extra_config: str = "",
) -> Path:
    """Write dataset, thresholds, pricing, policy and gatekit.yaml under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    if rows is None:
        rows = [
            {"id": f"c{i}", "input": f"question {i}", "context": {"user": f"u{i}", "env": "test"}} for i in range(cases)
        ]
    (root / "cases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (root / "thresholds.yaml").write_text(THRESHOLDS.format(min_cases=min_cases), encoding="utf-8")
    (root / "pricing.yaml").write_text("models:\n  m-test: {input_per_1m: 1.0, output_per_1m: 2.0}\n")
    (root / "policy.yaml").write_text(POLICY, encoding="utf-8")
    (root / "gatekit.yaml").write_text(
        f"dataset: cases.jsonl\nagent: {agent}\nthresholds: thresholds.yaml\npricing: pricing.yaml\n"
        f"policy: policy.yaml\nout: out\nconcurrency: 4\ntimeout: 2\nretries: 1\nexperiment: spine-tests\n"
        + extra_config,
        encoding="utf-8",
    )
    return root


def run_process(
    root: Path, *args: str, env: Mapping[str, str | None] | None = None, timeout: float = 240, seed_mlflow: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gatekit`` as a real process in ``root`` with the test agents importable.

    For the tests whose subject is the process itself (exit codes of the real binary, signals, a second
    process racing the first); everything else uses the in-process ``run_cli``.
    """
    full_env = dict(os.environ)
    full_env.pop("MLFLOW_TRACKING_URI", None)
    full_env["PYTHONPATH"] = str(TESTS_DIR) + os.pathsep + full_env.get("PYTHONPATH", "")
    for key, value in (env or {}).items():  # None: unset
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    if seed_mlflow:
        seed_store_for_cli(root, args, env or {})
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args],
        cwd=root,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_cli(
    root: Path, *args: str, env: Mapping[str, str | None] | None = None, timeout: float = 240, seed_mlflow: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the ``gatekit`` console entry point in this process, from ``root``; return what a process would.

    The same code path as the installed command (``gatekit.cli.main``: exit codes, the one-line internal
    error, logging to stderr), without paying for a Python start and an MLflow import per call: ``sys.argv``,
    the working directory, the environment (``MLFLOW_TRACKING_URI`` unset unless given), stdout/stderr and
    the root logger are swapped in and restored afterwards, and MLflow's process-wide tracking URI is reset so
    one call cannot leak into the next. ``timeout`` is accepted for signature compatibility with
    ``run_process`` (gatekit's own timeouts bound the agents here). ``seed_mlflow`` (both helpers): a command
    that will create a new sqlite MLflow store gets a copy of a migrated empty one instead (``mlflow_store``).
    """
    import logging

    from typer.testing import CliRunner

    from gatekit import cli

    reset_test_agents()
    if seed_mlflow:
        seed_store_for_cli(root, args, env or {})
    call_env: dict[str, str | None] = {"MLFLOW_TRACKING_URI": None, **(env or {})}
    root_logger = logging.getLogger()
    saved_handlers, saved_level = root_logger.handlers[:], root_logger.level
    gatekit_logger = logging.getLogger("gatekit")
    saved_gatekit_level = gatekit_logger.level
    saved_argv, saved_cwd, saved_path, saved_modules = sys.argv, os.getcwd(), sys.path[:], set(sys.modules)
    code: int = 0
    saved_tracking_uri = _reset_mlflow_tracking_uri()
    with CliRunner().isolation(env=call_env) as (out, err, _):
        root_logger.handlers = []  # so gatekit's logging.basicConfig writes to this call's stderr, as in a process
        sys.argv = ["gatekit", *args]
        os.chdir(root)
        try:
            cli.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            os.chdir(saved_cwd)
            sys.argv = saved_argv
            sys.path[:] = saved_path  # the python: adapter puts the project folder on it, as a process would
            _forget_modules_under(root, set(sys.modules) - saved_modules)
            for handler in root_logger.handlers:
                handler.flush()
            root_logger.handlers = saved_handlers
            root_logger.setLevel(saved_level)
            gatekit_logger.setLevel(saved_gatekit_level)
            _reset_mlflow_tracking_uri(saved_tracking_uri)
            sys.stdout.flush()
            sys.stderr.flush()
        stdout = out.getvalue().decode("utf-8", "replace")
        stderr = err.getvalue().decode("utf-8", "replace")
    return subprocess.CompletedProcess(["gatekit", *args], code, stdout, stderr)


def _forget_modules_under(root: Path, names: set[str]) -> None:
    """Drop modules this call imported from the project folder (an agent module there ends with the call)."""
    base = str(root.resolve())
    for name in names:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if file and str(Path(file).resolve()).startswith(base + os.sep):
            del sys.modules[name]


def reset_test_agents() -> None:
    """Clear the module-level state of the test agents (a fresh process would start with it empty)."""
    for name in ("spine_agents", "agents.replay_agents"):
        module = sys.modules.get(name)
        if module is None:
            continue
        for attr in ("CALLS",):
            state = getattr(module, attr, None)
            if isinstance(state, dict):
                state.clear()
        in_flight = getattr(module, "IN_FLIGHT", None)
        if isinstance(in_flight, dict):
            in_flight.update({"now": 0, "max": 0})


def _reset_mlflow_tracking_uri(uri: str | None = None) -> str | None:
    """Set MLflow's process-wide tracking URI (``mlflow.set_tracking_uri``) to ``uri``; return the previous one.

    A fresh ``gatekit`` process starts with none set; a test that called ``mlflow.set_tracking_uri`` gets its
    own back afterwards.
    """
    if "mlflow" not in sys.modules:
        return None
    from mlflow.tracking._tracking_service import utils

    previous: str | None = utils._tracking_uri
    utils._tracking_uri = uri
    return previous
