"""attack23s: secrets and PII that reach a written place through unusual carriers (a cut that halves a key, ...).

Each test runs the real CLI on a tiny project (conftest's ``attack_project``), logging to a real sqlite MLflow store,
then reads back every byte it wrote: the output folder, JUnit, the MLflow database and artifacts, stdout and stderr.
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

# detected whole; their first 16 characters (what a 120-character cut left) are not
DATASET_KEY = "ghp_" + "DsContainQ7wErTy9UiOp1AsDfGh2JkLzXcVb"
ARGUMENT_KEY = "ghp_" + "DsArgValQ7wErTy9UiOp1AsDfGh2JkLzXcVbNm"
AGENT_KEY = "ghp_" + "AgentArgQ7wErTy9UiOp1AsDfGh2JkLzXcVbN"
OUTPUT_KEY = "ghp_" + "OutputKeyQ7wErTy9UiOp1AsDfGh2JkLzXcVb"
PASSWORD = "plainpass4417"  # under a "password" argument: a secret by its key, whatever it looks like
EMAIL = "out.mail@example.com"


def _written(folder: Path, proc: subprocess.CompletedProcess[str], skip: tuple[str, ...] = ()) -> str:
    """Every byte of every file under ``folder`` (but ``skip``), then the run's stdout and stderr, as text."""
    parts = [proc.stdout, proc.stderr]
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name not in skip and "__pycache__" not in path.parts:
            parts.append(f"\n--- {path}\n" + path.read_bytes().decode("utf-8", "replace"))
    return "".join(parts)


def _gate(project: Path, *args: str, agent: str = "python:agent16:run") -> tuple[subprocess.CompletedProcess[str], str]:
    flags = ["--out", "out", "--junit", "out/j.xml", "--tracking-uri", f"sqlite:///{project}/mlflow.db", *args]
    proc = attack_gate(project, *flags, agent=agent)
    assert (project / "out" / "verdict.json").exists(), proc.stdout + proc.stderr
    assert (project / "mlflow.db").stat().st_size > 0
    return proc, _written(project, proc, skip=("ds.jsonl", "agent23.py", "policy23.yaml", "worker23.py"))


def test_a_key_cut_in_half_by_an_expectation_miss_is_never_written(tmp_path: Path) -> None:
    """A miss quotes an expected string or argument (the dataset's) cut to 120 characters: the cut came before the
    scrub, so a key across it left its first characters raw in results.jsonl, verdict.json, report.html and MLflow."""
    expected = {
        "output_contains": ["q" * 100 + " " + DATASET_KEY],
        "tool_calls": [{"name": "lookup", "arguments": {"note": "r" * 95 + " " + ARGUMENT_KEY}}],
    }
    project = attack_project(tmp_path, [json.dumps({"id": "a", "input": "x", "expected": expected})])
    proc, written = _gate(project)
    row = json.loads((project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    misses = row["expectation_misses"]
    assert any(m.startswith("output does not contain") and "[GITHUB_TOKEN" in m for m in misses), misses
    assert any(m.startswith("expected tool call") and "[GITHUB_TOKEN" in m for m in misses), misses
    for key in (DATASET_KEY, ARGUMENT_KEY):
        assert key[:14] not in written, key


SECRET_AGENT = f"""
def run(case_input, context=None):
    return {{
        "output": "your key is {OUTPUT_KEY}, mail {EMAIL}",
        "tool_calls": [
            {{"name": "lookup", "arguments": {{"note": "p" * 90 + " {AGENT_KEY}", "password": "{PASSWORD}"}}}},
        ],
    }}
"""

TOOLS_ONLY_POLICY = """\
id: tools-only
version: "1"
rules:
  - id: tools
    kind: tools
    allow: [lookup]
    outcome: deny
  - id: let-github-tokens-through
    kind: sensitive_data
    scan: [output, tool_arguments]
    outcomes: {GITHUB_TOKEN: allow, EMAIL_ADDRESS: allow}
"""


@pytest.mark.parametrize("rules", ["tools only", "secret allowed"])
def test_secrets_the_policy_leaves_in_a_response_are_written_nowhere(tmp_path: Path, rules: str) -> None:
    """A policy that does not scan for secrets (or allows one) decided what the agent delivers, and results.jsonl,
    verdict.json, report.html and MLflow got the agent's key raw; personal data stays the policy's decision."""
    expected = {"tool_calls": [{"name": "lookup", "arguments": {"note": "other"}}]}
    project = attack_project(tmp_path, [json.dumps({"id": "a", "input": "x", "expected": expected})])
    (project / "agent23.py").write_text(SECRET_AGENT, encoding="utf-8")
    policy = TOOLS_ONLY_POLICY if rules == "secret allowed" else TOOLS_ONLY_POLICY.split("  - id: let")[0]
    (project / "policy23.yaml").write_text(policy, encoding="utf-8")
    proc, written = _gate(project, "--policy", "policy23.yaml", agent="python:agent23:run")
    assert proc.returncode == 0, proc.stdout + proc.stderr  # the policy allows the response: it is delivered
    row = json.loads((project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert row["response"]["output"] == f"your key is [GITHUB_TOKEN], mail {EMAIL}"
    assert row["response"]["tool_calls"][0]["arguments"] == {
        "note": "p" * 90 + " [GITHUB_TOKEN]",
        "password": "[GENERIC_SECRET]",
    }
    for secret in (OUTPUT_KEY, AGENT_KEY, PASSWORD):
        assert secret[:14] not in written, secret
    assert EMAIL in written  # the policy allows it: shown as the agent wrote it


POLICY_TESTS = """\
policy: policy23.yaml
tests:
  - name: the key is redacted
    response: {output: "your key OUTPUT_KEY"}
    expect: {output: "your key [GITHUB_TOKEN]"}
  - name: the tool is allowed
    response: {output: "x", tool_calls: [{name: "AGENT_KEY", arguments: {}}]}
    expect: {outcome: allow}
"""


def test_policy_test_failures_name_a_secret_the_policy_left_without_printing_it(tmp_path: Path) -> None:
    """A failing policy test quoted the redacted output and the reasons as they were: a key the policy failed to
    redact (the very thing the test catches) was printed raw into the CI log."""
    (tmp_path / "policy23.yaml").write_text(TOOLS_ONLY_POLICY.split("  - id: let")[0], encoding="utf-8")
    tests = POLICY_TESTS.replace("OUTPUT_KEY", OUTPUT_KEY).replace("AGENT_KEY", AGENT_KEY)
    (tmp_path / "tests23.yaml").write_text(tests, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "gatekit", "policy", "test", "tests23.yaml"]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "redacted output 'your key [GITHUB_TOKEN]' (the policy left a GITHUB_TOKEN in it" in proc.stdout
    assert "outcome 'deny', expected 'allow'" in proc.stdout and "[GITHUB_TOKEN]" in proc.stdout
    for secret in (OUTPUT_KEY, AGENT_KEY):
        assert secret[:14] not in proc.stdout + proc.stderr, secret


ERROR_KEYS = {
    "answer": "ghp_" + "ErrBodyQ7wErTy9UiOp1AsDfGh2JkLzXcVbNmQw",
    "key": "ghp_" + "AnsKeyzQ7wErTy9UiOp1AsDfGh2JkLzXcVbNmQw",
    "exit": "ghp_" + "SysExitQ7wErTy9UiOp1AsDfGh2JkLzXcVbNmQw",
    "interrupt": "ghp_" + "KbIntrQ7wErTy9UiOp1AsDfGh2JkLzXcVbNmQwe",
}
ERROR_AGENT = f"""
import sys

def run(case_input, context=None):
    keys = {ERROR_KEYS!r}
    if case_input == "answer":  # an error answered instead of an output: quoted to 300 characters
        return {{"error": {{"message": "e" * 290 + " " + keys["answer"]}}}}
    if case_input == "key":  # a mapping without output: its keys quoted to 40 characters
        return {{"x" * 20 + " " + keys["key"]: 1}}
    if case_input == "exit":  # sys.exit in agent code: quoted to 200 characters
        sys.exit("x" * 190 + " " + keys["exit"])
    if case_input == "interrupt":
        raise KeyboardInterrupt("y" * 190 + " " + keys["interrupt"])
    return {{"output": "ok"}}
"""


def test_an_agent_error_cut_to_length_leaves_no_piece_of_a_key(tmp_path: Path) -> None:
    """An error answered instead of an output, the keys of a mapping without one, ``sys.exit`` or a KeyboardInterrupt
    in agent code: each message was cut to a length before anything scrubbed it, so a key across the cut left its
    first characters (``ghp_ErrBo``), which no detector recognises, in results.jsonl, verdict.json, JUnit, MLflow."""
    rows = [json.dumps({"id": name, "input": name}) for name in (*ERROR_KEYS, "fine")]
    project = attack_project(tmp_path, rows)
    (project / "agent23.py").write_text(ERROR_AGENT, encoding="utf-8")
    proc, written = _gate(project, agent="python:agent23:run")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # four of five cases failed
    messages = [
        json.loads(line)["error_message"]
        for line in (project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert sum("[GITHUB_T" in (m or "") for m in messages) >= 3, messages
    for key in ERROR_KEYS.values():
        assert key[:9] not in written, key


AZURE_KEY = "9f8e7d6c5b4a39281706aabbccddeeff"  # a 32-hex key: no detector tells it from a digest
ENV_AGENT = """
import os

def run(case_input, context=None):
    raise ValueError("401 Access denied due to invalid subscription key " + os.environ["AZURE_OPENAI_KEY"])
"""


def test_a_credential_named_only_key_in_the_environment_is_written_nowhere(tmp_path: Path) -> None:
    """``AZURE_OPENAI_KEY``, ``STRIPE_KEY``: a variable whose name ends in a bare ``_KEY`` was no credential to the
    gate, so an agent's exception quoting its value (Azure's 401 does) went into results.jsonl, JUnit and MLflow."""
    project = attack_project(tmp_path, ['{"id": "a", "input": "hi"}'])
    (project / "agent23.py").write_text(ENV_AGENT, encoding="utf-8")
    flags = ["--out", "out", "--junit", "out/j.xml", "--tracking-uri", f"sqlite:///{project}/mlflow.db"]
    proc = attack_gate(project, *flags, env={"AZURE_OPENAI_KEY": AZURE_KEY}, agent="python:agent23:run")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    row = json.loads((project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert row["error_message"].endswith("invalid subscription key [GENERIC_SECRET]"), row["error_message"]
    assert AZURE_KEY[:12] not in _written(project, proc, skip=("ds.jsonl", "agent23.py"))


QUOTE_KEY = "ghp_" + "QuoteKeyQ7wErTy9UiOp1AsDfGh2JkLzXcVbNmQ"
QUOTE_AGENT = f"""
def run(case_input, context=None):
    if case_input == "error":
        raise ValueError('search q=%22shoes%22 refused for key {QUOTE_KEY}')
    return {{"output": "see https://example.com/search?q=%22shoes%22 for more"}}
"""


def test_a_percent_escaped_quote_neither_ends_the_gate_nor_prints_a_key(tmp_path: Path) -> None:
    """``%22`` (a URL's quote) matched the percent-escape pattern but had no character to decode to: every scan of a
    text holding it twice raised KeyError. An agent's error quoting such a URL ended the gate with a traceback
    printing the error, key and all, to the CI log (exit 1, as if the verdict failed); an output linking to one was
    denied by a rule error."""
    from gatekit.governance import scan

    assert [f.type for f in scan(f"a %22b%22 {QUOTE_KEY}")] == ["GITHUB_TOKEN"]
    project = attack_project(tmp_path, ['{"id": "error", "input": "error"}', '{"id": "link", "input": "link"}'])
    (project / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 60%}\n", encoding="utf-8")
    (project / "agent23.py").write_text(QUOTE_AGENT, encoding="utf-8")
    proc, written = _gate(project, agent="python:agent23:run")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    rows = [json.loads(line) for line in (project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0]["error_message"] == "ValueError: search q=%22shoes%22 refused for key [GITHUB_TOKEN]"
    assert rows[1]["decision"]["outcome"] == "allow", rows[1]["decision"]  # no rule error on the link
    assert QUOTE_KEY[:14] not in written


LAST_RESORT = """
import sys
import gatekit.cli, gatekit.redact

def broken(text):
    raise KeyError("redaction failed")

def command():
    raise RuntimeError("internal failure quoting " + sys.argv[1])

gatekit.redact.scrub_message = broken
gatekit.cli.app = lambda **kwargs: command()
gatekit.cli.main()
"""


def test_an_internal_error_whose_message_cannot_be_redacted_is_not_shown(tmp_path: Path) -> None:
    """The last line of defence scrubbed the internal error's message; when that scrub raised, Python printed both
    tracebacks, the message raw among them."""
    (tmp_path / "last23.py").write_text(LAST_RESORT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run(
        [sys.executable, "last23.py", QUOTE_KEY], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert proc.stderr.strip() == (
        "internal error: RuntimeError (its message is not shown: it could not be redacted)"
    ), proc.stderr
    assert QUOTE_KEY[:14] not in proc.stdout + proc.stderr


def test_a_database_error_quoting_a_value_is_scrubbed_before_its_cut() -> None:
    """DuckDB's conversion error quotes the value; gatekit cut the message to 400 characters, then the error line was
    scrubbed: a key across the cut left its first characters (what the engine's errors show)."""
    import duckdb

    from gatekit.production.duckdb_engine import _one_line
    from gatekit.redact import scrub_message_cut

    key = "ghp_" + "DuckErrKQ7wErTy9UiOp1AsDfGh2JkLzXcVbNmQ"
    for pad in (320, 330, 340):  # the key starts before the 400th character and ends after it
        with pytest.raises(duckdb.Error) as info:
            duckdb.sql(f"SELECT CAST('{'z' * pad} {key}' AS DOUBLE)").fetchall()
        shown = _one_line(info.value)
        assert len(shown) <= 400 and key[:9] not in shown and "[GITH" in shown, shown
    # the helper keeps a host someone configured readable, as the error line does
    assert (
        scrub_message_cut(f"cannot reach 10.1.2.3: {'x' * 20} {key}", 40) == f"cannot reach 10.1.2.3: {'x' * 20}"[:40]
    )
    assert scrub_message_cut(f"{'x' * 30} {key} tail", 45) == f"{'x' * 30} [GITHUB_TOKEN]"


NESTED_KEY = "ghp_" + "NestedUrlQ7wErTy9UiOp1AsDfGh2JkLzXcVbNm"
NESTED_AGENT = f"""
def run(case_input, context=None):
    return {{"output": "sign in at https://app.example/login?next=https%3A%2F%2Fapi.example%2Fcb%3Ftoken%3D{NESTED_KEY}"}}
"""


def test_a_key_inside_a_url_escaped_into_another_urls_query_is_found_and_written_nowhere(tmp_path: Path) -> None:
    """``?next=https%3A%2F%2Fh%2F%3Ftoken%3Dghp_...``: the key was glued to ``%3D``, so no rule found it; the default
    policy allowed the answer and results.jsonl, verdict.json, report.html and MLflow got the key raw."""
    from gatekit.governance import scan

    found = scan(f"x?next=https%3A%2F%2Fh%2F%3Ftoken%3D{NESTED_KEY}&a=1")
    assert [(f.type, f.value) for f in found] == [("GITHUB_TOKEN", NESTED_KEY)]
    project = attack_project(tmp_path, ['{"id": "a", "input": "hi"}'])
    (project / "agent23.py").write_text(NESTED_AGENT, encoding="utf-8")
    proc, written = _gate(project, agent="python:agent23:run")
    row = json.loads((project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert row["decision"]["outcome"] == "deny", row["decision"]  # the default pack denies credentials
    assert "%3D[GITHUB_TOKEN]" in row["response"]["output"], row["response"]
    assert NESTED_KEY[:14] not in written


STDERR_KEY = "ghp_" + "StderrKeQ7wErTy9UiOp1AsDfGh2JkLzXcVbNmQ"
READY_KEY = "ghp_" + "ReadyLnKeQ7wErTy9UiOp1AsDfGh2JkLzXcVbNm"
STDERR_WORKER = f"""
import json, sys
if sys.argv[1:] == ["ready"]:  # a first line that is not the ready line, quoted to 120 characters
    print("starting " + "s" * 100 + " {READY_KEY}", flush=True)
for line in sys.stdin:
    request = json.loads(line)
    # one stderr line over the 4,096 bytes kept of a line, the key across that cut, then a short line
    sys.stderr.write("x" * 4080 + " {STDERR_KEY} tail\\n" + "y" * 100 + "\\n")
    sys.stderr.flush()
    print(json.dumps({{"id": request["id"], "error": "rejected"}}), flush=True)
"""


@pytest.mark.parametrize("ready", [False, True])
def test_a_cmd_workers_line_cut_to_length_leaves_no_piece_of_a_key(tmp_path: Path, ready: bool) -> None:
    """A stderr line is kept to 4,096 bytes and a first line that is not the ready line is quoted to 120: both were cut
    before anything scrubbed them, so a key across the cut left its first characters in results.jsonl or the error."""
    project = attack_project(tmp_path, ['{"id": "a", "input": "hi"}'])
    (project / "worker23.py").write_text(STDERR_WORKER, encoding="utf-8")
    agent = f"cmd:{sys.executable} worker23.py" + (" ready" if ready else "")
    if ready:
        (project / "gatekit.yaml").write_text("agent_options:\n  extra: {ready_line: true}\n", encoding="utf-8")
        proc = attack_gate(project, "--config", "gatekit.yaml", "--out", "out", "--no-mlflow", agent=agent)
        assert proc.returncode == 2 and "[GITHUB_T" in proc.stderr, proc.stdout + proc.stderr
        written = _written(project, proc, skip=("worker23.py",))
    else:
        proc, written = _gate(project, agent=agent)
        row = json.loads((project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
        assert row["error_message"].startswith("rejected; stderr: ") and "x …\nyyy" in row["error_message"], row
    for key in (STDERR_KEY, READY_KEY):
        assert key[:9] not in written, key


BODY_KEY = "ghp_" + "NotJsonBQ7wErTy9UiOp1AsDfGh2JkLzXcVbNmQ"
HEAD_KEY = "ghp_" + "BadHeadLQ7wErTy9UiOp1AsDfGh2JkLzXcVbNmQ"
LINE_KEY = "ghp_" + "StdoutLnQ7wErTy9UiOp1AsDfGh2JkLzXcVbNmQ"


class _Garbled(http.server.BaseHTTPRequestHandler):
    """Answers a body that is not JSON (its key across the 80-byte quote), or a head with a line that is no header."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if b"head" in body:
            self.wfile.write(f"HTTP/1.1 200 OK\r\n{'h' * 60} {HEAD_KEY}\r\n\r\n".encode())
            return
        answer = f"upstream says {'b' * 50} {BODY_KEY} end".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


LINE_WORKER = f"""
import sys
for line in sys.stdin:
    print("not json " + "n" * 100 + " {LINE_KEY}", flush=True)
"""


@pytest.mark.parametrize("agent", ["http body", "http head", "cmd line"])
def test_an_answer_quoted_in_its_error_leaves_no_piece_of_a_key(tmp_path: Path, agent: str) -> None:
    """A 2xx body that is not JSON (quoted to 80 bytes), a response head line that is no header (80), a stdout line of
    a cmd: worker that is not JSON (120): each quote was cut before anything scrubbed it."""
    project = attack_project(tmp_path, [json.dumps({"id": "a", "input": agent.split()[1]})])
    (project / "worker23.py").write_text(LINE_WORKER, encoding="utf-8")
    with serve_http(_Garbled) as port:
        spec = f"http://127.0.0.1:{port}/v1/chat/completions" if agent.startswith("http") else ""
        spec = spec or f"cmd:{sys.executable} worker23.py"
        (project / "gatekit.yaml").write_text("retries: 0\nagent_options: {model: m1}\n", encoding="utf-8")
        proc, written = _gate(project, "--config", "gatekit.yaml", agent=spec)
    row = json.loads((project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert "[GITH" in row["error_message"], row["error_message"]
    for key in (BODY_KEY, HEAD_KEY, LINE_KEY):
        assert key[:9] not in written, key


PATH_KEY = "ghp_" + "ArgPathKQ7wErTy9UiOp1AsDfGh2JkLzXcVbNmQ"
PATH_AGENT = f"""
def run(case_input, context=None):
    return {{"output": "x", "tool_calls": [{{"name": "lookup", "arguments": {{"note {PATH_KEY}": {{1, 2}}}}}}]}}
"""


def test_an_argument_key_cut_in_an_errors_path_leaves_no_piece_of_a_key(tmp_path: Path) -> None:
    """An argument that is no JSON data is named by its path, each key cut to 40 characters: a key across the cut
    (``note ghp_...``) left its first 35 characters in the case's error."""
    project = attack_project(tmp_path, ['{"id": "a", "input": "hi"}'])
    (project / "agent23.py").write_text(PATH_AGENT, encoding="utf-8")
    proc = attack_gate(project, "--out", "out", "--no-mlflow", agent="python:agent23:run")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    row = json.loads((project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert row["error_message"] == "agent returned a value of type set at arguments.note …; expected JSON data"
    assert PATH_KEY[:9] not in _written(project, proc, skip=("ds.jsonl", "agent23.py"))
