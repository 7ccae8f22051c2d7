"""Stage 5, verdict: turn the checks and the accounting into the typed :class:`Verdict`."""

from __future__ import annotations

from typing import Any

from gatekit import __version__
from gatekit.errors import EXIT_FAIL, EXIT_INCONCLUSIVE, EXIT_PASS
from gatekit.models import CheckStatus
from gatekit.pipeline.checks import Assessment
from gatekit.pipeline.judge import Judged
from gatekit.pipeline.model import (
    CandidatePart,
    CaseRow,
    CheckResult,
    DatasetPart,
    DominantError,
    ErrorsPart,
    GovernancePart,
    MlflowPart,
    ReplayPart,
    SamplePart,
    Verdict,
)
from gatekit.pipeline.prepare import Prepared
from gatekit.redact import display_spec
from gatekit.verdict import describe, overall

EXIT_CODES = {"pass": EXIT_PASS, "fail": EXIT_FAIL, "inconclusive": EXIT_INCONCLUSIVE}
_FAILED_LISTED = 100
_UNPASSED_LISTED = 50


def build_verdict(prep: Prepared, judged: Judged, assessment: Assessment) -> Verdict:
    """The verdict (pass / fail / inconclusive), its reasons and every part verdict.json shows."""
    checks = assessment.checks
    word = overall(checks)
    reasons = [describe(c) for c in checks if c.status is not CheckStatus.PASS]
    dominant = DominantError(**assessment.dominant_error) if assessment.dominant_error else None
    if dominant is not None and word != "pass":
        reasons.insert(0, f"most cases failed with the same error: {dominant.describe()}")
    metrics = assessment.metrics
    stats = judged.stats
    config = prep.config
    return Verdict(
        command=prep.command,  # type: ignore[arg-type]  # eval or promote, checked by the model
        verdict=word,  # type: ignore[arg-type]
        exit_code=EXIT_CODES[word],
        reasons=reasons,
        checks=[CheckResult.from_check(c) for c in checks],
        metrics=metrics,
        errors=ErrorsPart(
            by_type=dict(judged.inputs.errors_by_type),
            first_attempt_error_rate=metrics["first_attempt_error_rate"],
            final_error_rate=metrics["error_rate"],
            retried_cases=metrics["retried_cases"],
            dominant=dominant,
        ),
        governance=GovernancePart.model_validate(assessment.governance),
        drift=assessment.drift,
        dataset=DatasetPart.model_validate(prep.dataset.summary()),
        candidate=CandidatePart(spec=display_spec(prep.agent_spec)),
        gatekit_version=__version__,
        started_at=prep.started.isoformat(),
        replay=ReplayPart(
            wall_s=round(stats.wall_s, 3),
            concurrency=config.concurrency,
            timeout_s=config.timeout,
            retries=config.retries,
            repeat=config.repeat,
            stopped_early=stats.stopped_early,
            deadline_s=config.deadline,
            deadline_hit=stats.deadline_hit,
            resumed_cases=prep.resumed.kept,
            torn_bytes_dropped=prep.resumed.torn_bytes,
            attempts=stats.attempts,
            pass_counts=judged.pass_counts.metrics() if config.repeat > 1 else None,
            stop_after_identical_failures=config.stop_after_identical_failures,
        ),
        sample=SamplePart(**prep.sample) if prep.sample else None,
        out_dir=str(prep.out),
        failed_cases=_rows(judged.failed_cases[:_FAILED_LISTED]),
        slowest_cases=_rows(judged.slowest),
        unpassed_cases=_rows(judged.unpassed[:_UNPASSED_LISTED]),
        mlflow=MlflowPart(),
    )


def _rows(rows: list[dict[str, Any]]) -> list[CaseRow]:
    return [CaseRow.model_validate(row) for row in rows]
