"""A failing verdict.json for a run that ends without its own: the agent did not start, or the process vanished.

* **Did not start** (bad module path, import error, ``cmd:`` not found, MLflow model missing): verdict.json says
  ``fail`` with the exit code gatekit exits with (2 for an :class:`~gatekit.errors.AgentError`, 3 otherwise) and
  why, scrubbed of secrets. Before, the folder held no verdict at all.
* **Did not finish**: written once the results file is open, before the first case runs, and replaced by the run's
  own verdict when it is published. A process that vanishes meanwhile (``os._exit`` from a thread the agent
  started, SIGKILL, the out-of-memory killer) leaves ``fail`` / exit code 3 on disk, never a missing file a CI
  step might skip. A Ctrl-C / SIGTERM removes it again (gatekit exits 130 and says no verdict was published).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from gatekit.errors import EXIT_INFRA, GatekitError

log = logging.getLogger(__name__)

UNFINISHED_REASON = (
    "the run did not finish: gatekit stopped before writing this run's verdict (an error gatekit printed, or the "
    "process exited or was killed during the run); rerun the gate"
)


def _verdict(
    *, config: Any, command: str, started: datetime, dataset: Any, reason: str, exit_code: int, out: Path
) -> Any:
    from gatekit import __version__
    from gatekit.pipeline.model import CandidatePart, DatasetPart, ReplayPart, Verdict
    from gatekit.redact import display_spec

    return Verdict(
        command="promote" if command == "promote" else "eval",
        verdict="fail",
        exit_code=exit_code,
        reasons=[reason],
        dataset=DatasetPart.model_validate(dataset.summary()),
        candidate=CandidatePart(spec=display_spec(str(config.agent or ""))),
        gatekit_version=__version__,
        started_at=started.isoformat(),
        replay=ReplayPart(
            wall_s=0.0,
            concurrency=config.concurrency,
            timeout_s=config.timeout,
            retries=config.retries,
            repeat=config.repeat,
            stopped_early=True,
            deadline_s=config.deadline,
        ),
        out_dir=str(out),
    )


def write_unfinished(prep: Any) -> None:
    """verdict.json says ``fail`` (exit code 3, did not finish) until the run's own verdict replaces it."""
    from gatekit.fsio import atomic_write_text

    verdict = _verdict(
        config=prep.config,
        command=prep.command,
        started=prep.started,
        dataset=prep.dataset,
        reason=UNFINISHED_REASON,
        exit_code=EXIT_INFRA,
        out=prep.out,
    )
    atomic_write_text(prep.out / "verdict.json", verdict.to_json())


def remove_unfinished(out: Path) -> None:
    """Remove the did-not-finish verdict (an interrupted run: exit 130, no verdict published)."""
    from gatekit.fsio import remove_regular_file
    from gatekit.pipeline.model import Verdict

    path = out / "verdict.json"
    with contextlib.suppress(Exception):
        if Verdict.from_file(path).reasons == [UNFINISHED_REASON]:
            remove_regular_file(path)


def write_failed_start(
    *, config: Any, command: str, started: datetime, dataset: Any, exc: BaseException, locked: bool
) -> None:
    """verdict.json for an agent that did not start: ``fail``, the exit code gatekit exits with, and why.

    ``locked``: the caller holds the output folder's lock. Otherwise the folder is created and locked here; when
    another run holds it, nothing is written (that run's files are its own). Never raises.
    """
    from gatekit.fsio import OutputLock, atomic_write_text, remove_regular_file
    from gatekit.redact import scrub_message
    from gatekit.replay import STALE_OUTPUTS

    exit_code = exc.exit_code if isinstance(exc, GatekitError) else EXIT_INFRA
    what = str(exc) if isinstance(exc, GatekitError) else f"{type(exc).__name__}: {exc}"
    reason = " ".join(f"the agent failed to start: {scrub_message(what)}".split())
    out = Path(config.out)
    lock: Any = None
    try:
        if not locked:
            out.mkdir(parents=True, exist_ok=True)
            lock = OutputLock(out).acquire()
        for name in STALE_OUTPUTS:  # an earlier run's PASS and report must not outlive this failed start
            remove_regular_file(out / name)
        if config.junit is not None:
            remove_regular_file(config.junit)
        verdict = _verdict(
            config=config,
            command=command,
            started=started,
            dataset=dataset,
            reason=reason,
            exit_code=exit_code,
            out=out,
        )
        atomic_write_text(out / "verdict.json", verdict.to_json())
    except Exception as err:  # noqa: BLE001 - the run's own error is what gatekit reports
        log.debug("no verdict.json for the failed start: %s", err)
    finally:
        if lock is not None:
            lock.release()
