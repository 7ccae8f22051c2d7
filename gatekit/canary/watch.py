"""``gatekit watch``: follow a growing production log and stop the moment a rollback rule fires.

Every poll re-reads the source (new files matching a glob included) and runs the windows query
up to the last complete window at the wall-clock time; only the rollback rules are evaluated (no
comparisons). A log file truncated in place (logrotate's ``copytruncate``) or replaced under its name is read from
its start again, and what it held before stays judged (``gatekit.canary.follow``): the rules' streaks go on. When a rule fires, ``on_rollback`` (an argv list, never a shell) is run with the
``GATEKIT_ROLLBACK_*`` environment variables, and the watch returns 1.
"""

from __future__ import annotations

import math
import os
import subprocess
import time
from collections.abc import Callable
from typing import Any

from gatekit.canary.core import AHEAD_TOLERANCE_S, MAX_WINDOWS, CanaryResult, analyse, iso, parse_time
from gatekit.canary.engine import TABLE, open_engine
from gatekit.canary.follow import LogFollower
from gatekit.canary.rules import RolloutRules
from gatekit.drift.sources import NotRegularFileError, PathNameError, escaped_name
from gatekit.errors import ConfigError, DatasetError
from gatekit.fmt import noun
from gatekit.interrupts import raise_if_stopped

MAX_READ_RETRIES = 5  # polls in a row that may fail to read (a line being appended) before giving up
HOOK_TIMEOUT_S = 600  # the --on-rollback command's time
HOOK_STOP_GRACE_S = 5  # after a second stop, the command's time to end on SIGTERM before it is killed


class StoppedAfterRollback(KeyboardInterrupt):
    """A stop (SIGTERM, Ctrl-C) after a rollback rule fired: the decision was made and printed; it stands (exit 1)."""


def watch(
    logs: str,
    rules: RolloutRules,
    *,
    engine: str = "duckdb",
    since: str | None = None,
    interval_s: float | None = None,
    timeout_s: float | None = None,
    on_rollback: list[str] | None = None,
    emit: Callable[[str], None] = print,
    clock: Callable[[], float] = time.time,
    tracking_uri: str | None = None,
) -> int:
    """Poll ``logs`` until a rollback rule fires (return 1) or ``timeout_s`` passes (0; 4 when a rule judged nothing)."""
    if not rules.rollback:  # a watch judges rollback rules only: without one it would watch nothing
        raise ConfigError(
            "gatekit watch: the rules have no rollback rule (a watch judges rollback rules only, not compare "
            "metrics); add rollback: rules to the rules file"
        )
    # NaN never timed out, -1 raised; --timeout 0 is one poll (a hold), --interval 0 a busy loop
    if interval_s is not None and not (math.isfinite(interval_s) and interval_s > 0):
        raise ConfigError(f"--interval {interval_s:g}: give a number of seconds above 0 (e.g. --interval 5)")
    if timeout_s is not None and not (math.isfinite(timeout_s) and timeout_s >= 0):
        raise ConfigError(f"--timeout {timeout_s:g}: give a number of seconds, 0 or more (e.g. --timeout 600)")
    if engine not in ("duckdb", "spark"):  # before the banner and the first poll, not after them
        raise ConfigError(f"--engine {engine!r}: unknown engine; use duckdb or spark")
    _refuse_non_regular(logs)
    interval = interval_s if interval_s is not None else min(5.0, rules.window_seconds / 4)
    since_us = parse_time(since, "--since") if since else int(clock() * 1e6)
    windows = int(clock() * 1e6) // (rules.window_seconds * 1_000_000) - since_us // (rules.window_seconds * 1_000_000)
    if windows > MAX_WINDOWS:  # before the banner, not after it on the first poll
        raise ConfigError(f"--since: {windows:,} windows before --now; keep it under {MAX_WINDOWS:,}")
    deadline = None if timeout_s is None else clock() + timeout_s
    session: Any = None
    owned = False
    if engine == "spark":  # one session for the whole watch, not one per poll; a caller's session is reused
        from gatekit.production.spark_engine import local_session

        try:
            from pyspark.sql import SparkSession

            session = SparkSession.getActiveSession()
        except ImportError:
            session = None
        if session is None:
            session, owned = local_session("gatekit-watch"), True
    import shutil
    import tempfile
    from pathlib import Path

    from gatekit.production.mlflow_traces import is_mlflow_spec
    from gatekit.production.spark_engine import is_spark_table_spec

    folder = Path(tempfile.mkdtemp(prefix="gatekit-watch-"))  # copies of the log's rows (0700), removed at the end
    # files are followed (copies of their rows across a rotation); an MLflow experiment or a Spark table is a query
    mlflow_traces = is_mlflow_spec(logs)
    follower = None if mlflow_traces or is_spark_table_spec(logs) else LogFollower(logs, folder, emit)
    options: dict[str, Any] = {"tracking_uri": tracking_uri} if mlflow_traces else {}
    emit(
        f"watching {escaped_name(logs)}: {len(rules.rollback)} rollback rule(s), windows of {rules.window_seconds} s "
        f"from {iso(since_us)}, polling every {interval:g} s"
    )
    try:
        return _loop(
            logs, rules, engine, session, since_us, interval, deadline, timeout_s, on_rollback, emit, clock, follower,
            options,
        )  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if owned and session is not None:
            session.stop()


def _refuse_non_regular(logs: str) -> None:
    """A FIFO or a device as ``--logs`` is refused before the banner (it was watched, silently, until the timeout).

    A log not there yet is waited for, as at every poll.
    """
    from gatekit.drift.sources import resolve_paths
    from gatekit.production.mlflow_traces import is_mlflow_spec
    from gatekit.production.spark_engine import is_spark_table_spec

    if is_mlflow_spec(logs) or is_spark_table_spec(logs):
        return
    try:
        resolve_paths(logs, "logs")
    except NotRegularFileError:
        raise
    except DatasetError:
        return


def _loop(
    logs: str, rules: RolloutRules, engine: str, session: Any, since_us: int, interval: float,
    deadline: float | None, timeout_s: float | None, on_rollback: list[str] | None,
    emit: Callable[[str], None], clock: Callable[[], float], follower: LogFollower | None = None,
    options: dict[str, Any] | None = None,
) -> int:  # fmt: skip
    last_window = None
    failures = 0
    unread: DatasetError | None = None  # the last poll's read error, until a poll reads the log again
    judged: dict[str, Any] | None = None  # the last poll's judgement
    warned = False  # the rows of one label carry several agent versions: said once
    stale: tuple[int, int | None] | None = None  # rows stamped before --since (less the allowance) at the last poll
    behind_said = False  # a writer's clock behind: said once
    while True:
        result = None
        try:
            paths = follower.paths() if follower is not None else None  # (copies of rotated rows, then the log)
            # a file with nothing written yet is not an error: wait. A query source (MLflow, a Spark table: no
            # follower) is always asked (looked for as a file, it was never judged and every watch held at its timeout)
            if follower is None or paths:
                result = _judge(logs, rules, engine, int(clock() * 1e6), since_us, session, paths, options)
                failures, unread = 0, None
            else:  # the log is gone (or not there yet): an earlier judgement says nothing about now
                judged = None
        except (PathNameError, NotRegularFileError):  # a file name no engine opens, a FIFO: the same at every poll
            raise
        except DatasetError as exc:
            failures, unread = failures + 1, exc  # a line half-written: try again next poll
            if failures > MAX_READ_RETRIES:
                raise
        # a stop DuckDB turned into a read error is a stop, not a poll to retry (nor a judgement to act on)
        raise_if_stopped("watching")
        if result is not None:
            data = judged = result.data
            now_stale = data.get("rows_before_since") or (0, None)
            if stale is not None and not behind_said:
                behind = _behind_warning(stale, now_stale, since_us)
                if behind:
                    emit(behind)
                    behind_said = True
            stale = now_stale
            if data["versions"]["mixed"] and not warned:
                emit(f"WARNING: {data['versions']['reason']}")
                warned = True
            if data["windows"] and data["windows"][-1]["start"] != last_window:
                last_window = data["windows"][-1]["start"]
                canary = data["windows"][-1]["canary"]
                streaks = ", ".join(f"{r['name']}: {r['current_streak']}/{r['for_windows']}" for r in data["rules"])
                emit(
                    f"window {last_window}: canary {canary['requests']} {noun(canary['requests'], 'request')}; streaks {streaks}"
                )
            if data["rollback"]:
                fired = data["rollback"]
                emit(
                    f"ROLLBACK: rule '{fired['rule']}' fired at window {fired['fired_at']} "
                    f"(bad since {fired['since']}; windows {', '.join(fired['windows'])})"
                )
                try:  # the decision is made: a stop from here on must not turn it into "no decision" (exit 130)
                    if on_rollback and _run_hook(on_rollback, fired, emit):
                        raise StoppedAfterRollback("stopped while --on-rollback ran")
                    raise_if_stopped("watching")
                except StoppedAfterRollback:
                    raise
                except KeyboardInterrupt as exc:
                    raise StoppedAfterRollback(str(exc)) from None
                return 1
        if deadline is not None and clock() >= deadline:
            if unread is not None:  # the log could not be read at the end: "nothing fired" would be a guess
                raise unread
            blind = _rules_without_data(judged)
            if blind:  # a rule that judged no window said nothing: "nothing fired" would be a pass on no data
                emit(
                    f"HOLD: no canary data judged before the timeout ({timeout_s:g} s): rule(s) "
                    f"{'; '.join(blind)} had no window with enough requests; check --logs, --since and the variant "
                    "names the rows carry (exit 4)"
                )
                return 4
            if judged is not None and judged["versions"]["mixed"]:  # "nothing fired" on another version's rows too
                emit(f"HOLD: {judged['versions']['reason']} (exit 4)")
                return 4
            if judged is not None and any((judged.get("rows_ahead_of_now") or {}).values()):  # a writer's clock ahead
                said = [r for r in judged["reasons"] if "stamped after the current time" in r]
                emit(f"HOLD: {said[0] if said else 'rows stamped after the current time: a clock is ahead'} (exit 4)")
                return 4
            if judged is not None and judged["duplicates"]["evident"]:  # copies made windows look judged: not a pass
                emit(f"HOLD: {judged['duplicates']['reason']} (exit 4)")
                return 4
            if judged is not None and judged.get("lookalike_variants"):  # (CANARY): rows in no window, not a pass
                emit(f"HOLD: {judged['lookalike_variants']} (exit 4)")
                return 4
            silent = int((judged or {}).get("trailing_no_data_windows") or 0)
            if silent >= rules.min_windows:  # the canary stopped writing rows (crashed, no traffic): not a pass
                emit(
                    f"HOLD: the last {silent} window(s) before the timeout ({timeout_s:g} s) had fewer than "
                    f"{rules.min_requests} canary requests: the canary stopped receiving traffic or writing rows (exit 4)"
                )
                return 4
            emit(f"no rollback rule fired before the timeout ({timeout_s:g} s)")
            return 0
        time.sleep(interval)


def _rules_without_data(data: dict[str, Any] | None) -> list[str]:
    """Names of the rules that judged no window (every window no-data), all of them when nothing was read."""
    if data is None:
        return ["all (no rows read)"]
    return [f"'{r['name']}'" for r in data["rules"] if not (r["ok_windows"] or r["bad_windows"])]


def _judge(
    logs: str, rules: RolloutRules, engine: str, now_us: int, since_us: int, session: Any, paths: list[Any] | None,
    extra: dict[str, Any] | None = None,
) -> CanaryResult:  # fmt: skip
    options: dict[str, Any] = {"paths": paths} if paths else {}
    options.update(extra or {})
    eng = (
        open_engine(logs, engine, **options) if session is None else open_engine(logs, engine, spark=session, **options)
    )
    try:
        result = analyse(
            eng, rules, stage=rules.stages[0], now_us=now_us, since_us=since_us, with_comparisons=False,
            ahead_us=now_us + AHEAD_TOLERANCE_S * 1_000_000,  # rows stamped past the wall clock: a clock ahead
        )  # fmt: skip
        # rows stamped more than the allowance before --since: no window holds them (counted to see them grow)
        before = since_us - AHEAD_TOLERANCE_S * 1_000_000
        count, newest = eng.rows(f"SELECT count(*), max(ts_us) FROM {TABLE} WHERE ts_us < {int(before)}")[0]
        result.data["rows_before_since"] = (int(count or 0), None if newest is None else int(newest))
        return result
    finally:
        eng.close()


def _behind_warning(before: tuple[int, int | None], now: tuple[int, int | None], since_us: int) -> str | None:
    """A warning when rows stamped more than the allowance before ``--since`` were written since the last poll.

    They fit no window the watch judges: a writer whose clock is behind is never seen (the mirror of the rows a clock
    ahead writes, which hold a canary decision). Old rows already in the log when the watch began say nothing.
    """
    grown = now[0] - before[0]
    if grown <= 0 or now[1] is None:
        return None
    behind_s = (since_us - now[1]) / 1e6
    return (
        f"WARNING: {grown} new {noun(grown, 'row')} stamped before --since {iso(since_us)} (the newest "
        f"{iso(now[1])}, {behind_s / 60:.1f} min before it, more than the {AHEAD_TOLERANCE_S} s allowance): a "
        "writer's clock is behind, and its rows fit no window the watch judges; fix that clock (NTP), or give an "
        "earlier --since"
    )


def _run_hook(argv: list[str], fired: dict[str, object], emit: Callable[[str], None]) -> bool:
    """Run the ``--on-rollback`` command; True when a stop (SIGTERM, Ctrl-C) came while it ran.

    A first stop does not cut the command short (killed halfway, a rollback can leave an alias or the traffic split
    half moved): the watch says so and waits for it; a second stop ends it (SIGTERM, then SIGKILL after
    ``HOOK_STOP_GRACE_S``), and the watch says the rollback must be checked by hand.
    """
    env = {
        **os.environ,
        "GATEKIT_ROLLBACK_RULE": str(fired["rule"]),
        "GATEKIT_ROLLBACK_SINCE": str(fired["since"]),
        "GATEKIT_ROLLBACK_FIRED_AT": str(fired["fired_at"]),
    }
    started = time.monotonic()
    try:
        process = subprocess.Popen(argv, env=env)  # noqa: S603 - argv list, no shell
    except OSError as exc:
        emit(f"--on-rollback {argv[0]!r} could not run: {type(exc).__name__}: {exc}")
        return False
    stopped = False
    while True:
        try:
            try:
                process.wait(timeout=max(0.0, started + HOOK_TIMEOUT_S - time.monotonic()))
                break
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                emit(f"--on-rollback {argv[0]!r} could not run: TimeoutExpired: still running after {HOOK_TIMEOUT_S} s")
                return stopped
        except KeyboardInterrupt:
            if not stopped:
                stopped = True
                emit(
                    f"stop received while --on-rollback {argv[0]!r} runs: waiting for it to finish (a rollback cut "
                    "short is worse than a late one); stop again to end it"
                )
                continue
            _end(process)
            emit(
                f"--on-rollback {argv[0]!r} was stopped before it finished (exit {process.returncode}): "
                "check the rollback by hand"
            )
            return True
    emit(f"--on-rollback {argv[0]!r} exited {process.returncode} after {time.monotonic() - started:.1f} s")
    return stopped


def _end(process: subprocess.Popen[bytes]) -> None:
    """End a command: SIGTERM, then SIGKILL when it has not ended within ``HOOK_STOP_GRACE_S`` (stops ignored here)."""
    process.terminate()
    deadline = time.monotonic() + HOOK_STOP_GRACE_S
    while process.poll() is None:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
        except KeyboardInterrupt:
            continue
