"""Accuracy measures of wait estimates, as the research notes define them (times in seconds).

Every function takes parallel sequences (one entry per scored ticket) and returns None when
there is nothing to score, so an empty split never turns into a misleading 0 or a crash.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def rase(estimates: Sequence[float], realised: Sequence[float]) -> float | None:
    """Mean squared error divided by the squared mean realised wait.

    Relative to the mean wait so that a busy day and a quiet day are scored on one scale;
    None when every realised wait is zero (the ratio has no meaning then).
    """
    _check(estimates, realised)
    if not realised:
        return None
    mean = sum(realised) / len(realised)
    if mean <= 0:
        return None
    mse = sum((e - r) ** 2 for e, r in zip(estimates, realised)) / len(realised)
    return mse / (mean * mean)


def rmse(estimates: Sequence[float], realised: Sequence[float]) -> float | None:
    _check(estimates, realised)
    if not realised:
        return None
    return math.sqrt(sum((e - r) ** 2 for e, r in zip(estimates, realised)) / len(realised))


def bias(estimates: Sequence[float], realised: Sequence[float]) -> float | None:
    """Mean of estimate - realised: positive when customers are told too long a wait."""
    _check(estimates, realised)
    if not realised:
        return None
    return sum(e - r for e, r in zip(estimates, realised)) / len(realised)


def share_within(estimates: Sequence[float], realised: Sequence[float], tolerance: float) -> float | None:
    """Share of tickets whose realised wait is within ``tolerance`` of the estimate (inclusive)."""
    _check(estimates, realised)
    if not realised:
        return None
    return sum(abs(e - r) <= tolerance for e, r in zip(estimates, realised)) / len(realised)


def coverage(lows: Sequence[float], highs: Sequence[float], realised: Sequence[float]) -> float | None:
    """Share of realised waits inside the announced range [low, high], ends included."""
    _check(lows, realised)
    _check(highs, realised)
    if not realised:
        return None
    return sum(lo <= r <= hi for lo, hi, r in zip(lows, highs, realised)) / len(realised)


def precision_recall(predicted: set, actual: set) -> tuple[float | None, float | None]:
    """Precision and recall of a flag: ``predicted`` are the flagged items, ``actual`` the true ones.

    Precision is None when nothing was flagged, recall None when nothing was true.
    """
    hits = len(predicted & actual)
    precision = hits / len(predicted) if predicted else None
    recall = hits / len(actual) if actual else None
    return precision, recall


def summary(estimates: Sequence[float], realised: Sequence[float], lows: Sequence[float] | None = None,
            highs: Sequence[float] | None = None) -> dict[str, float | int | None]:
    """The table row of one estimator: RASE, RMSE and bias in minutes, share within ±5 min, coverage."""
    row: dict[str, float | int | None] = {
        "n": len(realised),
        "mean_wait_min": _minutes(sum(realised) / len(realised)) if realised else None,
        "rase": _round(rase(estimates, realised), 4),
        # Over customers who waited at all: the research notes' convention, for comparing with them.
        "rase_waited": _round(rase(*_waited(estimates, realised)), 4),
        "rmse_min": _minutes(rmse(estimates, realised)),
        "bias_min": _minutes(bias(estimates, realised)),
        "within_5min": _round(share_within(estimates, realised, 300.0), 4),
        # A handful of absurd estimates can dominate RASE: show the worst one beside it.
        "worst_error_min": _minutes(max((abs(e - r) for e, r in zip(estimates, realised)), default=None)),
    }
    if lows is not None and highs is not None:
        row["coverage"] = _round(coverage(lows, highs, realised), 4)
        waited = [i for i, r in enumerate(realised) if r > 0]
        row["coverage_waited"] = _round(coverage([lows[i] for i in waited], [highs[i] for i in waited],
                                                 [realised[i] for i in waited]), 4)
        # Those told "called at once" got no range to hold; the calibration aims at the others.
        ranged = [i for i, hi in enumerate(highs) if hi > 0]
        row["coverage_ranged"] = _round(coverage([lows[i] for i in ranged], [highs[i] for i in ranged],
                                                 [realised[i] for i in ranged]), 4)
    return row


def _waited(estimates: Sequence[float], realised: Sequence[float]) -> tuple[list[float], list[float]]:
    pairs = [(e, r) for e, r in zip(estimates, realised) if r > 0]
    return [e for e, _ in pairs], [r for _, r in pairs]


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60.0, 3)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _check(a: Sequence[float], b: Sequence[float]) -> None:
    if len(a) != len(b):
        raise ValueError(f"need one estimate per realised wait, got {len(a)} and {len(b)}")
