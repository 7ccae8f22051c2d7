"""attack16b: raw control characters (ESC, BEL, DEL, C1) from agents, datasets, paths and production rows are shown
escaped (``\\x1b``) in report.html, canary.html, drift.html, JUnit XML, the step summary and on the terminal.

An agent's output ``\\x1b]0;title\\x07``, a tool named ``tool\\x1b[31mX`` or a case id ``c\\x07b`` reached report.html
raw (inert behind the CSP, but not what the agent sent as a reader sees it); a path holding ``\\x1b[2J`` reached the
terminal raw in the error line and the summary's ``report`` line, so it cleared the screen of whoever ran the gate.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from canary.traffic import now_after, traffic, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # what must never be written raw (tab and line feed may)

AGENT = '''
def run(case_input, context=None):
    if case_input == "boom":
        raise RuntimeError("bad \\x1b[31mRED\\x1b[0m bell\\x07 c1\\x9b31m end")
    return {"output": "hi \\x1b]0;title\\x07 \\x1b[2J out \\x85 del\\x7f",
            "tool_calls": [{"name": "tool\\x1b[31mX", "arguments": {"q": "\\x1b[1m"}}],
            "model": "mdl\\x1b[5m", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
'''


def _env(cwd: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "GITHUB_"))}
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{cwd}"
    env.update(extra)
    return env


def _project(tmp_path: Path) -> Path:
    (tmp_path / "agentc.py").write_text(AGENT, encoding="utf-8")
    rows = [
        {"id": "case\x1b[31mA", "input": "x", "expected": {"output_contains": ["nope\x1b[1m"]}},
        {"id": "c\x07b", "input": "boom"},
    ]
    (tmp_path / "ds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    return tmp_path


def _eval(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "gatekit", "eval", "--agent", "python:agentc:run", "--thresholds", "th.yaml"]
    command += ["--policy", str(ROOT / "policies" / "default.yaml"), "--no-mlflow", "--retries", "0", *args]
    return subprocess.run(command, cwd=cwd, env=_env(cwd, **env), capture_output=True, timeout=180)


def _on_a_terminal(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, bytes]:
    """Run ``command`` with stdout and stderr on a pseudo-terminal (click strips ANSI styles only off a terminal)."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    seen = b"".join(chunks).replace(b"\r\n", b"\n")
    # gatekit's own colour: the verdict word at a line's start (click styles it on a terminal)
    return proc.wait(timeout=180), re.sub(rb"(?m)^(?:\x1b\[[0-9;]*m)+(PASS|FAIL|INCONCLUSIVE)\x1b\[0m", rb"\1", seen)


def _no_raw_controls(data: bytes | str, where: str) -> str:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    found = sorted(set(RAW.findall(text)))
    assert not found, (where, found)
    return text


def test_the_gate_s_files_and_terminal_show_controls_escaped(tmp_path: Path) -> None:
    cwd = _project(tmp_path)
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    proc = _eval(
        cwd, "--dataset", "ds.jsonl", "--out", "rep", "--junit", "rep/j.xml",
        GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(outputs),
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    _no_raw_controls(proc.stdout, "stdout")
    _no_raw_controls(proc.stderr, "stderr")
    html = _no_raw_controls((cwd / "rep" / "report.html").read_bytes(), "report.html")
    assert "tool\\x1b[31mX" in html and "\\x1b]0;title\\x07" in html and "c\\x07b" in html
    junit = _no_raw_controls((cwd / "rep" / "j.xml").read_bytes(), "junit")
    names = {tc.get("name") for tc in ET.parse(cwd / "rep" / "j.xml").getroot().iter("testcase")}
    assert "c\\x07b" in names, (names, junit[:300])
    _no_raw_controls(summary.read_bytes(), "step summary")


def test_a_path_holding_escape_sequences_reaches_the_terminal_escaped(tmp_path: Path) -> None:
    cwd = _project(tmp_path)
    proc = _eval(cwd, "--dataset", "no\x1b[2Jfile\x07.jsonl", "--out", "rep", GITHUB_ACTIONS="true")
    assert proc.returncode == 2
    err = _no_raw_controls(proc.stderr, "stderr")
    _no_raw_controls(proc.stdout, "stdout (the ::error annotation)")
    assert "no\\x1b[2Jfile\\x07.jsonl" in err, err
    command = [sys.executable, "-m", "gatekit", "eval", "--agent", "python:agentc:run", "--thresholds", "th.yaml"]
    command += ["--policy", str(ROOT / "policies" / "default.yaml"), "--no-mlflow", "--dataset", "ds.jsonl"]
    code, seen = _on_a_terminal([*command, "--out", "rep\x1b[2J\x9b"], cwd, _env(cwd, CI="true"))  # no live bar
    assert code == 1, seen
    out = _no_raw_controls(seen, "terminal")
    assert "rep\\x1b[2J\\x9b" in out, out


def test_canary_terminal_and_html_show_controls_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "logs\x1b[2J"
    folder.mkdir()
    logs = write_jsonl(folder / "rows\x07.jsonl", traffic(30))
    command = [sys.executable, "-m", "gatekit", "canary", "--logs", str(logs), "--now", now_after(30), "--no-mlflow"]
    out = tmp_path / "out\x1b[31m"
    code, seen = _on_a_terminal([*command, "--out", str(out)], tmp_path, _env(tmp_path))
    assert code == 0, seen
    text = _no_raw_controls(seen, "terminal")
    assert "out\\x1b[31m" in text, text
    html = _no_raw_controls((out / "canary.html").read_bytes(), "canary.html")
    assert "logs\\x1b[2J" in html
    missing = [*command[:5], str(folder / "gone\x1b[2J.jsonl"), *command[6:], "--out", str(out)]
    code, seen = _on_a_terminal(missing, tmp_path, _env(tmp_path))
    assert code == 2
    assert "gone\\x1b[2J" in _no_raw_controls(seen, "terminal")


def test_drift_html_shows_a_category_s_controls_escaped(tmp_path: Path) -> None:
    reference = tmp_path / "golden.jsonl"
    reference.write_text(
        "".join(
            json.dumps({"id": f"c{i}", "input": f"order {i}?", "context": {"role": "admin\x1b[31m" if i % 2 else "u"}})
            + "\n"
            for i in range(40)
        ),
        encoding="utf-8",
    )
    production = tmp_path / "prod.jsonl"
    production.write_text(
        "".join(
            json.dumps({"id": f"p{i}", "input": f"order {i}?", "context": {"role": "guest\x07\x9b" if i % 3 else "u"}})
            + "\n"
            for i in range(60)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", str(reference), "--production", str(production)]
    proc = subprocess.run(
        [*command, "--no-mlflow", "--out", str(out)], env=_env(tmp_path), capture_output=True, timeout=180
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    _no_raw_controls(proc.stdout, "stdout")
    _no_raw_controls(proc.stderr, "stderr")
    html = _no_raw_controls((out / "drift.html").read_bytes(), "drift.html")
    assert "guest\\x07\\x9b" in html


def test_traces_prints_c1_controls_and_del_as_json_escapes(tmp_path: Path) -> None:
    """``gatekit traces`` printed JSON with ensure_ascii=False: C0 is escaped by JSON, DEL and C1 (CSI) were raw."""
    cwd = _project(tmp_path)
    rows = [{"id": "c\x9b2Jx\x7f", "input": "x"}, {"id": "plain", "input": "y"}]
    (cwd / "ds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    proc = _eval(cwd, "--dataset", "ds.jsonl", "--out", "rep")
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    command = [sys.executable, "-m", "gatekit", "traces", str(cwd / "rep" / "governance_traces.jsonl")]
    shown = subprocess.run(command, cwd=cwd, env=_env(cwd), capture_output=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    text = _no_raw_controls(shown.stdout, "traces stdout")
    ids = {json.loads(line).get("case_id") for line in text.splitlines() if line.strip()}
    assert "c\x9b2Jx\x7f" in ids, ids  # the same value, as JSON escapes
