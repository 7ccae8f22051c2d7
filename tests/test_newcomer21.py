"""The stumbles newcomer21 found, through the real CLI on a `gatekit init` project: files saved in another encoding
or holding a control character, MLflow tracking URIs with a typo, CSV datasets from a spreadsheet. One line naming the
file (and line) and what to do, exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import one_line_exit_2
from test_newcomer19 import gatekit

from gatekit.errors import ConfigError


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `gatekit init` project for the tests that change none of its files."""
    return _init(tmp_path_factory.mktemp("fresh"))


def _init(root: Path) -> Path:
    """A fresh `gatekit init` project in ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    proc = gatekit(root, "init")
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("gatekit.yaml", "utf-16"),
        ("thresholds/default.yaml", "utf-16-le"),  # (no byte-order mark: a NUL after every ASCII letter)
        ("policies/default.yaml", "utf-32"),
        ("datasets/golden.jsonl", "utf-16"),
        ("datasets/golden.jsonl", "utf-16-le"),
    ],
)
def test_a_file_saved_as_utf16_is_called_utf16_with_what_to_do(tmp_path: Path, name: str, encoding: str) -> None:
    root = _init(tmp_path)
    path = root / name
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))  # Notepad's "Unicode", PowerShell 5's `>`
    line = one_line_exit_2(gatekit(root, "eval", "--no-mlflow"))
    wide = "UTF-32" if encoding == "utf-32" else "UTF-16"
    assert line.startswith(f"error: {name}: "), line
    assert f"the file is {wide} text, not UTF-8; save it as UTF-8" in line, line


def test_a_policy_test_file_saved_as_utf16_is_called_utf16(tmp_path: Path) -> None:
    root = _init(tmp_path)
    (root / "ptests").mkdir()
    (root / "ptests" / "t.yaml").write_bytes("policy: ../policies/default.yaml\ntests: []\n".encode("utf-16"))
    line = one_line_exit_2(gatekit(root, "policy", "test", "ptests"))
    assert "ptests/t.yaml: the file is UTF-16 text, not UTF-8; save it as UTF-8" in line, line


@pytest.mark.parametrize(
    ("name", "old", "line_no"),
    [
        ("gatekit.yaml", "timeout: 30", 16),
        ("thresholds/default.yaml", "min_cases: 10", 4),
        ("policies/default.yaml", "id: default", 3),
    ],
)
def test_a_control_character_in_a_yaml_file_names_its_line(tmp_path: Path, name: str, old: str, line_no: int) -> None:
    root = _init(tmp_path)
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[line_no - 1] == old
    path.write_text(text.replace(old, old + "\x07", 1), encoding="utf-8")  # a stray Ctrl-G from a terminal paste
    line = one_line_exit_2(gatekit(root, "eval", "--no-mlflow"))  # (was exit 3: "internal error ... ReaderError")
    assert line.startswith(f"error: {name}:{line_no}: invalid YAML: control character U+0007 at column"), line
    assert "delete that character" in line, line


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "htp://localhost:5000",
            "has an unknown scheme 'htp:' (MLflow has no tracking store for it); write http://localhost:5000 instead",
        ),
        ("localhost:5000", "is a host and port, not a URI; write http://localhost:5000 (or https://) instead"),
        ("127.0.0.1:5000", "is a host and port, not a URI; write http://127.0.0.1:5000 (or https://) instead"),
        ("http:/localhost:5000", "names no host; write http://HOST:PORT (two slashes) instead"),
        ("sqlite://mlflow.db", "puts the file name where a host goes; write sqlite:///mlflow.db (three slashes"),
        ("mlflow.db", "is a database file; write sqlite:///mlflow.db (three slashes) instead"),
    ],
)
def test_a_tracking_uri_typo_stops_the_gate_before_the_replay(fresh: Path, uri: str, expected: str) -> None:
    root = fresh  # (was: every case replayed, then exit 3 and MLflow's exception, or "a file store")
    line = one_line_exit_2(gatekit(root, "eval", "--tracking-uri", uri))
    assert line.startswith(f"error: --tracking-uri {uri} {expected}"), line
    assert line.endswith("or pass --no-mlflow to log nothing"), line
    assert not (root / "reports" / "latest" / "results.jsonl").exists()  # nothing replayed


def test_a_tracking_uri_typo_in_the_environment_is_named_as_the_variable(fresh: Path) -> None:
    root = fresh
    line = one_line_exit_2(gatekit(root, "eval", env={"MLFLOW_TRACKING_URI": "htps://mlflow.example.com"}))
    assert line.startswith("error: MLFLOW_TRACKING_URI htps://mlflow.example.com has an unknown scheme"), line
    assert "write https://mlflow.example.com instead" in line, line
    args = ["drift", "--reference", "datasets/golden.jsonl", "--production", "datasets/golden.jsonl"]
    line = one_line_exit_2(gatekit(root, *args, "--tracking-uri", "htp://localhost:5000"))  # (was: drift, then exit 3)
    assert "--tracking-uri htp://localhost:5000 has an unknown scheme 'htp:'" in line, line


def test_a_tracking_uri_with_a_secret_is_refused_without_it(fresh: Path) -> None:
    root = fresh
    uri = "htp://ann:hunter2hunter2@localhost:5000/?token=abcdefgh12345"
    line = one_line_exit_2(gatekit(root, "eval", "--tracking-uri", uri))
    assert "hunter2" not in line and "abcdefgh12345" not in line, line
    assert "write http://***@localhost:5000/?token=*** instead" in line, line


def test_databricks_alone_is_a_workspace_not_a_file_store() -> None:
    from gatekit.sinks.mlflow import check_store_opens

    check_store_opens("databricks")  # (was: ConfigError "is a file store, which MLflow refuses to open")
    with pytest.raises(ConfigError, match="has an unknown scheme 'databrick:'"):
        check_store_opens("databrick://profile")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id;input;expected\nc1;hi;\n", "the columns are separated by semicolons, not commas"),
        ("id\tinput\nc1\thi\n", "the columns are separated by tabs, not commas"),
        ("ID,Input\nc1,hi\n", "unknown column 'ID' (column 1) (did you mean 'id'? keys are lowercase, without spaces)"),
        ("id, input\nc1,hi\n", "unknown column ' input' (column 2) (did you mean 'input'? keys are lowercase"),
        ("id,input,expectd\nc1,hi,\n", "unknown column 'expectd' (column 3) (did you mean 'expected'?)"),
    ],
    ids=["semicolons", "tabs", "capitals", "space", "typo"],
)
def test_a_spreadsheet_csv_header_says_what_to_change(fresh: Path, text: str, expected: str) -> None:
    name = "nc21-sheet.csv"
    (fresh / name).write_text(text, encoding="utf-8")  # (was "unknown column 'id;input;expected'", no suggestion)
    line = one_line_exit_2(gatekit(fresh, "eval", "--no-mlflow", "--dataset", name))
    assert line.startswith(f"error: {name}:1: {expected}"), line


def test_a_misnamed_jsonl_key_is_answered_with_the_key_meant(fresh: Path) -> None:
    rows = [
        '{"id": "c1", "prompt": "hi"}',
        '{"id": "c2", "input": "hi", "expect": {"output_contains": ["x"]}}',
        '{"id": "c3", "input": "hi", "expected": {"tool_calls": [{"name": "lookup_order", "args": {}}]}}',
    ]
    (fresh / "nc21-keys.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    line = one_line_exit_2(gatekit(fresh, "eval", "--no-mlflow", "--dataset", "nc21-keys.jsonl"))
    assert "line 1: unknown key 'prompt' (did you mean 'input'?); allowed keys: " in line, line
    assert "metadata; missing 'input'" in line, line  # (was "metadata, missing 'input'": one more allowed key?)
    assert "line 2: unknown key 'expect' (did you mean 'expected'?)" in line, line
    assert "line 3: unknown key 'expected.tool_calls[0].args' (did you mean 'arguments'?)" in line, line


def test_shell_completion_is_offered_and_completes_commands_and_options(tmp_path: Path) -> None:
    # (was "No such option: --install-completion", and no completion at all: typer's add_completion=False)
    proc = gatekit(tmp_path, "--show-completion", "bash", env={"SHELL": "/bin/bash"})
    assert proc.returncode == 0, proc.stderr
    assert "complete -o default -F _gatekit_completion gatekit" in proc.stdout, proc.stdout
    assert "--install-completion" in gatekit(tmp_path, "--help").stdout
    for words, cword, expected in (("gatekit ev", "1", "eval"), ("gatekit eval --no-ml", "2", "--no-mlflow")):
        env = {"_GATEKIT_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
        proc = gatekit(tmp_path, env=env)  # (what bash runs on Tab; `python -m gatekit` is "gatekit" too)
        assert proc.returncode == 0 and proc.stdout.split() == [expected], (proc.stdout, proc.stderr)


def test_help_under_python_m_names_the_command_gatekit(tmp_path: Path) -> None:
    proc = gatekit(tmp_path, "eval", "--help")  # (was "Usage: python -m gatekit eval")
    assert proc.returncode == 0 and "Usage: gatekit eval [OPTIONS]" in proc.stdout, proc.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["eval", "--no-mlflow", "--dataset", "datasets"],
            "datasets: a folder, not a file (it holds golden.jsonl); check --dataset",
        ),  # (was "unknown dataset format ''")
        (
            ["eval", "--no-mlflow", "--thresholds", "thresholds"],
            "thresholds: cannot read thresholds file: a folder, not a file (it holds default.yaml, rollout.yaml)",
        ),  # (was "[Errno 21] Is a directory: 'thresholds'")
        (
            ["policy", "check", "policies"],
            "policies: cannot read policy file: a folder, not a file (it holds default.yaml); check the path",
        ),
    ],
    ids=["dataset", "thresholds", "policy"],
)
def test_a_folder_given_for_a_file_names_the_files_in_it(fresh: Path, args: list[str], expected: str) -> None:
    line = one_line_exit_2(gatekit(fresh, *args))
    assert line.startswith(f"error: {expected}"), line


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # (was "Input should be a valid number, unable to parse string as a number": thresholds take 2000ms, so why not?)
        (
            "timeout: 30",
            "timeout: 30s",
            "16: timeout: expected a number, got '30s': write the number alone, without 's'",
        ),
        ("concurrency: 8", "concurrency: eight", "15: concurrency: expected a whole number, got 'eight'"),
        # (was "Input is not a valid path for <class 'pathlib.Path'>")
        ("dataset: datasets/golden.jsonl", "dataset: [a.jsonl, b.jsonl]", "10: dataset: expected a path, got a list"),
        ("out: reports/latest", "out:", "14: out: expected a path, got no value"),
        # (was "Input should be a valid string")
        (
            "experiment: gatekit",
            "experiment: 42",
            "18: experiment: 42 is not text: YAML reads it as a number; put it in",
        ),
    ],
    ids=["unit", "word", "list", "empty", "number"],
)
def test_a_wrongly_typed_config_value_says_what_was_expected(tmp_path: Path, old: str, new: str, expected: str) -> None:
    root = _init(tmp_path)
    text = (root / "gatekit.yaml").read_text(encoding="utf-8")
    assert f"\n{old}\n" in text
    (root / "gatekit.yaml").write_text(text.replace(f"\n{old}\n", f"\n{new}\n"), encoding="utf-8")
    line = one_line_exit_2(gatekit(root, "eval", "--no-mlflow"))
    assert line.startswith(f"error: gatekit.yaml:{expected}"), line
    assert "Input should" not in line and "<class" not in line, line


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        (
            "gatekit.yaml",
            "\ntimeout: 30\n",
            "\n  timeout: 30\n",
            "gatekit.yaml:16: invalid YAML: mapping values are "
            "not allowed here; check this line's indentation against the line above",
        ),
        (
            "thresholds/default.yaml",
            "\n  error_rate: {max: 1%}\n",
            "\n error_rate: {max: 1%}\n",
            "thresholds/default.yaml:7: invalid YAML: expected <block end>, but found '<block mapping start>'; indent "
            "this line like the other keys or items of its block (spaces only)",
        ),
        (
            "policies/default.yaml",
            "\n    outcome: deny\n",
            "\n   outcome: deny\n",
            "policies/default.yaml:13: invalid "
            "YAML: expected <block end>, but found '<block mapping start>'; indent this line like the other keys",
        ),
        (
            "gatekit.yaml",
            "\nexperiment: gatekit\n",
            "\nexperiment: `gatekit`\n",
            "gatekit.yaml:18: invalid YAML: found character '`' that cannot start any token; put the value in quotes",
        ),
    ],
    ids=["indented", "dedented", "policy", "backtick"],
)
def test_a_yaml_slip_says_what_to_do_not_only_what_pyyaml_saw(
    tmp_path: Path, name: str, old: str, new: str, expected: str
) -> None:
    root = _init(tmp_path)  # (was "...; fix it at that line" after PyYAML's words alone)
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    args = ["policy", "check", name] if name.startswith("policies") else ["eval", "--no-mlflow"]
    line = one_line_exit_2(gatekit(root, *args))
    assert line.startswith(f"error: {expected}"), line
    assert "fix it at that line" not in line, line


def test_a_check_written_as_a_comparison_asks_for_a_mapping(fresh: Path) -> None:
    text = (fresh / "thresholds" / "default.yaml").read_text(encoding="utf-8")
    (fresh / "nc21-th.yaml").write_text(text.replace("{max: 2000ms}", "< 2000ms"), encoding="utf-8")
    line = one_line_exit_2(gatekit(fresh, "eval", "--no-mlflow", "--thresholds", "nc21-th.yaml"))
    # (was "Input should be a valid dictionary or instance of CheckSpec")
    expected = "nc21-th.yaml:6: checks.latency_p95_ms: expected a mapping (key: value, or {key: value} on one line)"
    assert line == f"error: {expected}, got '< 2000ms'", line


def test_a_path_written_relative_to_the_working_folder_is_answered_with_the_path_meant(tmp_path: Path) -> None:
    root = _init(tmp_path)  # gatekit.yaml moved into conf/, its paths left as they were (relative to the root)
    (root / "conf").mkdir()
    (root / "gatekit.yaml").rename(root / "conf" / "gatekit.yaml")
    line = one_line_exit_2(gatekit(root, "eval", "--no-mlflow", "--config", "conf/gatekit.yaml"))
    # (was "conf/datasets/golden.jsonl: dataset file not found; check ...": nothing said why conf/)
    assert line == (
        "error: conf/gatekit.yaml:10: dataset: conf/datasets/golden.jsonl not found: paths in gatekit.yaml are "
        "relative to its folder (conf), not to the working directory; write ../datasets/golden.jsonl"
    ), line
    text = (root / "conf" / "gatekit.yaml").read_text(encoding="utf-8")
    (root / "conf" / "gatekit.yaml").write_text(text.replace(": datasets/", ": ../datasets/"), encoding="utf-8")
    line = one_line_exit_2(gatekit(root, "eval", "--no-mlflow", "--config", "conf/gatekit.yaml"))
    assert line.startswith("error: conf/gatekit.yaml:12: thresholds: conf/thresholds/default.yaml not found"), line
    assert line.endswith("write ../thresholds/default.yaml"), line


def test_an_agent_whose_own_import_fails_shows_that_import_error(tmp_path: Path) -> None:
    root = _init(tmp_path)
    agent = (root / "gatekit_example_agent.py").read_text(encoding="utf-8")
    (root / "gatekit_example_agent.py").write_text(
        agent.replace("import re\n", "import re\n\nimport nc21_sdk_not_installed\n", 1), encoding="utf-8"
    )
    line = one_line_exit_2(gatekit(root, "eval", "--no-mlflow"))
    # (was "module 'nc21_sdk_not_installed' not found (imported from the working directory ...); check the module
    # path and run gatekit from the folder that contains it": the agent's module was found, its import was not)
    assert line.startswith(
        "error: agent spec 'python:gatekit_example_agent:run': importing gatekit_example_agent failed: "
        "ModuleNotFoundError: No module named 'nc21_sdk_not_installed' (at gatekit_example_agent.py:"
    ), line
    assert "); install the package that provides 'nc21_sdk_not_installed' in the Python that runs gatekit" in line
    assert "working directory" not in line, line


def test_an_agent_that_raises_at_import_names_its_line(fresh: Path) -> None:
    (fresh / "nc21_agent.py").write_text("import os\n\nKEY = os.environ['NC21_UNSET_KEY']\n", encoding="utf-8")
    line = one_line_exit_2(gatekit(fresh, "eval", "--no-mlflow", "--agent", "python:nc21_agent:run"))
    assert line == "error: agent spec 'python:nc21_agent:run': importing nc21_agent failed: " + (
        "KeyError: 'NC21_UNSET_KEY' (at nc21_agent.py:3)"
    ), line


COMMANDS = [
    ["promote"], ["eval"], ["report"], ["drift"], ["canary"], ["watch"], ["rollback"], ["schema"], ["traces"],
    ["init"], ["policy", "check"], ["policy", "test"], ["guard", "serve"],
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(command) for command in COMMANDS])
def test_every_command_help_ends_with_examples_whose_options_exist(tmp_path: Path, command: list[str]) -> None:
    import re

    proc = gatekit(tmp_path, *command, "--help", env={"COLUMNS": "200"})  # (was: no command's --help had an example)
    assert proc.returncode == 0, proc.stderr
    help_text, _, examples = proc.stdout.partition(" Examples:")
    assert examples, proc.stdout
    shown = [line.strip() for line in examples.splitlines() if line.strip().startswith("gatekit ")]
    assert shown and all(line.startswith(f"gatekit {' '.join(command)}") for line in shown), shown
    for option in re.findall(r"\s(--?[a-z][\w-]*)", " ".join(shown)):
        assert re.search(rf"(^|\s){re.escape(option)}[\s,]", help_text), option


def test_init_into_a_missing_folder_and_a_misspelt_schema_say_what_to_do(tmp_path: Path) -> None:
    line = one_line_exit_2(gatekit(tmp_path, "init", "my-agnet/repo"))  # (was "is not a folder; run it in ...")
    assert line == "error: gatekit init: my-agnet/repo does not exist; create it first (mkdir -p my-agnet/repo) or " + (
        "check the path"
    ), line
    line = one_line_exit_2(gatekit(tmp_path, "schema", "production_log"))
    assert line.startswith("error: unknown schema 'production_log'; did you mean 'production-log'? use one of"), line


@pytest.mark.parametrize(("written", "meant"), [("maximum", "max"), ("Minimum", "min"), ("gte", "min"), ("maxx", "max")])
def test_a_limit_spelt_out_is_answered_with_the_key_meant(tmp_path: Path, written: str, meant: str) -> None:
    """``{maximum: 1%}`` got "remove it or check its spelling" (too far from ``max`` for a close-match guess)."""
    root = _init(tmp_path)
    (root / "thresholds" / "mine.yaml").write_text(f"checks:\n  error_rate: {{{written}: 1%}}\n", encoding="utf-8")
    line = one_line_exit_2(gatekit(root, "eval", "--no-mlflow", "--thresholds", "thresholds/mine.yaml"))
    assert f"thresholds/mine.yaml:2: unknown key 'checks.error_rate.{written}'; did you mean '{meant}'?" in line, line


@pytest.mark.parametrize(("flag", "unit"), [(["--timeout", "30s"], "s"), (["--timeout=2.5sec"], "sec")])
def test_a_number_flag_written_with_a_unit_says_to_drop_it(fresh: Path, flag: list[str], unit: str) -> None:
    """``--timeout 30s`` said only pydantic's "unable to parse string as a number" (gatekit.yaml's value says more)."""
    line = one_line_exit_2(gatekit(fresh, "eval", "--no-mlflow", *flag))
    assert line.startswith("error: Invalid value for '--timeout': "), line
    assert f": write the number alone, without {unit!r}; see 'gatekit eval --help'" in line, line
