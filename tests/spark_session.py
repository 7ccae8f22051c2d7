"""The one local Spark session of a test process (``conftest.spark``) and the settings the Spark tests share.

Starting a JVM costs ~10 s, so every in-process Spark test in a pytest process shares one session, and
under xdist all of them run on one worker (``xdist_group("spark")``, set in ``conftest``). The data in tests
is tiny, so the settings favour start-up over throughput: one thread, one shuffle partition, no adaptive
planning, no whole-stage code generation (compiling a plan costs more than it saves on a few thousand rows:
a canary judgement of 12 000 rows takes ~1.6 s instead of ~5 s) and the JVM's quick C1 compiler only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# the JVM flags for every Spark test JVM (the shared session's and a ``gatekit`` subprocess's)
JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC -XX:-UsePerfData"


def subprocess_env(base: dict[str, str]) -> dict[str, str]:
    """``base`` plus ``PYSPARK_SUBMIT_ARGS`` giving a ``gatekit --engine spark`` subprocess the same quick JVM.

    Only JVM and planner settings a user could give the same way; the command still starts its own session
    (``spark_engine.local_session``: master, UI, time zone and shuffle partitions are its own).
    """
    args = f'--conf spark.sql.codegen.wholeStage=false --driver-java-options "{JAVA_OPTIONS}" pyspark-shell'
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
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse} {JAVA_OPTIONS}")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session
