"""The one local Spark session of a test process (``conftest.spark``) and the settings the Spark tests share.

Starting a JVM costs ~10 s, so every in-process Spark test in a pytest process shares one session, and
under xdist all of them run on one worker (``xdist_group("spark")``, set in ``conftest``). The data in tests
is tiny, so the settings favour start-up over throughput: one thread, one shuffle partition, no adaptive
planning, no whole-stage code generation (compiling a plan costs more than it saves on a few thousand rows:
a canary judgement of 12 000 rows takes ~1.6 s instead of ~5 s) and the JVM's quick C1 compiler only.

Loading Spark's ~15 000 classes is most of a JVM's start: the shared session's JVM writes them to a class-data
sharing archive when it exits (``-XX:ArchiveClassesAtExit``, once per JDK and Spark version, ~180 MB in
``~/.cache/gatekit-tests``), and every later test JVM maps it (``-XX:SharedArchiveFile``): start-up ~6.6 -> ~3.5
CPU-s each. The JVM checks the archive itself and ignores one it cannot use. ``GATEKIT_TEST_NO_CDS=1`` turns it off.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path
from typing import Any

# the JVM flags for every Spark test JVM (the shared session's and a ``gatekit`` subprocess's)
JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC -XX:-UsePerfData"


def _archive() -> Path | None:
    """This JDK's and Spark's class-data sharing archive (may not exist yet); None when turned off."""
    if os.environ.get("GATEKIT_TEST_NO_CDS") or sys.platform != "linux":
        return None
    try:
        import pyspark

        from gatekit.production.spark_engine import java_home
    except ImportError:
        return None
    key = hashlib.sha256(f"{java_home()}|{pyspark.__version__}|{JAVA_OPTIONS}".encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gatekit-tests"
    return cache / f"spark-classes-{key}.jsa"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def class_sharing(write: bool) -> str:
    """JVM flags that map the class-data sharing archive, or (``write``, none yet) have this JVM write it at exit.

    A JVM writes to ``<archive>.<pid>`` (its Python process's pid); a later call publishes a finished one (its
    writer gone, the file untouched for a minute) under the archive's name with an atomic rename, so a reader
    never maps a half-written file.
    """
    archive = _archive()
    if archive is None:
        return ""
    if not archive.is_file():
        for pending in sorted(archive.parent.glob(archive.name + ".*")):
            pid = pending.suffix[1:]
            # the JVM writes for a few seconds after its Python process is gone: a minute's quiet means done
            settled = time.time() - pending.stat().st_mtime > 60 and pending.stat().st_size > 0
            if pid.isdigit() and not _pid_alive(int(pid)) and settled:
                os.replace(pending, archive)
                break
    if archive.is_file():
        for stale in archive.parent.glob(archive.name + ".*"):  # finished or abandoned writes of others
            pid = stale.suffix[1:]
            if pid.isdigit() and not _pid_alive(int(pid)):
                stale.unlink(missing_ok=True)
        return f"-XX:SharedArchiveFile={archive} -Xlog:cds=off -Xlog:cds+dynamic=off"
    if not write:
        return ""
    archive.parent.mkdir(parents=True, exist_ok=True)
    return f"-XX:ArchiveClassesAtExit={archive}.{os.getpid()} -Xlog:cds=off -Xlog:cds+dynamic=off"


def subprocess_env(base: dict[str, str]) -> dict[str, str]:
    """``base`` plus ``PYSPARK_SUBMIT_ARGS`` giving a ``gatekit --engine spark`` subprocess the same quick JVM.

    Only JVM and planner settings a user could give the same way; the command still starts its own session
    (``spark_engine.local_session``: master, UI, time zone and shuffle partitions are its own).
    """
    java = f"{JAVA_OPTIONS} {class_sharing(write=False)}".strip()
    args = f'--conf spark.sql.codegen.wholeStage=false --driver-java-options "{java}" pyspark-shell'
    return {**base, "PYSPARK_SUBMIT_ARGS": args}


def start_session(warehouse: Path) -> Any:
    """Start (or return the process's) local Spark session with the test settings; skip or fail without Java."""
    import pytest

    pytest.importorskip("pyspark")
    from gatekit.production import spark_engine as se

    if se.java_home() is None:
        message = "Java 17 is needed for the Spark tests (install a JDK or set JAVA_HOME)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    from pyspark.sql import SparkSession

    os.environ.setdefault("JAVA_HOME", se.java_home() or "")
    session = (
        SparkSession.builder.master("local[1]")
        .appName("gatekit-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config(
            "spark.driver.extraJavaOptions",
            f"-Dderby.system.home={warehouse} {JAVA_OPTIONS} {class_sharing(write=True)}".strip(),
        )
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session
