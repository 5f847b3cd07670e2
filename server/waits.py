"""The queue as the estimator sees it: who is ahead of whom, and which windows can serve them.

Queue systems call across services: a free window takes the first ticket, in call order
(priority first, then by waiting time), among the services it serves. So every waiting
ticket whose service shares a window with mine is ahead of me if it came first, and a
window that does not serve my service still helps me by taking some of that work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .estimate import CapacityCurve, Estimate, estimate_wait, p_wait_exceeds
from .learning import Learned
from .window_plan import WindowPlan


__all__ = ["HORIZON_S", "QueueModel", "TicketWait", "WaitingView", "WindowView"]

HORIZON_S = 4 * 3600
"""How far ahead the window plan is integrated; beyond it the last capacity lasts."""

ServiceSet = tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class WindowView:
    id: str
    open: bool
    services: ServiceSet
    serving: str | None
    """Service of the ticket at the window, or None when it is free."""


@dataclass(frozen=True, slots=True)
class WaitingView:
    label: str
    service: str


@dataclass(frozen=True, slots=True)
class TicketWait:
    """One waiting ticket's outlook: the estimate, and what it was made of."""

    position: int
    """Place among the waiting tickets of its own service, from 1."""
    estimate: Estimate
    work_s: float
    departures: int
    curve: CapacityCurve

    def p_exceeds(self, within_s: float) -> float:
        return p_wait_exceeds(self.work_s, self.departures, self.curve, within_s)


def _serves(services: ServiceSet, service: str) -> bool:
    return services is None or service in services


class QueueModel:
    """Wait estimates for one moment of one hall."""

    def __init__(self, windows: Sequence[WindowView], learned: Learned, plan: WindowPlan, local_s: float) -> None:
        self.learned = learned
        self.starts = plan.breakpoints(local_s, HORIZON_S)
        self.windows = list(windows)
        self.group_rates: dict[ServiceSet, list[float]] = {}
        for w in self.windows:
            availability = plan.availability(w.id, w.open, local_s, self.starts)
            speed = learned.window_speeds.speed(w.id)
            rates = self.group_rates.get(w.services)
            self.group_rates[w.services] = ([speed * share for share in availability] if rates is None else
                                            [r + speed * share for r, share in zip(rates, availability)])
        self._cost: dict[str, float] = {}
        self._service_info: dict[str, tuple[list[float], list[ServiceSet], int, float]] = {}
        self._competes: dict[tuple[str, str], bool] = {}
        self._base_curves: dict[str, CapacityCurve] = {}

    def cost(self, service: str) -> float:
        cost = self._cost.get(service)
        if cost is None:
            cost = self._cost[service] = self.learned.window_cost_s(service)
        return cost

    def competes(self, other: str, service: str) -> bool:
        """Tell whether tickets of ``other`` take windows a ``service`` ticket could get."""
        key = (other, service)
        answer = self._competes.get(key)
        if answer is None:
            if other == service or not self.group_rates:
                answer = other == service or not self.group_rates
            else:
                answer = any(_serves(g, other) and _serves(g, service) for g in self.group_rates)
            self._competes[key] = answer
        return answer

    def _info(self, service: str) -> tuple[list[float], list[ServiceSet], int, float]:
        """Capacity of the windows serving ``service``, the other groups, free windows, residual."""
        info = self._service_info.get(service)
        if info is None:
            base = [0.0] * len(self.starts)
            others = []
            for group, rates in self.group_rates.items():
                if _serves(group, service):
                    base = [a + b for a, b in zip(base, rates)]
                else:
                    others.append(group)
            free = 0
            busy_costs = []
            for w in self.windows:
                if w.open and _serves(w.services, service):
                    if w.serving is None:
                        free += 1
                    else:
                        busy_costs.append(self.cost(w.serving))
            # Until a window frees up: the mean of what the busy windows are doing.
            residual = sum(busy_costs) / len(busy_costs) if busy_costs else self.cost(service)
            info = self._service_info[service] = (base, others, free, residual)
        return info

    def wait(self, service: str, ahead_work: dict[str, float], ahead_count: dict[str, int]) -> tuple[Estimate, float, int, CapacityCurve]:
        """The wait of a ``service`` ticket with the given work and counts ahead, per service."""
        base, others, free, residual = self._info(service)
        competing = [o for o in ahead_count if self.competes(o, service)]
        n_ahead = sum(ahead_count[o] for o in competing)
        queued = n_ahead - free
        if queued < 0:
            # A window is free for this ticket: the call is a matter of seconds.
            return Estimate(0, 0, 0), 0.0, 1, self._base_curve(service, base)
        share = queued / n_ahead if n_ahead else 0.0
        work = sum(ahead_work[o] for o in competing) * share + residual
        rates = base
        for group in others:
            helped = sum(ahead_work[o] for o in competing if _serves(group, o)) * share / work
            if helped > 0:
                rates = [r + helped * g for r, g in zip(rates, self.group_rates[group])]
        curve = self._base_curve(service, base) if rates is base else CapacityCurve(self.starts, rates)
        return estimate_wait(work, queued + 1, curve, self.learned.ranges.factor), work, queued + 1, curve

    def _base_curve(self, service: str, base: list[float]) -> CapacityCurve:
        """The capacity of the windows serving ``service`` alone: the same for all its tickets."""
        curve = self._base_curves.get(service)
        if curve is None:
            curve = self._base_curves[service] = CapacityCurve(self.starts, base)
        return curve

    def queue_waits(self, queue: Sequence[WaitingView]) -> dict[str, TicketWait]:
        """Every waiting ticket's outlook; ``queue`` must be in call order."""
        ahead_work: dict[str, float] = {}
        ahead_count: dict[str, int] = {}
        out: dict[str, TicketWait] = {}
        for ticket in queue:
            s = ticket.service
            ahead_work.setdefault(s, 0.0)
            ahead_count.setdefault(s, 0)
            estimate, work, departures, curve = self.wait(s, ahead_work, ahead_count)
            out[ticket.label] = TicketWait(ahead_count[s] + 1, estimate, work, departures, curve)
            ahead_work[s] += self.cost(s)
            ahead_count[s] += 1
        return out

    def newcomer(self, service: str, waiting_by_service: dict[str, int]) -> TicketWait:
        """The outlook of a ticket taken now, behind everyone waiting."""
        counts = dict(waiting_by_service)
        counts.setdefault(service, 0)
        work = {s: n * self.cost(s) for s, n in counts.items()}
        estimate, w, departures, curve = self.wait(service, work, counts)
        return TicketWait(counts[service] + 1, estimate, w, departures, curve)
