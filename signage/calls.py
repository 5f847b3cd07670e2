"""Banner queue for new calls: each call gets its whole banner time, none cut or skipped (pure)."""

from __future__ import annotations

import collections
import dataclasses
from datetime import timedelta

from signage.state import Call, DisplayState


__all__ = ["Banner", "BannerQueue"]

# How many call identities are remembered to avoid replaying a banner after a
# reconnect; the server keeps at most 10 calls per state, so this is ample.
SEEN_LIMIT = 512


@dataclasses.dataclass(frozen=True, slots=True)
class Banner:
    """A call being announced, with the monotonic time it went on screen."""

    call: Call
    shown_at: float
    until: float


class BannerQueue:
    """Turn successive display.states into a queue of call banners.

    Feed every state with :meth:`receive_state`, then ask :meth:`current` at
    each frame with the monotonic time; a banner's clock starts when
    :meth:`current` first returns it, so a late frame never shortens it.
    """

    def __init__(self, banner_s: float) -> None:
        self.banner_s = banner_s
        self._seen: collections.OrderedDict[tuple[str, str, str], None] = collections.OrderedDict()
        self._pending: collections.deque[Call] = collections.deque()
        self._current: Banner | None = None

    def _mark(self, call: Call) -> None:
        self._seen[call.key] = None
        while len(self._seen) > SEEN_LIMIT:
            self._seen.popitem(last=False)

    def receive_state(self, state: DisplayState, *, resync: bool = False) -> list[Call]:
        """Queue the calls of ``state`` not announced before; return them, oldest first.

        Args:
            state: the state just received.
            resync: True for the first state after a (re)connect: calls older
                than one banner time before ``state.at`` are taken as already
                shown and never announced.
        """
        fresh = []
        # Without a hall time, a resync cannot tell old from new: announce nothing.
        cutoff = state.at - timedelta(seconds=self.banner_s) if state.at is not None else None
        for call in reversed(state.calls):  # the wire lists newest first
            if call.key in self._seen:
                continue
            self._mark(call)
            if resync and (cutoff is None or call.called_at < cutoff):
                continue
            fresh.append(call)
        self._pending.extend(fresh)
        return fresh

    def current(self, now: float) -> Banner | None:
        """Return the banner to show at monotonic time ``now``, advancing the queue."""
        if self._current is not None and now >= self._current.until:
            self._current = None
        if self._current is None and self._pending:
            call = self._pending.popleft()
            self._current = Banner(call, now, now + self.banner_s)
        return self._current

    @property
    def pending(self) -> int:
        """Number of calls waiting for their banner (the current one excluded)."""
        return len(self._pending)

    def next_change(self, now: float) -> float | None:
        """Return when the banner shown at ``now`` ends, or None when none is shown."""
        return self._current.until if self._current is not None else None
