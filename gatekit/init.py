"""``gatekit init``: scaffold a working gate into an existing repository, never overwriting.

The templates live in ``gatekit/scaffold/`` (package data). Each one is written only if
its target does not exist; existing files are skipped and reported. ``.gitignore`` is the
one exception: the lines gatekit needs (``mlflow.db``, ``mlruns/``, ``reports/``) are
appended when missing, never duplicated. A folder that cannot be written is a
``ConfigError`` (exit 2) that names it.

The workflow installs gatekit from a pinned git ref (the PyPI name ``gatekit`` belongs to
an unrelated project). When gatekit itself was installed from git, its
``direct_url.json`` gives that ref; otherwise the workflow keeps a marked placeholder line
and ``InitResult.notes`` says which line to edit.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from gatekit.errors import ConfigError
from gatekit.fmt import noun

# template (relative to gatekit/scaffold) -> target (relative to the repository root).
# The workflow template sits in "github/" because package data skips dot-folders.
SCAFFOLD: tuple[tuple[str, str], ...] = (
    ("gatekit.yaml", "gatekit.yaml"),
    ("datasets/golden.jsonl", "datasets/golden.jsonl"),
    ("thresholds/default.yaml", "thresholds/default.yaml"),
    ("thresholds/rollout.yaml", "thresholds/rollout.yaml"),
    ("policies/default.yaml", "policies/default.yaml"),
    ("gatekit_example_agent.py", "gatekit_example_agent.py"),
    ("github/workflows/gate.yml", ".github/workflows/gate.yml"),
)

DISTRIBUTION = "agent-gatekit"
GITIGNORE_LINES: tuple[str, ...] = ("mlflow.db", "mlruns/", "reports/")
# the placeholder in the workflow template, replaced by the source gatekit was installed from
PLACEHOLDER_SOURCE = "git+https://github.com/OWNER/gatekit@REF"
PLACEHOLDER_MARK = "# gatekit-init: EDIT this line (OWNER, REF)"
_SAFE_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]+)?/[A-Za-z0-9._~/-]+$")
_COMMIT = re.compile(r"^[0-9a-f]{7,64}$")


@dataclass
class InitResult:
    """What ``init`` did: files written and files left alone because they existed."""

    root: Path
    created: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def template_text(name: str) -> str:
    """The text of one scaffold template."""
    return resources.files("gatekit").joinpath("scaffold", *name.split("/")).read_text(encoding="utf-8")


def installed_source(distribution: str = DISTRIBUTION) -> str | None:
    """``git+URL@commit`` when gatekit was installed from git (PEP 610 ``direct_url.json``), else None.

    Only a plain https URL without credentials and a hex commit are accepted: the value is
    written into a workflow's shell line.
    """
    from importlib import metadata

    try:
        raw = metadata.distribution(distribution).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not raw:
        return None
    try:
        info = json.loads(raw)
    except ValueError:
        return None
    vcs = info.get("vcs_info") if isinstance(info, dict) else None
    if not isinstance(vcs, dict) or vcs.get("vcs") != "git":
        return None
    url, commit = info.get("url"), vcs.get("commit_id")
    if not isinstance(url, str) or not isinstance(commit, str):
        return None
    if not _SAFE_URL.match(url) or not _COMMIT.match(commit):
        return None
    return f"git+{url}@{commit}"


def workflow_text(source: str | None) -> str:
    """The workflow template, its install line pointing at ``source`` when one is known."""
    text = template_text("github/workflows/gate.yml")
    if source is None:
        return text
    return text.replace(f'{PLACEHOLDER_SOURCE}"  {PLACEHOLDER_MARK}', f'{source}"')


def _update_gitignore(root: Path, result: InitResult) -> None:
    """Append the lines gatekit needs to ``root/.gitignore``; never duplicate a line."""
    from gatekit.fsio import MAX_JSON_FILE_BYTES, read_input_text

    path = root / ".gitignore"
    try:
        existing = read_input_text(path, MAX_JSON_FILE_BYTES) if path.exists() else None  # (a FIFO: refused)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"gatekit init: cannot read {path} ({exc}); fix or remove it and rerun") from None
    present = {line.strip() for line in (existing or "").splitlines()}
    # "/mlflow.db" or "mlruns" in an existing file cover the same paths
    present |= {line.lstrip("/").rstrip("/") for line in present}
    missing = [line for line in GITIGNORE_LINES if line not in present and line.rstrip("/") not in present]
    if not missing:
        if existing is not None:
            result.skipped.append(path)
        return
    block = "".join(f"{line}\n" for line in missing)
    if existing is None:
        text = "# gatekit: local MLflow store and reports\n" + block
    else:
        text = ("" if existing.endswith("\n") or not existing else "\n") + "# gatekit\n" + block
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise ConfigError(f"gatekit init: cannot write {path} ({exc.strerror or type(exc).__name__})") from None
    (result.created if existing is None else result.updated).append(path)


def init_project(root: Path | str = ".") -> InitResult:
    """Write the scaffold into ``root``; skip every file that already exists.

    Raises ``ConfigError`` when ``root`` is missing, not a folder or not writable. A file
    is created with ``open(..., "x")`` so a file that appears concurrently is skipped,
    not clobbered.
    """
    root = Path(root)
    if not root.exists():  # (not created: a typo in the path would scaffold a project nobody finds)
        raise ConfigError(f"gatekit init: {root} does not exist; create it first (mkdir -p {root}) or check the path")
    if not root.is_dir():
        raise ConfigError(f"gatekit init: {root} is not a folder; run it in your repository's root")
    result = InitResult(root=root)
    source = installed_source()
    for template, target in SCAFFOLD:
        path = root / target
        if path.exists() or path.is_symlink():
            result.skipped.append(path)
            continue
        text = workflow_text(source) if target.endswith("gate.yml") else template_text(template)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8") as fh:
                fh.write(text)
        except FileExistsError:
            result.skipped.append(path)
            continue
        except OSError as exc:
            where = path.parent if not os.access(path.parent, os.W_OK) else path
            reason = exc.strerror or type(exc).__name__
            raise ConfigError(
                f"gatekit init: cannot write {where} ({reason}); run it in a folder you can write to"
                + (
                    f" ({len(result.created)} {noun(len(result.created), 'file was', 'files were')} already written)"
                    if result.created
                    else ""
                )
            ) from None
        result.created.append(path)
        if target.endswith("gate.yml") and PLACEHOLDER_MARK in text:
            line = 1 + text[: text.index(PLACEHOLDER_MARK)].count("\n")
            result.notes.append(
                f"edit {Path(target)} line {line}: install gatekit from your fork or a pinned git ref "
                "(pip's name 'gatekit' is an unrelated project)"
            )
    _update_gitignore(root, result)
    _note_existing_config(root, result)
    return result


# the settings a run needs, and what init writes for them
_CONFIG_FILES = {
    "dataset": "datasets/golden.jsonl",
    "thresholds": "thresholds/default.yaml",
    "policy": "policies/default.yaml",
}


def _note_existing_config(root: Path, result: InitResult) -> None:
    """A gatekit.yaml that was already there and lacks a run's settings: say which lines to add.

    The files just written are not wired into it (it is never overwritten), so without this note the next step,
    ``gatekit eval``, stops at "no dataset given".
    """
    from gatekit.errors import GatekitError
    from gatekit.yamlio import read_yaml

    path = root / "gatekit.yaml"
    if path not in result.skipped:
        return
    try:
        data, _ = read_yaml(path, ConfigError, "config")
    except (GatekitError, OSError):
        return  # `gatekit eval` says what is wrong with it, by line
    missing = [f"{key}: {target}" for key, target in _CONFIG_FILES.items() if key not in data]
    if "agent" not in data:
        missing.append("agent: python:gatekit_example_agent:run")
    if missing:
        result.notes.append(
            f"{path} was left unchanged and has no {', '.join(m.split(':')[0] for m in missing)}; "
            f"add: {'; '.join(missing)}"
        )
