"""signage/display/text.py: CJK glyph fallback and the bounded text cache."""

from __future__ import annotations

from lobby_helpers import CONTENT

from signage.content_files import load_content
from signage.display.app import Screen


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
    a_screen_4k = Screen(pg.Surface((3840, 2160)), load_content(CONTENT), font_dir=CONTENT / "fonts")
    assert a_screen_4k.text.cache_limit_bytes == 4 * CACHE_BYTES
