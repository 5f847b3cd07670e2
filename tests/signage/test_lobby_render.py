"""Level 2: scenes rendered to off-screen surfaces (SDL dummy driver)."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from lobby_helpers import CONTENT, T0, call, state_msg

from signage.content_files import load_content
from signage.state import parse_state


def _screen(pg, size=(960, 540), content=None, chime=None):
    from signage.display.app import Screen

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


def test_cjk_outside_the_bundled_subset_falls_back_per_glyph(pg):
    """A character outside GB2312 (㐀) renders through the fallback without breaking the line."""
    from signage.display.text import TextRenderer

    t = TextRenderer(CONTENT / "fonts")
    face = t.faces[False]
    assert face.get_metrics("㐀", size=30)[0] is None  # not in the subset
    plain = t.render("营业厅", 30, (255, 255, 255))
    mixed = t.render("营业厅㐀", 30, (255, 255, 255))
    assert mixed.get_width() > plain.get_width()


def test_text_cache_is_bounded(pg):
    """Rendering thousands of distinct strings keeps the text cache at its limit."""
    from signage.display.text import CACHE_LIMIT, TextRenderer

    t = TextRenderer(CONTENT / "fonts")
    for i in range(CACHE_LIMIT + 300):
        t.render(f"A{i:04d}", 20, (255, 255, 255))
    assert t.cache_size == CACHE_LIMIT


def test_text_cache_is_bounded_by_pixels_and_grows_with_the_screen(pg):
    """Big texts are evicted by bytes; a 4K screen's bound is four times a 1080p screen's."""
    from signage.display.text import CACHE_BYTES, TextRenderer, cache_bytes_for

    assert cache_bytes_for((1920, 1080)) == CACHE_BYTES == cache_bytes_for((960, 540))
    assert cache_bytes_for((3840, 2160)) == 4 * CACHE_BYTES
    t = TextRenderer(CONTENT / "fonts", cache_bytes=2 * 2**20)
    for i in range(40):
        t.render(f"A{i:03d}", 120, (255, 255, 255))  # ~0.18 MB each
    assert t.cache_bytes <= 2 * 2**20 and 1 < t.cache_size < 40
    a_screen_4k = _screen(pg, size=(3840, 2160))
    assert a_screen_4k.text.cache_limit_bytes == 4 * CACHE_BYTES


def test_qr_surface_has_finder_patterns(pg):
    """The QR surface is square with dark finder-pattern corners and a light quiet zone."""
    from signage.display.assets import qr_surface

    q = qr_surface("https://app.example-telecom.cn/download", 200)
    w, h = q.get_size()
    assert w == h and w <= 200
    assert tuple(q.get_at((1, 1)))[:3] == (255, 255, 255)
    n = 25 + 4 if w % 29 == 0 else None
    module = w // (n or 29)
    assert tuple(q.get_at((module * 2 + 1, module * 2 + 1)))[:3] != (255, 255, 255)


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920), (800, 480), (480, 800)])
def test_layout_zones_fit_inside_the_screen_without_overlap(size):
    """Every zone lies inside the screen and no two zones overlap, in both orientations."""
    import pygame

    from signage.display.zones import ZONES, layout

    L = layout(*size)
    screen = pygame.Rect(0, 0, *size)
    rects = [L.rect(z) for z in ZONES]
    assert all(screen.contains(r) and r.width > 0 and r.height > 0 for r in rects)
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not a.colliderect(b)
    assert L.portrait == (size[1] > size[0])


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
