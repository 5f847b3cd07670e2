"""Novo SGA's transport: the Mercure stream names attendances, the REST API gives their records,
the translator makes events, the forwarder delivers them (or spools them)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import aiohttp

from . import novosga
from .core import AdapterError
from .memory import StateFile
from .mercure import SseMessage, Subscriber

if TYPE_CHECKING:
    from .shell import Forwarder


__all__ = ["NovoSGAFeed"]

log = logging.getLogger("waitwell.adapt")


class NovoSGAFeed:
    """Subscribes to the hub and forwards each named attendance's change.

    The last handled event id is kept in ``memory`` so a restarted adapter resumes where it
    stopped (as far back as the hub keeps history); a message is marked handled only once its
    events are forwarded or spooled.
    """

    def __init__(self, config: novosga.NovoSGAConfig, forwarder: "Forwarder", memory: StateFile,
                 report: Callable[[AdapterError], None], now: Callable[[], str],
                 min_delay: float = 0.5, max_delay: float = 30.0) -> None:
        self.config, self.forwarder, self.memory = config, forwarder, memory
        self.report, self.now = report, now
        self.min_delay, self.max_delay = min_delay, max_delay
        last = memory.load().get("last_event_id")
        self.subscriber = Subscriber(config.hub_url, config.topics, config.hub_token, self.handle,
                                     last_id=last if isinstance(last, str) else None,
                                     on_id=self._remember, min_delay=min_delay, max_delay=max_delay)
        self._session: aiohttp.ClientSession | None = None
        self._problem: str | None = None

    async def run(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            self._session = session
            await self.subscriber.run()

    async def handle(self, message: SseMessage) -> None:
        try:
            update = json.loads(message.data)
        except ValueError:
            log.warning("hub event %s: data is not JSON; skipped", message.id)
            return
        target = novosga.wanted(update)
        if target is None:
            return
        record = await self.fetch(target[0])
        if record is None:
            return
        try:
            events = novosga.translate(record, self.config, self.now(), redirected=target[1])
        except AdapterError as exc:
            self.report(exc)
            return
        if not events:
            return
        _, refused = await self.forwarder.deliver([e.to_json() for e in events])
        for reply in refused:
            log.warning("the server refused %s: %s %s", reply.get("id"), reply.get("code"), reply.get("message"))

    async def fetch(self, attendance: str) -> Any:
        """The attendance's record; None when Novo SGA has none. Retries until the API answers."""
        assert self._session is not None
        url = f"{self.config.api_url.rstrip('/')}/atendimentos/{attendance}"
        delay = self.min_delay
        while True:
            try:
                async with self._session.get(url, headers={"Authorization": f"Bearer {self.config.token}",
                                                           "Accept": "application/json"}) as resp:
                    if resp.status == 200:
                        self._problem = None
                        return await resp.json(content_type=None)
                    if resp.status == 404:
                        log.warning("attendance %s is not in the Novo SGA API (404); skipped", attendance)
                        return None
                    problem = f"the Novo SGA API answered {resp.status}" + (
                        " (check the token)" if resp.status in (401, 403) else "")
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as exc:
                problem = f"cannot fetch from the Novo SGA API: {exc or type(exc).__name__}"
            if problem != self._problem:
                log.warning("%s; retrying", problem)
                self._problem = problem
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_delay)

    def _remember(self, event_id: str) -> None:
        self.memory.save({"last_event_id": event_id})
