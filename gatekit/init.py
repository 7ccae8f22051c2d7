"""``gatekit init``: scaffold a working gate into an existing repository, never overwriting.

The templates live in ``gatekit/scaffold/`` (package data). Each one is written only if
its target does not exist; existing files are skipped and reported. A folder that cannot
be written is a ``ConfigError`` (exit 2) that names it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from gatekit.errors import ConfigError

# template (relative to gatekit/scaffold) -> target (relative to the repository root).
# The workflow template sits in "github/" because package data skips dot-folders.
SCAFFOLD: tuple[tuple[str, str], ...] = (
    ("gatekit.yaml", "gatekit.yaml"),
    ("datasets/golden.jsonl", "datasets/golden.jsonl"),
    ("thresholds/default.yaml", "thresholds/default.yaml"),
    ("policies/default.yaml", "policies/default.yaml"),
    ("gatekit_example_agent.py", "gatekit_example_agent.py"),
    ("github/workflows/gate.yml", ".github/workflows/gate.yml"),
)


@dataclass
class InitResult:
    """What ``init`` did: files written and files left alone because they existed."""

    root: Path
    created: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def template_text(name: str) -> str:
    """The text of one scaffold template."""
    return resources.files("gatekit").joinpath("scaffold", *name.split("/")).read_text(encoding="utf-8")


def init_project(root: Path | str = ".") -> InitResult:
    """Write the scaffold into ``root``; skip every file that already exists.

    Raises ``ConfigError`` when ``root`` is missing, not a folder or not writable. A file
    is created with ``open(..., "x")`` so a file that appears concurrently is skipped,
    not clobbered.
    """
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"gatekit init: {root} is not a folder; run it in your repository's root")
    result = InitResult(root=root)
    for template, target in SCAFFOLD:
        path = root / target
        if path.exists() or path.is_symlink():
            result.skipped.append(path)
            continue
        text = template_text(template)
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
                + (f" ({len(result.created)} files were already written)" if result.created else "")
            ) from None
        result.created.append(path)
    return result
