"""A stand-in /ws/display feed speaking the display.state wire format (bench and demos).

    python bench/display_feed.py --port 8765      # then: python -m signage --server ws://127.0.0.1:8765 --windowed
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from datetime import datetime, timedelta, timezone
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast, serve


__all__ = ["sample_state", "FeedServer"]

TZ = timezone(timedelta(hours=8))
SERVICES = (
    ("quick", "缴费查询", "Payments & enquiries", "A"),
    ("standard", "业务办理", "Plans & changes", "B"),
    ("complex", "新装及携号转网", "New lines & number porting", "C"),
)


def sample_state(seq: int, at: datetime, calls: list[dict[str, Any]] | None = None, *, busy: bool = False, waiting: tuple[int, int, int] = (12, 9, 4)) -> dict[str, Any]:
    """Return a display.state message like the hall server's, for the sample hall."""
    if calls is None:
        calls = [
            {"ticket": f"A{23 - i:03d}" if i % 2 == 0 else f"B{117 - i:03d}", "window": str(3 + i % 5), "called_at": (at - timedelta(minutes=1 + 2 * i)).isoformat(), "recall": i == 2, "service": "quick"}
            for i in range(7)
        ]
    services = []
    for (sid, name, name_en, prefix), n in zip(SERVICES, waiting):
        no_window = sid == "complex" and busy
        services.append(
            {
                "id": sid, "name": name, "name_en": name_en, "prefix": prefix, "waiting": n,
                "expected_wait_s": None if no_window else n * 45,
                "expected_wait_range_s": None if no_window else [n * 35, n * 60],
                "open_windows": 0 if no_window else 2,
            }
        )
    return {
        "type": "display.state", "seq": seq, "at": at.isoformat(),
        "hall": {"id": "sample-hall", "name": "幸福路营业厅", "name_en": "Xingfu Road Service Hall", "timezone": "Asia/Shanghai", "date": at.date().isoformat()},
        "calls": calls, "services": services, "waiting_total": sum(waiting), "open_windows": 5,
        "alerts": {"open_windows": busy},
    }


class FeedServer:
    """Serve display.state frames: the latest state on connect, and every state broadcast."""

    def __init__(self) -> None:
        self.latest: dict[str, Any] | None = None
        self.clients: set[ServerConnection] = set()
        self.server: Any = None
        self.port = 0

    async def _handler(self, ws: ServerConnection) -> None:
        self.clients.add(ws)
        try:
            if self.latest is not None:
                await ws.send(json.dumps(self.latest, ensure_ascii=False))
            await ws.wait_closed()
        finally:
            self.clients.discard(ws)

    async def start(self, port: int = 0) -> int:
        """Listen on 127.0.0.1:port (0: any free port); return the port."""
        self.server = await serve(self._handler, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    def send(self, msg: dict[str, Any]) -> None:
        """Make ``msg`` the latest state and send it to every client."""
        self.latest = msg
        broadcast(self.clients, json.dumps(msg, ensure_ascii=False))

    async def stop(self) -> None:
        """Close the server and its connections."""
        self.server.close()
        await self.server.wait_closed()


async def _demo(port: int, every: float) -> None:
    srv = FeedServer()
    await srv.start(port)
    print(f"feed on ws://127.0.0.1:{srv.port}/ws/display", flush=True)
    rng = random.Random(1)
    seq, n = 1, 24
    calls: list[dict[str, Any]] = []
    while True:
        now = datetime.now(TZ)
        if seq % 3 == 0:
            calls.insert(0, {"ticket": f"A{n:03d}", "window": str(rng.randint(1, 8)), "called_at": now.isoformat(), "recall": False, "service": "quick"})
            calls = calls[:10]
            n += 1
        srv.send(sample_state(seq, now, calls, busy=seq % 20 > 14, waiting=(rng.randint(5, 20), rng.randint(3, 12), rng.randint(0, 6))))
        seq += 1
        await asyncio.sleep(every)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--every", type=float, default=3.0)
    a = p.parse_args()
    asyncio.run(_demo(a.port, a.every))
