"""Staffing advice: how many windows keep P(wait > 15 min) under the target.

Two questions, the larger answer wins:
- the queue already here: with s windows, a ticket at position p that has waited e
  passes the threshold T if fewer than p services end within T - e (an Erlang tail);
  the mean of that chance over the tickets still under T must stay under the target;
- the people still coming: with the arrival rate the hall expects (its arrival profile for
  the next half hour, or the last 15 minutes' where clearly higher; see hall.py), Erlang C's
  tail C(s, a) * exp(-(s - a) T / m) must stay under the target too.
The hall is treated as one pool of windows here (skill limits of single windows are
left out): advice is about how many clerks to seat, not where.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .queueing import erlang_c_tail, gamma_sf


__all__ = ["Minimum", "StaffingAdvisor", "StaffingSettings", "windows_needed", "staffing_message"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Minimum:
    """Keep at least ``windows`` (or ``share`` of the hall's windows) open from ``from_s`` to ``to_s``."""

    from_s: int
    to_s: int
    windows: int | None = None
    share: float | None = None

    def windows_at(self, local_s: float, known_windows: int) -> int:
        if not self.from_s <= local_s < self.to_s:
            return 0
        if self.windows is not None:
            return self.windows
        assert self.share is not None
        return -int(-self.share * known_windows // 1)  # ceil: "half of 15" keeps 8


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffingSettings:
    enabled: bool = True
    """False: no staffing alerts (open_windows alerts still carry the advised count)."""
    target_wait_min: float = 15.0
    target_share: float = 0.05
    close_after_min: float = 10.0
    arrival_window_min: float = 15.0
    lookahead_min: float = 30.0
    """Also staff for the arrival rate earlier days had over the next this-many minutes (0: off)."""
    minimums: tuple[Minimum, ...] = ()

    def minimum_at(self, local_s: float, known_windows: int) -> int:
        return max((m.windows_at(local_s, known_windows) for m in self.minimums), default=0)


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


def windows_needed(elapsed_s: Sequence[float], queue_mean_s: float, arrivals_per_s: float,
                   arrival_mean_s: float, *, open_windows: int, free_windows: int, target_s: float,
                   target_share: float, max_windows: int) -> int:
    """The fewest windows (at least 1, at most ``max_windows``) that meet the target.

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
    return max(_fewest(queue_over, queue_goal, max_windows), _fewest(arrivals_over, target_share, max_windows))


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

    The advice is the most any review of the last ``close_after`` needed: a window advised
    stays advised that long, so the advice does not follow every arrival or departure up and
    down (the Erlang terms jump with each ticket). Where more windows are open than that, they
    are kept until the surplus has lasted ``close_after``. The advice never follows the open
    count down: a clerk on a break or still walking to the window is not a reason to advise
    fewer windows (and a manager told "fewer" would send another clerk away).
    """

    def __init__(self, close_after: timedelta) -> None:
        self.close_after = close_after
        self.advised: int | None = None
        self._surplus_since: datetime | None = None
        self._needs: deque[tuple[datetime, int]] = deque()

    def update(self, needed: int, open_windows: int, at: datetime) -> int:
        while self._needs and at - self._needs[0][0] >= self.close_after:
            self._needs.popleft()
        while self._needs and self._needs[-1][1] <= needed:  # a monotone deque: its head is the max
            self._needs.pop()
        self._needs.append((at, needed))
        recent = self._needs[0][1]
        if needed >= open_windows:
            self._surplus_since = None
        elif self._surplus_since is None:
            self._surplus_since = at
        lasted = self._surplus_since is not None and at - self._surplus_since >= self.close_after
        self.advised = open_windows if open_windows > recent and not lasted else recent
        return self.advised


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
