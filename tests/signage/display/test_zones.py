"""signage/display/zones.py: the layout of the zones in both orientations."""

from __future__ import annotations

import pytest


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
