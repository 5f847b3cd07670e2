"""Fuzzing the real server over real sockets: no frame or body a client sends can break it.

Every example talks to a server started as in production (aiohttp on a 127.0.0.1 port, the
SQLite journal, the real hub) through an aiohttp client. CI runs a small, derandomized budget;
``HYPOTHESIS_PROFILE=long`` runs thousands of examples (see docs/protocol.md, "Fuzzing").
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.events import MAX_JSON_DEPTH
from server.web.routes import MAX_FRAME
from tests.halltools import T0, raw
from tests.web.conftest import QUEUE, STAFF, Running, start_server, stop_server
from tests.web.test_protocol_doc import DOC, check


LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"


def budget(ci: int, long: int) -> settings:
    """Bounded, derandomized and database-free in CI; ``long`` examples when asked for."""
    return settings(max_examples=long if LONG else ci, deadline=None, derandomize=not LONG, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.large_base_example],
                    print_blob=True)


ERROR_CODES = frozenset(re.findall(r"`(\w+)`", re.search(r"Error codes: (.*?)\.\n", DOC.read_text(
    encoding="utf-8"), re.S).group(1)))  # type: ignore[union-attr]
"""The error codes docs/protocol.md lists for queue replies: nothing else may be sent."""

STAFF_ERROR_CODES = frozenset(re.findall(r'"(\w+)"', re.search(r"Refusals come back(.*?)is answered", DOC.read_text(
    encoding="utf-8"), re.S).group(1))) - {"type", "error", "id", "code", "message", "ping"}  # type: ignore[union-attr]
"""The error codes docs/protocol.md lists for the staff socket."""

CLOSE_TOO_BIG, CLOSE_INVALID_TEXT = 1009, 1007

FRAMES_SENT = {"count": 0}
"""Frames and bodies sent in this run, printed at the end of a long run."""


# -- what goes on the wire ------------------------------------------------------------------

def _chars() -> st.SearchStrategy[str]:
    # Lone surrogates reach the server as \uD800 escapes (json.dumps escapes them).
    return st.one_of(st.characters(), st.integers(0, 0x1F).map(chr), st.integers(0xD800, 0xDFFF).map(chr),
                     st.sampled_from("\x7f\u2028\u2029\ufeff\u200b\"\\[]{}"))


texts = st.lists(_chars(), max_size=30).map("".join)
numbers = st.one_of(st.integers(), st.integers(-10**40, 10**40), st.just(10**4000),
                    st.floats(allow_nan=True, allow_infinity=True))
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.one_of(texts, st.sampled_from(
        ["id", "type", "at", "ticket", "service", "window", "priority", "services", "by"])), inner, max_size=5)),
    max_leaves=20)

TYPES = ["ticket.issued", "ticket.called", "ticket.recalled", "ticket.served", "ticket.no_show",
         "ticket.cancelled", "ticket.transferred", "window.opened", "window.closed", "clock.tick", "hall.reset"]

extreme_times = st.sampled_from([
    "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00-23:59", "0001-01-01T00:00:00Z",
    "9999-12-31T20:00:00+00:00", "9999-12-31T23:59:59.999999-23:59", "9999-12-31T23:59:59+23:59",
    "1969-12-31T23:59:59.999999Z", "1970-01-01T00:00:00Z", "9998-12-31T23:59:59.999999Z",
    "9999-01-01T07:59:59+08:00", "2026-11-30T09:00:00+24:00", "2026-11-30T09:00:00+23:59:59.999999",
    "2026-02-30T09:00:00+08:00", "2026-11-30T24:00:00+08:00", "2026-W49-1T09:00+08:00", "20261130T0900+0800",
    "2026-11-30T09:00:00", "", " ", "nope", "2026-11-30T09:00:00+08:00" + "0" * 60,
])
aware_times = st.builds(
    lambda when, offset: when.replace(tzinfo=timezone(timedelta(seconds=offset))).isoformat(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.one_of(st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: m * 60), st.integers(-86399, 86399)))
"""Any instant the ISO form can write, with offsets up to a second short of a day."""
near_times = st.integers(-3600, 36 * 3600).map(lambda s: (T0 + timedelta(seconds=s)).isoformat())
times = st.one_of(near_times, near_times, aware_times, extreme_times, json_values)

labels = st.one_of(st.sampled_from(["A001", "A002", "A003", "B001", "quick", "standard", "1", "2", "8"]),
                   st.integers(-3, 10), texts, json_values,
                   st.integers(60, 70).map(lambda n: "x" * n), st.sampled_from(["\ud800", "A\udfff", "é", "窗口"]))


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    """An event of any type with random values in every field (often valid, often not)."""
    event: dict[str, Any] = {
        "id": draw(st.one_of(st.uuids().map(str), st.uuids().map(str), labels)),
        "type": draw(st.one_of(st.sampled_from(TYPES), st.sampled_from(TYPES), json_values)),
        "at": draw(times),
    }
    for name in ("ticket", "service", "window"):
        if draw(st.booleans()):
            event[name] = draw(labels)
    if draw(st.booleans()):
        event["priority"] = draw(st.one_of(st.booleans(), json_values))
    if draw(st.booleans()):
        event["services"] = draw(st.one_of(st.lists(labels, max_size=4), st.lists(st.just("q"), min_size=60,
                                                                                     max_size=70), json_values))
    for _ in range(draw(st.integers(0, 2))):
        del event[draw(st.sampled_from(sorted(event)))]
    if draw(st.integers(0, 9)) == 0:
        event[draw(texts)] = draw(json_values)
    return event


def encode(value: Any, ascii_only: bool) -> str:
    """JSON text of ``value``; non-ASCII raw when it can be sent as UTF-8."""
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, allow_nan=True)
    return text


def _deep(depth: int, kind: str) -> str:
    # "field" keeps one id across examples on purpose: later sends are duplicates, even days on.
    if kind == "list":
        return "[" * depth + "]" * depth
    if kind == "object":
        return '{"a":' * depth + "1" + "}" * depth
    if kind == "open":
        return "[" * depth
    return '{"id":"deep","type":"clock.tick","at":"2026-11-30T09:00:00+08:00","x":' + "[" * depth + "]" * depth + "}"


def _sized(size: int, fill: str) -> str:
    """A valid event whose UTF-8 encoding is exactly ``size`` bytes."""
    head = json.dumps({"id": str(uuid.uuid4()), "type": "clock.tick", "at": T0.isoformat()})[:-1] + ',"pad":"'
    room = size - len(head.encode()) - 2
    pad = fill * (room // len(fill.encode())) + "x" * (room % len(fill.encode()))
    return head + pad + '"}'


sendable_texts = texts.map(lambda t: t.encode("utf-8", "replace").decode("utf-8"))
"""Raw text with the lone surrogates replaced: a text frame must be UTF-8 (see bad_utf8)."""


def _with_literal(literal: str, field: str) -> str:
    """An event whose ``field`` is a raw JSON number literal json.dumps cannot write."""
    return ('{"id":"' + str(uuid.uuid4()) + '","type":"ticket.called","at":"2026-11-30T09:00:00+08:00",'
            '"ticket":"A001","window":"1","' + field + '":' + literal + "}")


number_literals = st.one_of(st.integers(4000, 6000).map(lambda n: "9" * n), st.sampled_from(
    ["1e400", "-1e400", "1e-400", "-0", "0.0", "1E+2", "NaN", "-Infinity", "Infinity", "01", "1.", ".5", "+1",
     "0x10", "1_000"]))

text_frames = st.one_of(
    st.builds(_with_literal, number_literals, st.sampled_from(["id", "ticket", "window", "at", "priority"])),
    st.builds(encode, events(), st.booleans()),
    st.builds(encode, events(), st.booleans()),
    st.builds(encode, json_values, st.booleans()),
    sendable_texts,
    st.text(max_size=200),
    st.builds(_deep, st.integers(1, 6000), st.sampled_from(["list", "object", "open", "field"])),
    st.integers(1, 8000).map(lambda n: json.dumps(list(range(n)))),
    st.integers(1, 3000).map(lambda n: json.dumps({f"k{i}": i for i in range(n)})),
    st.builds(_sized, st.integers(MAX_FRAME - 300, MAX_FRAME), st.sampled_from(["x", "é", "窗", "\U0001F600"])),
)


class Frame:
    """One WebSocket frame: text, binary, bad_utf8 (a text frame that is not UTF-8) or huge."""

    __slots__ = ("kind", "data")

    def __init__(self, kind: str, data: Any) -> None:
        self.kind, self.data = kind, data

    def __repr__(self) -> str:  # a failing example names its frames without pages of padding
        text = repr(self.data)
        return f"Frame({self.kind!r}, {text[:300]}{f'... ({len(text)} chars)' if len(text) > 300 else ''})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # Hypothesis' printer
        printer.text(repr(self))


def _frames(kind: str, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Frame]:
    return strategy.map(lambda data: Frame(kind, data))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


frames = st.one_of(_frames("text", text_frames), _frames("binary", st.binary(max_size=300)))
closing_frames = st.one_of(
    _frames("huge", st.builds(_sized, st.integers(MAX_FRAME + 1, MAX_FRAME + 300), st.sampled_from(["x", "窗"]))),
    _frames("huge", st.integers(MAX_FRAME + 1, 3 * MAX_FRAME).map(lambda n: "x" * n)),
    _frames("bad_utf8", st.binary(min_size=1, max_size=100).filter(lambda b: not _is_utf8(b))),
)


batches = st.tuples(st.lists(frames, min_size=1, max_size=8), st.one_of(st.none(), st.none(), st.none(),
                                                                        closing_frames))


async def send(ws: aiohttp.ClientWebSocketResponse, frame: Frame) -> None:
    kind, data = frame.kind, frame.data
    FRAMES_SENT["count"] += 1
    if kind == "binary":
        await ws.send_bytes(data)
    elif kind == "bad_utf8":
        await ws.send_frame(data, aiohttp.WSMsgType.TEXT)
    else:
        await ws.send_str(data)


# -- what must come back --------------------------------------------------------------------

def decoded(text: str) -> tuple[bool, Any]:
    """(True, value) when ``text`` is JSON a client would call valid, else (False, None)."""
    try:
        return True, json.loads(text)
    except (ValueError, RecursionError):
        return False, None


def check_queue_reply(frame: Frame, reply: dict[str, Any]) -> None:
    """``reply`` matches the reply schema, a documented code, and the frame it answers."""
    check("reply", reply)
    if reply["type"] == "error":
        assert reply["code"] in ERROR_CODES, f"undocumented error code {reply['code']!r}"
    kind, data = frame.kind, frame.data
    if kind == "binary":
        assert reply["code"] == "binary_frame" and reply["id"] is None
        return
    ok, value = decoded(data)
    if not ok or _too_deep(data):
        assert reply["type"] == "error" and reply["code"] == "invalid_json" and reply["id"] is None, reply
        return
    if not isinstance(value, dict):
        assert reply["code"] == "not_an_object" and reply["id"] is None, reply
        return
    sent_id = value.get("id")
    if isinstance(sent_id, str):
        assert reply["id"] in (sent_id, sent_id.strip()), (sent_id, reply)
    elif isinstance(sent_id, int) and not isinstance(sent_id, bool):
        assert reply["id"] in (None, str(sent_id)), (sent_id, reply)
    else:
        assert reply["id"] is None and reply["type"] == "error", (sent_id, reply)


def _too_deep(text: str) -> bool:
    """Nesting past the documented limit, by a plain character walk (not the server's scan)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest > MAX_JSON_DEPTH


async def receive(ws: aiohttp.ClientWebSocketResponse, what: str) -> aiohttp.WSMessage:
    msg = await asyncio.wait_for(ws.receive(), 10)
    assert msg.type is aiohttp.WSMsgType.TEXT, f"{what}: got {msg.type} {msg.data!r} (close code {ws.close_code})"
    return msg


class ErrorLog(logging.Handler):
    """Collects every ERROR a server logger writes: an unhandled exception is a finding."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        out = [f"{r.name}: {r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else f"{r.name}: {r.getMessage()}"
               for r in self.records]
        self.records.clear()
        return out


@pytest_asyncio.fixture(params=["event", "wall"])
async def fuzzed(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Running, ErrorLog]]:
    """A real server with either clock, and the ERRORs it logs while the test runs."""
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    running = await start_server(tmp_path, clock=request.param)
    try:
        yield running, errors
    finally:
        await stop_server(running)
        logging.getLogger().removeHandler(errors)
        if LONG:
            print(f"\n{request.node.name}: {FRAMES_SENT['count']} frames/bodies sent so far")


async def healthy(server: Running, errors: ErrorLog) -> None:
    async with server.session.get(server.url + "/healthz") as resp:
        assert resp.status == 200
    assert errors.take() == []


async def good_event_is_acked(server: Running, ws: aiohttp.ClientWebSocketResponse) -> None:
    """A valid event at the hall's own time is still acknowledged."""
    event = raw("clock.tick", server.hub.now())
    await ws.send_str(json.dumps(event))
    reply = json.loads((await receive(ws, "the good event after the garbage")).data)
    assert reply == {"type": "ack", "id": event["id"]}


# -- the queue socket -----------------------------------------------------------------------

@budget(ci=20, long=2500)
@given(batch=batches)
async def test_queue_socket_answers_every_frame_and_stays_open(fuzzed, batch):
    """Each frame gets one schema-valid reply in order; only an oversized (1009) or non-UTF-8
    (1007) frame closes the socket; the server stays healthy and acks a good event after."""
    server, errors = fuzzed
    body, closing = batch
    ws = await server.session.ws_connect(server.ws_url("/ws/queue", QUEUE))
    try:
        for frame in body:
            await send(ws, frame)
        for index, frame in enumerate(body):
            msg = await receive(ws, f"reply to frame {index} {frame!r}")
            check_queue_reply(frame, json.loads(msg.data))
        if closing is None:
            await good_event_is_acked(server, ws)
            assert not ws.closed
        else:
            await send(ws, closing)
            msg = await asyncio.wait_for(ws.receive(), 10)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING), msg
            expected = CLOSE_TOO_BIG if closing.kind == "huge" else CLOSE_INVALID_TEXT
            assert ws.close_code == expected
    finally:
        await ws.close()
    await healthy(server, errors)


# -- POST /api/events -----------------------------------------------------------------------

bodies = st.one_of(
    st.builds(encode, events(), st.booleans()),
    st.builds(encode, st.lists(st.one_of(events(), json_values), max_size=6), st.booleans()),
    st.builds(encode, json_values, st.booleans()),
    st.builds(_deep, st.integers(1, 6000), st.sampled_from(["list", "object", "open", "field"])),
    sendable_texts,
).map(lambda t: t.encode("utf-8")) | st.binary(max_size=300) | st.builds(
    lambda t, codec: t.encode(codec, "surrogatepass"), st.builds(encode, events(), st.booleans()),
    st.sampled_from(["utf-16", "utf-16-be", "utf-32-le", "utf-8-sig"]))


@budget(ci=25, long=2500)
@given(body=bodies, auth=st.sampled_from(["header", "header", "header", "query", "none", "wrong"]))
async def test_post_always_answers_json_200_400_or_401(fuzzed, body, auth):
    """Any body gets JSON: 200 with one schema-valid reply per event, 400 or 401; never a 500."""
    server, errors = fuzzed
    url, headers = server.url + "/api/events", {}
    if auth == "header":
        headers["Authorization"] = f"Bearer {QUEUE}"
    elif auth == "query":
        url += f"?token={QUEUE}"
    elif auth == "wrong":
        headers["Authorization"] = f"Bearer {STAFF}"
    FRAMES_SENT["count"] += 1
    async with server.session.post(url, data=body, headers=headers) as resp:
        status, answer = resp.status, await resp.json(content_type=None)
    if auth in ("none", "wrong"):
        assert status == 401 and answer["error"]["code"] == "unauthorized"
    elif status == 400:
        assert answer["error"]["code"] == "invalid_json" and answer["error"]["message"]
    else:
        assert status == 200, (status, answer)
        ok, value = decoded(body.decode(json.detect_encoding(body), "surrogatepass"))
        assert ok, "a 200 for a body that is not JSON"
        items = value if isinstance(value, list) else [value]
        assert len(answer) == len(items)
        for item, reply in zip(items, answer):
            check_queue_reply(Frame("text", json.dumps(item, allow_nan=True)), reply)
    await healthy(server, errors)


# -- the staff socket -----------------------------------------------------------------------

async def _raise_alerts(server: Running) -> list[str]:
    """Make the hall raise real alerts so that acknowledgements have something to take."""
    await server.post([raw("ticket.issued", T0, ticket="Z001", service="quick"),
                       raw("clock.tick", T0 + timedelta(minutes=16))])
    return [a["id"] for a in (await server.state())["alerts"]]


staff_messages = st.fixed_dictionaries(
    {"type": st.one_of(st.just("alert.ack"), st.just("alert.ack"), st.just("ping"), json_values)},
    optional={"id": st.one_of(st.sampled_from(["2026-11-30:care_15:Z001", "2026-11-30:open_windows"]), labels),
              "by": st.one_of(st.sampled_from(["王芳", "Li", " "]), labels)})
staff_frames = st.one_of(
    _frames("text", st.builds(encode, staff_messages, st.booleans())),
    _frames("text", st.builds(encode, json_values, st.booleans())),
    _frames("text", sendable_texts),
    _frames("text", st.builds(_deep, st.integers(1, 6000), st.sampled_from(["list", "object"]))),
    _frames("binary", st.binary(max_size=100)),
)


def check_staff_reply(frame: Frame, message: dict[str, Any]) -> None:
    """``message`` is a documented answer to ``frame``: error, acknowledged or pong, for its id."""
    check("staff_message", message)
    assert message["type"] in ("error", "alert.acknowledged", "pong"), message
    ok, value = decoded(frame.data) if frame.kind == "text" else (False, None)
    sent = value if isinstance(value, dict) and not _too_deep(frame.data) else {}
    if message["type"] == "pong":
        assert sent.get("type") == "ping", (frame, message)
        return
    sent_id = sent.get("id") if isinstance(sent.get("id"), str) else None
    if message["type"] == "alert.acknowledged":
        assert sent.get("type") == "alert.ack" and message["alert"]["id"] == sent_id, (frame, message)
        return
    assert message["code"] in STAFF_ERROR_CODES, f"undocumented staff error code {message['code']!r}"
    assert message["id"] == sent_id, (frame, message)


@pytest.mark.parametrize("fuzzed", ["event"], indirect=True)
@budget(ci=25, long=2500)
@given(batch=st.lists(staff_frames, min_size=1, max_size=8))
async def test_staff_socket_answers_every_frame_and_never_closes(fuzzed, batch):
    """Each frame a tablet sends gets one staff message (error, acknowledged or pong); the
    socket stays open."""
    server, errors = fuzzed
    if not server.hub.hall.active_alerts():
        assert await _raise_alerts(server)
    ws = await server.session.ws_connect(server.ws_url("/ws/staff", STAFF))
    try:
        check("staff_message", json.loads((await receive(ws, "snapshot")).data))
        for frame in batch:
            await send(ws, frame)
        for index, frame in enumerate(batch):
            message = json.loads((await receive(ws, f"reply to staff frame {index} {frame!r}")).data)
            check_staff_reply(frame, message)
        assert not ws.closed
    finally:
        await ws.close()
    await healthy(server, errors)


# -- the display socket ---------------------------------------------------------------------

display_frames = st.one_of(staff_frames, _frames("text", text_frames))


@pytest.mark.parametrize("fuzzed", ["event"], indirect=True)
@budget(ci=20, long=2000)
@given(batch=st.lists(display_frames, max_size=8))
async def test_display_socket_ignores_random_frames_and_answers_ping(fuzzed, batch):
    """A screen's random frames are ignored (no reply, no close) and a ping still gets its pong."""
    server, errors = fuzzed
    ws = await server.session.ws_connect(server.ws_url("/ws/display"))
    try:
        check("display_state", json.loads((await receive(ws, "first state")).data))
        pings = 0
        for frame in batch:
            await send(ws, frame)
            pings += frame.kind == "text" and decoded(frame.data) == (True, {"type": "ping"})
        await ws.send_str('{"type":"ping"}')
        for _ in range(pings + 1):
            while (message := json.loads((await receive(ws, "pong")).data))["type"] == "display.state":
                check("display_state", message)
            assert message == {"type": "pong"}
        assert not ws.closed
    finally:
        await ws.close()
    await healthy(server, errors)
