"""The statistics of drift: two-sample KS with an interval for D, chi-square with Cramér's V, BH q-values.

scipy lives here. The engines (``gatekit.production``) compute D and the category counts; these
functions turn those summaries into p-values, intervals and effect sizes, as plain dicts checked
against independent known values (R's ks.test, scipy).
"""

from __future__ import annotations

import math
from typing import Any

EXACT_MAX_N = 10_000  # scipy's own "auto" rule: exact p-values up to this sample size, asymptotic above
OTHER = "(other)"


def dkw_margin(n: int, alpha: float) -> float:
    """Dvoretzky-Kiefer-Wolfowitz margin: sup|F_n - F| <= margin with probability >= 1 - alpha."""
    return math.sqrt(math.log(2.0 / alpha) / (2.0 * n))


def ks_from_statistic(
    d: float,
    numerator: int,
    n_ref: int,
    n_prod: int,
    *,
    location: float | None = None,
    sign: int = 1,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """The result of ``ks_2samp(method="auto")`` from D computed elsewhere (an engine), as a dict.

    ``d`` is the double-precision ECDF difference; ``numerator`` the same difference as an integer over
    ``n_ref * n_prod``. Like scipy: exact p-value when both sides have at most ``EXACT_MAX_N`` values (D is
    then the rational ``h / lcm``), Smirnov's asymptotic distribution (``kstwo`` at round(n·m/(n+m))) above,
    or when the exact computation fails.
    """
    import warnings

    import numpy as np
    from scipy.stats import kstwo

    method = "exact" if max(n_ref, n_prod) <= EXACT_MAX_N else "asymp"
    statistic = float(d)
    p_value = math.nan
    if method == "exact":
        from scipy.stats import _stats_py  # scipy's own exact two-sample routine, the one ks_2samp calls

        g = math.gcd(n_ref, n_prod)
        if n_ref // g >= np.iinfo(np.int32).max / (n_prod // g):
            method = "asymp"
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                success, statistic, p_value = _stats_py._attempt_exact_2kssamp(
                    n_ref, n_prod, g, numerator / (n_ref * n_prod), "two-sided"
                )
            statistic = float(statistic)
            if not success:
                method = "asymp"
    if method == "asymp":
        m, n = sorted([float(n_ref), float(n_prod)], reverse=True)
        p_value = float(kstwo.sf(statistic, np.round(m * n / (m + n))))
    p_value = float(min(max(p_value, 0.0), 1.0))
    alpha = 1.0 - confidence
    margin = dkw_margin(n_ref, alpha / 2) + dkw_margin(n_prod, alpha / 2)
    return {
        "statistic": statistic,
        "p_value": p_value,
        "method": method,
        "d_interval": [max(0.0, statistic - margin), min(1.0, statistic + margin)],
        "d_location": location,
        "d_sign": sign,
    }


def cramers_v_balanced(ref_row: list[float], prod_row: list[float]) -> float:
    """Cramér's V of the 2 x k table with both rows rescaled to the same total.

    Plain Cramér's V of a 5,000 vs 1,000,000 table is tiny for any difference short of
    complete separation, because it mixes the sample-size ratio into the effect. With
    equal rows, V**2 = 1/4 * sum_j (p_j - q_j)**2 / ((p_j + q_j) / 2): 0 for identical
    distributions, 1 for disjoint ones, whatever the sample sizes.
    """
    n_ref, n_prod = sum(ref_row), sum(prod_row)
    if n_ref <= 0 or n_prod <= 0:
        return 0.0
    total = 0.0
    for a, b in zip(ref_row, prod_row, strict=True):
        p, q = a / n_ref, b / n_prod
        mean = (p + q) / 2
        if mean > 0:
            total += (p - q) ** 2 / mean
    return min(1.0, math.sqrt(total / 4.0))


def chi2_pooled(
    categories: list[str],
    reference_counts: list[int],
    production_counts: list[int],
    pooled_reference: int,
    pooled_production: int,
    pooled_count: int,
    min_expected: float,
    *,
    exact: bool = True,
) -> dict[str, Any]:
    """Chi-square test of homogeneity from counts an engine already pooled (kept categories, most frequent first).

    Finishes the pooling rule on the small table: the pooled ``(other)`` column is kept when its
    expected count reaches ``min_expected``, else merged into the least frequent kept category (never
    down to one category). Same statistic, p-value and Cramér's V as the test on the full
    table pooled by that rule (checked against scipy in tests/production).
    When the pooled column stays under ``min_expected`` (beside one common category: a 2 x 2 table)
    the p-value is Fisher's exact test's (``test`` says which), with ``exact``; a list feature passes
    ``exact=False``: its chi-square gets the cluster correction instead.
    """
    from scipy.stats import chi2_contingency

    kept = list(categories)
    table = [[float(c) for c in reference_counts], [float(c) for c in production_counts]]
    n_ref = sum(reference_counts) + pooled_reference
    n_prod = sum(production_counts) + pooled_production
    total = n_ref + n_prod
    if pooled_count:
        other = [float(pooled_reference), float(pooled_production)]
        other_expected = (other[0] + other[1]) * min(n_ref, n_prod) / total
        if other_expected < min_expected and len(kept) >= 2:
            table[0][-1] += other[0]
            table[1][-1] += other[1]
            kept[-1] = OTHER
        else:
            kept.append(OTHER)
            table[0].append(other[0])
            table[1].append(other[1])
    if len(kept) < 2:
        statistic, p_value, dof = 0.0, 1.0, 0
    else:
        result = chi2_contingency(table, correction=False)
        statistic, p_value, dof = float(result.statistic), float(result.pvalue), int(result.dof)
    # the smallest expected count of the tested table (a column's total on the smaller side's share): the pooled
    # (other) column is kept under ``min_expected`` when only one category is common; the table is then 2 x 2, and
    # Fisher's exact test gives its p-value (the chi-square's was rough there, and too small: a drift at p = 0.027
    # for five rows of a new label against 100 of a common one, where the exact p is 0.060)
    expected = [(table[0][j] + table[1][j]) * min(n_ref, n_prod) / total if total else 0.0 for j in range(len(kept))]
    smallest = min(range(len(kept)), key=expected.__getitem__, default=None)
    test = "chi2"
    if exact and len(kept) == 2 and smallest is not None and expected[smallest] < min_expected:
        from scipy.stats import fisher_exact

        test = "fisher_exact"
        counts = [[int(round(c)) for c in row] for row in table]
        p_value = float(min(1.0, fisher_exact(counts).pvalue))
    return {
        "test": test,
        "statistic": statistic,
        "p_value": p_value,
        "dof": dof,
        "min_expected_count": expected[smallest] if smallest is not None else None,
        "min_expected_category": kept[smallest] if smallest is not None else None,
        "cramers_v": cramers_v_balanced(table[0], table[1]) if len(kept) >= 2 else 0.0,
        "cramers_v_unweighted": math.sqrt(statistic / total) if total else 0.0,
        "categories_tested": kept,
        "table": table,
    }


def rao_scott_first_order(
    table: list[list[float]], sum_yy: list[list[int]], sum_ym: list[list[int]], sum_mm: list[int]
) -> float:
    """The mean generalised design effect (Rao & Scott's first-order correction) of a 2 x k table of clustered counts.

    Each side is a sample of requests (clusters), request i making m_i calls of which y_ij fall in column j
    (``table[s][j] = Σ_i y_ij``); ``sum_yy[s][j] = Σ_i y_ij²``, ``sum_ym[s][j] = Σ_i y_ij m_i``, ``sum_mm[s] = Σ_i
    m_i²``. The design effect of side s's share p_sj = Y_sj / M_s is its with-replacement cluster variance
    ``Σ_i (y_ij - p_sj m_i)² / M_s²`` over the multinomial one ``p_sj (1 - p_sj) / M_s`` (1 when p_sj is 0 or 1: no
    variance to compare); then (Rao & Scott 1987, test of homogeneity of independent samples)
    ``δ = Σ_s Σ_j (1 - M_s / M) (1 - p_j) d_sj / (k - 1)`` with p_j the pooled share. Pearson's X² / δ is referred
    to chi-square with k - 1 degrees of freedom. Computed in exact fractions: a request with exactly one call
    gives d = 1, so one call per request gives δ = 1 exactly (the plain test).
    """
    from fractions import Fraction

    width = len(table[0])
    sides = [int(round(sum(row))) for row in table]
    total = sum(sides)
    if width < 2 or min(sides) <= 0:
        return 1.0
    delta = Fraction(0)
    for s in range(2):
        m_s = sides[s]
        for j in range(width):
            y = int(round(table[s][j]))
            pooled = Fraction(int(round(table[0][j] + table[1][j])), total)
            if 0 < y < m_s:  # Σ (y_ij - p m_i)² M² over M · Y (M - Y), p = Y / M
                spread = sum_yy[s][j] * m_s * m_s - 2 * y * sum_ym[s][j] * m_s + y * y * sum_mm[s]
                design = Fraction(spread, m_s * y * (m_s - y))
            else:
                design = Fraction(1)
            delta += Fraction(total - m_s, total) * (1 - pooled) * design
    return float(delta / (width - 1))


def rao_scott_chi2(statistic: float, dof: int, delta: float) -> tuple[float, float]:
    """(X² / δ, its chi-square p-value on ``dof`` degrees of freedom); δ = 0 (every request alike) and X² > 0: p = 0."""
    from scipy.stats import chi2

    if dof <= 0:
        return statistic, 1.0
    if delta <= 0:
        return (math.inf, 0.0) if statistic > 0 else (0.0, 1.0)
    corrected = statistic / delta
    return corrected, float(chi2.sf(corrected, dof))


def missing_rate_test(
    ref_missing: int, ref_rows: int, prod_missing: int, prod_rows: int, min_expected: float = 5.0
) -> dict[str, Any]:
    """Compare the share of missing values: a 2 x 2 test (missing / present), V as effect size.

    Pearson's chi-square while every expected count reaches ``min_expected`` (Cochran's rule, as for categories);
    below it Fisher's exact test (two-sided), whose p-value is exact at any count. The chi-square's normal
    approximation fails there: one missing value in 12 production rows against none in 100 reference rows gave
    p = 0.0037 (a drift), where the exact p is 12/112 = 0.107. ``statistic`` is Pearson's X² either way.
    """
    from scipy.stats import chi2_contingency, fisher_exact

    ref_row = [float(ref_missing), float(ref_rows - ref_missing)]
    prod_row = [float(prod_missing), float(prod_rows - prod_missing)]
    columns = [ref_row[0] + prod_row[0], ref_row[1] + prod_row[1]]
    total = columns[0] + columns[1]
    test = "chi2"
    if min(columns) == 0:
        statistic, p_value = 0.0, 1.0
    else:
        result = chi2_contingency([ref_row, prod_row], correction=False)
        statistic, p_value = float(result.statistic), float(result.pvalue)
        smallest = min(columns) * min(sum(ref_row), sum(prod_row)) / total
        if smallest < min_expected:
            test = "fisher_exact"
            table = [[ref_missing, ref_rows - ref_missing], [prod_missing, prod_rows - prod_missing]]
            p_value = float(min(1.0, fisher_exact(table).pvalue))
    return {
        "test": test,
        "statistic": statistic,
        "p_value": p_value,
        "dof": 1,
        "cramers_v": cramers_v_balanced(ref_row, prod_row),
        "reference_rate": ref_missing / ref_rows if ref_rows else 0.0,
        "production_rate": prod_missing / prod_rows if prod_rows else 0.0,
    }


def bh_qvalues(p_values: list[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input order."""
    m = len(p_values)
    if m == 0:
        return []
    order = sorted(range(m), key=lambda i: p_values[i])
    q = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        q[i] = min(1.0, running)
    return q
