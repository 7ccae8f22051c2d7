"""The governance modules that may be compiled with mypyc (``setup.py``), and the guard against stale ones.

A compiled module (``detectors.cpython-311-x86_64-linux-gnu.so``) sits next to its source and wins the import.
In an editable install (a checkout), editing the source would leave the old compiled module running; so when any
source there is newer than its compiled module, or ``GATEKIT_PURE_PYTHON=1`` is set, every module below is loaded
from its source instead (all of them: a compiled module must not mix with an edited one). Reinstalling
(``pip install -e .``) compiles again.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

# setup.py compiles exactly these (it reads this tuple from this file)
MODULES = (
    "gatekit.governance.detectors",
    "gatekit.governance.injection",
    "gatekit.governance.expressions",
    "gatekit.governance.policy",
    "gatekit.governance.rules.base",
    "gatekit.governance.rules.budget",
    "gatekit.governance.rules.condition",
    "gatekit.governance.rules.emergency_stop",
    "gatekit.governance.rules.injection",
    "gatekit.governance.rules.sensitive_data",
    "gatekit.governance.rules.terms",
    "gatekit.governance.rules.tools",
)
_ROOT = Path(__file__).resolve().parents[2]  # the directory that holds the gatekit package
# an installer writes a package's files one after another, in no set order: a source written a moment after its
# compiled module is not an edit (an edit after compiling comes minutes later, not within seconds)
_SLACK_S = 10.0


def _source(name: str) -> Path:
    return _ROOT.joinpath(*name.split(".")).with_suffix(".py")


def _compiled_file(name: str) -> Path | None:
    source = _source(name)
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = source.with_name(source.stem + suffix)
        if candidate.exists():
            return candidate
    return None


def _installed() -> bool:
    """True for a regular install (site-packages): its sources are not edited, and file times are install times."""
    return any(part in ("site-packages", "dist-packages") for part in _ROOT.parts)


def stale_or_disabled() -> str | None:
    """Why the plain sources must be loaded instead of compiled modules that exist (None: use them)."""
    if os.environ.get("GATEKIT_PURE_PYTHON") == "1":
        return "GATEKIT_PURE_PYTHON=1"
    if _installed():
        return None
    for name in MODULES:
        compiled = _compiled_file(name)
        if compiled is not None and compiled.stat().st_mtime + _SLACK_S < _source(name).stat().st_mtime:
            return f"{_source(name).name} is newer than its compiled module"
    return None


class _SourceFinder:
    """Finds the listed modules as plain sources, ahead of the compiled modules next to them."""

    @staticmethod
    def find_spec(fullname: str, path: Any = None, target: ModuleType | None = None) -> Any:
        if fullname not in MODULES:
            return None
        return importlib.util.spec_from_file_location(fullname, _source(fullname))


def install_guard() -> None:
    """Load the sources when compiled modules are stale or disabled (call before importing them)."""
    if _SourceFinder not in sys.meta_path and stale_or_disabled() is not None:
        sys.meta_path.insert(0, _SourceFinder)  # type: ignore[arg-type]


def compiled() -> bool:
    """True when the governance engine runs compiled code (the scanner module is an extension module)."""
    module = sys.modules.get("gatekit.governance.detectors")
    if module is None:
        importlib.import_module("gatekit.governance.detectors")
        module = sys.modules["gatekit.governance.detectors"]
    return not str(getattr(module, "__file__", "")).endswith(".py")
