"""Which windows will be open later today: the configured plan, or the one learned by time of day.

Most halls close the same windows for lunch every day. A wait estimate made at 11:50
that assumes today's 10 windows stay open is off by tens of minutes, so the estimator
integrates capacity over this plan. Per window and per 15-minute slot of the local day
the plan holds the expected share of the slot the window is open: 1/0 from configured
hours, or an average over past days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any


__all__ = ["SLOT_S", "WindowPlan", "local_seconds", "parse_hours"]

SLOT_S = 900
SLOTS = 24 * 3600 // SLOT_S
DAY_S = 24 * 3600

MIN_DAYS = 2
"""A learned plan is trusted after this many working days."""
DAY_WEIGHT = 0.3
"""After the first days, each new day moves the plan by this much: rotas change, slowly."""
BREAK_S = 15 * 60
"""A window closed while the plan expects it open is assumed back after a break this long."""
FADE_SHARE = 0.9
"""A slot whose expected open windows are below this share of the slot before is fading out."""
FADE_SLOTS = 4
"""Serving out the last queue takes up to an hour: no longer fade is taken for the day's end."""
TRUST_DAYS = 2
"""A learned plan earns full trust from past days after this many (one day: half)."""
AGREE_RECENCY = 0.8
"""Each older slot of today counts this much less in the plan's agreement with today (~45 min half-life)."""
AGREE_PRIOR_SLOTS = 1.0
"""Agreement starts as if one slot had agreed: one slot of departure halves the trust."""
RETURN_S = (60 * 60, 120 * 60)
"""Without a believed plan, a window closed during the day is expected back between these times
after it closed, evenly: lunch. The shared traces' lunch closures lasted 77-119 min (14 of them),
the simulator's 90; every window closed before the last hour came back."""


def local_seconds(at: datetime, tz: tzinfo) -> float:
    """Seconds since local midnight in the hall's time zone: where the day's plans are kept."""
    local = at.astimezone(tz)
    return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


def parse_hours(spec: str) -> tuple[int, int]:
    """Parse ``"08:55-12:00"`` into local seconds of the day; raise ValueError naming the problem."""
    try:
        start, end = (part.strip() for part in spec.split("-"))
        s, e = _clock_s(start), _clock_s(end)
    except ValueError:
        raise ValueError(f"{spec!r} is not a time range like '08:55-12:00'") from None
    if e <= s:
        raise ValueError(f"{spec!r} ends before it starts")
    return s, e


def _covered(spans: tuple[tuple[int, int], ...], slot: int) -> float:
    """Share of 15-minute slot ``slot`` inside the configured spans."""
    start, end = slot * SLOT_S, (slot + 1) * SLOT_S
    return sum(max(0, min(end, e) - max(start, s)) for s, e in spans) / SLOT_S


def _fade_start(totals: list[float]) -> int:
    """The end of the day in local seconds, from the expected open windows per slot."""
    last = max((i for i, t in enumerate(totals) if t >= 0.5), default=None)
    if last is None:
        return DAY_S
    i = last
    while i > 0 and last - i < FADE_SLOTS and totals[i] < FADE_SHARE * totals[i - 1]:
        i -= 1
    return (i + 1) * SLOT_S


def _believed(planned: list[float], kept: float | list[float], trust: float) -> list[float]:
    """Partly believed: the plan's changes, weighted by trust, on top of today's state kept
    (per segment: a window away expected back)."""
    if isinstance(kept, list):
        return [k + trust * (p - k) for p, k in zip(planned, kept)]
    return [kept + trust * (p - kept) for p in planned]


def _returning(closed_at: float, times: list[float], now_s: float) -> list[float]:
    """The chance a window closed at ``closed_at`` is back, per segment (plan ``times``: now's, then
    each segment's start), by :data:`RETURN_S`. The first segment is judged at its slot's start, so
    the answer stays the same all slot long (outlooks are kept per slot)."""
    first, last = RETURN_S
    starts = [float(int(now_s // SLOT_S) * SLOT_S), *times[2:]]
    return [min(1.0, max(0.0, (t - closed_at - first) / (last - first))) for t in starts]


def _clock_s(text: str) -> int:
    hours, minutes = text.split(":")
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(text)
    return h * 3600 + m * 60


class WindowPlan:
    """The expected open share of each window over the local day.

    Fed window openings and closings with local seconds of the day; :meth:`end_day`
    folds the day into the learned plan. Configured hours, where given, win over
    what was learned.
    """

    def __init__(self, configured: Mapping[str, Iterable[tuple[int, int]]] | None = None,
                 windows: Iterable[str] = ()) -> None:
        """``configured``: the windows with configured hours; ``windows``: every configured window."""
        self._configured = {w: tuple(spans) for w, spans in (configured or {}).items()}
        self._without_hours = set(windows) - set(self._configured)
        self._learned: dict[str, list[float]] = {}
        self._days = 0
        self._today: dict[str, list[float]] = {}
        self._open_since: dict[str, float] = {}
        self._closed_at: dict[str, float] = {}
        self._closing: float | None = None
        # Every estimate of one moment asks the same questions (a display.state asks once per
        # service): answers are kept until the time or the plan changes.
        self._memo_at: float | None = None
        self._memo: dict[Any, Any] = {}
        # A learned window's availability depends only on which slots lie ahead: the same
        # answer serves every moment of a slot, until the learned plan changes.
        self._shapes: dict[tuple[Any, ...], list[float]] = {}
        # Today's record changes only at window events: agreement is kept per slot until one.
        self._agreement: dict[tuple[str, int, bool, bool], float] = {}
        # Every moment of a slot with the same windows open sees the same plan ahead (only the
        # offsets to its segments move): kept per slot until a window event, like agreement.
        self._outlooks: dict[tuple[Any, ...], tuple[list[float], list[list[float]]]] = {}

    @property
    def learned_days(self) -> int:
        return self._days

    # -- today's record -------------------------------------------------------------------

    def opened(self, window: str, at_s: float) -> None:
        self._forget(window)
        self._today.setdefault(window, [0.0] * SLOTS)
        self._open_since.setdefault(window, at_s)
        self._closed_at.pop(window, None)

    def closed(self, window: str, at_s: float) -> None:
        self._forget(window)
        start = self._open_since.pop(window, None)
        if start is not None:
            self._add_open(window, start, at_s)
            self._closed_at[window] = at_s

    def _forget(self, window: str) -> None:
        """Today's record of ``window`` is about to change: what was kept of it goes. The other
        windows' agreement stands, unless this is the day's first record (from then on every
        window's earlier slots are judged on the record: see :meth:`_agreement_now`)."""
        self._memo_at = None
        self._outlooks = {}
        if not self._today and not self._open_since:
            self._agreement = {}
        else:
            self._agreement = {key: value for key, value in self._agreement.items() if key[0] != window}

    def close_all(self, at_s: float) -> None:
        """Close every window open in today's record (a hall reset): the record, not the hall's
        windows, so that a hall restored from a snapshot closes the same ones."""
        for window in list(self._open_since):
            self.closed(window, at_s)

    def end_day(self) -> None:
        """Fold today into the learned plan; windows still open count as open until midnight.

        A day on which no window opened (a holiday, a hall reset before opening) teaches
        nothing and is skipped.
        """
        for window in list(self._open_since):
            self.closed(window, DAY_S)
        if self._today:
            self._days += 1
            weight = max(1.0 / self._days, DAY_WEIGHT)
            for window in set(self._learned) | set(self._today):
                learned = self._learned.setdefault(window, [0.0] * SLOTS)
                today = self._today.get(window)
                for i in range(SLOTS):
                    share = today[i] / SLOT_S if today else 0.0
                    learned[i] += weight * (share - learned[i])
        self._today = {}
        self._open_since = {}
        self._closed_at = {}
        self._closing = None
        self._memo_at = None
        self._shapes = {}
        self._agreement = {}
        self._outlooks = {}

    def _add_open(self, window: str, start: float, end: float) -> None:
        slots = self._today.setdefault(window, [0.0] * SLOTS)
        t = max(0.0, start)
        end = min(float(DAY_S), end)
        while t < end:
            i = int(t // SLOT_S)
            slot_end = (i + 1) * SLOT_S
            slots[i] += min(end, slot_end) - t
            t = slot_end

    # -- the plan ahead ------------------------------------------------------------------

    def expected_open(self, window: str, at_s: float) -> float | None:
        """The expected open share of ``window`` at local second ``at_s``; None: no plan known."""
        if window not in self._configured and (window not in self._learned or self._days < MIN_DAYS):
            return None
        return self._expected_now(window, at_s)

    def trust(self, window: str, is_open: bool, now_s: float) -> float:
        """How far the plan of ``window`` is to be believed now, from 0 (not at all) to 1.

        Configured hours are believed. A learned plan earns trust with the days it has seen
        (half after one day, all after :data:`TRUST_DAYS`) and keeps it only while today
        agrees with it: a window the plan expects open that is not (an absent clerk, lunch
        started early), or one open that the plan has closed, costs trust at once, recent
        slots counting most. Without trust, the estimate keeps today's state of the window.
        """
        if window in self._configured:
            return 1.0
        learned = self._learned.get(window)
        if learned is None or self._days < 1:
            return 0.0
        now_slot = min(SLOTS - 1, max(0, int(now_s // SLOT_S)))
        closed_at = self._closed_at.get(window)
        # A window closed a moment ago is on a break until it has been away longer than one.
        on_break = not is_open and closed_at is not None and now_s - closed_at < BREAK_S
        # Kept until the slot, the window's state or today's record changes: asked for every window
        # at every event.
        key = (window, now_slot, is_open, on_break)
        known = self._agreement.get(key)
        if known is None:
            known = self._agreement[key] = (min(1.0, self._days / TRUST_DAYS)
                                            * self._agreement_now(window, is_open or on_break, now_s, now_slot,
                                                                  learned))
        return known

    def _agreement_now(self, window: str, open_now: bool, now_s: float, now_slot: int,
                       learned: list[float]) -> float:
        """Recency-weighted overlap of today's open time and the plan's, slot by slot, up to now."""
        today = self._today.get(window)
        since = self._open_since.get(window)
        overlap = union = 0.0
        weight = 1.0
        # The current slot is judged on the window's state now; earlier ones on the record,
        # once there is one today (a hall that has seen no window event yet has none).
        first = 0 if self._today or self._open_since else now_slot
        for i in range(now_slot, first - 1, -1):
            if i == now_slot:
                actual = 1.0 if open_now else 0.0
            else:
                held = today[i] if today else 0.0
                if since is not None:
                    held += max(0.0, min((i + 1) * SLOT_S, now_s) - max(i * SLOT_S, since))
                actual = min(1.0, held / SLOT_S)
            planned = learned[i]
            overlap += weight * min(actual, planned)
            union += weight * max(actual, planned)
            weight *= AGREE_RECENCY
            if weight < 0.01:
                break
        return (overlap + AGREE_PRIOR_SLOTS) / (union + AGREE_PRIOR_SLOTS)

    def _expected_now(self, window: str, at_s: float) -> float:
        """Like :meth:`expected_open`, from the first learned day (trust weighs it then)."""
        spans = self._configured.get(window)
        if spans is not None:
            return 1.0 if any(s <= at_s < e for s, e in spans) else 0.0
        return self._learned[window][min(SLOTS - 1, max(0, int(at_s // SLOT_S)))]

    def closing_s(self) -> float:
        """Local second at which the hall's day ends: as learned, or the last configured hour.

        The learned plan fades out over the slots after closing (windows serve out their
        queues, some sooner than others): the day's end is where that fade starts, i.e. the
        last slot with any window expected open, less the falling slots just before it.
        Windows that leave early for good (a half-day clerk) are steps, not a fade, and keep
        their closing. With neither a trusted learned plan nor hours for every window, the
        day has no known end.
        """
        if self._closing is None:
            if self._days >= MIN_DAYS and self._learned:
                totals = [0.0] * SLOTS
                for window, shares in self._learned.items():
                    if window not in self._configured:
                        totals = [t + x for t, x in zip(totals, shares)]
                for spans in self._configured.values():
                    totals = [t + _covered(spans, i) for i, t in enumerate(totals)]
                self._closing = float(_fade_start(totals))
            elif self._configured and not self._without_hours:
                self._closing = float(max(e for spans in self._configured.values() for _, e in spans))
            else:
                self._closing = float(DAY_S)
        return self._closing

    def availability(self, window: str, is_open: bool, now_s: float, starts: list[float],
                     trust: float | None = None) -> list[float]:
        """The expected open share of ``window`` on each segment starting ``starts`` seconds after now.

        Today's actual state is kept and only the plan's *changes* from now on are added:
        a window the manager opened beyond the plan stays open until the plan closes
        windows anyway. At the end of the day the plan stops: halls serve everyone holding
        a ticket, so a window open at closing is expected to stay open while its queue lasts
        (without this, a ticket taken at 16:58 was told the queue would wait for tomorrow).
        The plan counts as far as it is believed (:meth:`trust`; pass it if already asked).
        Queue models ask :meth:`outlook` for every window at once, which keeps its answers.
        """
        if trust is None:
            trust = self.trust(window, is_open, now_s)
        return list(self._availability(window, is_open, now_s, starts, trust))

    def outlook(self, windows: Sequence[tuple[str, bool]], now_s: float,
                starts: list[float]) -> tuple[list[float], list[list[float]]]:
        """Per window (id, open now): its :meth:`trust` and its :meth:`availability` over ``starts``.

        The same answers as asking window by window, kept while the windows' states, the slot
        and the plan times of the segments ahead stay the same (a window back from a break is
        one of those times): a queue model is built at every event and review, and most of
        them fall in a slot already asked about. Only the offsets to the segments move.
        """
        times, slots = self._slots(now_s, starts)
        on_break = tuple(not is_open and now_s - self._closed_at.get(window, -DAY_S) < BREAK_S
                         for window, is_open in windows)
        # times[0] and times[1] are now itself (the first segment starts at offset 0), and times stop
        # at closing: trust is judged on the slot of now.
        key = (tuple(windows), on_break, int(now_s // SLOT_S), slots, tuple(times[2:]))
        known = self._outlooks.get(key)
        if known is None:
            trusts = [self.trust(window, is_open, now_s) for window, is_open in windows]
            shares = [self._availability(window, is_open, now_s, starts, trust)
                      for (window, is_open), trust in zip(windows, trusts)]
            if len(self._outlooks) > 1_000:  # a day's slots x window states, several times over
                self._outlooks = {}
            known = self._outlooks[key] = trusts, shares
        return known

    def _memo_for(self, now_s: float) -> dict[Any, Any]:
        if self._memo_at != now_s:
            self._memo_at, self._memo = now_s, {}
        return self._memo

    def _slots(self, now_s: float, starts: list[float]) -> tuple[list[float], tuple[int, ...]]:
        """Plan times (stopped at closing) of now and of each start, and their learned slots."""
        memo = self._memo_for(now_s)
        known = memo.get("slots")
        if known is None or known[0] != starts:
            last_s = self.closing_s() - 1.0
            times = [min(now_s + offset, last_s) for offset in (0.0, *starts)]
            known = memo["slots"] = (list(starts), times, tuple(min(SLOTS - 1, int(t // SLOT_S)) for t in times))
        return known[1], known[2]

    def _availability(self, window: str, is_open: bool, now_s: float, starts: list[float],
                      trust: float) -> list[float]:
        kept = 1.0 if is_open else 0.0
        closed_at = None if is_open or trust >= 1.0 else self._closed_at.get(window)
        if closed_at is not None and now_s - closed_at >= BREAK_S:
            # Away longer than a break and the plan not fully believed: today's own evidence is
            # that the window was staffed today, and windows closed in the day come back.
            return self._away(window, closed_at, now_s, starts, trust)
        if trust <= 0.0:
            return [kept] * len(starts)
        p_now = self._expected_now(window, now_s)
        back_at = None
        if not is_open and p_now >= 0.5:
            closed_at = self._closed_at.get(window)
            if closed_at is not None and now_s - closed_at < BREAK_S:
                back_at = closed_at + BREAK_S - now_s
        # List passes over slots shared by every window: an outlook asks this of each window.
        times, slots = self._slots(now_s, starts)
        spans = self._configured.get(window)
        if spans is None and back_at is None:
            return self._learned_shape(window, is_open, slots, trust)
        if spans is not None:
            planned = [1.0 if any(s <= t < e for s, e in spans) else 0.0 for t in times]
        else:
            planned = [self._learned[window][i] for i in slots]
        p_from = planned[0]
        shape = [min(1.0, max(0.0, (1.0 if is_open or (back_at is not None and offset >= back_at) else 0.0)
                              + p - p_from))
                 for offset, p in zip(starts, planned[1:])]
        return shape if trust >= 1.0 else _believed(shape, kept, trust)

    def _away(self, window: str, closed_at: float, now_s: float, starts: list[float], trust: float) -> list[float]:
        """A closed window's availability, between its return after lunch and the plan, as believed."""
        times, slots = self._slots(now_s, starts)
        back = _returning(closed_at, times, now_s)
        if trust <= 0.0:
            return back
        spans = self._configured.get(window)
        if spans is not None:
            planned = [1.0 if any(s <= t < e for s, e in spans) else 0.0 for t in times]
        else:
            planned = [self._learned[window][i] for i in slots]
        shape = [min(1.0, max(0.0, p - planned[0])) for p in planned[1:]]
        return _believed(shape, back, trust)

    def _learned_shape(self, window: str, is_open: bool, slots: tuple[int, ...], trust: float) -> list[float]:
        """A learned window's availability over ``slots`` (now's first), with no break to end, as believed.

        Trust changes only at slot edges and window events, so the believed shape is kept too.
        """
        key = (window, is_open, slots, trust)
        shape = self._shapes.get(key)
        if shape is None:
            if len(self._shapes) > 20_000:  # a day's slots x windows, many times over
                self._shapes = {}
            learned = self._learned[window]
            kept = 1.0 if is_open else 0.0
            shift = kept - learned[slots[0]]
            shape = [min(1.0, max(0.0, learned[i] + shift)) for i in slots[1:]]
            shape = self._shapes[key] = shape if trust >= 1.0 else _believed(shape, kept, trust)
        return shape

    def breakpoints(self, now_s: float, horizon_s: float) -> list[float]:
        """Segment starts (offsets from now) where any window's expected state may change."""
        memo = self._memo_for(now_s)
        key = ("breakpoints", horizon_s)
        answer = memo.get(key)
        if answer is None:
            answer = memo[key] = self._breakpoints(now_s, horizon_s)
        return list(answer)

    def _breakpoints(self, now_s: float, horizon_s: float) -> list[float]:
        points = {0.0}
        first = (int(now_s // SLOT_S) + 1) * SLOT_S - now_s
        offset = first
        while offset < horizon_s:
            points.add(offset)
            offset += SLOT_S
        for window, closed_at in self._closed_at.items():
            back = closed_at + BREAK_S - now_s
            if 0 < back < horizon_s:
                points.add(back)
        for spans in self._configured.values():
            for s, e in spans:
                for edge in (s, e):
                    if 0 < edge - now_s < horizon_s:
                        points.add(edge - now_s)
        return sorted(points)

    # -- persistence ---------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        """Learned plan plus today's record, so a restart mid-day folds the same day."""
        return {"days": self._days, "learned": {w: list(v) for w, v in self._learned.items()},
                "today": {w: list(v) for w, v in self._today.items()},
                "open_since": dict(self._open_since), "closed_at": dict(self._closed_at)}

    def restore(self, data: Mapping[str, Any]) -> None:
        self._days = int(data.get("days", 0))
        self._learned = {str(w): [float(x) for x in v] for w, v in data.get("learned", {}).items()}
        self._today = {str(w): [float(x) for x in v] for w, v in data.get("today", {}).items()}
        self._open_since = {str(w): float(v) for w, v in data.get("open_since", {}).items()}
        self._closed_at = {str(w): float(v) for w, v in data.get("closed_at", {}).items()}
        self._closing = None
        self._memo_at = None
        self._shapes = {}
        self._agreement = {}
        self._outlooks = {}
