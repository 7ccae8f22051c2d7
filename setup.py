"""Build script: compiles the governance engine's hot modules with mypyc when it can.

Compiling is an optimisation, never a requirement. The compiled modules are the same Python sources, built
to C extensions by mypyc (part of mypy, a build requirement in pyproject.toml); policy decisions run about
2.5x as fast (benchmarks/governance.py). Without a C compiler, or when a module fails to compile, the install
goes on with the plain-Python modules: same behaviour, slower. ``GATEKIT_PURE_PYTHON=1`` skips compiling.
At run time ``gatekit.governance`` loads the plain sources instead when a source is newer than its compiled
module (an edited checkout) or when ``GATEKIT_PURE_PYTHON=1`` is set.
"""

from __future__ import annotations

import os
import runpy
import sys
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

# the module list lives in gatekit/governance/_compiled.py (stdlib-only, so it loads without gatekit's dependencies)
MODULES = runpy.run_path(str(Path(__file__).parent / "gatekit" / "governance" / "_compiled.py"))["MODULES"]
COMPILED = [name.replace(".", "/") + ".py" for name in MODULES]


def _warn(message: str) -> None:
    print(f"gatekit build: {message}; installing the plain-Python modules (same behaviour, slower)", file=sys.stderr)


def _extensions() -> list:
    if os.environ.get("GATEKIT_PURE_PYTHON") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _warn("mypyc is not available")
        return []
    # type information of gatekit's own modules is followed (a compiled rule class must know BaseRule); third-party
    # packages are skipped (their types are not needed to compile, and analysing pydantic takes minutes)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "mypyc.ini"
            config.write_text(
                "[mypy]\nignore_missing_imports = True\nfollow_imports = skip\n"
                "[mypy-gatekit.*]\nfollow_imports = silent\n"
            )
            extensions = mypycify(
                [f"--config-file={config}", *COMPILED],
                opt_level="3",
                debug_level="0",
                group_name="gatekit.governance._native",  # the shared library lives inside the package
            )
    except BaseException as exc:  # noqa: BLE001 - mypyc reports type errors with SystemExit
        _warn(f"mypyc could not compile the governance modules ({type(exc).__name__}: {exc})")
        return []
    return list(extensions)


class OptionalBuildExt(build_ext):
    """Build every compiled module or none: a failure removes what was built, so sources are never shadowed."""

    def run(self) -> None:
        """Build the extensions; on any failure remove them and keep the plain-Python modules."""
        if getattr(self, "editable_mode", False):
            self.inplace = True  # an editable install imports the package from the checkout: build next to it
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - compiler missing or failing: fall back, do not fail the install
            for output in self.get_outputs():
                Path(output).unlink(missing_ok=True)
            if self.inplace:
                for ext in self.extensions:
                    Path(self.get_ext_fullpath(ext.name)).unlink(missing_ok=True)
            _warn(f"compiling failed ({type(exc).__name__}: {exc})")


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
