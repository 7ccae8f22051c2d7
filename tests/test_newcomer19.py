"""A newcomer's first afternoon, through the real CLI: every mistake below is one line naming the file or field and
what to do (exit 2, no traceback), and the "what to do" is right."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, free_port, one_line_exit_2

AGENT = """
def run(case_input, context=None):
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""
CMD_AGENT = """
import json, sys
for line in sys.stdin:
    request = json.loads(line)
    print(json.dumps({"id": request["id"], "output": "ok"}), flush=True)
"""
THRESHOLDS = "min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n"


def gatekit(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m gatekit ...`` in ``cwd``, without the caller's GATEKIT_* / MLFLOW_* settings."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_", "GITHUB_"))}
    full["PYTHONPATH"] = str(REPO_ROOT)
    full.update(env or {})
    command = [sys.executable, "-m", "gatekit", *args]
    return subprocess.run(command, cwd=cwd, env=full, capture_output=True, text=True, timeout=120)


def project(root: Path, agent: str = "python:agent19:run", extra: str = "") -> Path:
    """A small gate project in ``root``: agent, two-case dataset, thresholds, the bundled policy, gatekit.yaml."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "agent19.py").write_text(AGENT, encoding="utf-8")
    (root / "datasets").mkdir(exist_ok=True)
    rows = [{"id": "c1", "input": "hello"}, {"id": "c2", "input": "where is my order?"}]
    (root / "datasets" / "ds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (root / "th.yaml").write_text(THRESHOLDS, encoding="utf-8")
    policy = REPO_ROOT / "policies" / "default.yaml"
    (root / "policy.yaml").write_text(policy.read_text(encoding="utf-8"), encoding="utf-8")
    config = f"dataset: datasets/ds.jsonl\nagent: {json.dumps(agent)}\nthresholds: th.yaml\npolicy: policy.yaml\n"
    (root / "gatekit.yaml").write_text(config + extra, encoding="utf-8")
    return root


def test_run_from_a_folder_without_gatekit_yaml_says_so(tmp_path: Path) -> None:
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow"))
    assert f"no gatekit.yaml in {tmp_path}" in line, line
    assert "--config" in line and "gatekit init" in line, line


def test_a_misspelt_config_name_is_pointed_at_the_file_that_exists(tmp_path: Path) -> None:
    project(tmp_path)
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow", "-c", "gatekit.yml"))
    assert line.startswith("error: gatekit.yml: config file not found"), line
    assert "did you mean gatekit.yaml?" in line and "(or the value in gatekit.yaml)" not in line, line


def test_a_windows_style_dataset_path_is_answered_with_the_path_that_exists(tmp_path: Path) -> None:
    project(tmp_path)
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow", "--dataset", "datasets\\ds.jsonl"))
    assert "did you mean datasets/ds.jsonl?" in line and "'/' between folders" in line, line
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow", "--dataset", "C:\\Users\\me\\ds.jsonl"))
    assert "Windows path" in line, line


def test_a_csv_file_named_jsonl_is_called_csv(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "datasets" / "ds.jsonl").write_text('id,input\nc1,hello\nc2,"where, now"\n', encoding="utf-8")
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow"))
    assert "datasets/ds.jsonl:1: this is CSV" in line and "name the file .csv" in line, line
    (tmp_path / "datasets" / "ds.csv").write_text('id,input\nc1,hello\nc2,"where, now"\n', encoding="utf-8")
    proc = gatekit(tmp_path, "eval", "--no-mlflow", "-q", "--dataset", "datasets/ds.csv")
    assert proc.returncode in (0, 4), proc.stdout + proc.stderr  # the advice works: the same rows as .csv run


def test_a_json_array_dataset_is_called_an_array(tmp_path: Path) -> None:
    project(tmp_path)
    rows = '[\n  {"id": "c1", "input": "hello"},\n  {"id": "c2", "input": "bye"}\n]\n'
    (tmp_path / "datasets" / "ds.jsonl").write_text(rows, encoding="utf-8")
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow"))
    assert "datasets/ds.jsonl:1: this is one JSON array, not JSON lines" in line, line


def test_a_tab_in_gatekit_yaml_is_named_with_what_to_do(tmp_path: Path) -> None:
    project(tmp_path, extra="agent_options:\n\tmodel: x\n")
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow"))
    assert "gatekit.yaml:6: invalid YAML" in line and "replace the tab with spaces" in line, line


def test_cmd_agent_cwd_is_relative_to_gatekit_yaml(tmp_path: Path) -> None:
    """docs/agents.md's `cwd: agents/`, run with --config from another folder: found next to the config."""
    root = project(tmp_path / "proj", agent="cmd:python my_agent.py", extra="agent_options:\n  extra: {cwd: agents/}\n")
    (root / "agents").mkdir()
    (root / "agents" / "my_agent.py").write_text(CMD_AGENT, encoding="utf-8")
    proc = gatekit(tmp_path, "eval", "--no-mlflow", "-q", "-c", "proj/gatekit.yaml", "--out", str(tmp_path / "out"))
    assert proc.returncode in (0, 4), proc.stdout + proc.stderr
    verdict = json.loads((tmp_path / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["errors"]["by_type"] == {}, verdict["errors"]


def test_cmd_agent_cwd_that_is_no_folder_is_named_not_the_program(tmp_path: Path) -> None:
    project(tmp_path, agent="cmd:python my_agent.py", extra="agent_options:\n  extra: {cwd: agent/}\n")
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow"))
    assert "agent_options.extra.cwd: 'agent' is not a folder" in line, line
    assert "cannot start 'python'" not in line, line


def test_cmd_agent_that_exits_at_once_fails_at_start_with_many_workers(tmp_path: Path) -> None:
    """Many workers (the docs' `workers: 8`, the default `concurrency`) of a command that fails at start (here after
    0.1 s of CPU, as an import error would): exit 2 at start, not every case failing and exit 1. Started together,
    the workers shared the CPU and the first one outlasted the 0.5 s start check."""
    burn = (
        "import sys, time\nt = time.process_time()\nwhile time.process_time() - t < 0.1:\n    pass\nsys.exit('boom')\n"
    )
    project(tmp_path, agent="cmd:python burn.py", extra="agent_options:\n  extra: {workers: 32}\n")
    (tmp_path / "burn.py").write_text(burn, encoding="utf-8")
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow"))
    assert "the command exited at once with code 1: boom" in line, line


def test_models_agent_with_a_registry_that_is_not_running_is_one_line(tmp_path: Path) -> None:
    project(tmp_path, agent="models:/support-agent@candidate")
    uri = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow", env={"MLFLOW_TRACKING_URI": uri}))
    assert f"MLflow tracking server {uri} is unreachable" in line, line
    assert "MLFLOW_TRACKING_URI" in line and "--tracking-uri" not in line, line  # the model is not read from there
    assert time.monotonic() - started < 60  # no minutes of MLflow's own retries


def test_models_agent_not_in_the_registry_names_the_registry(tmp_path: Path) -> None:
    from mlflow_store import fresh_store

    uri = fresh_store(tmp_path / "mlflow.db")
    project(tmp_path, agent="models:/support-agnt@candidate")
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow", env={"MLFLOW_TRACKING_URI": uri}))
    assert "support-agnt" in line and f"(registry {uri})" in line, line
    assert "check the model name" in line, line


def test_mlflow_unreachable_advice_names_no_mlflow() -> None:
    from gatekit.errors import SinkError
    from gatekit.sinks.mlflow import _check_reachable

    with pytest.raises(SinkError, match=r"is unreachable .*or pass --no-mlflow"):
        _check_reachable(f"http://127.0.0.1:{free_port()}")


def test_init_over_an_existing_gatekit_yaml_says_which_lines_to_add(tmp_path: Path) -> None:
    (tmp_path / "gatekit.yaml").write_text("agent: python:mine:run\n", encoding="utf-8")
    proc = gatekit(tmp_path, "init")
    assert proc.returncode == 0, proc.stderr
    assert "has no dataset, thresholds, policy; add: dataset: datasets/golden.jsonl;" in proc.stdout, proc.stdout
    assert (tmp_path / "gatekit.yaml").read_text(encoding="utf-8") == "agent: python:mine:run\n"
    proc = gatekit(tmp_path.parent, "init", tmp_path.name)
    assert f"run `gatekit eval` in {tmp_path.name} (cd {tmp_path.name})" in proc.stdout, proc.stdout


@pytest.mark.parametrize(
    "workflow", ["gatekit/scaffold/github/workflows/gate.yml", "examples/workflows/drift-weekly.yml"]
)
def test_workflows_for_users_cache_pip_on_a_file_every_repository_has(workflow: str) -> None:
    """actions/setup-python's `cache: pip` fails its step ("No file ... matched to [**/requirements.txt or
    **/pyproject.toml]") in a repository with neither, such as a fresh `gatekit init`: the key is the workflow file."""
    import yaml

    data = yaml.safe_load((REPO_ROOT / workflow).read_text(encoding="utf-8"))
    name = Path(workflow).name
    for job in data["jobs"].values():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/setup-python") and step["with"].get("cache") == "pip":
                assert step["with"].get("cache-dependency-path") == f".github/workflows/{name}", step


def test_init_workflow_cache_key_file_exists_in_a_fresh_project(tmp_path: Path) -> None:
    import yaml

    from gatekit.init import init_project

    init_project(tmp_path)
    data = yaml.safe_load((tmp_path / ".github" / "workflows" / "gate.yml").read_text(encoding="utf-8"))
    (setup,) = [s for s in data["jobs"]["gate"]["steps"] if str(s.get("uses", "")).startswith("actions/setup-python")]
    assert (tmp_path / setup["with"]["cache-dependency-path"]).is_file()


def test_identical_failures_stop_reads_as_the_limit_reached(tmp_path: Path) -> None:
    """The stop after N identical failures printed `replay.identical_failures 10 < limit 10`: a failing check
    names the relation that failed, here `10 >= limit 10`."""
    project(tmp_path, agent="python:broken19:run", extra="stop_after_identical_failures: 3\nretries: 0\n")
    (tmp_path / "broken19.py").write_text("def run(case_input, context=None):\n    raise RuntimeError('no key')\n")
    rows = [json.dumps({"id": f"c{i}", "input": "hi"}) + "\n" for i in range(5)]
    (tmp_path / "datasets" / "ds.jsonl").write_text("".join(rows), encoding="utf-8")
    proc = gatekit(tmp_path, "eval", "--no-mlflow")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "replay.identical_failures 3 >= limit 3 (stopped after the first 3 cases" in proc.stdout, proc.stdout


def test_a_straddling_latency_check_prints_its_interval_in_the_values_unit_spacing(tmp_path: Path) -> None:
    """`PASS?  latency_p95_ms 4.338 ms <= limit 2000 ms: interval [4.127ms, ∞]`: one way to write a unit per line."""
    project(tmp_path)
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  latency_p95_ms: {max: 2000ms}\n", encoding="utf-8")
    proc = gatekit(tmp_path, "eval", "--no-mlflow")
    (line,) = [line for line in proc.stdout.splitlines() if "latency_p95_ms" in line and "interval" in line]
    assert " ms <= limit 2000 ms: interval [" in line and "ms," in line, line
    assert not re.search(r"\dms\b", line), line  # every value "<number> ms"


def _options(command: object, path: str = "gatekit") -> list[tuple[str, object]]:
    found = []
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found += _options(sub, f"{path} {name}")
    for param in getattr(command, "params", []):
        if getattr(param, "opts", None) and not getattr(param, "is_flag", False) and param.opts[0].startswith("--"):
            found.append((f"{path} {param.opts[0]}", param))
    return found


def test_every_option_in_help_has_a_meaningful_metavar() -> None:
    """`gatekit drift --help` showed `--reference REFERENCE`, `--out OUT` where every other command says what to give
    (`SOURCE`, `DIR`, `FILE`, `NAME`): every option sets its metavar."""
    import typer

    from gatekit.cli import app

    options = _options(typer.main.get_command(app))
    assert len(options) > 60
    bare = [where for where, param in options if param.metavar is None]  # typer's fallback: the name in capitals
    assert not bare, bare


def test_help_defaults_are_written_one_way() -> None:
    """`(default X)` next to `(default: X)`: every help text with a default in parentheses uses the colon form."""
    import typer

    from gatekit.cli import app

    loose = [w for w, p in _options(typer.main.get_command(app)) if re.search(r"\(default [^(:]", p.help or "")]
    assert not loose, loose


def test_help_says_each_default_once_and_every_tracking_uri_its_default() -> None:
    """`gatekit canary --help` read "duckdb (default) or spark. [default: duckdb]" and its `--tracking-uri` gave no
    default: an option whose default typer shows does not say "default" in its help too, and every --tracking-uri says
    where runs go without it."""
    import typer

    from gatekit.cli import app

    options = _options(typer.main.get_command(app))
    shown = [(w, p) for w, p in options if p.show_default and p.default is not None and not callable(p.default)]
    twice = [w for w, p in shown if "default" in (p.help or "").lower()]
    assert not twice, twice
    tracking = [(w, p.help) for w, p in options if w.endswith(" --tracking-uri")]
    assert len(tracking) >= 5, tracking
    silent = [w for w, text in tracking if "(default: MLFLOW_TRACKING_URI, else ./mlflow.db)" not in (text or "")]
    assert not silent, silent


def test_an_unset_header_variable_names_gatekit_yaml_and_the_field(tmp_path: Path) -> None:
    extra = 'agent_options:\n  headers: {X-Team: "${NC19_UNSET_TEAM}"}\n'
    project(tmp_path, agent="http://127.0.0.1:9/v1", extra=extra)
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow"))
    assert "error: gatekit.yaml: agent_options.headers.X-Team: environment variable NC19_UNSET_TEAM is not set" in line
    verdict = json.loads((tmp_path / "reports" / "latest" / "verdict.json").read_text(encoding="utf-8"))
    assert "gatekit.yaml: agent_options.headers.X-Team" in verdict["reasons"][0], verdict["reasons"]


def test_a_case_without_id_says_what_to_do(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "datasets" / "ds.jsonl").write_text('{"id": "a", "input": "x"}\n{"input": "y"}\n', encoding="utf-8")
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow"))
    assert "datasets/ds.jsonl: 1 problem: line 2: missing 'id'; give every case a unique id" in line, line


def test_every_example_line_in_the_scaffolded_gatekit_yaml_can_be_uncommented(tmp_path: Path) -> None:
    """`gatekit init`'s gatekit.yaml shows other agents in comments; the HTTP one had its agent_options in parentheses
    on the same line: uncommented, `mapping values are not allowed here`."""
    from gatekit.config import load_config
    from gatekit.init import template_text

    text = template_text("gatekit.yaml")
    examples = [line[1:].strip() for line in text.splitlines() if re.match(r"#\s+(agent|agent_options):", line)]
    assert len(examples) >= 4, examples
    for example in examples:
        key = example.split(":", 1)[0]
        lines = [line for line in text.splitlines() if not line.startswith(f"{key}:")]
        (tmp_path / "gatekit.yaml").write_text("\n".join([*lines, example]) + "\n", encoding="utf-8")
        config = load_config(tmp_path / "gatekit.yaml")  # raises ConfigError naming the line otherwise
        assert config.agent, example


def test_report_and_traces_of_a_misspelt_file_point_at_the_real_one(tmp_path: Path) -> None:
    project(tmp_path)
    assert gatekit(tmp_path, "eval", "--no-mlflow", "-q").returncode == 0
    line = one_line_exit_2(gatekit(tmp_path, "report", "reports/latest/verdict.jsn"))
    assert "verdict file not found" in line and "did you mean reports/latest/verdict.json?" in line, line
    line = one_line_exit_2(gatekit(tmp_path, "traces", "reports/latest/governance_trace.jsonl"))
    assert "did you mean reports/latest/governance_traces.jsonl?" in line, line


@pytest.mark.parametrize(
    ("spec", "meant"),
    [
        ("agent19:run", "did you mean python:agent19:run?"),
        ("agent19.py", "did you mean cmd:python agent19.py?"),
        ("localhost:8000/v1", "did you mean http://localhost:8000/v1?"),
        ("python:agent19.py:run", "write the module name without '.py': python:agent19:run"),
        ("python:agent19:rn", "agent19 has no attribute 'rn'; did you mean 'run'?"),
    ],
)
def test_a_near_miss_agent_spec_is_answered_with_the_spec_meant(tmp_path: Path, spec: str, meant: str) -> None:
    project(tmp_path)
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow", "--agent", spec))
    assert meant in line, line


def test_a_registered_model_without_version_or_alias_is_told_to_add_one(tmp_path: Path) -> None:
    from mlflow_store import fresh_store

    uri = fresh_store(tmp_path / "mlflow.db")
    project(tmp_path, agent="models:/support-agent")
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow", env={"MLFLOW_TRACKING_URI": uri}))
    assert "needs a version or an alias: models:/support-agent/1 or models:/support-agent@ALIAS" in line, line


def test_a_misspelt_check_name_is_answered_with_the_metric_meant(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  latency_p95: {max: 2s}\n", encoding="utf-8")
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow"))
    assert "th.yaml:3: unknown check 'latency_p95' (did you mean 'latency_p95_ms'?); known checks:" in line, line


def test_cmd_agent_whose_other_workers_exit_at_once_fails_at_start(tmp_path: Path) -> None:
    """The first worker lives, every other one exits at once (a port or a lock only one can hold): exit 2 at start."""
    worker = (
        "import os, sys\n"
        "try:\n"
        "    os.close(os.open('first.lock', os.O_CREAT | os.O_EXCL))\n"
        "except FileExistsError:\n"
        "    sys.exit('address already in use')\n" + CMD_AGENT
    )
    (tmp_path / "locked.py").write_text(worker, encoding="utf-8")
    project(tmp_path, agent="cmd:python locked.py", extra="agent_options:\n  extra: {workers: 3}\n")
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow"))
    assert "the command exited at once with code 1: address already in use" in line, line


def test_a_python_agent_not_found_from_another_folder_names_the_folder_searched(tmp_path: Path) -> None:
    """`gatekit eval -c proj/gatekit.yaml` from elsewhere: its paths are found next to it, its python: module is not;
    the line says where the module was looked for."""
    project(tmp_path / "proj")
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow", "-c", "proj/gatekit.yaml"))
    assert f"module 'agent19' not found (searched the working directory {tmp_path}, then PYTHONPATH" in line, line
    assert f"it is in the config file's folder {tmp_path / 'proj'}, which is not searched: run gatekit" in line, line
