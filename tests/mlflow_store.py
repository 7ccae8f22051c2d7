"""Fresh MLflow sqlite stores without paying for MLflow's ~100 schema migrations each time.

MLflow builds a new sqlite store by running every alembic migration (several seconds). A test that needs an
empty store gets a byte copy of one real, migrated, empty store that MLflow built once per test process; MLflow
opens the copy as it would any store it made itself (the tables exist, so it only checks the schema version).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

_TEMPLATE: list[Path] = []
TEMPLATE_HOME: list[Path] = []  # conftest puts a folder of pytest's basetemp here (cleaned like any tmp_path)


def template_store() -> Path:
    """The migrated, empty ``mlflow.db`` this process copies from (built by MLflow on first use)."""
    if not _TEMPLATE:
        if TEMPLATE_HOME:
            folder = TEMPLATE_HOME[0]
        else:  # outside pytest
            folder = Path(tempfile.mkdtemp(prefix="gatekit-mlflow-template-"))
            atexit.register(shutil.rmtree, folder, True)
        path = folder / "mlflow.db"
        import fcntl

        # the xdist workers of one run share the folder: the first builds the template, the others copy it
        with open(folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.exists():
                _build(folder, path)
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


def _build(folder: Path, path: Path) -> None:
    """Let MLflow create and migrate an empty store, then move it to ``path`` in one step."""
    import logging

    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    for name in ("mlflow", "alembic"):  # "Creating initial MLflow database tables..." is not test output
        logging.getLogger(name).setLevel(logging.WARNING)
    building = folder / f"building-{os.getpid()}.db"
    store = SqlAlchemyStore(f"sqlite:///{building}", str(folder / "artifacts"))
    store.engine.dispose()  # nothing of the template stays open
    os.replace(building, path)


def fresh_store(path: Path) -> str:
    """Put an empty, migrated MLflow store at ``path`` (which must not exist); return its ``sqlite:///`` URI."""
    if path.exists():
        raise FileExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_store(), path)
    return f"sqlite:///{path}"


def seed_store_for_cli(root: Path, args: tuple[str, ...], env: Mapping[str, str | None]) -> None:
    """Before a ``gatekit`` command that will log to a sqlite store that does not exist yet, put a fresh one there.

    The store is found as gatekit finds it: ``--tracking-uri``, else ``MLFLOW_TRACKING_URI``, else MLflow's
    default ``mlflow.db`` in the working directory (when there is no ``mlruns`` folder). Commands that do not
    log (``--no-mlflow``, other subcommands) and non-sqlite stores are left alone.
    """
    command = next((a for a in args if not a.startswith("-")), None)
    if command not in ("eval", "promote", "drift") or "--no-mlflow" in args:
        return
    uri = None
    if "--tracking-uri" in args:
        index = args.index("--tracking-uri")
        uri = args[index + 1] if index + 1 < len(args) else None
    else:
        uri = env.get("MLFLOW_TRACKING_URI")
    if uri is None:
        if (root / "mlruns").exists():
            return
        path = root / "mlflow.db"
    elif uri.startswith("sqlite:///"):
        path = Path(uri[len("sqlite:///") :])
        path = path if path.is_absolute() else root / path
    else:
        return
    if not path.exists() and path.parent.is_dir():
        fresh_store(path)
