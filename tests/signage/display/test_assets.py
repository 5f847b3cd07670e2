"""signage/display/assets.py: QR codes drawn at runtime."""

from __future__ import annotations


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
