"""The queue as the estimator sees it: who is ahead of whom, and which windows can serve them.

Queue systems call across services: a free window takes the first ticket, in call order
(priority first, then by waiting time), among the services it serves. So every waiting
ticket whose service shares a window with mine is ahead of me if it came first, and a
window that does not serve my service still helps me by taking some of that work.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from typing import NamedTuple

from .estimate import CapacityCurve, Estimate, estimate_wait, lean_on_today, p_wait_exceeds
from .learning import Learned
from .window_plan import WindowPlan


__all__ = ["HORIZON_S", "QueueModel", "TicketWait", "WaitingView", "WindowView"]

HORIZON_S = 4 * 3600
"""How far ahead the window plan is integrated; beyond it the last capacity lasts."""

ServiceSet = tuple[str, ...] | None


# Plain named tuples: a review builds one per window and per waiting ticket.
class WindowView(NamedTuple):
    id: str
    open: bool
    services: ServiceSet
    serving: str | None
    """Service of the ticket at the window, or None when it is free."""


class WaitingView(NamedTuple):
    label: str
    service: str
    waited_s: float = 0.0
    """How long the ticket has waited so far: the head-of-line evidence of those behind it."""


class TicketWait(NamedTuple):
    """One waiting ticket's outlook: the estimate, and what it was made of."""

    position: int
    """Place among the waiting tickets of its own service, from 1."""
    estimate: Estimate
    work_s: float
    departures: int
    curve: CapacityCurve
    scale: float = 1.0
    """The estimate over the queue model's: below 1 where today's head-of-line evidence pulled it
    down or holders are expected to have given up."""
    spread: float = 1.0
    """The hall's learned range spread: the same calibration for the chance of a late call."""

    def p_exceeds(self, within_s: float) -> float:
        return p_wait_exceeds(self.work_s, self.departures, self.curve, within_s / self.scale, self.spread)


def _serves(services: ServiceSet, service: str) -> bool:
    return services is None or service in services


class _Ahead:
    """What lies ahead of a ``service`` ticket: competing tickets, their work, and the share
    of that work each window group that cannot serve ``service`` could take."""

    __slots__ = ("model", "service", "count", "work", "by_group", "oldest_s")

    def __init__(self, model: QueueModel, service: str) -> None:
        self.model, self.service = model, service
        self.count = 0
        self.work = 0.0
        self.by_group: dict[ServiceSet, float] = dict.fromkeys(model._info(service)[1], 0.0)
        self.oldest_s = 0.0
        """The longest wait so far among the tickets ahead: head-of-line evidence."""

    def add(self, other: str, count: int, work: float, waited_s: float = 0.0) -> None:
        if count and self.model.competes(other, self.service):
            self.count += count
            self.work += work
            if waited_s > self.oldest_s:
                self.oldest_s = waited_s
            for group in self.by_group:
                if _serves(group, other):
                    self.by_group[group] += work


class QueueModel:
    """Wait estimates for one moment of one hall."""

    # What does not depend on the moment, given the plan ahead (shared with a later model).
    windows: list[WindowView]
    trust: float
    group_rates: dict[ServiceSet, list[float]]
    _speeds: list[float]
    _cost: dict[str, float]
    _service_info: dict[str, tuple[list[float], list[ServiceSet], int, float]]
    _competes: dict[tuple[str, str], bool]

    def __init__(self, windows: Sequence[WindowView], learned: Learned, plan: WindowPlan, local_s: float,
                 before: QueueModel | None = None, same_inputs: bool = False) -> None:
        """``before``: an earlier model of the same hall and day, whose work is taken where this
        moment shares it. With ``same_inputs`` (no input since: the same windows and learned
        values) that is everything but the offsets to the plan's segments, where the plan ahead
        is the same (a review between two events). Otherwise it is the capacity of each window
        group, where the plan ahead, the windows' services and their speeds are the same (a call
        between two reviews)."""
        self.learned = learned
        self.starts = plan.breakpoints(local_s, HORIZON_S)
        self.windows = before.windows if same_inputs and before is not None else list(windows)
        # How far the plan ahead is believed, over the windows in play now (open, or planned open).
        self._outlook = plan.outlook([(w.id, w.open) for w in self.windows], local_s, self.starts)
        self._base_curves: dict[str, CapacityCurve] = {}
        same_plan = before is not None and before._outlook is self._outlook
        if same_plan and same_inputs:
            assert before is not None
            self.trust, self.group_rates, self._speeds = before.trust, before.group_rates, before._speeds
            self._cost, self._service_info, self._competes = before._cost, before._service_info, before._competes
            return
        self._speeds = [learned.window_speeds.speed(w.id) for w in self.windows]
        self._cost, self._service_info = {}, {}
        if (same_plan and before is not None and before._speeds == self._speeds
                and [w.services for w in before.windows] == [w.services for w in self.windows]):
            self.trust, self.group_rates, self._competes = before.trust, before.group_rates, before._competes
            return
        trusts, shares = self._outlook
        in_play = [t for w, t in zip(self.windows, trusts) if w.open or t > 0.0]
        self.trust = sum(in_play) / len(in_play) if in_play else 0.0
        self.group_rates = {}
        for w, speed, availability in zip(self.windows, self._speeds, shares):
            rates = self.group_rates.get(w.services)
            self.group_rates[w.services] = ([speed * share for share in availability] if rates is None else
                                            [r + speed * share for r, share in zip(rates, availability)])
        self._competes = {}

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
            # Until a window frees up: the mean of what the busy windows are doing, over the
            # capacity. Exact for exponential services; less variable ones free up sooner (the
            # first of b busy windows: m/(b+1) for fixed services, m/b for exponential ones).
            busy = len(busy_costs)
            residual = (sum(busy_costs) / (busy + 1.0 - self.learned.service_times.variation2) if busy_costs
                        else self.cost(service))
            info = self._service_info[service] = (base, others, free, residual)
        return info

    def wait(self, service: str, ahead_work: dict[str, float], ahead_count: dict[str, int],
             ahead_oldest: dict[str, float] | None = None) -> TicketWait:
        """The outlook of a ``service`` ticket with the given work, counts and longest waits ahead, per service."""
        ahead = _Ahead(self, service)
        for other, count in ahead_count.items():
            ahead.add(other, count, ahead_work[other], (ahead_oldest or {}).get(other, 0.0))
        return self._wait(service, ahead, 0.0, ahead_count.get(service, 0) + 1)

    def _wait(self, service: str, ahead: _Ahead, waited_s: float, position: int) -> TicketWait:
        base, _others, free, residual = self._info(service)
        queued = ahead.count - free
        spread = self.learned.ranges.factor
        if queued < 0:
            # A window is free for this ticket: the call is a matter of seconds.
            return TicketWait(position, Estimate(0, 0, 0), 0.0, 1, self._base_curve(service, base), 1.0, spread)
        share = queued / ahead.count if ahead.count else 0.0
        work = ahead.work * share + residual
        rates = base
        for group, group_work in ahead.by_group.items():
            helped = group_work * share / work
            if helped > 0:
                rates = [r + helped * g for r, g in zip(rates, self.group_rates[group])]
        curve = self._base_curve(service, base) if rates is base else CapacityCurve(self.starts, rates)
        estimate = estimate_wait(work, queued + 1, curve, spread)
        # Head-of-line evidence: the longest wait ahead is about what this ticket's whole wait will be.
        estimate, scale = lean_on_today(estimate, ahead.oldest_s - waited_s, self.trust)
        given_up = 1.0
        if queued:
            # Those ahead will have waited about as long as this ticket when called: the longer,
            # the more of them are gone (learned per band of wait), and each costs a minute, not a service.
            queued_work = ahead.work * share
            ratio = self.learned.absent_ratio(queued_work / queued, estimate.expected_s + waited_s)
            given_up = (queued_work * ratio + residual) / work
            estimate = Estimate(int(round(estimate.expected_s * given_up)), int(round(estimate.low_s * given_up)),
                                int(round(estimate.high_s * given_up)))
        return TicketWait(position, estimate, work, queued + 1, curve, scale * given_up, spread)

    def _base_curve(self, service: str, base: list[float]) -> CapacityCurve:
        """The capacity of the windows serving ``service`` alone: the same for all its tickets."""
        curve = self._base_curves.get(service)
        if curve is None:
            curve = self._base_curves[service] = CapacityCurve(self.starts, base)
        return curve

    def queue_waits(self, queue: Sequence[WaitingView], only: Container[str] | None = None) -> dict[str, TicketWait]:
        """Every waiting ticket's outlook (``only``: of these labels); ``queue`` must be in call order."""
        # Running totals of what lies ahead, one per service in the queue, each updated as a
        # ticket passes: a month-end queue of 150 is one pass, not 150 sums over services.
        ahead = {service: _Ahead(self, service) for service in {t.service for t in queue}}
        own: dict[str, int] = dict.fromkeys(ahead, 0)
        out: dict[str, TicketWait] = {}
        for ticket in queue:
            s = ticket.service
            own[s] += 1
            if only is None or ticket.label in only:
                out[ticket.label] = self._wait(s, ahead[s], ticket.waited_s, own[s])
            cost = self.cost(s)
            for totals in ahead.values():
                totals.add(s, 1, cost, ticket.waited_s)
        return out

    def newcomer(self, service: str, waiting_by_service: dict[str, int],
                 oldest_by_service: dict[str, float] | None = None) -> TicketWait:
        """The outlook of a ticket taken now, behind everyone waiting (``oldest_by_service``: the
        longest wait so far among each service's waiting tickets)."""
        counts = dict(waiting_by_service)
        counts.setdefault(service, 0)
        work = {s: n * self.cost(s) for s, n in counts.items()}
        return self.wait(service, work, counts, oldest_by_service)
