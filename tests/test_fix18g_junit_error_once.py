"""fix18g: a ``--junit`` path that cannot be written printed its error twice in non-quiet mode.

A log record (``ERROR gatekit.pipeline.publish: ...``) and the run's own ``error: ...`` line said the same thing.
Now the line is printed once whatever the mode (plain, ``--quiet``, ``--json``). A path under a regular file is a
bad path (exit 2, "pass a writable file path"), not a failing disk (exit 3).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import attack_gate, attack_project

ROW = '{"id": "c1", "input": "hi", "expected": {"output_contains": ["ok"]}}'


@pytest.mark.parametrize("mode", [[], ["--quiet"], ["--json"]])
@pytest.mark.parametrize("where", ["folder", "under-a-file"])
def test_an_unwritable_junit_path_is_said_once(tmp_path: Path, mode: list[str], where: str) -> None:
    project = attack_project(tmp_path, [ROW])
    (project / "a-file").write_text("x", encoding="utf-8")
    (project / "a-folder").mkdir()
    junit = "a-folder" if where == "folder" else "a-file/junit.xml"
    proc = attack_gate(project, "--no-mlflow", "--out", "out", "--junit", junit, *mode)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    said = [line for line in proc.stderr.splitlines() if f"--junit {junit}: cannot write the JUnit XML" in line]
    assert len(said) == 1, proc.stderr
    assert "pass a writable file path" in said[0] and "Traceback" not in proc.stderr
    assert (project / "out" / "verdict.json").exists()
