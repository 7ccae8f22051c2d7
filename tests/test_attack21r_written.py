"""attack21r: what a gate run WRITES (files, the MLflow store, the CI step summary, the console) holds no secret
that arrived outside the agent's output, and stays well-formed whatever the agent sent.

Each test runs the real CLI on a tiny project (conftest's ``attack_project``) and reads back every byte it wrote.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, attack_gate, attack_project, serve_http

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


class _EchoingEndpoint(http.server.BaseHTTPRequestHandler):
    """An endpoint refusing every call with a 400 whose body repeats the request's header values and query bare."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        echoed = (
            " ".join(self.headers.values())
            + " query "
            + " ".join(pair.partition("=")[2] for pair in self.path.partition("?")[2].split("&"))
        )
        body = json.dumps({"error": {"message": f"refused: {echoed}"}}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_credentials_written_into_the_agent_url_or_headers_are_masked_when_the_endpoint_echoes_them(
    tmp_path: Path,
) -> None:
    project = attack_project(tmp_path, ['{"id": "a", "input": "hi"}'])
    with serve_http(_EchoingEndpoint) as port:
        (project / "gatekit.yaml").write_text(
            f'agent: "http://127.0.0.1:{port}/v1/chat/completions?api_key=QueryKeyPlain5566&x=1"\n'
            "retries: 0\n"
            "agent_options:\n"
            "  model: m1\n"
            '  headers: {X-Api-Key: "HeaderLiteralKey4321", Authorization: "Token AuthLiteralTok9988", X-Team: gate}\n',
            encoding="utf-8",
        )
        proc = attack_gate(
            project,
            "--config",
            "gatekit.yaml",
            "--out",
            "out",
            "--junit",
            "out/j.xml",
            "--no-mlflow",
            agent=f"http://127.0.0.1:{port}/v1/chat/completions?api_key=QueryKeyPlain5566&x=1",
        )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    row = json.loads((project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert row["error_type"] == "http_4xx" and "refused: " in row["error_message"]
    assert "gate" in row["error_message"]  # a header that is no credential stays readable
    written = _written(project, proc, skip=("gatekit.yaml",))
    for secret in ("QueryKeyPlain5566", "HeaderLiteralKey4321", "AuthLiteralTok9988"):
        assert secret not in written


def test_url_and_header_credentials_are_registered_and_nothing_else() -> None:
    from gatekit.redact import add_credential_header, add_url_secrets, scrub

    add_url_secrets(
        "https://svc:UrlPassWord778@h.example/v1?sig=SigValue12345678&page=pagevalue99#access_token=Frag12345678"
    )
    add_credential_header("Authorization", "Basic QmFzaWNDcmVkMTIzNDU2")
    add_credential_header("User-Agent", "agentname/1.2.3")  # no credential
    shown = scrub("UrlPassWord778 SigValue12345678 pagevalue99 Frag12345678 QmFzaWNDcmVkMTIzNDU2 agentname/1.2.3")
    assert shown == "[GENERIC_SECRET] [GENERIC_SECRET] pagevalue99 [GENERIC_SECRET] [GENERIC_SECRET] agentname/1.2.3"


def test_a_drift_error_reaches_the_ci_annotation_and_summary_scrubbed_as_on_the_console(tmp_path: Path) -> None:
    token = "ghp_" + "Q7wErTy9UiOp1AsDfGh2JkLzXcVbNm3Qw4Er"
    (tmp_path / "ref.jsonl").write_text('{"id": "a", "input": "hi"}\n', encoding="utf-8")
    summary = tmp_path / "summary.md"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "GITHUB_")) or k == "GATEKIT_SHARED_DATA"
    }
    env |= {"PYTHONPATH": str(REPO_ROOT), "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    missing = tmp_path / "logs" / f"{token}.jsonl"  # a path that names a credential (a pasted token)
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", "ref.jsonl", "--production", str(missing)]
    proc = subprocess.run([*command, "--no-mlflow"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout.startswith("::error title=gatekit::--production ") and "[GITHUB_TOKEN]" in proc.stdout
    assert "no such file" in summary.read_text(encoding="utf-8")
    assert token not in _written(tmp_path, proc)


ANSWERING_WORKER = """
import json, sys
for line in sys.stdin:
    print(json.dumps({"id": json.loads(line)["id"], "output": "ok"}), flush=True)
"""


def test_a_line_break_in_the_agent_spec_starts_no_workflow_command_in_the_job_log(tmp_path: Path) -> None:
    project = attack_project(tmp_path, ['{"id": "a", "input": "hi"}'])
    (project / "worker21.py").write_text(ANSWERING_WORKER, encoding="utf-8")
    # an argument the worker ignores, holding a line break and a workflow command (an \x1b]0; title sequence too)
    agent = f"cmd:{sys.executable} worker21.py '\x1b]0;title\x07 x\n::error::forged'"
    proc = attack_gate(project, "--out", "out", "--no-mlflow", env={"GITHUB_ACTIONS": "true"}, agent=agent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = (proc.stdout + proc.stderr).splitlines()
    assert any("worker21.py" in line and "\\n::error::forged" in line for line in lines), proc.stderr
    assert not [line for line in lines if line.startswith("::error::forged") or "\x1b" in line]


def test_a_line_break_in_the_out_folder_starts_no_workflow_command_in_the_summary(tmp_path: Path) -> None:
    project = attack_project(tmp_path, ['{"id": "a", "input": "hi"}'])
    (project / "worker21.py").write_text(ANSWERING_WORKER, encoding="utf-8")
    out = "o\x1b[31mut\n::error::forged"  # a folder name Linux allows
    proc = attack_gate(
        project, "--out", out, "--no-mlflow", env={"GITHUB_ACTIONS": "true"}, agent=f"cmd:{sys.executable} worker21.py"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (project / out / "report.html").is_file()
    lines = (proc.stdout + proc.stderr).splitlines()
    assert "  report o\\x1b[31mut\\n::error::forged/report.html" in lines
    assert not [line for line in lines if line.startswith("::error::forged") or "\x1b" in line]
