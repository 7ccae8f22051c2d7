"""attack21a: bad adapter settings in gatekit.yaml are one line naming the setting, exit 2 — not exit 3 or a silent run.

Was: ``extra.body: abc`` (HTTP) and an ``extra.env`` name holding ``=`` (cmd) an internal error, exit 3;
``extra.method: "GET /x"`` sent a malformed request line for every case; ``response_paths: {output: [a]}`` read the
path ``"['a']"``; ``extra.env: {FOO: null}`` gave the worker ``FOO=None``; ``extra.workers: true`` ran one worker;
a gatekit.yaml holding a NUL byte was an internal error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import attack_gate, attack_project, one_line_exit_2

WORKER = """
import json, sys
for line in sys.stdin:
    print(json.dumps({"output": "ok"}), flush=True)
"""


@pytest.mark.parametrize(
    ("agent", "extra", "says"),
    [
        ("http://127.0.0.1:9/v1", "{body: abc}", "agent_options.extra.body: expected a mapping"),
        ("http://127.0.0.1:9/v1", "{body: [1, 2]}", "agent_options.extra.body: expected a mapping"),
        ("http://127.0.0.1:9/v1", '{method: "GET /x"}', "agent_options.extra.method: expected an HTTP method"),
        ("http://127.0.0.1:9/v1", "{response_paths: {output: [a]}}", "response_paths.output: expected a dotted path"),
        ("cmd", "{workers: true}", "agent_options.extra.workers: expected a positive integer"),
        ("cmd", "{env: {FOO: null}}", "agent_options.extra.env.FOO: expected a string or a number"),
        ("cmd", '{env: {"A=B": x}}', "agent_options.extra.env: 'A=B' is not an environment variable name"),
        ("cmd", '{env: {A: "x\\0y"}}', "agent_options.extra.env.A: expected a string or a number (no NUL)"),
    ],
)
def test_a_bad_adapter_setting_is_one_line_exit_2(tmp_path: Path, agent: str, extra: str, says: str) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": "c1", "input": "hi"})])
    (project / "worker.py").write_text(WORKER, encoding="utf-8")
    (project / "gatekit.yaml").write_text(f"agent_options:\n  extra: {extra}\n", encoding="utf-8")
    spec = f"cmd:{sys.executable} worker.py" if agent == "cmd" else agent
    line = one_line_exit_2(attack_gate(project, "--out", "out", "--no-mlflow", agent=spec))
    assert says in line and "gatekit.yaml" in line, line


def test_a_gatekit_yaml_holding_a_nul_byte_is_one_line_exit_2(tmp_path: Path) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": "c1", "input": "hi"})])
    (project / "gatekit.yaml").write_text("timeout: 10\nexperiment: a\x00b\n", encoding="utf-8")
    line = one_line_exit_2(attack_gate(project, "--out", "out", "--no-mlflow"))
    assert "gatekit.yaml" in line and "U+0000" in line, line
