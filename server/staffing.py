"""Staffing advice: how many windows keep P(wait > 15 min) under the target.

Two questions, the larger answer wins:
- the queue already here: with s windows, a ticket at position p that has waited e
  passes the threshold T if fewer than p services end within T - e (an Erlang tail);
  the mean of that chance over the tickets still under T must stay under the target;
- the people still coming: with the arrival rate the hall expects over the half hour from
  when a window asked for now could open (its arrival profile, weighed by the days it has
  seen, blended with the last 15 minutes'), Erlang C's tail C(s, a) * exp(-(s - a) T / m)
  must stay under the target too.
The hall is treated as one pool of windows here (skill limits of single windows are
left out): advice is about how many clerks to seat, not where.

The field's own rule lives here too: "open more windows" when five or more wait per open
window (``open_windows``), with the advice as the number to open.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from .alerts import Alert, AlertBook, AlertKind
from .arrival_profile import ArrivalProfile
from .config import AlertSettings, HallConfig, StaffingSettings
from .learning import Learned
from .queueing import erlang_c_tail, gamma_sf
from .tickets import Floor
from .window_plan import WindowPlan, local_seconds


__all__ = ["StaffingAdvisor", "StaffingReview", "needs", "open_windows_message", "staffing_message"]


MIN_PROFILE_DAYS = 2
"""The arrival profile has full weight in the forecast from this many learned days (half after one)."""

AHEAD_HOLD = timedelta(minutes=3)
"""How long the forecast's need is held: long enough that one window is not flapped review by
review at a boundary, short enough to close promptly when the forecast falls."""

MIX_PRIOR = 30.0
"""Earlier days' service mix counts as this many of today's tickets."""

OPEN_DELAY_S = 120.0
"""A clerk needs about two minutes to sit down and call: a ticket closer than that to the
threshold cannot be saved by opening a window, so it does not count toward the advice."""


def _queue_share_over(elapsed_s: Sequence[float], windows: int, open_windows: int, free_windows: int,
                      mean_s: float, target_s: float) -> float:
    """Mean chance, over tickets a new window could still help, of passing the target.

    With ``windows`` seated: the open ones keep working (closing takes idle ones first),
    extra ones each take a ticket after OPEN_DELAY_S and then work at the same rate.
    """
    working = min(windows, open_windows)
    free = max(0, free_windows - (open_windows - working))
    extra = max(0, windows - open_windows)
    total = 0.0
    counted = 0
    for position, elapsed in enumerate(elapsed_s, start=1):
        left = target_s - elapsed
        if left <= OPEN_DELAY_S:
            continue
        counted += 1
        slots = position - free - extra
        if slots <= 0:
            continue
        total += gamma_sf(slots, (working * left + extra * (left - OPEN_DELAY_S)) / mean_s)
    return total / counted if counted else 0.0


def needs(elapsed_s: Sequence[float], queue_mean_s: float, arrivals_per_s: float,
          arrival_mean_s: float, *, open_windows: int, free_windows: int, target_s: float,
          target_share: float, max_windows: int) -> tuple[int, int]:
    """The fewest windows (at least 1, at most ``max_windows``) for the queue here, and for the
    customers coming: the advice needs both, but holds them differently (:class:`StaffingAdvisor`).

    Where no number of windows meets it for the queue, the fewest that come within a point
    of the best any number can do: seating every clerk for tickets nobody can save helps nobody.

    Args:
        elapsed_s: how long each waiting ticket has waited, in call order.
        queue_mean_s: mean window time of the waiting tickets (their service mix, window speeds).
        arrivals_per_s: recent arrival rate.
        arrival_mean_s: mean window time of the recent arrivals' service mix.
    """
    max_windows = max(1, max_windows)

    def queue_over(s: int) -> float:
        return _queue_share_over(elapsed_s, s, open_windows, free_windows, queue_mean_s, target_s)

    def arrivals_over(s: int) -> float:
        return erlang_c_tail(s, arrivals_per_s * arrival_mean_s, arrival_mean_s, target_s)

    # Tickets near the threshold may be past saving; arrivals beyond every window's reach
    # are not: an overloaded hall needs all its windows.
    queue_goal = max(target_share, queue_over(max_windows) + 0.01)
    return _fewest(queue_over, queue_goal, max_windows), _fewest(arrivals_over, target_share, max_windows)


def _fewest(share_over: Callable[[int], float], goal: float, max_windows: int) -> int:
    """The fewest windows in 1..max_windows whose share is within ``goal`` (max_windows if none)."""
    lo, hi = 1, max_windows
    while lo < hi:  # the share only falls as windows are added
        mid = (lo + hi) // 2
        if share_over(mid) <= goal:
            hi = mid
        else:
            lo = mid + 1
    return lo


class StaffingAdvisor:
    """Applies the hysteresis: more windows at once, fewer only after a lasting surplus.

    The queue's need is held for ``close_after``: the advice is at least the most any review of
    that long needed for the queue, so it does not follow every call up and down (the queue
    term jumps with each ticket). The need of the customers coming is a forecast, smooth
    already: it is held only ``ahead_hold`` (one window a review would otherwise flap at a
    boundary), so windows the forecast no longer needs are advised closed promptly, as
    counter-hours count as much as waits. Where more windows are open than the advice, they
    are kept until the surplus has lasted ``close_after``. The advice never follows the open
    count down: a clerk on a break or still walking to the window is not a reason to advise
    fewer windows (and a manager told "fewer" would send another clerk away).
    """

    def __init__(self, close_after: timedelta, ahead_hold: timedelta | None = None) -> None:
        self.close_after = close_after
        self.ahead_hold = close_after if ahead_hold is None else ahead_hold
        self.advised: int | None = None
        self._surplus_since: datetime | None = None
        self._needs: deque[tuple[datetime, int]] = deque()
        self._ahead: deque[tuple[datetime, int]] = deque()

    def update(self, needed: int, open_windows: int, at: datetime, ahead: int = 0) -> int:
        """The advice after a review that found ``needed`` windows for the queue (and the
        minimums) and ``ahead`` for the customers coming."""
        recent = max(_held_max(self._needs, needed, at, self.close_after),
                     _held_max(self._ahead, ahead, at, self.ahead_hold))
        if max(needed, ahead) >= open_windows:
            self._surplus_since = None
        elif self._surplus_since is None:
            self._surplus_since = at
        lasted = self._surplus_since is not None and at - self._surplus_since >= self.close_after
        self.advised = open_windows if open_windows > recent and not lasted else recent
        return self.advised


def _held_max(held: deque[tuple[datetime, int]], value: int, at: datetime, hold: timedelta) -> int:
    """The most of ``value`` over the last ``hold``, ``held`` a monotone deque (its head the max)."""
    while held and at - held[0][0] >= hold:
        held.popleft()
    while held and held[-1][1] <= value:
        held.pop()
    held.append((at, value))
    return held[0][1]


def staffing_message(advised: int, open_windows: int, settings: StaffingSettings) -> str:
    minutes = int(settings.target_wait_min)
    percent = f"{settings.target_share * 100:g}%"
    if advised > open_windows:
        more = advised - open_windows
        return (f"建议开 {advised} 个窗口（现开 {open_windows} 个，增开 {more} 个），"
                f"使等候超过 {minutes} 分钟的顾客低于 {percent}。"
                f" / Open {more} more window{'s' if more > 1 else ''} ({advised} in all, {open_windows} open now)"
                f" to keep waits over {minutes} min under {percent}.")
    fewer = open_windows - advised
    return (f"客流偏低已持续 {int(settings.close_after_min)} 分钟：{advised} 个窗口即可（现开 {open_windows} 个，"
            f"可关 {fewer} 个）。 / Load has been low for {int(settings.close_after_min)} min: {advised} windows"
            f" are enough ({open_windows} open now, {fewer} can close).")


def open_windows_should_raise(waiting: int, open_windows: int, settings: AlertSettings) -> bool:
    """The field rule: five or more waiting per open window (anyone waiting if none is open)."""
    if waiting == 0:
        return False
    return open_windows == 0 or waiting >= settings.open_windows_per_window * open_windows


def open_windows_should_resolve(waiting: int, open_windows: int, settings: AlertSettings) -> bool:
    """Clear at a lower load than the raise, so one ticket more or less does not flap it."""
    if waiting == 0:
        return True
    return open_windows > 0 and waiting < settings.open_windows_clear_per_window * open_windows


def open_windows_message(waiting: int, open_windows: int, recommended: int) -> str:
    if recommended <= open_windows:
        # Every window the hall has is open: there is none to open, but the lobby still needs care.
        return (f"{waiting} 人等候，全部 {open_windows} 个窗口均已开放：请引导顾客使用自助服务并说明等候情况。"
                f" / {waiting} waiting and all {open_windows} windows are open: guide customers to"
                f" self-service and tell them about the wait.")
    more = recommended - open_windows
    return (f"{waiting} 人等候，仅开 {open_windows} 个窗口：建议增开 {more} 个（共 {recommended} 个）。"
            f" / {waiting} waiting for {open_windows} open windows: open {more} more ({recommended} in all).")


class StaffingReview:
    """The hall's two staffing alerts for one business day.

    ``open_windows`` is the field's rule, checked after every event: five or more waiting
    per open window. ``staffing`` is the advice, reviewed on the hall's 30-second grid: the
    fewest windows that keep waits over the target rare, for the queue here and the
    customers expected (the last minutes' arrivals and the arrival profile).

    Both are one number with what the manager sees beside them: while active, an alert
    follows the hall (``alert.updated``, same id) instead of keeping the figures it was
    raised with. A new staffing alert rings only when the advice changes what the manager
    is asked to do (open more, or may close some); a step of the held advice within the
    same ask updates the alert in place. A hall that is closed, or closing with nobody
    waiting, is advised nothing (:meth:`closed`).
    """

    def __init__(self, config: HallConfig, alerts: AlertBook, floor: Floor, learned: Learned,
                 profile: ArrivalProfile, plan: WindowPlan | None = None) -> None:
        self.settings = config.staffing
        self.alert_settings = config.alerts
        self.services = [s.id for s in config.services]
        self.tz = config.tz
        self.alerts = alerts
        self.floor = floor
        self.learned = learned
        self.profile = profile
        self.plan = plan
        close_after = timedelta(minutes=self.settings.close_after_min)
        self.advisor = StaffingAdvisor(close_after, min(close_after, AHEAD_HOLD))
        self._arrivals: deque[tuple[datetime, str]] = deque()
        """Recent arrivals (time, service): the arrival rate and mix of the advice."""
        self._arrived_today: dict[str, int] = {}
        """Arrivals per service since the day began: the mix of a forecast with no recent arrivals."""
        self._open_windows_alert: Alert | None = None
        self._staffing_alert: Alert | None = None
        self._need = 0
        """The latest advice before hysteresis (at a review, or at raising open_windows)."""
        self._opened_today = False
        """A window has been open today: no window open now means closed, not "not open yet"."""
        self._profile_trust = 0.0
        """The arrival profile's weight in the latest forecast (0: the last 15 minutes' rate alone)."""

    @property
    def advised(self) -> int | None:
        """The advised number of open windows, as last reviewed (hysteresis applied); None: no advice."""
        return self.advisor.advised

    def arrived(self, service: str, at: datetime) -> None:
        self._arrivals.append((at, service))
        self._arrived_today[service] = self._arrived_today.get(service, 0) + 1

    def closed(self, at: datetime) -> bool:
        """Nobody waits and the hall is closed (every window shut after opening today) or closing
        (past the hall's closing time, when the configured hours or the learned plan tell it).

        The held advice would otherwise outlive the day: after closing it stepped down one
        window a minute, each step a new alert (issue 12: "建议窗口数 6" over an empty hall).
        Before the first window opens, the advice still looks ahead to the day's first customers.
        """
        if self.floor.waiting:
            return False
        if self.floor.open_window_count() == 0:
            return self._opened_today
        return self.plan is not None and local_seconds(at, self.tz) >= self.plan.closing_s()

    def check_open_windows(self, at: datetime) -> None:
        """Raise, update or resolve ``open_windows`` for the hall as it is at ``at``; keep the advice current."""
        waiting = len(self.floor.waiting)
        open_windows = self.floor.open_window_count()
        if open_windows:
            self._opened_today = True
        if self.closed(at):
            self._stop_advice(at)
        self._follow_advice(at)
        current = self._open_windows_alert
        if current is None:
            if open_windows_should_raise(waiting, open_windows, self.alert_settings):
                self._need = self.windows_needed(at)
                recommended = self._open_windows_recommended(open_windows)
                self._open_windows_alert = self.alerts.raise_alert(
                    self.alerts.next_id(AlertKind.OPEN_WINDOWS), AlertKind.OPEN_WINDOWS, at,
                    waited_s=self.floor.longest_wait_s(at), waiting=waiting, open_windows=open_windows,
                    recommended_windows=recommended, message=open_windows_message(waiting, open_windows, recommended))
        elif open_windows_should_resolve(waiting, open_windows, self.alert_settings):
            self.alerts.resolve(current, at)
            self._open_windows_alert = None
        else:
            self._follow_open_windows(at)

    def _open_windows_recommended(self, open_windows: int) -> int:
        """The advice for this queue, never below the held advice, at least one more than open,
        never more than the hall has (with all of them open: keep them)."""
        recommended = max(self._need, self.advisor.advised or 0, open_windows + 1)
        known = len(self.floor.windows.by_id)
        if known:
            recommended = max(open_windows, min(recommended, known))
        return recommended

    def _follow_open_windows(self, at: datetime) -> None:
        alert = self._open_windows_alert
        if alert is None:
            return
        waiting = len(self.floor.waiting)
        open_windows = self.floor.open_window_count()
        recommended = self._open_windows_recommended(open_windows)
        self.alerts.update(alert, at, waiting=waiting, open_windows=open_windows, recommended_windows=recommended,
                           message=open_windows_message(waiting, open_windows, recommended))

    def review(self, at: datetime) -> None:
        """Update the advice; a change of what is asked raises a new staffing alert, a step within it updates."""
        settings = self.settings
        if not settings.enabled:
            return
        if self.closed(at):
            self._stop_advice(at)
            return
        known = len(self.floor.windows.by_id)
        queue_need, ahead_need = self.needs(at)
        self._need = max(queue_need, ahead_need)
        needed = max(queue_need, settings.minimum_at(local_seconds(at, self.tz), known))
        if self._profile_trust < 1.0:
            # A forecast that leans on the last 15 minutes' count is as jumpy as the queue: held as long.
            needed = max(needed, ahead_need)
        open_windows = self.floor.open_window_count()
        before = self.advisor.advised
        most = max(known, 1)
        advised = self.advisor.update(min(needed, most), open_windows, at, ahead=min(ahead_need, most))
        if advised != before and advised != open_windows:
            current = self._staffing_alert
            if current is None or _asks_more(current) != (advised > open_windows):
                self.alerts.resolve(current, at)
                self._staffing_alert = self.alerts.raise_alert(
                    self.alerts.next_id(AlertKind.STAFFING), AlertKind.STAFFING, at,
                    waited_s=self.floor.longest_wait_s(at), waiting=len(self.floor.waiting),
                    open_windows=open_windows, recommended_windows=advised,
                    message=staffing_message(advised, open_windows, settings))
        self._follow_advice(at)
        self._follow_open_windows(at)

    def _stop_advice(self, at: datetime) -> None:
        """Closed: no advice, and no staffing alert (the day's next customer starts a fresh one)."""
        if self.advisor.advised is not None:
            self.advisor = StaffingAdvisor(self.advisor.close_after, self.advisor.ahead_hold)
        self.alerts.resolve(self._staffing_alert, at)
        self._staffing_alert = None

    def _follow_advice(self, at: datetime) -> None:
        """The staffing alert tells the advice and the open count as they are; it resolves once the
        open count reaches (or passes) what it asks."""
        alert = self._staffing_alert
        if alert is None:
            return
        advised = self.advisor.advised
        open_windows = self.floor.open_window_count()
        if advised is None or (advised <= open_windows if _asks_more(alert) else advised >= open_windows):
            self.alerts.resolve(alert, at)
            self._staffing_alert = None
            return
        if (alert.open_windows, alert.recommended_windows) != (open_windows, advised):
            self.alerts.update(alert, at, waiting=len(self.floor.waiting), open_windows=open_windows,
                               recommended_windows=advised,
                               message=staffing_message(advised, open_windows, self.settings))

    def windows_needed(self, at: datetime) -> int:
        """The advice before hysteresis and minimums."""
        return max(self.needs(at))

    def needs(self, at: datetime) -> tuple[int, int]:
        """The windows the queue here needs, and the customers coming (before hysteresis and minimums)."""
        settings = self.settings
        window_s = settings.arrival_window_min * 60
        while self._arrivals and (at - self._arrivals[0][0]).total_seconds() >= window_s:
            self._arrivals.popleft()
        queue = self.floor.queue()
        elapsed = [(at - t.waiting_since).total_seconds() for t in queue if t.waiting_since is not None]
        open_windows = [w for w in self.floor.windows.by_id.values() if w.open]
        rate = self.forecast_per_s(at)
        if not elapsed and rate <= 0:
            return (1 if open_windows else 0), 0
        speeds = [self.learned.window_speeds.speed(w.id) for w in open_windows] or [1.0]
        speed = sum(speeds) / len(speeds)

        def mean_cost(counts: Mapping[str, float]) -> float:
            total = sum(counts.values())
            return sum(self.learned.window_cost_s(s) * n for s, n in counts.items()) / total / speed if total else 0.0

        waiting = self.floor.waiting_counts()
        free = sum(1 for w in open_windows if w.serving is None)
        return needs(
            elapsed, mean_cost(waiting), rate, mean_cost(self.arrival_mix()),
            open_windows=len(open_windows), free_windows=free, target_s=settings.target_wait_min * 60,
            target_share=settings.target_share, max_windows=len(self.floor.windows.by_id))

    def forecast_per_s(self, at: datetime) -> float:
        """The arrival rate to staff for: the customers of the next ``lookahead_min`` after a window
        asked for now could open (OPEN_DELAY_S).

        The arrival profile (earlier days' same slots, scaled to today's volume so far) is
        trusted in proportion to the days it has seen (half after one day, fully from
        ``MIN_PROFILE_DAYS``); the rest of the weight is the last ``arrival_window_min``
        minutes' rate, so a first day is advised on what it shows. The recent count also wins
        where it is clearly above the forecast (its count less two standard deviations: a
        Poisson count of ~30 is ±20%): a surge the profile did not foresee.
        """
        settings = self.settings
        window_s = settings.arrival_window_min * 60
        n = len(self._arrivals)
        recent = n / window_s
        if settings.lookahead_min <= 0:
            self._profile_trust = 0.0
            return recent
        now_s = local_seconds(at, self.tz)
        start = now_s + OPEN_DELAY_S
        profile = self.profile.expected_per_s(now_s, start, start + settings.lookahead_min * 60)
        trust = self._profile_trust = 0.0 if profile is None else min(1.0, self.profile.learned_days / MIN_PROFILE_DAYS)
        if profile is None:
            return recent
        blended = trust * profile + (1.0 - trust) * recent
        surge: float = max(0.0, n - 2 * n ** 0.5) / window_s
        return max(blended, surge)

    def arrival_mix(self) -> Mapping[str, float]:
        """The service mix of the customers to come: today's so far, leaning on earlier days' mix
        until today has MIX_PRIOR tickets (a mean window time from 15 minutes of arrivals is ±12%;
        before the first ticket, an even mix of three services overstated it by half)."""
        today: dict[str, float] = dict(self._arrived_today)
        learned = self.profile.mix
        if learned:
            for service, share in learned.items():
                today[service] = today.get(service, 0.0) + MIX_PRIOR * share
        return today or dict(self.floor.waiting_counts()) or dict.fromkeys(self.services, 1.0)


def _asks_more(alert: Alert) -> bool:
    """Whether a staffing alert asks to open windows (else it says some may close)."""
    return (alert.recommended_windows or 0) > alert.open_windows
