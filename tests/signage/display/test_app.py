"""signage/display/app.py: the Screen redraws only changed zones, takes over for banners, wakes on deadlines, stays flat."""

from __future__ import annotations

import gc
import shutil
import tracemalloc
from datetime import timedelta

from lobby_helpers import CONTENT, T0, call, state_msg

from signage.content_files import load_content
from signage.display.app import DEADLINE_SLACK_S, Screen
from signage.state import parse_state


def _screen(pg, size=(960, 540), content=None, chime=None):
    surf = pg.Surface(size)
    return Screen(surf, content or load_content(CONTENT), font_dir=CONTENT / "fonts", chime=chime)


class CountingChime:
    """Records plays instead of making sound."""

    def __init__(self):
        self.played = 0

    def play(self):
        self.played += 1


def test_first_frame_draws_every_zone_then_nothing_while_idle(pg):
    """The first frame paints all six zones; the same instant again paints nothing."""
    s = _screen(pg)
    s.receive_state(parse_state(state_msg()), True, 0.0)
    dirty = s.frame(0.0, T0)
    assert len(dirty) == 6
    assert s.frame(0.1, T0) == []
    assert s.frame(0.2, T0) == []


def test_a_new_state_redraws_only_the_zones_it_changes(pg):
    """Changing one service's waiting count redraws the waiting zone alone."""
    s = _screen(pg)
    s.receive_state(parse_state(state_msg(1)), True, 0.0)
    s.frame(0.0, T0)
    s.receive_state(parse_state(state_msg(2, waiting=(13, 9, 4))), False, 0.5)
    dirty = s.frame(0.5, T0)
    assert dirty == [s.layout.waiting]


def test_banner_takes_over_the_body_chimes_once_and_gives_it_back(pg):
    """A fresh call covers the body with its banner and chime, then every body zone is redrawn."""
    chime = CountingChime()
    s = _screen(pg, chime=chime)
    s.receive_state(parse_state(state_msg(1)), True, 0.0)
    s.frame(0.0, T0)
    fresh = [call("A024", "5", T0 + timedelta(seconds=30))] + state_msg(1)["calls"]
    s.receive_state(parse_state(state_msg(2, T0 + timedelta(seconds=31), fresh)), False, 1.0)
    dirty = s.frame(1.0, T0)
    assert s.layout.body in dirty and chime.played == 1
    # Amber banner background in the middle of the body.
    assert tuple(s.surface.get_at((s.layout.body.x + 5, s.layout.body.centery)))[:3] == (255, 186, 30)
    assert s.frame(5.0, T0) == [] or s.layout.body not in s.frame(5.0, T0)
    back = s.frame(1.0 + s.content.screen.banner_seconds, T0)
    assert {tuple(r) for r in back} >= {tuple(s.layout.calls), tuple(s.layout.waiting), tuple(s.layout.promo), tuple(s.layout.qr)}
    assert chime.played == 1


def test_old_calls_at_connect_get_no_banner(pg):
    """The first state after connect shows old calls in the list, without a banner."""
    s = _screen(pg)
    s.receive_state(parse_state(state_msg()), True, 0.0)
    s.frame(0.0, T0)
    assert s.view.banner is None and s.view.calls.current.ticket == "A023"


def test_broken_and_missing_images_are_skipped_never_blank(pg, tmp_path, caplog):
    """A missing and a corrupt promo image are skipped (one log line each) and a good slide is drawn."""
    root = tmp_path / "content"
    shutil.copytree(CONTENT / "signage", root / "signage")
    (root / "images").mkdir()
    (root / "images" / "broken.png").write_bytes(b"not a png at all")
    shutil.copy(CONTENT / "images" / "promo-app.png", root / "images" / "ok.png")
    (root / "signage" / "playlist.yaml").write_text(
        "slides:\n"
        "  - {id: missing, image: images/nope.png, duration_s: 5}\n"
        "  - {id: broken, image: images/broken.png, duration_s: 5}\n"
        "  - {id: ok, image: images/ok.png, duration_s: 5}\n",
        encoding="utf-8",
    )
    s = _screen(pg, content=load_content(root))
    s.receive_state(parse_state(state_msg()), True, 0.0)
    for i in range(6):  # walk over a whole rotation
        s.frame(float(i), T0 + timedelta(seconds=5 * i))
        s._drawn.pop("promo", None)
        assert s.view.promo.slide is not None and s.view.promo.slide.id == "ok"
    skipped = [r for r in caplog.records if "promo image skipped" in r.getMessage()]
    assert len(skipped) == 2
    centre = s.surface.get_at(s.layout.promo.center)
    assert tuple(centre)[:3] != (0, 0, 0)


def test_offline_badge_is_drawn_in_the_header(pg):
    """Going offline redraws the header only, with the red badge."""
    s = _screen(pg)
    s.receive_state(parse_state(state_msg()), True, 0.0)
    s.frame(0.0, T0)
    s.offline_since = T0
    dirty = s.frame(0.1, T0)
    assert dirty == [s.layout.header]
    red = (214, 52, 52)
    row = [tuple(s.surface.get_at((x, s.layout.header.centery)))[:3] for x in range(s.layout.header.width)]
    assert red in row


def quiet_screen(pg) -> Screen:
    """A screen whose waits cannot change (nobody waits): only time-driven changes remain."""
    s = Screen(pg.Surface((960, 540)), load_content(CONTENT), font_dir=CONTENT / "fonts")
    s.receive_state(parse_state(state_msg(1, waiting=(0, 0, 0))), True, 0.0)
    s.frame(0.0, T0)
    return s


def test_each_deadline_is_a_real_change_and_nothing_comes_before_it(pg):
    """Over five hall minutes: ticker pages, slide cuts and the clock minute land on the deadlines."""
    s = quiet_screen(pg)
    t, wakes = 0.0, 0
    while t < 300:
        due = s.next_change_in(t, T0)
        assert 0 < due <= 60
        assert s.frame(t + due - 0.01, T0) == [], f"something changed before the deadline at t={t:.2f}"
        t += due + DEADLINE_SLACK_S
        assert s.frame(t, T0) != [], f"nothing changed at the deadline t={t:.2f}"
        wakes += 1
    # Pages every 8 s and slides every 10-12 s: about 70 wakes, not the 1,200 of a 250 ms tick.
    assert 40 < wakes < 100


def test_a_banner_end_is_a_deadline(pg):
    s = quiet_screen(pg)
    fresh = [call("A024", "5", T0 + timedelta(seconds=1))]
    s.receive_state(parse_state(state_msg(2, T0 + timedelta(seconds=1), fresh, waiting=(0, 0, 0))), False, 1.0)
    s.frame(1.0, T0)
    assert s.view is not None and s.view.banner is not None
    banner_s = s.content.screen.banner_seconds
    due = s.next_change_in(1.0, T0)
    assert due <= banner_s
    # Follow the deadlines: the banner is gone exactly when its time is up, not a tick later.
    t = 1.0
    while s.view.banner is not None:
        t += s.next_change_in(t, T0) + DEADLINE_SLACK_S
        s.frame(t, T0)
    assert 1.0 + banner_s <= t <= 1.0 + banner_s + 2 * DEADLINE_SLACK_S


def test_soak_hours_of_states_and_promos_keep_memory_flat(pg):
    """Six accelerated hours (a state every 2 s, calls, promo rotation) keep caches bounded and memory flat."""
    screen = Screen(pg.Surface((480, 270)), load_content(CONTENT), font_dir=CONTENT / "fonts")
    calls: list[dict] = []
    step = 2.0

    def run(steps: int, start: int) -> None:
        for i in range(start, start + steps):
            at = T0 + timedelta(seconds=i * step)
            if i % 7 == 0:
                calls.insert(0, call(f"{'ABC'[i % 3]}{i % 1000:03d}", str(1 + i % 8), at, recall=i % 21 == 0))
                del calls[10:]
            msg = state_msg(i, at, list(calls), busy=(i // 300) % 2 == 1, waiting=(i % 17, i % 11, i % 5))
            screen.receive_state(parse_state(msg), False, i * step)
            screen.frame(i * step, at)

    # tracemalloc only sees allocations made after start(): start before the
    # warm-up, which is long enough for every bounded structure to fill (the
    # text cache's 400 entries, the images and QR codes).
    tracemalloc.start()
    try:
        run(4000, 1)
        gc.collect()
        before = tracemalloc.take_snapshot()
        run(7000, 4001)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    # pathlib interns path strings process-wide; what it keeps depends on earlier tests.
    ignore = [tracemalloc.Filter(False, "*/pathlib.py"), tracemalloc.Filter(False, "<frozen importlib._bootstrap*>")]
    stats = after.filter_traces(ignore).compare_to(before.filter_traces(ignore), "lineno")
    growth = sum(s.size_diff for s in stats)
    assert growth < 64 * 1024, f"memory grew by {growth} bytes: " + "; ".join(map(str, stats[:3]))
    sizes = screen.cache_sizes()
    assert sizes["images"] <= 6 and sizes["qr"] <= 8 and sizes["text"] <= 400
    assert screen.frames > 5000  # the soak really drew


def test_calls_made_together_share_the_banner_and_only_a_new_call_chimes(pg):
    """Two calls at once: one banner with two rows, one chime; a third joins (chime); rows leaving do not chime."""
    chime = CountingChime()
    s = _screen(pg, chime=chime)
    two = [call("A031", "2", T0), call("A030", "1", T0)]
    s.receive_state(parse_state(state_msg(2, T0, two)), True, 0.0)
    s.frame(0.0, T0)
    assert [r.ticket for r in s.view.banner.rows] == ["A030", "A031"] and chime.played == 1
    three = [call("B001", "3", T0 + timedelta(seconds=2))] + two
    s.receive_state(parse_state(state_msg(3, T0 + timedelta(seconds=2), three)), False, 2.0)
    s.frame(2.0, T0)
    assert [r.ticket for r in s.view.banner.rows] == ["A030", "A031", "B001"] and chime.played == 2
    # The first two rows end 8 s after their call: B001 stays alone, no chime; then the body comes back.
    assert 0 < s.next_change_in(2.0, T0) <= 6.0  # the screen wakes by the time they end
    s.frame(8.0, T0)
    assert [r.ticket for r in s.view.banner.rows] == ["B001"] and chime.played == 2
    s.frame(10.0, T0)
    assert s.view.banner is None and s.view.calls.current.ticket == "B001"


def test_closing_clears_the_banner_at_once(pg):
    """The windows close 2 s after a call: the banner goes with the state that says so, not 6 s later."""
    s = _screen(pg)
    fresh = [call("B242", "2", T0)]
    s.receive_state(parse_state(state_msg(2, T0, fresh)), True, 0.0)
    s.frame(0.0, T0)
    assert s.view.banner is not None
    closed = state_msg(3, T0 + timedelta(seconds=2), fresh)
    closed["open_windows"] = 0
    s.receive_state(parse_state(closed), False, 2.0)
    dirty = s.frame(2.0, T0)
    assert s.view.banner is None and s.layout.calls in dirty
    assert s.view.calls.current is None and s.view.calls.placeholder == ("暂无窗口", "No window open")
