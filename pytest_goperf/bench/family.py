"""The multiple-testing family of a service's benchmark rows: Tarone's screen, then Holm.

A Mann-Whitney test on n + n samples is discrete: its p-value can never fall
below a floor set by the sample sizes and ties (2 / C(2n, n) without ties;
1 when every value is equal).  Counting rows that can never be significant
only makes the correction stricter for the rows that can -- with 24 rows at
count 6 Holm needs p <= 0.0021, which 6 + 6 samples (best 0.0022) never give.

Tarone's method (R. E. Tarone, "A modified Bonferroni method for discrete
data", Biometrics 46:515-522, 1990) drops them: with p*_i the smallest p row
i can attain, K is the smallest integer such that at most K rows have
p*_i <= alpha / K, and only those rows form the family.  Every row left out
could not have been rejected at alpha / K anyway; every row kept can be
rejected on its own (p*_i <= alpha / K <= alpha / |family|).  The floors
depend only on the pooled sample of each row, never on which side a value
came from, so choosing the family this way keeps the family-wise error rate
at alpha; Holm's step-down then runs over the family as usual.
"""

from __future__ import annotations

import bisect
import math

from pytest_goperf.bench.utest import min_count_for_alpha


def holm(pvalues: list[float]) -> list[float]:
    """Holm step-down adjusted p-values, in the input order."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def tarone(min_ps: list[float], alpha: float) -> tuple[int, list[int]]:
    """(K, indices of the family): the smallest K with at most K floors <= alpha / K."""
    floors = sorted(min_ps)
    for k in range(1, len(floors) + 1):
        if bisect.bisect_right(floors, alpha / k) <= k:
            return k, [i for i, p in enumerate(min_ps) if p <= alpha / k]
    return 1, []  # no rows


def count_for_family(rows: int, alpha: float) -> int:
    """The count per side at which ``rows`` untied rows can all stay in the family (2/C(2n,n) <= alpha/rows)."""
    return min_count_for_alpha(alpha / max(rows, 1))


def min_attainable_p(n1: int, n2: int) -> float:
    """Smallest two-sided exact Mann-Whitney p-value for these sample sizes, without ties."""
    return 2 / math.comb(n1 + n2, n1) if n1 and n2 else 1.0
