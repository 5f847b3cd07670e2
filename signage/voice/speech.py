"""Which call is spoken when: the hall's one speaker, as a queue told the time (pure).

Rules (issue 15):

- calls are spoken in the order they were made (ties: the server's order), each once; a
  recall is a call of its own (the server sends it as a separate entry);
- a call never starts while another is being spoken (its length includes its chime), nor
  earlier than ``after_s`` after the screen first saw it (0 by default);
- a call that has waited more than ``max_age_s`` since it was made is dropped from speech
  (the screen still shows it): after a burst, or for the old calls a screen receives when it
  (re)connects, speaking minutes late would send customers to windows that moved on.

All times are the hall's (the display.state's clock), as for the banner.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from signage.state import Call


__all__ = ["Utterance", "VoiceQueue", "MAX_AGE_S"]

MAX_AGE_S = 45.0
# The banner gives up on a call 20 s after it was made (calls.MAX_LAG_S). Speech runs behind
# it: a chime and a zh + en call last 11-14 s with the generated bank (docs/voice.md), so 45 s
# lets four calls made together all be spoken; later than that the window has moved on.
HISTORY = 200


@dataclasses.dataclass(frozen=True, slots=True)
class Utterance:
    """One call being spoken from ``start`` until ``end``."""

    call: Call
    start: datetime
    end: datetime


class VoiceQueue:
    """Calls waiting to be spoken; ask :meth:`due` what to start now."""

    def __init__(self, length_s: Callable[[Call], float], *, max_age_s: float = MAX_AGE_S, after_s: float = 0.0) -> None:
        self.length_s = length_s
        self.max_age = timedelta(seconds=max_age_s)
        self.after = timedelta(seconds=after_s)
        # Calls already queued or spoken, by key; pruned once stale (a screen runs for weeks).
        self._seen: dict[tuple[str, str, str], datetime] = {}
        self._waiting: list[tuple[Call, datetime]] = []
        self.speaking: Utterance | None = None
        self.spoken: deque[Utterance] = deque(maxlen=HISTORY)
        """The last utterances started, in order."""
        self.dropped: deque[Call] = deque(maxlen=HISTORY)
        """The last calls that went stale in the queue before their turn."""

    def _stale(self, call: Call, now: datetime) -> bool:
        return now - call.called_at > self.max_age

    def add(self, calls: Sequence[Call], now: datetime) -> None:
        """Take the calls of a display.state (newest first, as on the wire) seen at ``now``.

        A call already stale when it arrives (a screen that was offline, the recent calls a
        screen gets when it connects) is never queued.
        """
        self._seen = {k: t for k, t in self._seen.items() if not now - t > self.max_age}
        for call in reversed(calls):
            if call.key in self._seen or self._stale(call, now):
                continue
            self._seen[call.key] = call.called_at
            self._waiting.append((call, now))
        # Stable: calls made at the same instant keep the server's order.
        self._waiting.sort(key=lambda item: item[0].called_at)

    def due(self, now: datetime) -> Utterance | None:
        """The call to start speaking at ``now``, or None (one is still being spoken, or none is ready)."""
        if self.speaking is not None:
            if now < self.speaking.end:
                return None
            self.speaking = None
        while self._waiting:
            call, seen = self._waiting[0]
            if self._stale(call, now):
                self._waiting.pop(0)
                self.dropped.append(call)
                continue
            if now < seen + self.after:
                return None
            self._waiting.pop(0)
            start = now
            utterance = Utterance(call, start, start + timedelta(seconds=self.length_s(call)))
            self.speaking = utterance
            self.spoken.append(utterance)
            return utterance
        return None

    def next_due(self, now: datetime) -> datetime | None:
        """When :meth:`due` may next return a call without new calls added, or None."""
        if not self._waiting:
            return None if self.speaking is None else self.speaking.end
        ready = self._waiting[0][1] + self.after
        if self.speaking is not None:
            ready = max(ready, self.speaking.end)
        return max(ready, now)

    @property
    def waiting(self) -> int:
        """Calls queued, not yet spoken (some may still be dropped as stale)."""
        return len(self._waiting)
