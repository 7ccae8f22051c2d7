"""attack16b: a ``cmd:`` worker flooding stderr costs bounded memory and never stalls the case.

The stderr drain read whole lines (``readline`` with the 64 MiB stdout limit) and kept the last 40: a worker
writing 40 lines of 4 MB per case held ~300 MB in gatekit; a stderr line longer than 64 MiB (or a flood with
no line break) stopped the drain, the worker blocked on its full stderr pipe and every case timed out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HARNESS = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from gatekit.agents import AgentOptions
    from gatekit.agents.cmd import CmdAgent

    async def main():
        agent = CmdAgent("cmd:" + sys.argv[1], AgentOptions(concurrency=1))
        await agent.start()
        outputs, t0 = [], time.perf_counter()
        try:
            for i in range(int(sys.argv[2])):
                response = await asyncio.wait_for(agent.call(f"q{i}", {}), 60)
                outputs.append(response.output)
        finally:
            await agent.close()
        # VmHWM: this process's peak since exec (ru_maxrss would include the pytest process it was forked from)
        hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
        rss = int(hwm.split()[1]) / 1024
        print(json.dumps({"outputs": outputs, "rss_mb": rss, "seconds": time.perf_counter() - t0}))

    asyncio.run(main())
    """
)

FLOODER = textwrap.dedent(
    """
    import json, sys
    line = "e" * (4 * 1024 * 1024) + "\\n"
    for request in sys.stdin:
        case = json.loads(request)
        for _ in range(40):
            sys.stderr.write(line)
        sys.stderr.flush()
        print(json.dumps({"output": "done " + case["input"]}), flush=True)
    """
)

NO_BREAK = textwrap.dedent(
    """
    import json, os, sys
    block = b"x" * (1024 * 1024)
    for request in sys.stdin:
        case = json.loads(request)
        for _ in range(70):
            os.write(2, block)  # 70 MiB of stderr without a line break
        print(json.dumps({"output": "done " + case["input"]}), flush=True)
    """
)


def _harness(tmp_path: Path, worker: str, cases: int) -> dict[str, object]:
    (tmp_path / "worker.py").write_text(worker, encoding="utf-8")
    (tmp_path / "harness.py").write_text(HARNESS, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, str(tmp_path / "harness.py"), f"{sys.executable} {tmp_path / 'worker.py'}", str(cases)]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_forty_lines_of_4_mb_per_case_cost_bounded_memory(tmp_path: Path) -> None:
    result = _harness(tmp_path, FLOODER, 3)
    assert result["outputs"] == ["done q0", "done q1", "done q2"]
    assert float(result["rss_mb"]) < 150, result  # 40 x 4 MB lines were kept whole: ~300 MB and more


def test_a_stderr_flood_without_line_breaks_does_not_stall_the_worker(tmp_path: Path) -> None:
    result = _harness(tmp_path, NO_BREAK, 3)
    assert result["outputs"] == ["done q0", "done q1", "done q2"]
    assert float(result["seconds"]) < 30, result
    assert float(result["rss_mb"]) < 150, result


DEEP = textwrap.dedent(
    """
    import sys
    for request in sys.stdin:
        sys.stdout.write('{"output": "x", "tool_calls": [{"name": "t", "arguments": ' + '{"a":' * 100000 + "1"
                         + "}" * 100001 + "]}\\n")
        sys.stdout.flush()
    """
)


def test_a_json_line_nested_too_deep_is_an_invalid_response_not_a_retried_exception(tmp_path: Path) -> None:
    (tmp_path / "worker.py").write_text(DEEP, encoding="utf-8")
    code = textwrap.dedent(
        f"""
        import asyncio
        from gatekit.agents import AgentCallError, AgentOptions
        from gatekit.agents.cmd import CmdAgent

        async def main():
            agent = CmdAgent({"cmd:" + sys.executable + " " + str(tmp_path / "worker.py")!r}, AgentOptions(concurrency=1))
            await agent.start()
            try:
                await agent.call("q", {{}})
            except AgentCallError as exc:
                print(exc.error_type.value, exc.retryable)
            finally:
                await agent.close()

        asyncio.run(main())
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.stdout.split() == ["invalid_response", "False"], proc.stdout + proc.stderr[-2000:]


FORKER = textwrap.dedent(
    """
    import json, os, subprocess, sys
    for request in sys.stdin:
        case = json.loads(request)
        if case["input"] == "q1":
            # a process of its own session that keeps the worker's stdout open, then the worker dies
            child = "import os, sys, time; os.setsid(); print(os.getpid(), file=sys.stderr, flush=True); time.sleep(20)"
            subprocess.Popen([sys.executable, "-c", child], stdout=sys.stdout, stderr=open(sys.argv[1], "w"))
            os._exit(0)
        print(json.dumps({"output": "done " + case["input"]}), flush=True)
    """
)


def test_a_worker_that_dies_while_its_child_keeps_stdout_open_fails_the_case_at_once(tmp_path: Path) -> None:
    """No end of file arrives (the child holds the pipe): the case waited for the attempt timeout, reported as one."""
    (tmp_path / "worker.py").write_text(FORKER, encoding="utf-8")
    pid_file = tmp_path / "child.pid"
    code = textwrap.dedent(
        f"""
        import asyncio, time
        from gatekit.agents import AgentCallError, AgentOptions
        from gatekit.agents.cmd import CmdAgent

        async def main():
            spec = {"cmd:" + sys.executable + " " + str(tmp_path / "worker.py") + " " + str(pid_file)!r}
            agent = CmdAgent(spec, AgentOptions(concurrency=1))
            await agent.start()
            try:
                print((await agent.call("q0", {{}})).output)
                t0 = time.perf_counter()
                try:
                    await asyncio.wait_for(agent.call("q1", {{}}), 60)
                except AgentCallError as exc:
                    print(exc.error_type.value, exc.retryable, round(time.perf_counter() - t0, 1), str(exc)[:60])
                print((await agent.call("q2", {{}})).output)
            finally:
                await agent.close()

        asyncio.run(main())
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    finally:
        if pid_file.exists() and pid_file.read_text().strip():
            os.kill(int(pid_file.read_text().split()[0]), 9)  # the child escaped the worker's session: ours to end
    lines = proc.stdout.splitlines()
    assert len(lines) == 3, proc.stdout + proc.stderr[-2000:]
    assert lines[0] == "done q0" and lines[2] == "done q2"
    kind, retryable, seconds, message = lines[1].split(" ", 3)
    assert kind == "exception" and retryable == "True" and "exited with code 0" in message, lines[1]
    # at the worker's exit, not the 60 s the attempt was given (a bound far from both: a loaded machine is slower)
    assert float(seconds) < 30, lines[1]
