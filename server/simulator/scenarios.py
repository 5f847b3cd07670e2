"""Scenario parameters and the sample hall for the hall simulator.

Pure data, stdlib only. A *hall* is what does not change from day to day (services, windows,
clerk speeds); a *scenario* is what kind of day it is (volume, arrival profile, staffing plan,
customer behaviour).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, replace

__all__ = [
    "Service",
    "Window",
    "Hall",
    "Scenario",
    "SCENARIOS",
    "ClerkLimits",
    "clerk_limits",
    "hall_for",
    "sample_hall",
    "scenario_for_date",
    "get_scenario",
]


@dataclass(frozen=True)
class Service:
    """A service (queue) of the hall: id, ticket prefix and service-time distribution.

    Lognormal; with ``tail_share`` > 0 a mixture: that share of visits takes a second,
    longer lognormal (mean ``tail_mean_s``), the rest a body whose mean keeps ``mean_s`` the
    overall mean.
    """

    id: str
    prefix: str
    mean_s: float  # mean service time at a window of speed 1.0
    cv: float = 0.4  # coefficient of variation of the lognormal service time (of the body)
    tail_share: float = 0.0
    tail_mean_s: float = 0.0
    tail_cv: float = 0.12

    def __post_init__(self) -> None:
        if self.tail_share and not (0 < self.tail_share < 1 and self.body_mean_s > 0):
            raise ValueError(f"service {self.id}: a tail needs 0 < tail_share < 1 and room for a body")

    @property
    def body_mean_s(self) -> float:
        if not self.tail_share:
            return self.mean_s
        return (self.mean_s - self.tail_share * self.tail_mean_s) / (1.0 - self.tail_share)


@dataclass(frozen=True)
class Window:
    """A counter; ``services`` None means it serves every service."""

    id: str
    services: tuple[str, ...] | None = None

    def serves(self, service: str) -> bool:
        return self.services is None or service in self.services


@dataclass(frozen=True)
class Hall:
    """The fixed part of a hall: services, windows, opening hours and clerk speeds."""

    id: str
    services: tuple[Service, ...]
    windows: tuple[Window, ...]
    timezone: str = "Asia/Shanghai"
    open_time: dt.time = dt.time(9, 0)  # doors and kiosk open
    close_time: dt.time = dt.time(17, 0)  # kiosk stops issuing tickets
    windows_open_before_s: float = 300.0  # windows open at 08:55
    speed_cv: float = 0.15  # per-window speed factor spread (stable across days)

    def service(self, service_id: str) -> Service:
        for s in self.services:
            if s.id == service_id:
                return s
        raise KeyError(service_id)

    @property
    def day_length_s(self) -> float:
        o = self.open_time.hour * 3600 + self.open_time.minute * 60 + self.open_time.second
        c = self.close_time.hour * 3600 + self.close_time.minute * 60 + self.close_time.second
        return float(c - o)


SAMPLE_SERVICES = (
    Service("quick", "A", 180.0, 0.4),
    Service("standard", "B", 480.0, 0.4),
    Service("complex", "C", 780.0, 0.3),
)


def sample_hall(n_windows: int = 8) -> Hall:
    """The sample hall of content/hall.yaml (window 8 serves complex+standard only).

    ``n_windows`` > 8 gives the larger config: windows 9.. serve every service.
    """
    if n_windows < 1:
        raise ValueError("a hall needs at least one window")
    windows = []
    for i in range(1, n_windows + 1):
        services = ("complex", "standard") if i == 8 else None
        windows.append(Window(str(i), services))
    return Hall(id="sample-hall", services=SAMPLE_SERVICES, windows=tuple(windows))


FOUR_SERVICES = (
    Service("quick", "A", 150.0, 0.4),
    Service("standard", "B", 420.0, 0.4),
    Service("complex", "C", 720.0, 0.3),
    # Business accounts: most visits about 9 min, one in five 30-45 min (contracts, many lines).
    Service("business", "D", 900.0, 0.4, tail_share=0.2, tail_mean_s=2280.0, tail_cv=0.12),
)


def four_service_hall(n_windows: int = 10) -> Hall:
    """Another catalogue: four services, one with a long tail; window 2 is the business desk.

    Window 2 serves only business and complex tickets; every other window serves everything.
    """
    if n_windows < 1:
        raise ValueError("a hall needs at least one window")
    windows = tuple(Window(str(i), ("business", "complex") if i == 2 else None)
                    for i in range(1, n_windows + 1))
    return Hall(id="four-service-hall", services=FOUR_SERVICES, windows=windows)


@dataclass(frozen=True)
class Scenario:
    """What kind of day: volume, arrival shape, staffing plan and customer behaviour."""

    name: str
    expected_tickets: float  # mean of the (Poisson) number of tickets over the day
    hourly_profile: tuple[float, ...]  # share of the day's arrivals per opening hour
    mix: dict[str, float]  # service id -> share of tickets
    windows: int  # staffed-hall size this plan is written for
    # Counter plan: (seconds after opening, number of windows open from then on). The first
    # entry is applied when the windows open (before the doors). Windows 1..k are open.
    plan: tuple[tuple[float, int], ...]
    opening_burst: float = 0.0  # mean extra customers queued at the door at opening
    priority_share: float = 0.03
    patience_mean_s: float = 100 * 60.0  # exponential patience of most customers
    impatient_share: float = 0.04  # share who leave soon (self-service, greeter, errand)
    impatient_mean_s: float = 6 * 60.0
    cancel_share_of_leavers: float = 0.12  # leavers who cancel at the kiosk/app (not silent)
    no_show_recall_share: float = 0.6  # an absent holder is recalled once before no_show
    no_show_cost_s: float = 30.0  # window time lost on an absent holder
    slow_share: float = 0.03  # present holders who are slow to come: recalled, then served
    transfer_share: float = 0.02  # quick/standard tickets sent on to another service
    break_s: float = 15 * 60.0  # each clerk's break
    morning_breaks: tuple[float, float] = (4500.0, 10200.0)  # 10:15-11:50 after a 09:00 open
    afternoon_breaks: tuple[float, float] = (19800.0, 26400.0)  # 14:30-16:20
    catalogue: str = "sample"  # the hall's services and windows: a key of CATALOGUES
    # Clerks who are not there: (window number 1.., from, until) in seconds after opening; the
    # plan may want that window, it stays closed (a visit in progress at `from` is finished).
    absent: tuple[tuple[int, float, float], ...] = ()

    def scaled(self, factor: float) -> "Scenario":
        """The same day with the counter plan scaled by ``factor`` (at least one window)."""
        plan = tuple((t, max(1, round(k * factor))) for t, k in self.plan)
        return replace(self, plan=plan, windows=max(1, round(self.windows * factor)))


_MIX = {"quick": 0.6, "standard": 0.3, "complex": 0.1}

SCENARIOS: dict[str, Scenario] = {
    "month_end": Scenario(
        name="month_end",
        expected_tickets=960.0,
        hourly_profile=(0.08, 0.14, 0.15, 0.13, 0.11, 0.13, 0.14, 0.12),
        mix=dict(_MIX),
        windows=15,
        plan=((-300.0, 12), (3600.0, 15), (10800.0, 8), (16200.0, 12), (18000.0, 15)),
        opening_burst=12.0,
        patience_mean_s=90 * 60.0,
    ),
    "normal": Scenario(
        name="normal",
        expected_tickets=600.0,
        hourly_profile=(0.08, 0.14, 0.14, 0.14, 0.11, 0.13, 0.14, 0.12),
        mix=dict(_MIX),
        windows=10,
        plan=((-300.0, 8), (3600.0, 10), (10800.0, 6), (16200.0, 9), (18000.0, 10)),
        opening_burst=5.0,
    ),
    "quiet": Scenario(
        name="quiet",
        expected_tickets=300.0,
        hourly_profile=(0.10, 0.15, 0.14, 0.11, 0.10, 0.14, 0.14, 0.12),
        mix=dict(_MIX),
        windows=8,
        plan=((-300.0, 5), (3600.0, 6), (10800.0, 4), (16200.0, 5), (18000.0, 6)),
        opening_burst=2.0,
        patience_mean_s=120 * 60.0,
    ),
}

CATALOGUES = {"sample": sample_hall, "four_services": four_service_hall}
"""Service catalogues: a hall of N windows for each."""

_FOUR_MIX = {"quick": 0.45, "standard": 0.3, "complex": 0.15, "business": 0.1}
ALL_DAY = float("inf")

# Variety (issue 13): another catalogue, more or no priority, absent clerks, lunch at other
# hours, a quiet day whose lunch halves four windows, and a day whose counter plan is not the
# one earlier days had. Each changes one or two things of a base day, so a benchmark can say
# what made the difference.
SCENARIOS.update({
    "quiet_half_lunch": Scenario(
        name="quiet_half_lunch",
        expected_tickets=220.0,
        hourly_profile=SCENARIOS["quiet"].hourly_profile,
        mix=dict(_MIX),
        windows=4,
        plan=((-300.0, 4), (10800.0, 2), (16200.0, 4)),
        opening_burst=2.0,
        priority_share=0.0,
        patience_mean_s=120 * 60.0,
    ),
    "four_services": replace(SCENARIOS["normal"], name="four_services", expected_tickets=540.0,
                             mix=dict(_FOUR_MIX), priority_share=0.08, catalogue="four_services"),
    "four_services_month_end": replace(SCENARIOS["month_end"], name="four_services_month_end",
                                       expected_tickets=880.0, mix=dict(_FOUR_MIX), priority_share=0.05,
                                       catalogue="four_services"),
    # Window 2's clerk is off sick, window 5's comes at 11:00, window 7's leaves at 15:00.
    "normal_absent": replace(SCENARIOS["normal"], name="normal_absent",
                             absent=((2, -300.0, ALL_DAY), (5, -300.0, 7200.0), (7, 21600.0, ALL_DAY))),
    # Lunch an hour early (11:00-12:30) or an hour late (13:00-14:30); customers keep their hours.
    "normal_early_lunch": replace(SCENARIOS["normal"], name="normal_early_lunch",
                                  plan=((-300.0, 8), (3600.0, 10), (7200.0, 6), (12600.0, 9), (14400.0, 10))),
    "month_end_late_lunch": replace(SCENARIOS["month_end"], name="month_end_late_lunch",
                                    plan=((-300.0, 12), (3600.0, 15), (14400.0, 8), (19800.0, 12),
                                          (21600.0, 15))),
    # Another rota: 6 at 08:55, 10 from 10:30, 5 over 11:30-13:00, 8 until 14:30, then 10.
    "normal_shifted": replace(SCENARIOS["normal"], name="normal_shifted",
                              plan=((-300.0, 6), (5400.0, 10), (9000.0, 5), (14400.0, 8), (19800.0, 10))),
})

# Dates a single-day run uses when none is given: a month-end Monday, a Wednesday, a Sunday.
DEFAULT_DATES = {
    "month_end": dt.date(2026, 11, 30),
    "normal": dt.date(2026, 11, 18),
    "quiet": dt.date(2026, 11, 22),
}


@dataclass(frozen=True)
class ClerkLimits:
    """Who can sit at a window when a controller (not the plan) staffs the day.

    Only the controlled mode of ``simulate_day`` reads this; the fixed plans respect it by
    construction. Times are seconds after opening, like the plan's.
    """

    clerks: int  # most windows staffed at once
    lunch_clerks: int  # most windows staffed during the lunch rota
    lunch: tuple[float, float] = (9000.0, 18000.0)  # 11:30-14:00: clerks eat in turns
    minimum: int = 2  # fewest windows staffed, whatever the controller asks
    open_delay_s: float = 120.0  # a clerk needs this long to reach a window and log in

    def cap_at(self, t: float) -> int:
        lo, hi = self.lunch
        return self.lunch_clerks if lo <= t < hi else self.clerks

    def clamp(self, wanted: int, t: float) -> int:
        cap = self.cap_at(t)
        return max(min(self.minimum, cap), min(wanted, cap))


def clerk_limits(scenario: Scenario | str, n_windows: int | None = None) -> ClerkLimits:
    """The clerk limits of a scenario's staff in a hall of ``n_windows`` windows.

    Month end: 15 clerks, only 10 of them at windows over lunch (the research notes' setting);
    other days keep the same two-thirds share over lunch.
    """
    sc = get_scenario(scenario) if isinstance(scenario, str) else scenario
    clerks = min(sc.windows, n_windows) if n_windows else sc.windows
    return ClerkLimits(clerks=clerks, lunch_clerks=max(1, round(clerks * 2 / 3)))


def hall_for(scenario: Scenario | str, n_windows: int | None = None) -> Hall:
    """The hall a scenario's days happen in: its catalogue with ``n_windows`` (default its plan's)."""
    sc = get_scenario(scenario) if isinstance(scenario, str) else scenario
    return CATALOGUES[sc.catalogue](n_windows if n_windows is not None else sc.windows)


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r} (one of {', '.join(SCENARIOS)})") from None


def scenario_for_date(day: dt.date) -> str:
    """The kind of day a calendar date is: month end/start, weekend (quiet) or normal."""
    last = calendar.monthrange(day.year, day.month)[1]
    if day.day >= last - 1 or day.day == 1:
        return "month_end"
    if day.weekday() >= 5:
        return "quiet"
    return "normal"

