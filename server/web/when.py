"""When to come: ``GET /api/forecast`` and the ``/when`` page, and the history they rest on.

The history (server/forecast.py) learns from each finished business day. The hall forgets a
day's tickets when the next day starts, so the keeper copies the day's waits as it goes (each
look, at least once a minute, and from the day's hall just before the hub turns the day) and
teaches the history when the day turns. The history is kept in ``DATA_DIR/forecast.json``, and
with it, written at the turn, the day just copied until it is taught: a server down across a day
turn rebuilds the day before from its journal, so the keeper still sees it turn, and one stopped
right after the turn finds the day in the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from ..forecast import QuietRun, WaitHistory, forecast_json, quiet_phrase, quiet_runs
from ..hall import Hall
from ..window_plan import local_seconds
from .hub import Hub, dumps
from .keys import HUB
from .pages import STATIC_DIR


__all__ = ["ForecastKeeper", "FORECAST", "FORECAST_FILE", "LOOK_EVERY_S", "setup_when"]

log = logging.getLogger(__name__)

FORECAST_FILE = "forecast.json"

LOOK_EVERY_S = 60.0
"""How often the keeper copies today's waits from the hall."""

LOBBY_AFTER_S = 3600.0
"""The lobby ticker suggests quiet hours at least this far ahead: someone reading it is here now."""


class ForecastKeeper:
    def __init__(self, hub: Hub, data_dir: Path) -> None:
        self.hub = hub
        self.path = data_dir / FORECAST_FILE
        long_s = hub.config.alerts.care_first_min * 60
        self.history = WaitHistory(long_s)
        self._day: date | None = None
        self._waits: dict[str, tuple[float, float]] = {}
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self.history = WaitHistory.restore(data)
                pending = data.get("pending")
                if pending:
                    self._day = date.fromisoformat(pending["day"])
                    self._waits = {label: (float(at_s), float(wait_s)) for label, at_s, wait_s in pending["waits"]}
            except (ValueError, TypeError, KeyError) as exc:
                log.warning("forecast: %s is unreadable (%s); learning again from today", self.path, exc)
        self._quiet: tuple[object, list[QuietRun]] = (None, [])
        self._lobby: tuple[object, dict[str, Any]] = (None, {})
        """The lobby's fields and what they were worked out for: they change with the half hour."""

    def look(self, hall: Hall | None = None) -> None:
        """Copy the day's waits from ``hall`` (the hub's); teach the history the day before when the day turned."""
        hall = hall or self.hub.hall
        if hall.day != self._day:
            finished, waits = self._day, self._waits
            self._day, self._waits = hall.day, {}
            if finished is not None and waits:
                self.history.add_day(finished, waits.values())
                self._save()
        # Keyed by the day id too: after a hall.reset the labels start again (A001 …) within the date.
        for ticket in hall.tickets.values():
            if ticket.first_wait_s is not None and ticket.issued_at is not None:
                self._waits[f"{hall.day_id}/{ticket.label}"] = (local_seconds(ticket.issued_at, hall.tz),
                                                                ticket.first_wait_s)

    def day_ending(self, hall: Hall) -> None:
        """The hub is about to turn the day (or reset it): copy the day's waits and keep them on disk."""
        self.look(hall)
        self._save()

    def now(self) -> datetime:
        """The hall's local time: its clock, or the server's before the hall has seen an event."""
        hall = self.hub.hall
        return (hall.now or self.hub.now()).astimezone(hall.tz).replace(tzinfo=None)

    def forecast(self) -> dict[str, Any]:
        self.look()
        out = forecast_json(self.history, self.now())
        out["timezone"] = self.hub.hall.config.timezone
        return out

    def come_back(self, hall: Hall, wait_s: int | None) -> dict[str, str] | None:
        """For a wait longer than the hall's first care threshold: the next quiet hours after it."""
        if wait_s is None or wait_s < hall.config.alerts.care_first_min * 60:
            return None
        return self._quiet_after(wait_s)

    def lobby_fields(self) -> dict[str, Any]:
        """``quiet_hours`` of display.state: the next quiet hours one could come back for (an hour on)."""
        now = self.now()
        key = (self.history.days, now.date(), now.hour, now.minute >= 30)
        if key != self._lobby[0]:
            self._lobby = key, {"quiet_hours": self._quiet_after(LOBBY_AFTER_S)}
        return self._lobby[1]

    def _quiet_after(self, after_s: float) -> dict[str, str] | None:
        now = self.now()
        ready = now.hour * 3600 + now.minute * 60 + after_s
        for run in self._runs(now):
            if run.day > now.date() or run.from_hour * 3600 >= ready:
                return quiet_phrase(run, now.date())
        return None

    def _runs(self, now: datetime) -> list[QuietRun]:
        """The next quiet runs; every phone with a long wait asks each second, the answer moves by the half hour."""
        key = (self.history.days, now.date(), now.hour, now.minute >= 30)
        if key != self._quiet[0]:
            self._quiet = key, quiet_runs(self.history, now)
        return self._quiet[1]

    def _save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        data = self.history.export()
        if self._day is not None and self._waits:
            data["pending"] = {"day": self._day.isoformat(),
                               "waits": [[label, at_s, wait_s] for label, (at_s, wait_s) in self._waits.items()]}
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.path)


FORECAST = web.AppKey("forecast", ForecastKeeper)


async def get_forecast(request: web.Request) -> web.Response:
    """``GET /api/forecast`` (public): per weekday and hour, the typical wait; the next quiet hours."""
    return web.json_response(request.app[FORECAST].forecast(), dumps=dumps,
                             headers={"Cache-Control": "max-age=60"})


async def when_page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "when.html", headers={"Cache-Control": "no-cache"})


def setup_when(app: web.Application, data_dir: Path) -> None:
    """Register /api/forecast and /when; keep the history learning while the app runs."""
    keeper = ForecastKeeper(app[HUB], data_dir)
    app[FORECAST] = keeper
    app[HUB].display.extras = keeper.lobby_fields
    app[HUB].day_ending.append(keeper.day_ending)

    async def keep_looking(app: web.Application) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                await asyncio.sleep(LOOK_EVERY_S)
                try:
                    keeper.look()
                except Exception:  # noqa: BLE001 - the forecast must never stop the server
                    log.exception("forecast: looking at the hall failed")

        task = asyncio.create_task(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(keep_looking)
    app.router.add_get("/api/forecast", get_forecast)
    app.router.add_get("/when", when_page)
