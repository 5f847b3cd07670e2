"""Screens get the same pre-built frame bytes; a screen that stopped reading gets only the newest state."""

from __future__ import annotations

import asyncio

from server.web import fanout
from server.web.fanout import DisplayClient, LocalFanout, text_frame


class FakeTransport:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.unsent = 0
        self.closing = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def get_write_buffer_size(self) -> int:
        return self.unsent

    def is_closing(self) -> bool:
        return self.closing


class FakeSocket:
    closed = False


def test_text_frame_lengths_follow_rfc_6455():
    """7-bit, 16-bit and 64-bit payload lengths; FIN and the text opcode; no mask from a server."""
    assert text_frame("hi") == b"\x81\x02hi"
    medium = text_frame("a" * 300)
    assert medium[:4] == b"\x81\x7e\x01\x2c" and len(medium) == 304
    large = text_frame("b" * 70_000)
    assert large[:2] == b"\x81\x7f" and int.from_bytes(large[2:10], "big") == 70_000
    assert text_frame("叫号")[1] == len("叫号".encode())  # length in bytes, not characters


def _five_screens_in_chunks_of_two(monkeypatch) -> tuple[LocalFanout, list[FakeTransport]]:
    monkeypatch.setattr(fanout, "BROADCAST_CHUNK", 2)
    hub = LocalFanout()
    transports = [FakeTransport() for _ in range(5)]
    for t in transports:
        hub.subscribe_display(DisplayClient(FakeSocket(), t))  # type: ignore[arg-type]
    return hub, transports


async def test_one_broadcast_writes_the_same_bytes_to_every_screen(monkeypatch):
    hub, transports = _five_screens_in_chunks_of_two(monkeypatch)
    hub.publish_display('{"type":"display.state","seq":1}')
    await asyncio.sleep(0.01)
    frames = [t.written for t in transports]
    assert frames[0] == [text_frame('{"type":"display.state","seq":1}')]
    assert all(f == frames[0] and f[0] is frames[0][0] for f in frames)  # built once


async def test_a_state_published_mid_broadcast_reaches_every_screen_once(monkeypatch):
    hub, transports = _five_screens_in_chunks_of_two(monkeypatch)
    hub.publish_display("one")
    await asyncio.sleep(0)  # the first chunk got "one"
    hub.publish_display("two")
    await asyncio.sleep(0.01)
    assert all(t.written[-1] == text_frame("two") for t in transports)
    assert all(len(t.written) == len(set(t.written)) for t in transports)  # no state twice
    assert sum(len(t.written) for t in transports) < 10  # the rest skipped "one"


async def test_a_screen_that_stopped_reading_gets_only_the_newest_state_once_drained(monkeypatch):
    monkeypatch.setattr(fanout, "DRAIN_POLL_S", 0.01)
    transport = FakeTransport()
    client = DisplayClient(FakeSocket(), transport)  # type: ignore[arg-type]
    sender = asyncio.create_task(client.run_sender())
    client.offer(b"s1")
    transport.unsent = fanout.SLOW_BYTES  # the screen stopped reading
    for n in range(2, 50):
        client.offer(f"s{n}".encode())
    await asyncio.sleep(0.05)
    assert transport.written == [b"s1"]  # nothing piles up in the buffer
    transport.unsent = 0
    await asyncio.sleep(0.05)
    assert transport.written == [b"s1", b"s49"]
    client.offer(b"s50")  # caught up: straight to the socket again
    assert transport.written[-1] == b"s50"
    sender.cancel()


async def test_nothing_is_written_once_the_socket_closes():
    socket, transport = FakeSocket(), FakeTransport()
    client = DisplayClient(socket, transport)  # type: ignore[arg-type]
    socket.closed = True
    client.offer(b"late")
    assert transport.written == []


async def test_an_unsubscribed_screen_gets_no_more_states():
    """The callable a subscription returns takes the screen out; calling it twice is harmless."""
    hub, transport = LocalFanout(), FakeTransport()
    unsubscribe = hub.subscribe_display(DisplayClient(FakeSocket(), transport))  # type: ignore[arg-type]
    hub.publish_display("one")
    await asyncio.sleep(0.01)
    unsubscribe()
    unsubscribe()
    hub.publish_display("two")
    await asyncio.sleep(0.01)
    assert transport.written == [text_frame("one")]
    assert hub.counts() == {"display": 0, "staff": 0}
