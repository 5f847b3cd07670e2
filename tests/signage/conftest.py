"""Fixtures of the lobby-screen tests: headless SDL, sample states, a real WebSocket feed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest


# SDL picks its drivers at init: set them before anything imports pygame.
os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from lobby_helpers import FeedServer  # noqa: E402


@pytest.fixture
def pg():
    """Initialise pygame headless for one test."""
    import pygame

    pygame.display.init()
    pygame.font.init()
    yield pygame
    pygame.display.quit()


@pytest.fixture
async def feed_server():
    """A real WebSocket server speaking display.state on 127.0.0.1, any free port."""
    srv = FeedServer()
    await srv.start()
    yield srv
    await srv.stop()
