"""The canary's SQL, written once for DuckDB and Spark SQL.

Both engines run the same text: the engine's view ``gk_canary_rows`` carries the timestamp as integer
epoch microseconds (``ts_us``), so no date function differs between dialects. Percentiles are ``percentile_cont(q) WITHIN GROUP (ORDER BY x)`` (exact, linear interpolation, in
both engines); counts are ``sum(CASE ...)`` so no dialect-specific ``FILTER`` is needed.

Variant names are checked against ``SAFE_NAME`` before they reach a query; every other value is a number.
"""

from __future__ import annotations

import re

SAFE_NAME = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
SAFE_VERSION = re.compile(r"^[A-Za-z0-9_.:+@/\-]{1,128}$")  # an agent_version the rules name (a git sha, 1.2.3+b4)
# a failed request: an error type, unless it is the guard's own record of a governance decision (``policy_denied``
# with outcome ``deny``, ``review_required`` with ``require_review``): those are counted by deny_rate / review_rate, and
# counted as errors too they rolled back a canary whose policy denied as often as the baseline's ("error_rate > 1%" on
# traffic the policy denies 2 % of). A decision's error without its outcome still counts (unknown is not a success).
_ERROR = (
    "(error IS NOT NULL AND error <> '' AND NOT ((error = 'policy_denied' AND coalesce(outcome, '') = 'deny')"
    " OR (error = 'review_required' AND coalesce(outcome, '') = 'require_review')))"
)

WINDOW_FIELDS = (
    "window",
    "variant",
    "requests",
    "errors",
    "latency_n",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "cost_n",
    "cost_sum_usd",
    "governed",
    "denies",
    "reviews",
    "bad_outcomes",
    "bad_latency",
    "bad_cost",
    "id_rows",
    "distinct_ids",
    "version_rows",
    "version_min",
    "version_max",
    "newest_schema",
    "ahead",
    "first_us",
)
# the governance outcomes of the production-log format; any other value in ``outcome`` cannot be judged
OUTCOMES = ("allow", "allow_with_redaction", "require_review", "deny")


def _not_a_real_amount(column: str) -> str:
    """``column`` holds a negative, NaN or infinite number (NaN sorts above infinity in DuckDB and Spark)."""
    return f"({column} IS NOT NULL AND NOT ({column} >= 0 AND {column} < CAST('Infinity' AS DOUBLE)))"


def _epoch(dialect: str) -> str:
    return "ts_us"  # the same column in every dialect


def _where(
    dialect: str, variants: tuple[str, ...], start_us: int | None, end_us: int | None, untimed: bool = False
) -> str:
    """The variants' rows in ``[start_us, end_us)``; with ``untimed``, their rows without a time stamp as well."""
    for name in variants:
        if not SAFE_NAME.match(name):
            raise ValueError(f"variant name {name!r} must match {SAFE_NAME.pattern}")
    timed = ["ts_us IS NOT NULL"]
    if start_us is not None:
        timed.append(f"{_epoch(dialect)} >= {int(start_us)}")
    if end_us is not None:
        timed.append(f"{_epoch(dialect)} < {int(end_us)}")
    when = " AND ".join(timed)
    if untimed:
        when = f"(ts_us IS NULL OR ({when}))"
    return "variant IN (" + ", ".join(f"'{v}'" for v in variants) + ") AND " + when


def windows_sql(
    dialect: str, table: str, variants: tuple[str, ...], window_s: int, start_us: int | None, end_us: int,
    ahead_us: int | None = None,
) -> str:  # fmt: skip
    """Per window (index = epoch seconds // window_s) and variant: counts, latency percentiles, cost, outcomes.

    With ``ahead_us`` (the wall clock plus a tolerance), the variants' rows stamped at or after it come back as groups
    of their own (``ahead`` 1, window null, ``first_us`` their earliest time), in the same scan: a writer whose clock
    is ahead writes requests no window of the period holds (the caller holds the stage).

    The last two columns count the rows with a request id and (HyperLogLog, ~1.2x the query's time where an
    exact ``count(DISTINCT)`` costs ~3x) the distinct ids: copies of rows show as the difference.
    The variants' rows without a time stamp come back as a group of their own (window null), in the same scan:
    they fit no window, and left out silently they would vanish from the judgement (the caller refuses them).
    """
    bucket = f"CAST(floor({_epoch(dialect)} / {int(window_s) * 1_000_000}.0) AS BIGINT)"
    pct = "percentile_cont({q}) WITHIN GROUP (ORDER BY latency_ms)"
    where = _where(dialect, variants, start_us, end_us, untimed=True)
    ahead, group = "0", "1, 2"
    if ahead_us is not None:
        ahead = f"CASE WHEN ts_us >= {int(ahead_us)} THEN 1 ELSE 0 END"
        bucket = f"CASE WHEN ts_us >= {int(ahead_us)} THEN NULL ELSE {bucket} END"
        names = ", ".join(f"'{v}'" for v in variants)  # checked by _where above
        where = f"({where}) OR (variant IN ({names}) AND ts_us >= {int(ahead_us)})"
        group = "1, 2, 23"
    return f"""
SELECT {bucket} AS w, variant,
  count(*) AS requests,
  sum(CASE WHEN {_ERROR} THEN 1 ELSE 0 END) AS errors,
  count(latency_ms) AS latency_n,
  {pct.format(q=0.5)} AS p50,
  {pct.format(q=0.95)} AS p95,
  {pct.format(q=0.99)} AS p99,
  count(cost_usd) AS cost_n,
  sum(cost_usd) AS cost_sum,
  count(outcome) AS governed,
  sum(CASE WHEN outcome = 'deny' THEN 1 ELSE 0 END) AS denies,
  sum(CASE WHEN outcome = 'require_review' THEN 1 ELSE 0 END) AS reviews,
  sum(CASE WHEN outcome IS NOT NULL AND outcome NOT IN ({", ".join(f"'{o}'" for o in OUTCOMES)}) THEN 1 ELSE 0 END)
    AS bad_outcomes,
  sum(CASE WHEN {_not_a_real_amount("latency_ms")} THEN 1 ELSE 0 END) AS bad_latency,
  sum(CASE WHEN {_not_a_real_amount("cost_usd")} THEN 1 ELSE 0 END) AS bad_cost,
  count(request_id) AS id_rows,
  approx_count_distinct(request_id) AS distinct_ids,
  count(agent_version) AS version_rows,
  min(agent_version) AS version_min,
  max(agent_version) AS version_max,
  max(schema_version) AS newest_schema,
  {ahead} AS ahead,
  min(ts_us) AS first_us
FROM {table}
WHERE {where}
GROUP BY {group}
ORDER BY 1, 2
"""


def judged_table(table: str, versions: dict[str, str]) -> str:
    """``table``, or (when ``versions`` names a variant's agent_version) only the rows of that version for that variant.

    A row of such a variant with another ``agent_version``, or none, is not judged (rows of an earlier deployment
    under the same label must not count for the new one).
    """
    if not versions:
        return table
    parts = []
    for name, version in sorted(versions.items()):
        if not SAFE_NAME.match(name) or not SAFE_VERSION.match(version):
            raise ValueError(f"variant {name!r} / agent_version {version!r} must match {SAFE_VERSION.pattern}")
        parts.append(f"NOT (variant = '{name}' AND (agent_version IS NULL OR agent_version <> '{version}'))")
    return f"(SELECT * FROM {table} WHERE {' AND '.join(parts)}) gk_judged"


def versions_sql(
    dialect: str, table: str, variants: tuple[str, ...], start_us: int | None, end_us: int | None
) -> str:  # fmt: skip
    """Rows per variant and ``agent_version`` (null included) in the period, the most common first (at most 40)."""
    return (
        f"SELECT variant, agent_version, count(*) FROM {table} WHERE {_where(dialect, variants, start_us, end_us)} "
        "GROUP BY variant, agent_version ORDER BY 3 DESC, 1, 2 LIMIT 40"
    )


def variant_rows_sql(dialect: str, table: str, variants: tuple[str, ...]) -> str:
    """How many rows (any time) belong to ``variants``."""
    return f"SELECT count(*) FROM {table} WHERE {_where(dialect, variants, None, None)}"


def lookalike_variants_sql(dialect: str, table: str, variants: tuple[str, ...], start_us: int, end_us: int) -> str:
    """Rows in ``[start_us, end_us)`` whose ``variant`` is one of ``variants`` but for case or surrounding spaces.

    (``CANARY``, ``Canary``, `` canary``: most likely the judged variant's own rows, from a writer configured otherwise.)
    """
    where = _where(dialect, variants, start_us, end_us)
    timed = where.split(") AND ", 1)[1]
    folded = ", ".join(f"'{v.lower()}'" for v in variants)
    exact = ", ".join(f"'{v}'" for v in variants)
    return (
        f"SELECT variant, count(*) FROM {table} WHERE variant NOT IN ({exact}) AND lower(trim(variant)) IN ({folded}) "
        f"AND {timed} GROUP BY variant ORDER BY 2 DESC, 1 LIMIT 5"
    )


def variants_sql(dialect: str, table: str) -> str:
    """The five most common values of ``variant`` (null included) and their row counts."""
    return f"SELECT variant, count(*) FROM {table} GROUP BY variant ORDER BY 2 DESC, 1 LIMIT 5"


def rank_sum_sql(dialect: str, table: str, column: str, baseline: str, canary: str, start_us: int, end_us: int) -> str:
    """Mann-Whitney pieces computed in the engine over every row.

    Rows are grouped by value (ties share a group); a running sum over the sorted groups gives each
    group's last rank, so its mid-rank is ``cum - (t - 1) / 2``. Returns the canary rank sum, the
    canary and baseline counts and the tie term ``sum(t^3 - t)``.
    """
    if column not in ("latency_ms", "cost_usd"):
        raise ValueError(column)
    where = _where(dialect, (baseline, canary), start_us, end_us) + f" AND {column} IS NOT NULL"
    return f"""
WITH g AS (
  SELECT {column} AS x, sum(CASE WHEN variant = '{canary}' THEN 1 ELSE 0 END) AS nc, count(*) AS t
  FROM {table} WHERE {where} GROUP BY {column}
), r AS (
  SELECT nc, t, sum(t) OVER (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum FROM g
)
SELECT sum(nc * (cum - (t - 1) / 2.0)), sum(nc), sum(t) - sum(nc), sum(CAST(t AS DOUBLE) * t * t - t) FROM r
"""


SAMPLE_HEX = (
    8  # a request's sample bucket: the first 8 hex digits of md5(request_id), the same text on DuckDB and Spark
)
SAMPLE_BUCKETS = 16**SAMPLE_HEX


def sample_sql(
    dialect: str, table: str, column: str, baseline: str, canary: str, start_us: int, end_us: int,
    thresholds: dict[str, int],
) -> str:  # fmt: skip
    """A deterministic random sample of both variants in one scan: rows whose request-id bucket is below the variant's threshold.

    A row's bucket is the first ``SAMPLE_HEX`` hex digits of ``md5(request_id)`` (a row without one: of ``md5('')``),
    compared as text (fixed-width lower-case hex orders like its number). ``md5`` is the one hash DuckDB and Spark
    compute alike (their ``hash()`` functions differ: the engines drew different samples, so the same log gave
    different Hodges-Lehmann intervals). With ``threshold = SAMPLE_BUCKETS`` every row is kept (the exact
    computation); below, about ``threshold / SAMPLE_BUCKETS`` of the rows, the same rows on every run and engine.
    Returns ``(variant, value, bucket)``.
    """
    if column not in ("latency_ms", "cost_usd"):
        raise ValueError(column)
    where = _where(dialect, (baseline, canary), start_us, end_us) + f" AND {column} IS NOT NULL"
    bucket = f"substr(md5(coalesce(request_id, '')), 1, {SAMPLE_HEX})"

    def below(variant: str) -> str:
        limit = int(thresholds[variant])
        return "TRUE" if limit >= SAMPLE_BUCKETS else f"{bucket} < '{limit:0{SAMPLE_HEX}x}'"

    keep = f"(CASE WHEN variant = '{canary}' THEN {below(canary)} ELSE {below(baseline)} END)"
    return f"SELECT variant, {column}, {bucket} FROM {table} WHERE {where} AND {keep}"
