"""The stumbles newcomer21 found, through the real CLI on a `gatekit init` project: files saved in another encoding
or holding a control character, MLflow tracking URIs with a typo, CSV datasets from a spreadsheet. One line naming the
file (and line) and what to do, exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import one_line_exit_2
from test_newcomer19 import gatekit


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
