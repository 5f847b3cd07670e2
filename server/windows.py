"""The hall's windows (counters): which are open, which services each takes, whom each serves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .config import HallConfig
from .events import QueueEvent


__all__ = ["Window", "Windows"]


@dataclass(slots=True, kw_only=True)
class Window:
    id: str
    open: bool = False
    services: tuple[str, ...] | None = None
    serving: str | None = None
    changed_at: datetime | None = None
    """Stamp of the latest opening or closing: an older one arriving late changes nothing."""

    def serves(self, service: str) -> bool:
        return self.services is None or service in self.services


class Windows:
    """Today's windows by id: the configured ones, and any other the queue system names."""

    def __init__(self, config: HallConfig) -> None:
        self.config = config
        self.by_id: dict[str, Window] = {w.id: Window(id=w.id, services=w.services) for w in config.windows}

    def get(self, window_id: str) -> Window:
        """Return the window, created on first sight (with its configured services, if any)."""
        window = self.by_id.get(window_id)
        if window is None:
            window = Window(id=window_id, services=self.configured_services(window_id))
            self.by_id[window_id] = window
        return window

    def opened(self, event: QueueEvent) -> Window | None:
        """Open the event's window; ``None`` if the event is older than the window's latest change."""
        window = self._in_order(event)
        if window is not None:
            window.open = True
            window.services = event.services if event.services is not None else self.configured_services(window.id)
        return window

    def closed(self, event: QueueEvent) -> Window | None:
        """Close the event's window; ``None`` if the event is older than the window's latest change."""
        window = self._in_order(event)
        if window is not None:
            window.open = False
        return window

    def free(self, window_id: str, label: str) -> None:
        """The window is no longer serving ``label`` (if it was)."""
        window = self.by_id.get(window_id)
        if window is not None and window.serving == label:
            window.serving = None

    def open_count(self, service: str | None = None) -> int:
        return sum(1 for w in self.by_id.values() if w.open and (service is None or w.serves(service)))

    def configured_services(self, window_id: str) -> tuple[str, ...] | None:
        for w in self.config.windows:
            if w.id == window_id:
                return w.services
        return None

    def _in_order(self, event: QueueEvent) -> Window | None:
        assert event.window is not None
        window = self.get(event.window)
        if window.changed_at is not None and event.at < window.changed_at:
            return None
        window.changed_at = event.at
        return window
