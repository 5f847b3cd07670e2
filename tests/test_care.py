"""care.py: the care visits at 15 and 30 minutes of waiting, and care_soon before them."""

from __future__ import annotations

from tests.halltools import T0, at, config_with, ev, issue, kinds, make_hall, raised


# -- care_15 and care_30 -----------------------------------------------------------------------

def test_care_15_fires_at_15_minutes_not_a_second_earlier():
    """14:59 of waiting raises nothing; 15:00 raises care_15, raised_at the exact due time."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.advance(at(14, 59))
    assert hall.alerts_to_send() == []
    hall.advance(at(15))
    changes = hall.alerts_to_send()
    assert kinds(changes) == [("raised", "care_15")]
    alert = changes[0][1]
    assert alert.ticket == "A001" and alert.raised_at == at(15) and alert.waited_s == 900
    assert "15" in alert.message and "分钟" in alert.message and "min" in alert.message


def test_care_30_follows_and_each_fires_once():
    """care_30 fires at 30 minutes; advancing further fires neither again."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.advance(at(29, 59))
    assert kinds(hall.alerts_to_send()) == [("raised", "care_15")]
    hall.advance(at(30))
    assert kinds(hall.alerts_to_send()) == [("raised", "care_30")]
    hall.advance(at(90))
    assert hall.alerts_to_send() == []


def test_called_before_15_minutes_never_alerts():
    """A ticket called at 14:59 never gets a care alert."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.receive(ev("ticket.called", at(14, 59), ticket="A001", window="1"))
    hall.advance(at(60))
    assert hall.alerts_to_send() == []


def test_care_alert_resolves_when_the_ticket_stops_waiting():
    """Calling a ticket resolves its active care alerts."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.advance(at(31))
    hall.alerts_to_send()
    hall.receive(ev("ticket.cancelled", at(32), ticket="A001"))
    assert kinds(hall.alerts_to_send()) == [("resolved", "care_15"), ("resolved", "care_30")]
    assert hall.active_alerts() == []


def test_transferred_ticket_waits_again_from_its_transfer():
    """After a transfer the wait counts from the transfer: care_15 comes 15 min after it."""
    hall = make_hall(windows=1)
    issue(hall, "A001")
    hall.receive(ev("ticket.called", at(5), ticket="A001", window="1"))
    hall.receive(ev("ticket.transferred", at(10), ticket="A001", service="complex"))
    assert hall.waiting["A001"].service == "complex"
    hall.advance(at(24, 59))
    assert hall.alerts_to_send() == []
    hall.advance(at(25))
    changes = hall.alerts_to_send()
    assert kinds(changes) == [("raised", "care_15")]
    assert changes[0][1].service == "complex"


def test_configurable_care_thresholds():
    """Thresholds come from the config."""
    hall = make_hall(windows=1, config={"alerts": {"care_first_min": 5, "care_second_min": 10}})
    issue(hall, "A001")
    hall.advance(at(5))
    assert kinds(hall.alerts_to_send()) == [("raised", "care_15")]


# -- care_soon ---------------------------------------------------------------------------------

def test_care_soon_is_raised_at_issue_for_a_ticket_likely_to_pass_15_minutes():
    """One window, three-minute services: the 11th in line expects ~30 min (P(> 15 min) = 0.97, over the
    starting level 0.88: the configured 1/2 shifted by the calibration's prior); the 2nd does not."""
    hall = make_hall(windows=1, advice=True)
    for n in range(1, 12):
        issue(hall, f"A{n:03}")
    soon = raised(hall.alerts_to_send(), "care_soon")
    labels = [a.ticket for a in soon]
    assert "A011" in labels and "A001" not in labels and "A002" not in labels
    alert = next(a for a in soon if a.ticket == "A011")
    assert alert.raised_at == T0 and alert.waited_s == 0
    assert alert.id == "2026-11-30:care_soon:A011"
    assert "A011" in alert.message and "15" in alert.message


def test_care_soon_gives_way_to_care_15_and_ends_with_the_call():
    """When care_15 comes due, the ticket's care_soon is resolved at that same moment."""
    hall = make_hall(windows=1, advice=True)
    for n in range(1, 12):
        issue(hall, f"A{n:03}")
    hall.alerts_to_send()
    hall.advance(at(15))
    changes = hall.alerts_to_send()
    resolved = {a.ticket for c, a in changes if str(c) == "resolved" and a.kind == "care_soon"}
    due = {a.ticket for a in raised(changes, "care_15")}
    assert resolved and resolved <= due  # each early warning ends as its visit comes due
    assert all(a.resolved_at == at(15) for c, a in changes if str(c) == "resolved" and a.kind == "care_soon")


def test_care_soon_resolves_when_windows_open_and_the_outlook_clears():
    """Opening seven more windows resolves every care_soon at the next review."""
    hall = make_hall(windows=1, advice=True)
    for n in range(1, 12):
        issue(hall, f"A{n:03}")
    hall.advance(at(1))  # the outlook worsens as the minutes pass: later reviews may raise more
    active = {a.ticket for a in raised(hall.alerts_to_send(), "care_soon")}
    assert active
    for w in range(2, 9):
        hall.receive(ev("window.opened", at(1), window=str(w)))
    hall.advance(at(1, 30))  # the next review on the 30-second grid
    resolved = {a.ticket for c, a in hall.alerts_to_send() if str(c) == "resolved" and a.kind == "care_soon"}
    assert resolved == active


def test_care_soon_can_be_turned_off():
    """care_soon_probability 0 raises no care_soon, however long the queue."""
    hall = make_hall(windows=1, config=config_with(alerts={"care_soon_probability": 0}), advice=True)
    for n in range(1, 12):
        issue(hall, f"A{n:03}")
    hall.advance(at(10))
    assert raised(hall.alerts_to_send(), "care_soon") == []
