"""The call banner as a pure function of the server's call times and the hall's time (pure).

Every screen of a hall computes the banner from the same two things, the ``calls`` of the
last display.state and the hall's time ``now``, so two screens show the same banner at the
same moment, and a screen that was off, slow or reconnected shows what the others show.

The rule (``banner_at``):

- calls take a row on the banner in the order they were made (ties: the server's order);
  the banner has ``MAX_ROWS`` rows, so calls made together are shown together;
- a call keeps its row for ``hold_s`` (the content's ``banner_seconds``, 8 s by default);
- a call that cannot get a row within ``MAX_LAG_S - hold_s`` of being made is never
  bannered (it is in the recent calls list): no call is on the banner more than
  ``MAX_LAG_S`` after it was made, so a burst never leaves the banner running behind;
- no banner while no window is open (:func:`state_banner`): the hall is closed or closing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from signage.state import Call, DisplayState


__all__ = ["HOLD_S", "MAX_LAG_S", "MAX_ROWS", "Row", "Banner", "schedule", "banner_at", "next_change", "state_banner"]

HOLD_S = 8.0
# A customer looks up from their phone within seconds of the chime; 20 s after the call the
# banner would announce a number whose window has likely moved on (issue 12: one burst put
# the last number ~90 s late, a page left open reached 711 calls behind).
MAX_LAG_S = 20.0
# Four rows stay legible from 5-10 m on a 1080p screen (the banner's body is ~800 px tall);
# twelve windows calling at opening are shown in three banners of four, within 16 s.
MAX_ROWS = 4


@dataclasses.dataclass(frozen=True, slots=True)
class Row:
    """One call's time on the banner: from ``start`` until ``end`` (hall time)."""

    call: Call
    start: datetime
    end: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class Banner:
    """The calls on the banner at one instant, in the order they got their rows."""

    rows: tuple[Row, ...]
    pending: int
    """Calls that will still get a row after these (calls never bannered are not counted)."""

    @property
    def calls(self) -> tuple[Call, ...]:
        return tuple(r.call for r in self.rows)

    @property
    def key(self) -> tuple[tuple[str, str, str], ...]:
        """Identity of what is shown: a new key is a new call on the banner (the chime)."""
        return tuple(r.call.key for r in self.rows)


def _hold(hold_s: float) -> timedelta:
    return timedelta(seconds=min(max(hold_s, 0.0), MAX_LAG_S))


def schedule(calls: Sequence[Call], hold_s: float = HOLD_S) -> list[Row]:
    """Return the rows the calls get, in order of start; calls never bannered are left out.

    ``calls`` as on the wire (newest first). Deterministic: the rows depend only on the
    calls' times and order, never on when a screen received them.
    """
    hold = _hold(hold_s)
    latest = timedelta(seconds=MAX_LAG_S) - hold
    # Oldest first; sorted() is stable, so calls made at the same instant keep the server's order.
    ordered = sorted(reversed(calls), key=lambda c: c.called_at)
    rows: list[Row] = []
    for call in ordered:
        start = call.called_at
        # Starts never decrease (calls in order, equal holds): a row frees up when the row
        # MAX_ROWS places back ends.
        if len(rows) >= MAX_ROWS:
            start = max(start, rows[-MAX_ROWS].end)
        if rows:
            start = max(start, rows[-1].start)
        if start - call.called_at > latest:
            continue
        rows.append(Row(call, start, start + hold))
    return rows


def banner_at(calls: Sequence[Call], now: datetime, hold_s: float = HOLD_S) -> Banner | None:
    """Return the banner at hall time ``now`` for the server's ``calls``, or None when there is none."""
    rows = schedule(calls, hold_s)
    shown = tuple(r for r in rows if r.start <= now < r.end)
    if not shown:
        return None
    return Banner(shown, sum(1 for r in rows if r.start > now))


def next_change(calls: Sequence[Call], now: datetime, hold_s: float = HOLD_S) -> datetime | None:
    """Return the next instant after ``now`` at which the banner changes by itself, or None."""
    due = [t for r in schedule(calls, hold_s) for t in (r.start, r.end) if t > now]
    return min(due) if due else None


def state_banner(state: DisplayState | None, now: datetime | None, hold_s: float = HOLD_S) -> Banner | None:
    """Return the banner of ``state`` at hall time ``now``: none while no window is open."""
    if state is None or state.at is None or now is None or state.open_windows <= 0:
        return None
    return banner_at(state.calls, now, hold_s)
