"""GET /content/voice/call.wav and call.json: one call from the lobby's voice bank, for /display?voice=….

The browser screen speaks with the same bank and the same assembly as the pygame screen
(signage/voice/): the server renders the call, the page only queues and plays it. The voice
modules are imported on the first request, so a server whose screens never speak loads none.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import web


__all__ = ["VoiceCalls", "setup_voice_calls", "WAV_ROUTE", "JSON_ROUTE"]

log = logging.getLogger(__name__)

WAV_ROUTE = "/content/voice/call.wav"
JSON_ROUTE = "/content/voice/call.json"
MAX_TICKET = 16
MAX_WINDOW = 8


class VoiceCalls:
    """The bank of ``root`` (loaded once, on first use) and the handlers that render calls from it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._bank: Any = None

    def _call(self, request: web.Request) -> tuple[str, str, bool, str]:
        q = request.query
        ticket, window, lang = q.get("ticket", "").strip(), q.get("window", "").strip(), q.get("lang", "both")
        if not ticket or not window or len(ticket) > MAX_TICKET or len(window) > MAX_WINDOW or lang not in ("zh", "en", "both"):
            raise web.HTTPBadRequest(text="expected ?ticket=A023&window=3[&recall=1][&lang=zh|en|both]")
        return ticket, window, q.get("recall", "0") in ("1", "true"), lang

    async def _load(self) -> Any:
        if self._bank is None:
            from signage.voice.bank import BankError, VoiceBank

            try:
                # Reading and checking 155 clips takes 0.7-2.3 s here: off the loop that feeds the screens.
                self._bank = await asyncio.to_thread(VoiceBank.load, self.root)
            except BankError as exc:
                log.error("no spoken calls for /display: %s", exc)
                raise web.HTTPServiceUnavailable(text=str(exc)) from exc
        return self._bank

    async def handle_wav(self, request: web.Request) -> web.Response:
        from signage.voice.assemble import call_parts
        from signage.voice.bank import write_wav

        ticket, window, recall, lang = self._call(request)
        bank = await self._load()
        buf = io.BytesIO()
        write_wav(buf, bank.render(call_parts(ticket, window, recall=recall, lang=lang)), bank.rate)
        return web.Response(body=buf.getvalue(), content_type="audio/wav", headers={"Cache-Control": "public, max-age=86400"})

    async def handle_json(self, request: web.Request) -> web.Response:
        from signage.voice.assemble import Clip, call_parts
        from signage.voice.prompts import prompts

        ticket, window, recall, lang = self._call(request)
        texts = {(p.lang, p.name): p.text for p in prompts()}
        parts = call_parts(ticket, window, recall=recall, lang=lang)
        words: dict[str, list[str]] = {}
        for p in parts:
            if isinstance(p, Clip):
                words.setdefault(p.lang, []).append(texts[(p.lang, p.name)])
        return web.json_response({
            "clips": [f"{p.lang}/{p.name}" for p in parts if isinstance(p, Clip)],
            # What a browser's own voice says (voice=tts): the clips' words, Chinese run together.
            "text": {k: ("" if k == "zh" else " ").join(v) for k, v in words.items()},
        }, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def setup_voice_calls(app: web.Application, content_root: Path) -> None:
    """Add the two routes, rendering from ``content_root``/voice."""
    calls = VoiceCalls(content_root / "voice")
    app.router.add_get(WAV_ROUTE, calls.handle_wav)
    app.router.add_get(JSON_ROUTE, calls.handle_json)
