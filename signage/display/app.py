"""The lobby-screen process: the Screen (view -> dirty zones) and the asyncio frame loop."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pygame

from signage.calls import Banner, next_change, state_banner
from signage.content import Content
from signage.content_files import ContentWatcher
from signage.display.assets import ImageCache
from signage.display.chime import Chime
from signage.display.text import TextRenderer, cache_bytes_for
from signage.display.zones import ZONES, Layout, Painter, layout
from signage.feed import Feed
from signage.sd_notify import Notifier
from signage.state import DisplayState
from signage.view import View, build_view


if TYPE_CHECKING:
    from signage.display.speaker import Speaker
    from signage.voice.bank import VoiceBank


__all__ = ["Screen", "DisplayApp"]

log = logging.getLogger(__name__)

# With nothing arriving, the loop sleeps until the next change it can foresee (banner end,
# ticker page, slide cut, clock minute), and at most this long: the waits count down in whole
# minutes, and window events (expose, Esc) can wait a second. Each wake-up costs CPU: waking
# every 250 ms was 0.25 % of a core at rest, once a second 0.07 % (bench/screen_bench.py).
MAX_SLEEP_S = 1.0
SCREENSHOT_WAKE_S = 0.25
CONTENT_POLL_S = 2.0
# Woken this much after a deadline, the frame is past it (timers may fire a hair early).
DEADLINE_SLACK_S = 0.002


class Screen:
    """Render views onto a surface, redrawing only the zones whose data changed.

    Feed states with :meth:`receive_state`; call :meth:`frame` with the
    monotonic and wall time; it returns the dirty rectangles to present.
    """

    def __init__(self, surface: pygame.Surface, content: Content, *, font_dir: Path | None = None, chime: Chime | None = None,
                 speaker: Speaker | None = None) -> None:
        self.surface = surface
        self.content = content
        self.text = TextRenderer(font_dir or content.root / "fonts", cache_bytes_for(surface.get_size()))
        self.images = ImageCache(content.root)
        self.painter = Painter(self.text, self.images)
        self.layout: Layout = layout(*surface.get_size())
        self.chime = chime
        self.speaker = speaker
        self._heard: DisplayState | None = None
        self.state: DisplayState | None = None
        self.state_mono = 0.0
        self.offline_since: datetime | None = None
        self._drawn: dict[str, Any] = {}
        self._banner_key: tuple[tuple[str, str, str], ...] | None = None
        self.view: View | None = None
        self.frames = 0
        self.bad_slides: set[str] = set()
        self._slide_ends: datetime | None = None

    def receive_state(self, state: DisplayState, resync: bool, mono: float) -> None:
        """Take a new display.state received at monotonic time ``mono``.

        ``resync`` (first state of a connection) needs nothing special: the banner is a
        function of the state's call times and the hall's time, old calls have none.
        """
        self.state = state
        self.state_mono = mono

    def set_content(self, content: Content) -> None:
        """Use new content (after a hot reload): everything is redrawn."""
        self.content = content
        self.images.root = content.root
        self.bad_slides.clear()
        self.invalidate()

    def invalidate(self) -> None:
        """Force a full redraw at the next frame."""
        self._drawn.clear()

    def _hall_now(self, mono: float, wall: datetime) -> datetime:
        if self.state is None:
            return wall
        from signage.view import hall_now

        return hall_now(self.state, mono - self.state_mono, wall)

    def banner(self, mono: float, wall: datetime) -> Banner | None:
        """Return the call banner at this instant (calls.state_banner, in the hall's time)."""
        if self.state is None or self.state.at is None:
            return None
        return state_banner(self.state, self._hall_now(mono, wall), self.content.screen.banner_seconds)

    def build(self, mono: float, wall: datetime) -> View:
        """Return the view model at this instant."""
        banner = self.banner(mono, wall)
        now = self._hall_now(mono, wall)
        excluded = self.bad_slides | {s.id for s in self.content.playlist.slides if s.image and self.images.is_bad(s.image)}
        slide = self.content.playlist.slide_at(now, exclude=excluded)
        self._slide_ends = slide.ends if slide is not None else None
        return build_view(
            self.state,
            elapsed_s=mono - self.state_mono,
            mono_now=mono,
            wall_now=wall,
            screen=self.content.screen,
            banner=banner,
            slide=slide,
            offline_since=self.offline_since,
        )

    def speak(self, mono: float, wall: datetime) -> None:
        """Give the speaker the calls of a new state and let it start what is due (hall time)."""
        if self.speaker is None or self.state is None or self.state.at is None:
            return
        now = self._hall_now(mono, wall)
        if self._heard is not self.state:
            self._heard = self.state
            self.speaker.hear(self.state.calls, now)
        self.speaker.tick(now)

    def frame(self, mono: float, wall: datetime) -> list[pygame.Rect]:
        """Draw what changed since the last frame; return the dirty rectangles."""
        view = self.build(mono, wall)
        self.view = view
        L, p, s = self.layout, self.painter, self.surface
        dirty: list[pygame.Rect] = []
        key = view.banner.key if view.banner else None
        if key != self._banner_key:
            # Chime for a call new on the banner, not for a row leaving it.
            # A speaking screen rings each call's chime before its words (display/speaker.py).
            if (key is not None and not set(key) <= set(self._banner_key or ()) and self.chime is not None
                    and self.content.screen.chime and self.speaker is None):
                self.chime.play()
            if self._banner_key is not None and key is None:
                # The banner covered the body: every zone under it comes back.
                for z in ZONES:
                    if z != "header" and z != "ticker":
                        self._drawn.pop(z, None)
            self._banner_key = key
            self._drawn.pop("banner", None)
        parts: dict[str, Any] = {
            "header": view.header,
            "ticker": view.ticker,
        }
        if view.banner is not None:
            parts["banner"] = view.banner
        else:
            parts.update(calls=view.calls, waiting=view.waiting, promo=(view.promo.slide, view.promo.fallback), qr=self.content.screen.qr)
        for zone, data in parts.items():
            if zone in self._drawn and self._drawn[zone] == data:
                continue
            if zone == "banner":
                p.banner(s, L, view.banner)  # type: ignore[arg-type]
                dirty.append(L.body.copy())
            elif zone == "promo":
                self._draw_promo(mono, wall, view)
                data = (self.view.promo.slide, self.view.promo.fallback)
                dirty.append(L.promo.copy())
            else:
                getattr(p, zone)(s, L, data)
                dirty.append(L.rect(zone).copy())
            self._drawn[zone] = data
        if dirty:
            self.frames += 1
        return dirty

    def next_change_in(self, mono: float, wall: datetime) -> float:
        """Seconds until the screen changes without a new state: banner end, ticker page,
        slide cut or clock minute (waits count down too, but in whole minutes)."""
        due: list[float] = []
        page = self.content.screen.ticker_page_seconds
        due.append(page - mono % page)  # pages are anchored to the monotonic clock (view.build_view)
        now = self._hall_now(mono, wall)
        if self.state is not None and self.state.at is not None and self.state.open_windows > 0:
            change = next_change(self.state.calls, now, self.content.screen.banner_seconds)
            if change is not None:
                due.append((change - now).total_seconds())
        due.append(60 - now.second - now.microsecond / 1e6)
        if self._slide_ends is not None:
            due.append((self._slide_ends - now).total_seconds())
        if self.speaker is not None:
            speak = self.speaker.next_due(now)
            if speak is not None:
                due.append((speak - now).total_seconds())
        return max(0.0, min(due))

    def _draw_promo(self, mono: float, wall: datetime, view: View) -> None:
        # A broken image is excluded and the next slide drawn in the same frame:
        # never a blank panel.
        for _ in range(len(self.content.playlist.slides) + 1):
            promo = view.promo
            if self.painter.promo(self.surface, self.layout, promo):
                nxt = promo.next
                if nxt is not None and nxt.image and nxt is not promo.slide:
                    self.images.get(nxt.image, self.layout.promo.size)  # load ahead of time
                self.view = view
                return
            if promo.slide is not None:
                self.bad_slides.add(promo.slide.id)
            view = self.build(mono, wall)

    def cache_sizes(self) -> dict[str, int]:
        """Sizes of the bounded caches, for soak tests and metrics."""
        return {"text": self.text.cache_size, "images": self.images.size, "qr": len(self.painter._qr)}


class DisplayApp:
    """Run the screen: feed task, content reload and the frame loop on one asyncio loop."""

    def __init__(
        self,
        *,
        url: str,
        content_dir: Path,
        size: tuple[int, int] | None,
        fullscreen: bool,
        display_index: int = 0,
        trace: IO[str] | None = None,
        screenshot: Path | None = None,
        screenshot_timeout: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
        voice: VoiceBank | None = None,
        voice_lang: str = "both",
        voice_max_age_s: float | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.url = url
        self.content_dir = content_dir
        self.size = size
        self.fullscreen = fullscreen
        self.display_index = display_index
        self.trace = trace
        self.screenshot = screenshot
        self.screenshot_timeout = screenshot_timeout
        self.monotonic = monotonic
        self.voice = voice
        self.voice_lang = voice_lang
        self.voice_max_age_s = voice_max_age_s
        self.notifier = notifier if notifier is not None else Notifier.from_env()
        self._wake = asyncio.Event()
        self._pending_trace: int | None = None
        self.screen: Screen | None = None

    def _open_window(self) -> pygame.Surface:
        # SDL's default presents the window surface through an OpenGL texture whenever any GL
        # renderer exists. Without a GPU that is Mesa's llvmpipe, which re-renders and swaps the
        # whole window on every display.update: ~12 ms of CPU each, whatever the dirty rects
        # (shared/research/screen-cost.md), and as much latency before a call is on screen.
        # The native framebuffer (X11: XShmPutImage of the dirty rects) costs what changed,
        # under 1 ms for a banner. Drivers without one (KMS/DRM, Wayland) use the GPU anyway;
        # SDL_FRAMEBUFFER_ACCELERATION=1 in the environment restores SDL's default.
        os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")
        pygame.display.init()
        pygame.display.set_caption("WaitWell lobby screen")
        flags = 0
        size = self.size
        if self.fullscreen and self.screenshot is None:
            flags |= pygame.FULLSCREEN
            if size is None:
                sizes = pygame.display.get_desktop_sizes()
                size = sizes[self.display_index] if self.display_index < len(sizes) else sizes[0]
        size = size or (1920, 1080)
        surface = pygame.display.set_mode(size, flags, display=self.display_index)
        pygame.mouse.set_visible(not self.fullscreen)
        return surface

    def _on_state(self, state: DisplayState, resync: bool) -> None:
        assert self.screen is not None
        self.screen.receive_state(state, resync, self.monotonic())
        self._pending_trace = state.seq
        self._wake.set()

    def _on_status(self) -> None:
        self._wake.set()

    async def run(self) -> int:
        """Run until the window is closed (or the screenshot is written); return an exit code."""
        surface = self._open_window()
        pygame.font.init()
        watcher = ContentWatcher(self.content_dir)
        chime = None if self.screenshot is not None else Chime(watcher.content.screen.chime)
        speaker = None
        if self.voice is not None and self.screenshot is None:
            from signage.display.speaker import Speaker
            from signage.voice.speech import MAX_AGE_S

            max_age = MAX_AGE_S if self.voice_max_age_s is None else self.voice_max_age_s
            speaker = Speaker(self.voice, lang=self.voice_lang, max_age_s=max_age, chime=watcher.content.screen.chime)
        self.screen = screen = Screen(surface, watcher.content, chime=chime, speaker=speaker)
        feed = Feed(self.url, self._on_state, on_status=self._on_status)
        feed_task = asyncio.create_task(feed.run(), name="feed")
        started = self.monotonic()
        next_poll = started + CONTENT_POLL_S
        first_state_at: float | None = None
        first_frame = True
        try:
            while True:
                for event in pygame.event.get():
                    if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_q)):
                        return 0
                    if event.type in (pygame.VIDEOEXPOSE, pygame.WINDOWEXPOSED, pygame.WINDOWRESTORED):
                        screen.invalidate()
                mono = self.monotonic()
                if mono >= next_poll:
                    next_poll = mono + CONTENT_POLL_S
                    if watcher.poll():
                        screen.set_content(watcher.content)
                if feed.offline_since is not None:
                    screen.offline_since = feed.offline_since.astimezone(_hall_tz(screen.state))
                else:
                    screen.offline_since = None
                if feed_task.done() and not feed_task.cancelled():
                    feed_task.result()  # surface a crash of the feed loop
                pending = self._pending_trace
                self._pending_trace = None
                wall = datetime.now().astimezone(_hall_tz(screen.state))
                dirty = screen.frame(mono, wall)
                screen.speak(mono, wall)
                if dirty:
                    pygame.display.update(dirty)
                # Pinged from the frame loop itself, after the frame: a screen stuck drawing (a
                # wedged driver, a hung update) stops pinging and systemd restarts it.
                if first_frame:
                    first_frame = False
                    self.notifier.ready()
                self.notifier.ping(mono)
                if pending is not None and self.trace is not None:
                    self.trace.write(f"{pending} {time.monotonic():.6f}\n")
                    self.trace.flush()
                if self.screenshot is not None:
                    if screen.state is not None and first_state_at is None:
                        first_state_at = mono
                    settled = first_state_at is not None and mono - first_state_at >= 0.3
                    if settled or mono - started >= self.screenshot_timeout:
                        if not settled:
                            screen.offline_since = screen.offline_since or datetime.now().astimezone()
                            screen.invalidate()
                            screen.frame(self.monotonic(), datetime.now().astimezone())
                        self.screenshot.parent.mkdir(parents=True, exist_ok=True)
                        pygame.image.save(surface, str(self.screenshot))
                        log.info("screenshot written: %s", self.screenshot)
                        return 0
                self._wake.clear()
                mono = self.monotonic()
                sleep = min(MAX_SLEEP_S, next_poll - mono, screen.next_change_in(mono, wall) + DEADLINE_SLACK_S)
                if self.screenshot is not None:
                    sleep = min(sleep, SCREENSHOT_WAKE_S)
                try:
                    await asyncio.wait_for(self._wake.wait(), max(0.0, sleep))
                except asyncio.TimeoutError:
                    pass
        finally:
            feed_task.cancel()
            try:
                await feed_task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass
            pygame.display.quit()


def _hall_tz(state: DisplayState | None) -> Any:
    """Return the hall's tzinfo (the local zone before the first state)."""
    if state is not None:
        try:
            from zoneinfo import ZoneInfo

            return ZoneInfo(state.hall.timezone)
        except Exception:  # noqa: BLE001 - unknown zone names fall back to local time
            pass
    return datetime.now().astimezone().tzinfo


def configure_sdl_for_headless() -> None:
    """Select SDL's dummy video and audio drivers (screenshots, tests)."""
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    os.environ["SDL_AUDIODRIVER"] = "dummy"
