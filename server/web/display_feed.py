"""Which display.state the lobby screens get, and when: only when what they show changes.

A screen shows the last state's content, and its ``at`` advanced by the real time since the
state arrived. A new state goes out when the content changed (``seq`` and ``at`` aside) or
when the screens' clock would be more than CLOCK_SLACK off the hall's time (an event clock
jumping, a late tick). ``seq`` grows only with a state that shows something new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..hall import Hall
from ..wire import display_state
from .fanout import Fanout


__all__ = ["CLOCK_SLACK", "DisplayFeed", "shown_part"]

CLOCK_SLACK = timedelta(seconds=2)
"""How far a screen's running clock may drift from the hall's before a state sets it right."""


def shown_part(state: dict[str, Any]) -> dict[str, Any]:
    """Return what a display.state shows besides the time: everything but ``seq`` and ``at``."""
    return {key: value for key, value in state.items() if key not in ("seq", "at")}


@dataclass(slots=True)
class _Numbered:
    """A display.state with its seq: the text sent, what it shows and the hall's time in it."""

    text: str
    shown: dict[str, Any]
    at: datetime
    version: int
    """The hall's version it was built from, or found to show unchanged."""


class DisplayFeed:
    """The display.states of one server run, numbered, and the decision to send one.

    Args:
        fanout: where a state for every screen is published.
        wall_clock: the real clock (screens run their clocks on it between states).
        dumps: the JSON encoder of the wire.
    """

    def __init__(self, fanout: Fanout, wall_clock: Callable[[], datetime], dumps: Callable[[Any], str]) -> None:
        self.fanout = fanout
        self.wall_clock = wall_clock
        self.dumps = dumps
        self.looked_at = -1
        """The hall's version when :meth:`publish` last looked."""
        self._seq = 0
        self._newest: _Numbered | None = None
        """The newest numbered state, sent to every screen or only to one that connected."""
        self._published: tuple[_Numbered, datetime] | None = None
        """The newest state sent to every screen, and the wall clock when it went."""
        self.extras: Callable[[], dict[str, Any]] | None = None
        """Fields from beside the hall (the next quiet hours, web/when.py), added to every state."""

    def hall_replaced(self) -> None:
        """A rebuilt hall counts its versions from 0 again: forget which version a state showed."""
        if self._newest is not None:
            self._newest.version = -1
        self.looked_at = -1

    def for_new_screen(self, hall: Hall, at: datetime) -> str:
        """Return the display.state for a screen that connects now: the hall as it is, at ``at``."""
        numbered = self._newest
        if (numbered is None or numbered.version != hall.version or abs(at - numbered.at) > CLOCK_SLACK
                or not self._extras_shown(numbered)):
            state = self._state(hall, at)
            numbered = self._numbered(hall, at, state, shown_part(state))
        if self._published is None:
            # The first screen after a time with none: what it got is what the screens show.
            self._published = numbered, self.wall_clock()
        return numbered.text

    def nobody_watching(self, hall: Hall) -> None:
        """No screen is connected: nothing is built (one that connects gets the hall as it is then)."""
        self.looked_at = hall.version
        self._published = None

    def publish(self, hall: Hall, at: datetime) -> None:
        """Send every screen a new display.state if what they show differs from the hall at ``at``."""
        wall = self.wall_clock()
        state = self._state(hall, at)
        shown = shown_part(state)
        self.looked_at = hall.version
        if self._published is not None:
            sent, sent_wall = self._published
            if sent.shown == shown and abs(sent.at + (wall - sent_wall) - at) <= CLOCK_SLACK:
                return
        numbered = self._numbered(hall, at, state, shown)
        self._published = numbered, wall
        self.fanout.publish_display(numbered.text)

    def _extras_shown(self, numbered: _Numbered) -> bool:
        """The extras have not changed since ``numbered`` was built (they change without the hall)."""
        return self.extras is None or all(numbered.shown.get(k) == v for k, v in self.extras().items())

    def _state(self, hall: Hall, at: datetime) -> dict[str, Any]:
        state = display_state(hall, 0, at)
        if self.extras is not None:
            state.update(self.extras())
        return state

    def _numbered(self, hall: Hall, at: datetime, state: dict[str, Any], shown: dict[str, Any]) -> _Numbered:
        """Return the newest numbered state if it shows what ``state`` shows; else number ``state``."""
        newest = self._newest
        if newest is not None and newest.shown == shown and abs(at - newest.at) <= CLOCK_SLACK:
            newest.version = hall.version
            return newest
        self._seq += 1
        state["seq"] = self._seq
        self._newest = _Numbered(self.dumps(state), shown, at, hall.version)
        return self._newest
