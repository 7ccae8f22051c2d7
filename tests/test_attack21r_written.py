"""attack21r: what a gate run WRITES (files, the MLflow store, the CI step summary, the console) holds no secret
that arrived outside the agent's output, and stays well-formed whatever the agent sent.

Each test runs the real CLI on a tiny project (conftest's ``attack_project``) and reads back every byte it wrote.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import attack_gate, attack_project

pytestmark = pytest.mark.slow

# credentials no detector recognises by their shape: only their variable's name says what they are
OPENAI_KEY = "ZQplainEnvKey7788abcdef"
HF_TOKEN = "hfPlainTok0099887766zz"
DB_PASSWORD = "correcthorsebatterystaple"


def _written(folder: Path, proc: subprocess.CompletedProcess[str], skip: tuple[str, ...] = ()) -> str:
    """Every byte of every file under ``folder`` (but ``skip``), then the run's stdout and stderr, as text."""
    parts = [proc.stdout, proc.stderr]
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name not in skip and "__pycache__" not in path.parts:
            parts.append(f"\n--- {path}\n" + path.read_bytes().decode("utf-8", "replace"))
    return "".join(parts)


LEAKY_AGENT = """
import os, sys

def run(case_input, context=None):
    if "boom" in str(case_input):
        raise RuntimeError(
            "auth failed with " + os.environ["OPENAI_API_KEY"] + " / " + os.environ["HF_TOKEN"]
            + " / " + os.environ["DB_PASSWORD"]
        )
    return {"output": "the key is " + os.environ["OPENAI_API_KEY"], "model": "m-" + os.environ["HF_TOKEN"]}
"""

CMD_AGENT = """
import json, os, sys
for line in sys.stdin:
    request = json.loads(line)
    sys.stderr.write("Traceback: token " + os.environ["HF_TOKEN"] + " pw " + os.environ["DB_PASSWORD"] + "\\n")
    sys.stderr.flush()
    print(json.dumps({"id": request["id"], "error": "rejected key " + os.environ["OPENAI_API_KEY"]}), flush=True)
"""


@pytest.mark.parametrize("agent", ["python:leaky21:run", "cmd"])
def test_credentials_from_the_environment_echoed_by_an_agent_are_written_nowhere(tmp_path: Path, agent: str) -> None:
    project = attack_project(tmp_path, ['{"id": "a", "input": "boom"}', '{"id": "b", "input": "fine"}'])
    (project / "leaky21.py").write_text(LEAKY_AGENT, encoding="utf-8")
    (project / "cmd21.py").write_text(CMD_AGENT, encoding="utf-8")
    if agent == "cmd":
        agent = f"cmd:{sys.executable} cmd21.py"
    summary, outputs = project / "summary.md", project / "outputs.txt"
    env = {
        "OPENAI_API_KEY": OPENAI_KEY,  # no api_key_env names it: the agent reads it itself
        "HF_TOKEN": HF_TOKEN,
        "DB_PASSWORD": DB_PASSWORD,
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
    }
    flags = ["--out", "out", "--junit", "out/j.xml", "--tracking-uri", f"sqlite:///{project}/mlflow.db"]
    proc = attack_gate(project, *flags, env=env, agent=agent)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the failed case fails the 10% error-rate limit
    written = _written(project, proc, skip=("leaky21.py", "cmd21.py"))
    assert "[GENERIC_SECRET]" in (project / "out" / "results.jsonl").read_text(encoding="utf-8")
    assert (project / "mlflow.db").stat().st_size > 0 and summary.exists()
    for secret in (OPENAI_KEY, HF_TOKEN, DB_PASSWORD):
        assert secret not in written


def test_only_variables_named_like_credentials_are_registered(tmp_path: Path) -> None:
    from gatekit.redact import add_credential_env, scrub

    key_file = tmp_path / "key.json"
    key_file.write_text("{}", encoding="utf-8")
    add_credential_env(
        {
            "MY_SERVICE_API_KEY": "svcPlainValue123456",
            "AZURE_STORAGE_SAS": "sv2024plainsasvalue",
            "GOOGLE_APPLICATION_CREDENTIALS": str(key_file),  # a path to the credential, not the credential
            "TOKENIZERS_PARALLELISM": "falsefalse",  # "TOKEN" inside a name is not a credential
            "CI_TOKEN": "short",  # under 8 characters: would mask ordinary words
        }
    )
    shown = scrub(f"a svcPlainValue123456 b sv2024plainsasvalue c {key_file} d falsefalse e short")
    assert shown == f"a [GENERIC_SECRET] b [GENERIC_SECRET] c {key_file} d falsefalse e short"
