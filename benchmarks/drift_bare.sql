-- Baseline for benchmarks/drift.py: the same KS D and chi-square statistics as `gatekit drift`, as bare DuckDB SQL.
-- Run by benchmarks/drift_bare.py, which substitutes {ref} and {prod} (Parquet files / globs) and prints the result.
-- KS (exact, the small-reference shape): the reference's sorted distinct values are the boundaries of one
-- streaming histogram / histogram_exact aggregate over production; D from cumulative counts at those values
-- and just below them. Chi-square: category counts per side (one grouping-sets scan), sum (O - E)^2 / E.

SET VARIABLE b_input_chars = (SELECT list(DISTINCT input_chars::DOUBLE ORDER BY input_chars::DOUBLE) FROM read_parquet({ref}) WHERE input_chars IS NOT NULL);
SET VARIABLE b_input_tokens_est = (SELECT list(DISTINCT input_tokens_est::DOUBLE ORDER BY input_tokens_est::DOUBLE) FROM read_parquet({ref}) WHERE input_tokens_est IS NOT NULL);
SET VARIABLE b_output_tokens = (SELECT list(DISTINCT output_tokens::DOUBLE ORDER BY output_tokens::DOUBLE) FROM read_parquet({ref}) WHERE output_tokens IS NOT NULL);
SET VARIABLE b_latency_ms = (SELECT list(DISTINCT latency_ms ORDER BY latency_ms) FROM read_parquet({ref}) WHERE latency_ms IS NOT NULL);
SET VARIABLE b_cost_usd = (SELECT list(DISTINCT cost_usd ORDER BY cost_usd) FROM read_parquet({ref}) WHERE cost_usd IS NOT NULL);

-- one scan of production for the five numeric columns
CREATE TEMP TABLE prod_hist AS
SELECT
    histogram(input_chars::DOUBLE, getvariable('b_input_chars')) AS h_input_chars,
    histogram_exact(input_chars::DOUBLE, getvariable('b_input_chars')) AS e_input_chars,
    histogram(input_tokens_est::DOUBLE, getvariable('b_input_tokens_est')) AS h_input_tokens_est,
    histogram_exact(input_tokens_est::DOUBLE, getvariable('b_input_tokens_est')) AS e_input_tokens_est,
    histogram(output_tokens::DOUBLE, getvariable('b_output_tokens')) AS h_output_tokens,
    histogram_exact(output_tokens::DOUBLE, getvariable('b_output_tokens')) AS e_output_tokens,
    histogram(latency_ms, getvariable('b_latency_ms')) AS h_latency_ms,
    histogram_exact(latency_ms, getvariable('b_latency_ms')) AS e_latency_ms,
    histogram(cost_usd, getvariable('b_cost_usd')) AS h_cost_usd,
    histogram_exact(cost_usd, getvariable('b_cost_usd')) AS e_cost_usd
FROM read_parquet({prod});

CREATE TEMP TABLE ks_counts AS
WITH ref AS (
    SELECT 'input_chars' AS feature, input_chars::DOUBLE AS v FROM read_parquet({ref}) WHERE input_chars IS NOT NULL
    UNION ALL SELECT 'input_tokens_est', input_tokens_est::DOUBLE FROM read_parquet({ref}) WHERE input_tokens_est IS NOT NULL
    UNION ALL SELECT 'output_tokens', output_tokens::DOUBLE FROM read_parquet({ref}) WHERE output_tokens IS NOT NULL
    UNION ALL SELECT 'latency_ms', latency_ms FROM read_parquet({ref}) WHERE latency_ms IS NOT NULL
    UNION ALL SELECT 'cost_usd', cost_usd FROM read_parquet({ref}) WHERE cost_usd IS NOT NULL
), ref_counts AS (
    SELECT feature, v, count(*) AS rc FROM ref GROUP BY ALL
), maps AS (
    SELECT 'input_chars' AS feature, h_input_chars AS h, e_input_chars AS e FROM prod_hist
    UNION ALL SELECT 'input_tokens_est', h_input_tokens_est, e_input_tokens_est FROM prod_hist
    UNION ALL SELECT 'output_tokens', h_output_tokens, e_output_tokens FROM prod_hist
    UNION ALL SELECT 'latency_ms', h_latency_ms, e_latency_ms FROM prod_hist
    UNION ALL SELECT 'cost_usd', h_cost_usd, e_cost_usd FROM prod_hist
), hist AS (
    SELECT feature, unnest(map_keys(h)) AS v, unnest(map_values(h)) AS ph FROM maps
), exact AS (
    SELECT feature, unnest(map_keys(e)) AS v, unnest(map_values(e)) AS pe FROM maps
), totals AS (
    SELECT feature, sum(ph) AS n_prod FROM hist GROUP BY feature
)
SELECT r.feature, r.v, r.rc, coalesce(h.ph, 0) AS ph, coalesce(x.pe, 0) AS pe, t.n_prod
FROM ref_counts r
JOIN totals t USING (feature)
LEFT JOIN hist h ON h.feature = r.feature AND h.v = r.v
LEFT JOIN exact x ON x.feature = r.feature AND x.v = r.v;

CREATE TEMP TABLE ks AS
WITH cum AS (
    SELECT feature, v,
           sum(rc) OVER w AS r_le,
           sum(rc) OVER w - rc AS r_lt,
           sum(ph) OVER w AS p_le,
           sum(ph) OVER w - pe AS p_lt,
           sum(rc) OVER (PARTITION BY feature) AS n_ref,
           n_prod
    FROM ks_counts
    WINDOW w AS (PARTITION BY feature ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
), diffs AS (
    SELECT feature, r_le::DOUBLE / n_ref - p_le::DOUBLE / n_prod AS diff FROM cum
    UNION ALL
    SELECT feature, r_lt::DOUBLE / n_ref - p_lt::DOUBLE / n_prod FROM cum
)
SELECT feature, greatest(max(diff), -min(diff), 0) AS d FROM diffs GROUP BY feature;

-- one scan per side for the three categorical columns
CREATE TEMP TABLE cat_counts AS
WITH p AS (
    SELECT CASE WHEN grouping(role) = 0 THEN 'role' WHEN grouping(env) = 0 THEN 'env' ELSE 'language' END AS feature,
           coalesce(role, env, language) AS v, count(*) AS c
    FROM read_parquet({prod}) GROUP BY GROUPING SETS ((role), (env), (language))
), r AS (
    SELECT CASE WHEN grouping(role) = 0 THEN 'role' WHEN grouping(env) = 0 THEN 'env' ELSE 'language' END AS feature,
           coalesce(role, env, language) AS v, count(*) AS c
    FROM read_parquet({ref}) GROUP BY GROUPING SETS ((role), (env), (language))
)
SELECT feature, v, coalesce(r.c, 0) AS rc, coalesce(p.c, 0) AS pc
FROM r FULL OUTER JOIN p USING (feature, v) WHERE v IS NOT NULL;

CREATE TEMP TABLE chi2 AS
WITH t AS (
    SELECT feature, v, rc, pc, sum(rc) OVER f AS nr, sum(pc) OVER f AS np FROM cat_counts WINDOW f AS (PARTITION BY feature)
)
SELECT feature,
       sum((rc - (rc + pc) * nr / (nr + np)) ^ 2 / ((rc + pc) * nr / (nr + np))
         + (pc - (rc + pc) * np / (nr + np)) ^ 2 / ((rc + pc) * np / (nr + np))) AS chi2,
       count(*) - 1 AS dof
FROM t GROUP BY feature;

SELECT 'ks' AS test, feature, d AS statistic, NULL AS dof FROM ks
UNION ALL
SELECT 'chi2', feature, chi2, dof FROM chi2
ORDER BY 1, 2;
