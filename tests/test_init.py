"""``gatekit init``: every scaffolded file is valid, nothing is overwritten, bad folders exit 2."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from spine_project import run_cli

from gatekit.errors import ConfigError
from gatekit.init import PLACEHOLDER_MARK, SCAFFOLD, init_project, installed_source

TARGETS = [target for _, target in SCAFFOLD]


def gatekit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``gatekit ...`` through the console entry point, in process, without any GitHub/gatekit/MLflow settings."""
    clean = {k: None for k in os.environ if k.startswith(("GITHUB_", "GATEKIT_", "MLFLOW_"))}
    return run_cli(cwd, *args, env=clean)


def test_init_writes_every_file(tmp_path: Path) -> None:
    result = init_project(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in result.created] == [*TARGETS, ".gitignore"]
    assert result.skipped == []
    assert (tmp_path / ".github" / "workflows" / "gate.yml").read_text(encoding="utf-8").lstrip().startswith("#")


def test_scaffolded_files_are_valid_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gatekit.config import load_config
    from gatekit.dataset import load_dataset
    from gatekit.governance import load_policy
    from gatekit.regression import parse_limits
    from gatekit.verdict import load_thresholds

    init_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    config = load_config(tmp_path / "gatekit.yaml")
    assert config.agent == "python:gatekit_example_agent:run"
    assert len(load_dataset(config.dataset).cases) == 10
    thresholds = load_thresholds(config.thresholds)
    assert thresholds.checks and parse_limits(thresholds.max_regression)[0]
    assert load_policy(config.policy).id == "default"


def test_existing_files_are_skipped_and_reported(tmp_path: Path) -> None:
    (tmp_path / "gatekit.yaml").write_text("# mine\n", encoding="utf-8")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "gate.yml").write_text("name: mine\n", encoding="utf-8")
    proc = gatekit("init", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "skipped  gatekit.yaml (exists, left unchanged)" in proc.stdout
    assert f"skipped  {Path('.github/workflows/gate.yml')} (exists, left unchanged)" in proc.stdout
    assert "6 created, 2 skipped" in proc.stdout
    assert (tmp_path / "gatekit.yaml").read_text(encoding="utf-8") == "# mine\n"
    assert (tmp_path / ".github" / "workflows" / "gate.yml").read_text(encoding="utf-8") == "name: mine\n"
    again = gatekit("init", cwd=tmp_path)
    assert again.returncode == 0 and "0 created, 8 skipped" in again.stdout


def test_missing_folder_is_exit_2(tmp_path: Path) -> None:
    proc = gatekit("init", str(tmp_path / "nope"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "does not exist; create it first" in proc.stderr and "Traceback" not in proc.stderr
    with pytest.raises(ConfigError):
        init_project(tmp_path / "nope")


def _unwritable_dir(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        target = tmp_path / "readonly"
        target.mkdir()
        target.chmod(stat.S_IRUSR | stat.S_IXUSR)
        return target
    # root ignores permission bits; sysfs refuses new files even to root
    target = Path("/sys/fs")
    probe = target / "gatekit-probe"
    try:
        open(probe, "x").close()  # noqa: SIM115
    except OSError:
        return target
    probe.unlink()
    pytest.skip("running as root with no read-only folder available")


def test_unwritable_folder_is_exit_2(tmp_path: Path) -> None:
    target = _unwritable_dir(tmp_path)
    proc = gatekit("init", str(target), cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"cannot write {target}" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (target / "gatekit.yaml").exists()


@pytest.mark.slow
def test_init_then_eval_passes(tmp_path: Path) -> None:
    from mlflow_store import fresh_store

    assert gatekit("init", cwd=tmp_path).returncode == 0
    fresh_store(tmp_path / "mlflow.db")  # a migrated empty store: the real process skips MLflow's migrations
    proc = gatekit("eval", "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("PASS")
    assert (tmp_path / "reports" / "latest" / "verdict.json").exists()


def test_gitignore_is_written_then_completed_never_duplicated(tmp_path: Path) -> None:
    init_project(tmp_path)
    lines = (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {"mlflow.db", "mlruns/", "reports/"} <= set(lines)

    other = tmp_path / "other"
    other.mkdir()
    (other / ".gitignore").write_text("__pycache__/\n/mlflow.db", encoding="utf-8")  # no final newline
    result = init_project(other)
    assert other / ".gitignore" in result.updated
    text = (other / ".gitignore").read_text(encoding="utf-8")
    assert text.splitlines() == ["__pycache__/", "/mlflow.db", "# gatekit", "mlruns/", "reports/"]
    again = init_project(other)
    assert (other / ".gitignore").read_text(encoding="utf-8") == text
    assert other / ".gitignore" in again.skipped and again.updated == []


def _fake_install(site: Path, direct_url: dict[str, object] | None) -> None:
    info = site / "agent_gatekit-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: agent-gatekit\nVersion: 0.1.0\n", encoding="utf-8")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url), encoding="utf-8")


def test_workflow_never_installs_the_bare_pypi_name(tmp_path: Path) -> None:
    text = (REPO_ROOT / "gatekit/scaffold/github/workflows/gate.yml").read_text(
        encoding="utf-8"
    )
    installs = [line for line in text.splitlines() if "pip install" in line]
    assert installs and all("git+" in line and "agent-gatekit @" in line for line in installs)


def test_init_pins_the_git_commit_gatekit_was_installed_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    commit = "0123456789abcdef0123456789abcdef01234567"
    _fake_install(site, {"url": "https://github.com/acme/gatekit", "vcs_info": {"vcs": "git", "commit_id": commit}})
    monkeypatch.syspath_prepend(str(site))
    assert installed_source() == f"git+https://github.com/acme/gatekit@{commit}"
    repo = tmp_path / "repo"
    repo.mkdir()
    result = init_project(repo)
    workflow = (repo / ".github/workflows/gate.yml").read_text(encoding="utf-8")
    assert f'pip install "agent-gatekit @ git+https://github.com/acme/gatekit@{commit}"' in workflow
    assert PLACEHOLDER_MARK not in workflow and result.notes == []


@pytest.mark.parametrize(
    "direct_url",
    [
        {"url": "file:///src/gatekit", "dir_info": {"editable": True}},
        {"url": "https://user:secret@github.com/acme/gatekit", "vcs_info": {"vcs": "git", "commit_id": "0" * 40}},
        {"url": 'https://github.com/acme/gatekit"; curl evil', "vcs_info": {"vcs": "git", "commit_id": "0" * 40}},
        {"url": "https://github.com/acme/gatekit", "vcs_info": {"vcs": "git", "commit_id": "main; rm -rf"}},
    ],
)
def test_init_leaves_a_marked_placeholder_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, direct_url: dict[str, object]
) -> None:
    site = tmp_path / "site"
    _fake_install(site, direct_url)
    monkeypatch.syspath_prepend(str(site))
    assert installed_source() is None
    result = init_project(tmp_path)
    workflow = (tmp_path / ".github/workflows/gate.yml").read_text(encoding="utf-8")
    line = next(i for i, text in enumerate(workflow.splitlines(), 1) if PLACEHOLDER_MARK in text)
    assert result.notes == [
        f"edit {Path('.github/workflows/gate.yml')} line {line}: install gatekit from your fork or a pinned git ref "
        "(pip's name 'gatekit' is an unrelated project)"
    ]
    assert "user:secret" not in workflow and "evil" not in workflow
