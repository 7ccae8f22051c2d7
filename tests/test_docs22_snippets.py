"""More of the docs run as written (after tests/test_docs17_snippets.py): the examples every `gatekit <command>
--help` ends with, the GitHub workflow docs/ci.md shows (actionlint, and its gatekit flags on the project
`gatekit init` scaffolds), and the injection model's measured numbers in docs/governance.md against what
`benchmarks/injection_accuracy.py` prints."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, needs_shared_data
from test_workflows import actionlint  # noqa: F401 - the fixture

DOCS = REPO_ROOT / "docs"


def _gatekit(args: list[str], cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GATEKIT_", "MLFLOW_", "CI"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def _help_examples() -> list[tuple[str, list[str]]]:
    """Every example line a `--help` ends with: (the line, its words after `gatekit`), prose and redirects cut."""
    from gatekit.cli import _EXAMPLES

    found = []
    for lines in _EXAMPLES.values():
        for line in lines:
            command = re.split(r" {2,}\(", line)[0]  # "gatekit promote    (reads ./gatekit.yaml)"
            words = shlex.split(command)
            if ">" in words:
                words = words[: words.index(">")]
            assert words[0] == "gatekit", line
            found.append((line, words[1:]))
    return found


def test_every_help_example_parses_with_the_commands_own_options() -> None:
    """Each example of `gatekit <command> --help` names real options with valid values (click parses it as the
    command would, without running it)."""
    import click
    import typer

    from gatekit.cli import app

    root: Any = typer.main.get_command(app)
    examples = _help_examples()
    assert len(examples) >= 15, examples
    for line, words in examples:
        command, args = root, list(words)
        while hasattr(command, "commands") and args and args[0] in command.commands:
            command = command.commands[args.pop(0)]
        assert not hasattr(command, "commands"), f"{line}: no such command"
        try:
            command.make_context(command.name, args)
        except click.ClickException as exc:
            pytest.fail(f"{line}: {exc.format_message()}")


def test_report_help_example_runs_as_shown(tmp_path: Path) -> None:
    """`gatekit report --help`'s example, `--out reports/latest` (a folder, as every other --out), writes
    report.html into it; it was exit 2 "Is a directory"."""
    (line,) = [line for line, words in _help_examples() if words[0] == "report"]
    project = tmp_path / "project"
    project.mkdir()
    init = _gatekit(["init"], project)
    assert init.returncode == 0, init.stdout + init.stderr
    run = _gatekit(["eval", "--no-mlflow"], project)
    assert run.returncode == 0, run.stdout + run.stderr
    report = project / "reports" / "latest" / "report.html"
    report.unlink()
    proc = _gatekit(shlex.split(line)[1:], project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "reports/latest/report.html" and report.read_text(encoding="utf-8").startswith(
        "<!doctype html>"
    )
    # a file path still names the file; report.html is never written over the verdict it is rendered from
    proc = _gatekit(["report", "reports/latest/verdict.json", "--out", "other.html"], project)
    assert proc.returncode == 0 and (project / "other.html").is_file(), proc.stderr


def _doc_workflows() -> list[tuple[str, int, str, dict[str, Any]]]:
    """The complete GitHub workflows the docs show (a YAML block with `on:` or `jobs:`): (doc, line, text, data)."""
    from test_docs17_snippets import YAML_BLOCKS

    from gatekit.yamlio import safe_load

    found = []
    for doc, line, _, text in YAML_BLOCKS:
        data = safe_load(text)
        if isinstance(data, dict) and {"jobs", "on"} & set(data):
            found.append((doc, line, text, data))
    return found


def test_docs_workflows_pass_actionlint(actionlint: Any) -> None:  # noqa: F811 - the fixture
    """A workflow in the docs is pasted into .github/workflows as it is: actionlint finds nothing in it (docs/ci.md's
    had no `on:` and a `deploy` job without `runs-on` or `steps`)."""
    import yaml
    from test_docs17_snippets import YAML_BLOCKS, _kind
    from test_workflows import real_errors

    from gatekit.yamlio import safe_load

    workflows = _doc_workflows()
    assert [doc for doc, *_ in workflows] == ["docs/ci.md"], workflows
    texts = {f"{doc}:{line}": text for doc, line, text, _ in workflows}
    for doc, line, _, text in YAML_BLOCKS:  # a list of steps (docs/canary.md's stage job): linted inside a job
        steps = safe_load(text)
        if isinstance(steps, list) and _kind(steps) == "workflow":
            job = {"runs-on": "ubuntu-latest", "steps": steps}
            texts[f"{doc}:{line}"] = yaml.safe_dump({"on": "push", "jobs": {"stage": job}}, sort_keys=False)
    assert len(texts) >= 2, sorted(texts)
    results = actionlint(texts)
    problems = [
        f"{where} (line {e['line']} of the workflow): {e['message']}"
        for where, errs in results.items()
        for e in real_errors(errs)
    ]
    assert not problems, "\n".join(problems)


def _action_steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    steps = [step for job in data["jobs"].values() for step in job.get("steps", [])]
    return [s for s in steps if re.search(r"(^\./?$|/gatekit@)", str(s.get("uses", "")))]


@pytest.mark.slow
def test_docs_workflow_gate_step_passes_on_the_project_gatekit_init_writes(tmp_path: Path) -> None:
    """The gatekit action step of docs/ci.md, run as action.yml runs it (`gatekit <command> --out <out> --config
    <config> <args>`) in the repository `gatekit init` scaffolds, passes: exit 0 and the JUnit file its args name.
    (Its args held `--baseline champion`, exit 2 for any candidate that is not a registered MLflow model.)"""
    from mlflow_store import fresh_store

    ((doc, line, _, data),) = _doc_workflows()
    (step,) = _action_steps(data)
    given = step.get("with", {})
    init = _gatekit(["init"], tmp_path)
    assert init.returncode == 0, init.stdout + init.stderr
    fresh_store(tmp_path / "mlflow.db")  # MLflow's default local store, as the action leaves an empty secret
    out = given.get("out", "reports/latest")
    args = [given.get("command", "promote"), "--out", out, "--config", given["config"], *given["args"].split()]
    proc = _gatekit(args, tmp_path)
    assert proc.returncode == 0, f"{doc}:{line}: gatekit {' '.join(args)}: {proc.stdout}{proc.stderr}"
    assert json.loads((tmp_path / out / "verdict.json").read_text(encoding="utf-8"))["verdict"] == "pass"
    junit = re.search(r"--junit (\S+)", given["args"])
    assert junit and (tmp_path / junit.group(1)).is_file(), given["args"]


# benchmarks/injection_accuracy.py's line (a part of its set name) -> the row of docs/governance.md "### Measured"
# that quotes it (the start of the row's first cell); a line without a row here fails the test below
_MEASURED_ROWS = {
    "deepset test": "deepset test, 60",
    "NotInject": "NotInject",
    "tau2 user turns": "tau2-bench user turns",
    "ordinary requests, composed": "composed ordinary requests",
    "role-play requests, composed": "composed role-play requests",
    "role-play and sensitive-topic prompts, written apart": "role-play, persona and sensitive-topic prompts",
    "opinions, questions about attacks, own material": "composed opinion questions",
    "prompt-leak requests, composed": "composed prompt-leak requests",
    "about prompts, own-text requests": "their ordinary twins",
    "in-character, ignore-own and German prompts": "composed in-character persona requests",
    "InjecAgent (held-out": "InjecAgent tool responses",
    "InjecAgent matched benign": "InjecAgent matched benign",
    "ordinary content with addresses and links": "ordinary tool outputs naming an address",
    "BIPIA (held-out categories, planted)": "BIPIA, 5 held-out categories",
    "shaped tool outputs, composed": "composed multi-item outputs",
    "instructions for the human reader": "instructions for a human reader",
    "BIPIA held-out, bare strings": "BIPIA held-out attacks as bare strings",
    "requests to act in four languages": "composed requests to act in English, German, French and Spanish",
    "(injection_toolshapes.jsonl": "tool outputs in other shapes",
    "(injection_toolfp14.jsonl": "tool outputs whose prose instructs",
    "(injection_tool15.jsonl": "tool outputs in 16 real formats",
    "(injection_benign14.jsonl": "benign prompts written apart, 300",
    "(injection_benign15.jsonl": "a second set of benign prompts written apart",
    "deepset test at the threshold giving NotInject": "deepset test at the threshold where NotInject",
}
_RATE = re.compile(r"(recall|false-positive rate) (\d\.\d{3})")


def _benchmark_measures(stdout: str) -> dict[str, list[str]]:
    """Every pooled set `injection_accuracy.py` prints: {its name: [its rates as printed, recall first]}."""
    lines = stdout.splitlines()
    found: dict[str, list[str]] = {}
    for i, line in enumerate(lines):
        set_line = re.match(r"  (input|tool_output)\s+(.*)$", line) or re.match(r"  (deepset test at .*)$", line)
        if set_line is None:
            continue
        text = set_line.group(set_line.lastindex or 0)
        rates = [m.group(2) for m in _RATE.finditer(text)]
        if not rates and text.endswith(":"):  # a per-shape block: its pooled line follows
            rates = [m.group(2) for m in _RATE.finditer(lines[i + 1])]
        name = _RATE.split(text, maxsplit=1)[0]
        found[name] = rates
    return found


@needs_shared_data
def test_governance_doc_measured_table_is_what_the_benchmark_prints() -> None:
    """docs/governance.md "### Measured" quotes every held-out set `benchmarks/injection_accuracy.py` measures, with
    the rates it prints (it left out three weak ones: the 16-format tool-output set's recall 0.700, the four-language
    requests' 0.506, the composed in-character prompts' 25 % false alarms; and the second benign set)."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run(
        [sys.executable, "benchmarks/injection_accuracy.py"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    measures = _benchmark_measures(proc.stdout)
    assert len(measures) >= 20, measures
    text = (DOCS / "governance.md").read_text(encoding="utf-8")
    start = text.index("### Measured\n")
    table = text[start : text.index("\n### ", start + 1)]
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    problems = []
    for name, rates in measures.items():
        keys = [key for part, key in _MEASURED_ROWS.items() if part in name]
        if not keys:
            problems.append(f"benchmark line {name!r} {rates}: no row of the Measured table quotes it")
            continue
        key = max(keys, key=len)  # "deepset test at the threshold ..." over "deepset test"
        row = [r for r in rows if r[2:].lstrip("*").startswith(key)]
        if len(row) != 1:
            problems.append(f"{name!r}: {len(row)} rows start with {key!r}")
            continue
        quoted = re.findall(r"\d\.\d{3}", row[0].rsplit("|", 2)[1])
        if quoted[: len(rates)] != rates:
            problems.append(f"{name!r}: the benchmark prints {rates}, the row says {quoted}")
    assert not problems, "\n".join(problems)
    # the Limits section states the headline limit with the false-positive rate it is measured at, and the aim
    limits = " ".join(text[text.index("\n## Limits\n") :].split())
    (deepset,) = [rates for name, rates in measures.items() if name.strip() == "deepset test"]
    (notinject,) = [rates for name, rates in measures.items() if name.strip() == "NotInject"]
    said = (
        f"deepset test recall is {deepset[0]} at a {float(notinject[0]) * 100:.1f} % false-positive rate on NotInject"
    )
    assert said in limits and "below the 0.85 aimed for" in limits, said


def test_production_log_doc_example_row_names_the_bundled_policy() -> None:
    """docs/production-log.md's example row is one the proxy wrote with policies/default.yaml: its `policy_sha256` is
    that file's SHA-256 as it is now (the row kept an older policy's hash after the policy changed)."""
    import hashlib

    from test_docs17_snippets import JSON_BLOCKS

    rows = [
        json.loads(line)
        for doc, _, lang, text in JSON_BLOCKS
        if doc == "docs/production-log.md"
        for line in text.splitlines()
        if lang == "jsonl" and line.strip()
    ]
    policy = (REPO_ROOT / "policies" / "default.yaml").read_bytes()
    assert rows and all(row["policy_sha256"] == hashlib.sha256(policy).hexdigest() for row in rows if row["rules"]), [
        row["policy_sha256"] for row in rows
    ]
    assert any("pii-redaction" in row["rules"] for row in rows)


def _printed_schema(kind: str, tmp_path: Path) -> dict[str, Any]:
    proc = _gatekit(["schema", kind], tmp_path)
    assert proc.returncode == 0, proc.stderr
    schema: dict[str, Any] = json.loads(proc.stdout)
    return schema


def test_thresholds_schema_accepts_the_files_gatekit_reads_and_refuses_what_it_refuses(tmp_path: Path) -> None:
    """`gatekit schema thresholds` (what an editor or check-jsonschema validates against) accepts every thresholds file
    the repository ships, the one `gatekit init` writes and the docs' thresholds snippets — written with unit literals
    (`2000ms`, `1%`), which the schema refused as "not a number" — and refuses what load_thresholds refuses: no checks,
    a check with both or neither bound, a `drift:` key (it belongs in gatekit.yaml), an unknown metric, and for a rate
    a limit above 100%, a unit of another kind and an upper limit written as the bare number 1 (read as 100%, a limit
    every run meets: the loader says write 1% or 100%; the schema accepted it)."""
    import jsonschema
    from test_docs17_snippets import YAML_BLOCKS, _kind

    from gatekit.verdict import load_thresholds
    from gatekit.yamlio import safe_load

    validator = jsonschema.Draft202012Validator(_printed_schema("thresholds", tmp_path))
    files = [
        REPO_ROOT / "thresholds" / "default.yaml",
        REPO_ROOT / "gatekit" / "scaffold" / "thresholds" / "default.yaml",
        *(p for p in (REPO_ROOT / "examples").rglob("*.yaml") if "checks" in (safe_load(p.read_text()) or {})),
    ]
    texts = {str(p.relative_to(REPO_ROOT)): p.read_text(encoding="utf-8") for p in files}
    for doc, line, _, text in YAML_BLOCKS:
        if _kind(safe_load(text)) == "thresholds":
            texts[f"{doc}:{line}"] = text if "checks:" in text else text + "checks: {error_rate: {max: 1%}}\n"
    assert len(texts) >= 4, sorted(texts)
    for where, text in texts.items():
        file = tmp_path / "t.yaml"
        file.write_text(text, encoding="utf-8")
        load_thresholds(file)  # gatekit reads it ...
        errors = [e.message for e in validator.iter_errors(safe_load(text))]
        assert not errors, (where, errors)  # ... and so does its schema
    for refused in (
        "min_cases: 3\n",
        "checks: {}\n",
        "checks: {error_rate: {}}\n",
        "checks: {error_rate: {max: 1%, min: 0}}\n",
        "checks: {error_rate: {max: 1%}}\ndrift: {features: [latency_ms]}\n",
        "checks: {error_rate: {max: -1}}\n",
        "checks: {error_rate: {max: 1 percent}}\n",
        # rates: a bare 1 as an upper limit (read as 100%, met by every run), above 100%, a unit of another kind
        "checks: {error_rate: {max: 1}}\n",
        "checks: {error_rate: {max: 1.0}}\n",
        "checks: {error_rate: {max: '1'}}\n",
        "checks: {governance.deny_rate: {max: 1, confidence: 0.9}}\n",
        "checks: {pass_k_of_n.2: {max: 1}}\n",
        "checks: {governance.rule.pii-redaction.false_positive_rate: {max: 1}}\n",
        "checks: {error_rate: {max: 5}}\n",
        "checks: {error_rate: {max: 101%}}\n",
        "checks: {pass_rate: {min: 1.5}}\n",
        "checks: {pass_rate: {min: 150%}}\n",
        "checks: {error_rate: {max: 5ms}}\n",
        "checks: {error_rate: {max: ''}}\n",
        "checks: {eror_rate: {max: 1%}}\n",
        "checks: {error_rate: {max: 1%}}\nmax_regression: {error_rate: 1}\n",
        "checks: {error_rate: {max: 1%}}\nmax_regression: {pass_rate: 120pp}\n",
        "checks: {error_rate: {max: 1%}}\nmax_regression: {latency_p95: 20%}\n",
    ):
        file = tmp_path / "bad.yaml"
        file.write_text(refused, encoding="utf-8")
        with pytest.raises(Exception, match=r"bad\.yaml"):
            load_thresholds(file)
        assert list(validator.iter_errors(safe_load(refused))), refused
    for accepted in (  # what the refusals above must not catch
        "checks: {error_rate: {max: 100%}}\n",
        "checks: {error_rate: {max: 0.99}}\n",
        "checks: {error_rate: {max: 0}}\n",
        "checks: {error_rate: {max: '0.5'}}\n",
        "checks: {pass_rate: {min: 1}}\n",
        "checks: {pass_rate: {min: 100pp}}\n",
        "checks: {pass_k_of_n.2: {min: 1}}\n",
        "checks: {latency_p95_ms: {max: 1}}\n",
        "checks: {cost_total_usd: {max: 1}}\n",
        "checks: {governance.deny_count: {max: 1}}\n",
        "checks: {error_rate: {max: 1%}}\nmax_regression: {error_rate: 100pp, latency_p95_ms: 1, confidence: 0.9}\n",
    ):
        file = tmp_path / "good.yaml"
        file.write_text(accepted, encoding="utf-8")
        load_thresholds(file)
        assert not list(validator.iter_errors(safe_load(accepted))), accepted


@pytest.mark.slow
def test_drift_doc_results_reference_is_no_drift_against_the_same_traffic_logged_with_its_inputs(
    tmp_path: Path,
) -> None:
    """docs/drift.md: `gatekit drift --reference reports/latest/results.jsonl --production logs/` — "Results hold no
    input text, so input features are unknown (null) there". Production rows of the very same answers, logged as the
    guard logs them (with their input features), are no drift (exit 0): the input features are skipped as not in the
    reference. They were tested as missing rates, null in 100 % of the reference rows against 0 % in production, so
    this command reported DRIFT (exit 1) against any guard-written log."""
    from gatekit.production.convert import eval_rows
    from gatekit.production.writer import ProductionLogWriter

    drift_md = " ".join((DOCS / "drift.md").read_text(encoding="utf-8").split())
    line = "gatekit drift --reference reports/latest/results.jsonl --production logs/"
    assert (
        f"`{line}`" in drift_md and "Results hold no input text, so input features are unknown (null) there" in drift_md
    )
    out = tmp_path / "reports" / "latest"
    run = _gatekit(["eval", "--no-mlflow", "--out", str(out)], REPO_ROOT)  # the demo, from the repository root
    assert run.returncode == 0, run.stdout + run.stderr
    results = tmp_path / "reports" / "latest" / "results.jsonl"
    log = ProductionLogWriter(str(tmp_path / "logs" / "production.jsonl"))
    for row in eval_rows(
        results, REPO_ROOT / "datasets" / "retail_golden.jsonl"
    ):  # the same answers, with their inputs
        assert row["input_chars"] and row["turns"]
        assert log.write(**{**row, "source": "proxy"})
    log.close()
    proc = _gatekit([*shlex.split(line)[1:], "--no-mlflow", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["drift"] is False and report["features_tested"] >= 3, report["reason"]
    skipped = {s["name"]: s["reason"] for s in report["skipped"]}
    assert skipped["input_chars"].startswith("not in reference"), skipped


@needs_shared_data
def test_readme_demo_dataset_is_what_its_build_script_writes(tmp_path: Path) -> None:
    """README, data credits: `datasets/retail_golden.jsonl` is "rebuilt by `examples/build_demo_dataset.py`": the script,
    reading the shared data where every script reads it (`$GATEKIT_SHARED_DATA`; it ignored the variable and looked
    only next to the checkout), writes the bundled file byte for byte."""
    from conftest import SHARED_DATA

    readme = " ".join((REPO_ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "rebuilt by `examples/build_demo_dataset.py`" in readme
    (tmp_path / "checkout" / "examples").mkdir(parents=True)
    (tmp_path / "checkout" / "datasets").mkdir()
    script = tmp_path / "checkout" / "examples" / "build_demo_dataset.py"
    script.write_bytes((REPO_ROOT / "examples" / "build_demo_dataset.py").read_bytes())
    env = {**os.environ, "GATEKIT_SHARED_DATA": str(SHARED_DATA.resolve())}
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path / "checkout", env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    built = (tmp_path / "checkout" / "datasets" / "retail_golden.jsonl").read_bytes()
    assert built == (REPO_ROOT / "datasets" / "retail_golden.jsonl").read_bytes()


def test_logging_flags_after_the_command_say_where_they_go(tmp_path: Path) -> None:
    """README: "`-v` logs the stages to stderr, `-vv` or `--debug` ...; these go before the command: `gatekit --debug
    eval`". Written after it (`gatekit eval -v`), the one-line error says so (it said "No such option: -v", and for
    --debug click's guess "Possible options: --mode"), exit 2."""
    readme = " ".join((REPO_ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "these go before the command: `gatekit --debug eval`" in readme
    for command, flag in ((["eval"], "-v"), (["eval"], "--debug"), (["guard", "serve"], "--debug")):
        proc = _gatekit([*command, flag], tmp_path, timeout=60)
        assert proc.returncode == 2 and not proc.stdout, proc
        said = (
            f"error: No such option: {flag}; {flag} goes before the command: gatekit {flag} {' '.join(command)} ...\n"
        )
        assert proc.stderr == said, proc.stderr
    other = _gatekit(["eval", "--bogus"], tmp_path, timeout=60)  # any other unknown option: as before
    assert other.returncode == 2 and "see 'gatekit eval --help'" in other.stderr, other.stderr


@pytest.mark.slow
def test_drift_doc_config_runs_and_feature_names_are_checked_as_it_says(tmp_path: Path) -> None:
    """docs/drift.md "Configuration": the `drift:` section shown runs on a golden dataset and guard-written logs (its
    `features:` names `latency_ms`, which a golden dataset lacks: skipped, not refused); a misspelt name is exit 2
    listing the valid names. The doc said a name must match a *tested* feature, which `latency_ms` there is not."""
    from test_docs17_snippets import YAML_BLOCKS

    from gatekit.production.convert import eval_rows
    from gatekit.production.writer import ProductionLogWriter

    drift_md = " ".join((DOCS / "drift.md").read_text(encoding="utf-8").split())
    assert "that is no feature of the run" in drift_md and "matches no tested feature" not in drift_md
    (text,) = [t for doc, _, _, t in YAML_BLOCKS if doc == "docs/drift.md" and t.startswith("drift:")]
    assert "latency_ms: {effect_floor" in text and "reference: datasets/golden.jsonl" in text
    (tmp_path / "datasets").mkdir()
    golden = REPO_ROOT / "datasets" / "retail_golden.jsonl"
    (tmp_path / "datasets" / "golden.jsonl").write_bytes(golden.read_bytes())
    out = tmp_path / "gate"
    run = _gatekit(["eval", "--no-mlflow", "--out", str(out)], REPO_ROOT)  # the demo's answers, as production
    assert run.returncode == 0, run.stdout + run.stderr
    log = ProductionLogWriter(str(tmp_path / "logs" / "production" / "production.jsonl"))
    for row in eval_rows(out / "results.jsonl", golden):
        assert log.write(**{**row, "source": "proxy"})
    log.close()
    (tmp_path / "gatekit.yaml").write_text(text, encoding="utf-8")
    proc = _gatekit(["drift", "--no-mlflow", "--json"], tmp_path)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # a verdict, whichever
    report = json.loads(proc.stdout)
    assert {s["name"]: s["reason"] for s in report["skipped"]}["latency_ms"] == "not in reference"
    (tmp_path / "gatekit.yaml").write_text(
        text.replace("latency_ms: {effect", "latency_msx: {effect"), encoding="utf-8"
    )
    typo = _gatekit(["drift", "--no-mlflow"], tmp_path)
    assert typo.returncode == 2 and "unknown feature(s) 'latency_msx'; valid names:" in typo.stderr, typo.stderr
