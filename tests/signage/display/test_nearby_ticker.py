"""The pygame lobby's busy ticker names the calmer nearby halls head office reported (display.state nearby).

``python tests/signage/display/test_nearby_ticker.py OUT.png`` saves the rendered screen (docs/img).
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from lobby_helpers import CONTENT, T0, state_msg  # noqa: E402

from signage.content_files import load_content  # noqa: E402
from signage.state import parse_state  # noqa: E402


NEARBY = [{"name": "建设路营业厅", "name_en": "Jianshe Road Service Hall", "distance": "800 m", "waiting": 3,
           "expected_wait_s": 420, "as_of": (T0 - timedelta(seconds=40)).isoformat()}]


def render(pg: Any, size: tuple[int, int] = (1920, 1080)) -> Any:
    """The busy sample hall at the ticker page of its first live nearby hall: the Screen drawn headless."""
    from signage.display.app import Screen

    content = load_content(CONTENT)
    screen = Screen(pg.Surface(size), content, font_dir=CONTENT / "fonts")
    screen.receive_state(parse_state({**state_msg(1, busy=True), "nearby": NEARBY}), True, 0.0)
    # The busy pages: the notice, the self-service tips, then the nearby halls.
    page = 1 + len(content.screen.self_service)
    screen.frame(page * content.screen.ticker_page_seconds + 0.5, T0)
    return screen


def test_the_busy_ticker_shows_the_live_nearby_hall_not_the_static_ones(pg):
    screen = render(pg)
    ticker = screen.view.ticker
    assert ticker.busy and ticker.pages == 2 + len(screen.content.screen.self_service)
    as_of = (T0 - timedelta(seconds=40)).strftime("%H:%M")
    assert ticker.text == f"附近营业厅：建设路营业厅（800 m）　3 人等候 · 约 7 分钟 · 截至 {as_of}"
    assert ticker.text_en == f"Nearby: Jianshe Road Service Hall (800 m): 3 waiting · about 7 min · as of {as_of}"
    # Drawn: the ticker band is the busy amber with text on it, not an empty band.
    band = screen.layout.ticker
    colours = [tuple(screen.surface.get_at((x, y)))[:3] for x in range(band.x, band.right, 2)
               for y in range(band.y, band.bottom, 2)]
    theme = screen.painter.t
    assert colours.count(theme.busy) > len(colours) / 2 and colours.count(theme.accent_dark) > 20


if __name__ == "__main__":
    import pygame

    pygame.display.init()
    pygame.font.init()
    pygame.image.save(render(pygame).surface, sys.argv[1])
