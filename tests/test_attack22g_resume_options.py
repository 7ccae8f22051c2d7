"""attack22g: ``--resume`` on another agent configuration.

The run identity hashed the agent spec and ``agent_options.model`` only: a run resumed after changing
``agent_options.extra`` (an HTTP agent's ``body`` with another temperature or system prompt, a pyfunc's ``params``, a
``cmd:`` worker's ``env``) or ``headers`` kept the first agent's cases and judged the rest on another agent, one verdict
over two candidates. A finished run resumed so kept every row: the verdict was the first agent's (exit 0).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from spine_project import run_cli

WORKER = """
import json, os, sys
for line in sys.stdin:
    request = json.loads(line)
    style = os.environ.get("ANSWER_STYLE", "polite")
    output = "Thank you, your order is on its way." if style == "polite" else "Go away."
    print(json.dumps({"id": request["id"], "output": output, "usage": {"input_tokens": 3, "output_tokens": 3},
                      "cost_usd": 0.0}), flush=True)
"""

CONFIG = """\
dataset: cases.jsonl
agent: "cmd:{python} worker22g.py"
thresholds: th.yaml
policy: {policy}
out: out
no_mlflow: true
agent_options:
  extra:
    env: {{ANSWER_STYLE: {style}}}
"""


def _project(root: Path, style: str) -> None:
    from conftest import REPO_ROOT

    (root / "gatekit.yaml").write_text(
        CONFIG.format(python=sys.executable, policy=REPO_ROOT / "policies" / "default.yaml", style=style),
        encoding="utf-8",
    )


def test_resume_with_other_agent_options_is_refused(tmp_path: Path) -> None:
    (tmp_path / "worker22g.py").write_text(WORKER, encoding="utf-8")
    rows = [
        {"id": f"c{i}", "input": f"where is order {i}", "expected": {"output_contains": ["thank"]}} for i in range(3)
    ]
    (tmp_path / "cases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  pass_rate: {min: 100%}\n", encoding="utf-8")
    _project(tmp_path, "polite")
    first = run_cli(tmp_path, "eval", seed_mlflow=False)
    assert first.returncode == 0, first.stdout + first.stderr
    finished = (tmp_path / "out" / "results.jsonl").read_bytes()

    _project(tmp_path, "rude")  # another agent: its answers fail every case
    proc = run_cli(tmp_path, "eval", "--resume", seed_mlflow=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "written with a different agent (its spec, or agent_options: model, headers, extra)" in lines[0]
    assert (tmp_path / "out" / "results.jsonl").read_bytes() == finished  # untouched

    fresh = run_cli(tmp_path, "eval", seed_mlflow=False)  # without --resume: the other agent is judged on its own
    assert fresh.returncode == 1, fresh.stdout + fresh.stderr

    _project(tmp_path, "rude")  # the same options again, reordered or not: resumed
    again = run_cli(tmp_path, "eval", "--resume", seed_mlflow=False)
    assert again.returncode == 1, again.stdout + again.stderr
