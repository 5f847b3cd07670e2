"""Queueing formulas: the Erlang (gamma) wait distribution and Erlang C.

Stdlib only. A ticket that needs ``k`` window departures before its call, with
departures arriving at a steady rate, waits an Erlang(k) time; Erlang C gives the
chance that a newcomer waits at all in an M/M/s hall.
"""

from __future__ import annotations

import math


__all__ = ["erlang_c", "erlang_c_tail", "gamma_quantile", "gamma_sf", "normal_cdf"]

EXACT_SHAPE_LIMIT = 40
"""Up to this shape the gamma tail is summed exactly; beyond, Wilson-Hilferty is within 1e-3."""


def normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _normal_quantile(p: float) -> float:
    """Acklam's rational approximation (relative error < 1.2e-9), enough for ranges."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"probability must be in (0, 1), got {p}")
    a = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
         1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
    b = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
         6.680131188771972e+01, -1.328068155288572e+01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
         -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00)
    low = 0.02425
    if p < low:
        q = math.sqrt(-2.0 * math.log(p))
        return ((((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0))
    if p > 1.0 - low:
        return -_normal_quantile(1.0 - p)
    q = p - 0.5
    r = q * q
    return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0))


def gamma_sf(shape: int, x: float) -> float:
    """P(Gamma(shape, 1) > x): the chance that ``shape`` departures take longer than ``x``.

    For an integer shape this is P(Poisson(x) <= shape - 1), summed exactly for small
    shapes; large shapes use the Wilson-Hilferty cube-root normal approximation.
    """
    if shape < 1:
        raise ValueError(f"shape must be at least 1, got {shape}")
    if x <= 0.0:
        return 1.0
    if shape <= EXACT_SHAPE_LIMIT:
        term = math.exp(-x)
        total = term
        for j in range(1, shape):
            term *= x / j
            total += term
        return min(1.0, total)
    v = 1.0 / (9.0 * shape)
    z = ((x / shape) ** (1.0 / 3.0) - (1.0 - v)) / math.sqrt(v)
    return 1.0 - normal_cdf(z)


def gamma_quantile(shape: int, p: float) -> float:
    """The ``p`` quantile of Gamma(shape, 1), by Wilson-Hilferty (good to ~2% at shape 1)."""
    if shape < 1:
        raise ValueError(f"shape must be at least 1, got {shape}")
    v = 1.0 / (9.0 * shape)
    return max(0.0, shape * (1.0 - v + _normal_quantile(p) * math.sqrt(v)) ** 3)


def erlang_c(servers: int, load: float) -> float:
    """Erlang C: the chance an arrival waits, with ``servers`` windows and offered ``load``.

    ``load`` is arrival rate x mean service time (in Erlangs). An overloaded hall
    (load >= servers) makes everyone wait: 1.0.
    """
    if load <= 0.0:
        return 0.0
    if servers <= load:
        return 1.0
    # Erlang B by its stable recursion, then C from B.
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return servers * b / (servers - load * (1.0 - b))


def erlang_c_tail(servers: int, load: float, mean_service_s: float, t_s: float) -> float:
    """P(wait > t) for a newcomer in M/M/s: C(s, a) * exp(-(s - a) t / m)."""
    if load <= 0.0:
        return 0.0
    if servers <= load:
        return 1.0
    return erlang_c(servers, load) * math.exp(-(servers - load) * t_s / mean_service_s)
