"""Independent checks of a simulated event stream, replayed from the events alone."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

FIELDS: dict[str, tuple[set[str], set[str]]] = {
    # type: (required fields, optional fields) besides id/type/at
    "ticket.issued": ({"ticket", "service"}, {"priority"}),
    "ticket.called": ({"ticket", "window"}, set()),
    "ticket.recalled": ({"ticket", "window"}, set()),
    "ticket.served": ({"ticket"}, {"window"}),
    "ticket.no_show": ({"ticket"}, set()),
    "ticket.cancelled": ({"ticket"}, set()),
    "ticket.transferred": ({"ticket", "service"}, set()),
    "window.opened": ({"window"}, {"services"}),
    "window.closed": ({"window"}, set()),
    "clock.tick": (set(), set()),
    "hall.reset": (set(), set()),
}
AT_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")
LABEL_RE = re.compile(r"^([A-Z]+)(\d{3,})$")


def parse_at(ev: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(ev["at"])


def check_well_formed(events: list[dict[str, Any]]) -> None:
    """Fields and types per event, `at` format and order, unique ids."""
    ids: set[str] = set()
    last: dt.datetime | None = None
    for ev in events:
        assert list(ev)[:3] == ["id", "type", "at"], ev
        assert isinstance(ev["id"], str) and ev["id"] not in ids, ev
        ids.add(ev["id"])
        assert ev["type"] in FIELDS, ev
        required, optional = FIELDS[ev["type"]]
        extra = set(ev) - {"id", "type", "at"}
        assert required <= extra <= required | optional, ev
        for k in extra & {"ticket", "service", "window"}:
            assert isinstance(ev[k], str) and ev[k], ev
        if "priority" in ev:
            assert isinstance(ev["priority"], bool), ev
        if "services" in ev:
            assert isinstance(ev["services"], list) and ev["services"], ev
            assert all(isinstance(s, str) for s in ev["services"]), ev
        assert AT_RE.match(ev["at"]), ev
        t = parse_at(ev)
        assert t.utcoffset() is not None
        if last is not None:
            assert t >= last, ev
        last = t


def check_consistent(events: list[dict[str, Any]], prefixes: dict[str, str] | None = None) -> None:
    """Replays the stream as a hall server would and asserts the hall's physical rules.

    Ticket lifecycles, one visit at a time per window, windows calling only while open and only
    services they serve, priority first then FIFO (by time of joining the queue).
    """
    waiting: dict[str, tuple[bool, dt.datetime, int, str]] = {}  # label -> (prio, key, n, svc)
    service_of: dict[str, str] = {}
    priority_of: dict[str, bool] = {}
    state: dict[str, str] = {}  # label -> waiting | at_window | done
    at_window: dict[str, str] = {}  # window -> label being served
    window_of: dict[str, str] = {}  # label -> window serving it
    open_w: dict[str, set[str] | None] = {}
    labels: set[str] = set()
    n = 0
    for ev in events:
        et, t = ev["type"], parse_at(ev)
        n += 1
        if et == "hall.reset":
            assert not waiting and not at_window, "reset with visits in progress"
            labels.clear()
            open_w.clear()
            state.clear()
            continue
        if et == "ticket.issued":
            label = ev["ticket"]
            assert label not in labels, f"label {label} issued twice in a day"
            labels.add(label)
            m = LABEL_RE.match(label)
            assert m, label
            if prefixes is not None:
                assert prefixes[ev["service"]] == m.group(1), ev
            service_of[label] = ev["service"]
            priority_of[label] = bool(ev.get("priority", False))
            waiting[label] = (priority_of[label], t, n, ev["service"])
            state[label] = "waiting"
        elif et == "ticket.called":
            label, w = ev["ticket"], ev["window"]
            assert state.get(label) == "waiting", f"{label} called while {state.get(label)}"
            assert w in open_w, f"window {w} calls while closed"
            assert w not in at_window, f"window {w} calls {label} while serving {at_window.get(w)}"
            svc = open_w[w]
            assert svc is None or service_of[label] in svc, f"window {w} called {label}"
            # priority first, then FIFO among the services this window serves
            mine = (priority_of[label], waiting[label][1], waiting[label][2])
            for other, (p, key, k, s) in waiting.items():
                if other == label or not (svc is None or s in svc):
                    continue
                assert not (p and not mine[0]), f"{label} called before priority {other}"
                if p == mine[0]:
                    assert (key, k) > (mine[1], mine[2]), f"{label} called before {other}"
            del waiting[label]
            state[label] = "at_window"
            at_window[w] = label
            window_of[label] = w
        elif et == "ticket.recalled":
            label, w = ev["ticket"], ev["window"]
            assert state.get(label) == "at_window" and window_of[label] == w, ev
        elif et in ("ticket.served", "ticket.no_show", "ticket.transferred"):
            label = ev["ticket"]
            assert state.get(label) == "at_window", f"{et} for {label} while {state.get(label)}"
            w = window_of.pop(label)
            if "window" in ev:
                assert ev["window"] == w, f"{label} called at {w}, served at {ev['window']}"
            del at_window[w]
            if et == "ticket.transferred":
                assert ev["service"] != service_of[label], ev
                service_of[label] = ev["service"]
                waiting[label] = (priority_of[label], t, n, ev["service"])
                state[label] = "waiting"
            else:
                state[label] = "done"
        elif et == "ticket.cancelled":
            label = ev["ticket"]
            assert state.get(label) == "waiting", ev
            del waiting[label]
            state[label] = "done"
        elif et == "window.opened":
            assert ev["window"] not in open_w, f"window {ev['window']} opened twice"
            svc = ev.get("services")
            open_w[ev["window"]] = set(svc) if svc else None
        elif et == "window.closed":
            w = ev["window"]
            assert w in open_w, f"window {w} closed while closed"
            assert w not in at_window, f"window {w} closed mid-visit"
            del open_w[w]
    assert not at_window, f"day ends with visits in progress: {at_window}"
    assert not waiting, f"day ends with tickets waiting: {sorted(waiting)[:5]}"
