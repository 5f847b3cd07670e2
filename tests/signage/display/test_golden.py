"""Whole screens as golden PNGs, compared with a tolerance (UPDATE_GOLDEN=1 regenerates)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from lobby_helpers import CONTENT, T0, call, state_msg

from signage.content_files import load_content
from signage.state import parse_state


GOLDEN = Path(__file__).resolve().parent / "golden"


# A pixel differs when a channel moves by more than this; a few may (font hinting, scaling).
CHANNEL_TOLERANCE = 48


MAX_DIFFERENT_FRACTION = 0.004


def _closed_state():
    """17:05, every window closed after the last call: nothing reads "now calling" or "no wait"."""
    msg = state_msg(1, T0, waiting=(0, 0, 0))
    msg["open_windows"] = 0
    for s in msg["services"]:
        s.update(open_windows=0, expected_wait_s=None, expected_wait_range_s=None)
    return msg


def _render(pg, size, scenario):
    from signage.display.app import Screen

    s = Screen(pg.Surface(size), load_content(CONTENT), font_dir=CONTENT / "fonts")
    if scenario == "closed":
        s.receive_state(parse_state(_closed_state()), True, 0.0)
    elif scenario == "burst":
        # Six windows call within a second at opening: four rows now, two more next.
        fresh = [call(f"A{30 + i:03d}", str(1 + i), T0 + timedelta(seconds=i * 0.2), recall=i == 2) for i in range(5, -1, -1)]
        s.receive_state(parse_state(state_msg(2, T0 + timedelta(seconds=1), fresh)), True, 0.5)
    elif scenario == "levels":
        # Waits of 9, 12 and 22 minutes: short, long (from 10) and over (from 15), each its colour.
        s.receive_state(parse_state(state_msg(1, waiting=(12, 16, 30))), True, 0.0)
    else:
        s.receive_state(parse_state(state_msg(1, busy=scenario == "busy")), True, 0.0)
    if scenario == "busy":
        s.offline_since = T0 - timedelta(minutes=3)
        fresh = [call("B118", "7", T0 + timedelta(seconds=4), recall=True)] + state_msg(1)["calls"]
        s.receive_state(parse_state(state_msg(2, T0 + timedelta(seconds=5), fresh, busy=True)), False, 0.5)
    s.frame(0.5, T0)
    return s.surface


def compare(pg, surf, name):
    """Compare ``surf`` with golden/``name``; on mismatch write -actual and -diff PNGs and fail."""
    path = GOLDEN / f"{name}.png"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        pg.image.save(surf, str(path))
        pytest.skip(f"golden regenerated: {path.name}")
    assert path.is_file(), f"missing golden {path}; run with UPDATE_GOLDEN=1 on purpose"
    ref = pg.image.load(str(path))
    assert ref.get_size() == surf.get_size()
    import array

    a = array.array("B", pg.image.tobytes(surf, "RGB"))
    b = array.array("B", pg.image.tobytes(ref, "RGB"))
    w, h = surf.get_size()
    diff = pg.Surface((w, h))
    bad = 0
    for i in range(0, len(a), 3):
        d = max(abs(a[i] - b[i]), abs(a[i + 1] - b[i + 1]), abs(a[i + 2] - b[i + 2]))
        if d > CHANNEL_TOLERANCE:
            bad += 1
            diff.set_at(((i // 3) % w, (i // 3) // w), (255, 0, 255))
    fraction = bad / (w * h)
    if fraction > MAX_DIFFERENT_FRACTION:
        pg.image.save(surf, str(GOLDEN / f"{name}-actual.png"))
        pg.image.save(diff, str(GOLDEN / f"{name}-diff.png"))
        pytest.fail(f"{name}: {fraction:.2%} of pixels differ (see {name}-actual.png, {name}-diff.png)")


@pytest.mark.parametrize(
    ("name", "size", "scenario"),
    [
        ("landscape-960x540", (960, 540), "normal"),
        ("portrait-540x960", (540, 960), "normal"),
        ("landscape-banner-busy-offline-960x540", (960, 540), "busy"),
        ("portrait-banner-busy-offline-540x960", (540, 960), "busy"),
        ("landscape-closed-960x540", (960, 540), "closed"),
        ("landscape-burst-960x540", (960, 540), "burst"),
        ("portrait-burst-540x960", (540, 960), "burst"),
        ("landscape-wait-levels-960x540", (960, 540), "levels"),
    ],
)
def test_golden_screens(pg, name, size, scenario):
    """The whole screen matches its golden PNG within the tolerance."""
    compare(pg, _render(pg, size, scenario), name)


def test_golden_comparison_detects_a_change(pg):
    """A visibly different screen fails the comparison (the check can fail)."""
    surf = _render(pg, (960, 540), "normal")
    surf.fill((255, 0, 0), (0, 0, 200, 100))
    if os.environ.get("UPDATE_GOLDEN") == "1":
        pytest.skip("regenerating")
    with pytest.raises(pytest.fail.Exception):
        compare(pg, surf, "landscape-960x540")
    for suffix in ("actual", "diff"):
        p = GOLDEN / f"landscape-960x540-{suffix}.png"
        assert p.is_file()
        p.unlink()
