"""attack18b: a ``cmd:`` worker writing more than one line per request never has a line taken for another case.

The protocol is one answer line per request, but gatekit read one line per call: a worker that wrote two JSON lines
(a log line on stdout, an answer and a correction) left the second in the pipe, and the next case, served by the
same worker, got it as its answer at once: a wrong answer recorded for the wrong case, with ~1 ms of latency, and a
passing gate. Now a worker with output nobody asked for is replaced before it serves another case, and an answer
that carries an integer ``id`` other than the request's is an ``invalid_response`` (its worker replaced).
"""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from conftest import attack_gate

from gatekit.agents import AgentCallError, AgentOptions
from gatekit.agents.cmd import CmdAgent
from gatekit.models import ErrorType

TWO_LINES = textwrap.dedent(
    """
    import json, sys
    for line in sys.stdin:
        request = json.loads(line)
        print(json.dumps({"output": "answer to " + request["input"]}), flush=True)
        print(json.dumps({"output": "stray after " + request["input"]}), flush=True)
    """
)

ONE_WRITE = textwrap.dedent(
    """
    import json, os, sys
    for line in sys.stdin:
        request = json.loads(line)
        log = json.dumps({"output": "log: working on " + request["input"]})
        answer = json.dumps({"output": "answer to " + request["input"]})
        os.write(1, (log + "\\n" + answer + "\\n").encode())
    """
)

LATE_LINE = textwrap.dedent(
    """
    import json, sys, threading, time
    def late(request_id):
        time.sleep(0.3)
        print(json.dumps({"id": request_id, "output": "late line of request %d" % request_id}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request["input"] == "q1":
            time.sleep(0.6)  # q0's late line comes out first
        print(json.dumps({"id": request["id"], "output": "answer to " + request["input"]}), flush=True)
        if request["input"] == "q0":
            threading.Thread(target=late, args=(request["id"],)).start()
    """
)

OWN_IDS = textwrap.dedent(
    """
    import json, sys
    for line in sys.stdin:
        request = json.loads(line)
        print(json.dumps({"id": "chatcmpl-%d" % request["id"], "output": "answer to " + request["input"]}), flush=True)
    """
)


def _calls(tmp_path: Path, worker: str, inputs: list[str], pause_s: float) -> list[Any]:
    (tmp_path / "worker.py").write_text(worker, encoding="utf-8")

    async def go() -> list[Any]:
        agent = CmdAgent(f"cmd:{sys.executable} {tmp_path / 'worker.py'}", AgentOptions(concurrency=1))
        await agent.start()
        answers: list[Any] = []
        try:
            for text in inputs:
                try:
                    answers.append((await asyncio.wait_for(agent.call(text, {}), 20)).output)
                except AgentCallError as exc:
                    answers.append(exc)
                await asyncio.sleep(pause_s)
        finally:
            await agent.close()
        return answers

    return asyncio.run(go())


def test_a_second_line_is_never_the_next_cases_answer(tmp_path: Path) -> None:
    answers = _calls(tmp_path, TWO_LINES, ["q0", "q1", "q2", "q3"], pause_s=0.2)
    for text, answer in zip(["q0", "q1", "q2", "q3"], answers, strict=True):
        # its own answer, or (the stray line already there when the answer was read) an invalid response
        if isinstance(answer, AgentCallError):
            assert answer.error_type == ErrorType.INVALID_RESPONSE and "more than one line" in str(answer)
        else:
            assert answer == f"answer to {text}", answers


def test_two_lines_written_at_once_are_an_invalid_response(tmp_path: Path) -> None:
    answers = _calls(tmp_path, ONE_WRITE, ["q0", "q1"], pause_s=0.0)
    assert all(isinstance(answer, AgentCallError) for answer in answers), answers
    assert all(answer.error_type == ErrorType.INVALID_RESPONSE and not answer.retryable for answer in answers)
    assert "more than one line" in str(answers[0])


def test_a_late_line_with_an_earlier_id_is_an_invalid_response(tmp_path: Path) -> None:
    answers = _calls(tmp_path, LATE_LINE, ["q0", "q1", "q2"], pause_s=0.0)
    assert answers[0] == "answer to q0"
    assert isinstance(answers[1], AgentCallError), answers
    assert answers[1].error_type == ErrorType.INVALID_RESPONSE and not answers[1].retryable
    assert "id" in str(answers[1])
    assert answers[2] == "answer to q2"  # on a fresh worker


def test_an_id_of_the_agents_own_is_not_checked(tmp_path: Path) -> None:
    assert _calls(tmp_path, OWN_IDS, ["q0", "q1"], pause_s=0.0) == ["answer to q0", "answer to q1"]


def test_a_two_line_worker_does_not_pass_the_gate_with_shifted_answers(tmp_path: Path) -> None:
    """Through ``gatekit eval``: no case's recorded answer is another's (here: every case an invalid response)."""
    (tmp_path / "worker.py").write_text(ONE_WRITE, encoding="utf-8")
    rows = [{"id": f"c{i}", "input": f"q{i}", "expected": {"output_contains": [f"answer to q{i}"]}} for i in range(4)]
    (tmp_path / "ds.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    (tmp_path / "gatekit.yaml").write_text("agent_options:\n  extra: {workers: 1}\n", encoding="utf-8")
    agent = f"cmd:{sys.executable} {tmp_path / 'worker.py'}"
    proc = attack_gate(tmp_path, "-c", "gatekit.yaml", "--no-mlflow", "--out", "out", agent=agent)
    assert proc.returncode == 1, proc.stderr[-2000:]
    lines = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(row["error_type"] for row in map(json.loads, lines)) == ["invalid_response"] * 4
    verdict = json.loads((tmp_path / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["verdict"] == "fail"
