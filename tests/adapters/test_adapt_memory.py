"""What an adapter remembers survives its restart: Qminder's last line per ticket."""

from __future__ import annotations

import json

import yaml
from aiohttp.test_utils import TestClient, TestServer

from server.adapters.config_file import parse_adapter_config
from server.adapters.memory import StateFile
from server.adapters.qminder import signature
from server.adapters.shell import Forwarder, create_adapter_app
from server.adapters.spool import Spool

from tests.adapters.payloads import QMINDER_YAML, qminder
from tests.processes import free_port


URL = "https://hall.example.com/qminder"


async def post_to_a_fresh_adapter(spool_path, body):
    """One webhook to a newly started Qminder adapter whose server is down (so what it
    translated stays in the spool, to be read back)."""
    config = parse_adapter_config("qminder", yaml.safe_load(QMINDER_YAML))
    forwarder = Forwarder(f"http://127.0.0.1:{free_port()}", "q", Spool(spool_path), retry_s=3600)
    raw = json.dumps(body).encode()
    async with TestClient(TestServer(create_adapter_app("qminder", config, forwarder))) as client:
        resp = await client.post("/qminder", data=raw, headers={
            "X-Qminder-Signature": signature("whsec-test-1234", URL, raw), "Content-Type": "application/json"})
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def test_a_line_change_right_after_a_restart_is_still_a_transfer(tmp_path):
    spool = tmp_path / "qminder.spool"
    await post_to_a_fresh_adapter(spool, qminder("ticket_created"))
    # The adapter restarts; then Qminder reports the ticket moved to another line.
    reply = await post_to_a_fresh_adapter(spool, qminder("ticket_changed", line=37339))
    assert reply.get("spooled") == 1, reply
    moved = Spool(spool).pending()[-1]
    assert (moved["type"], moved["ticket"], moved["service"]) == ("ticket.transferred", "A-42", "standard")


async def test_the_memory_holds_no_personal_data(tmp_path):
    spool = tmp_path / "qminder.spool"
    await post_to_a_fresh_adapter(spool, qminder("ticket_created"))
    text = StateFile.beside(spool, "qminder").path.read_text()
    assert "Jane" not in text and "jane@example.com" not in text and "37338" in text
