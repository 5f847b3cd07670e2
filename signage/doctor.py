"""`waitwell doctor`: what breaks lobby screens in the field, checked on the screen's machine.

Fonts, the sound card (for the chime and the voice), the display, the server, the clock against
the server's, free disk. One line per check; a problem's line says how to fix it, and any problem
makes the exit code 1. Run it as the screen's user with the screen's environment (its unit's
SDL_VIDEODRIVER); with KMS/DRM, stop the screen first (one process may own the display).
"""

from __future__ import annotations

import argparse
import os
import shutil
import ssl
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


__all__ = ["Finding", "add_arguments", "run", "health_url", "clock_skew_s"]

SAMPLE = "请 A023 号到 3 号窗口 Window 3 等候 12–18 分钟"
"""A call and a wait as the screen shows them: the bundled fonts must have every glyph."""

MAX_SKEW_S = 10.0
"""A screen counts waits down from the server's times with its own clock: beyond this, the waits
and "called N minutes ago" it shows are visibly wrong."""

HEADLESS_DRIVERS = ("dummy", "offscreen")
"""SDL drivers that show nothing: fine when asked for (screenshots, tests), a fault when SDL fell
back to them because no real display could be opened."""

MIN_FREE_MB = 200.0
"""The journal's logs and the content directory's updates need room; a full disk stops both."""


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        if self.ok:
            return f"ok    {self.check}: {self.detail}"
        return f"FAIL  {self.check}: {self.detail}; fix: {self.fix}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", metavar="URL",
                        help="the hall server as the screen's --server (ws://HOST:PORT, wss://, http(s)://); "
                             "without it, the server and clock checks are skipped")
    parser.add_argument("--content", type=Path, default=Path(__file__).resolve().parents[1] / "content",
                        metavar="DIR", help="the screen's content directory, whose fonts/ it uses")
    parser.add_argument("--disk", type=Path, default=Path("/"), metavar="PATH",
                        help="a path on the disk to check for free space (default /)")
    parser.add_argument("--min-free-mb", type=float, default=MIN_FREE_MB,
                        help=f"free space below this is a problem (default {MIN_FREE_MB:g})")
    parser.add_argument("--max-skew", type=float, default=MAX_SKEW_S, metavar="SECONDS",
                        help=f"clock difference with the server that is a problem (default {MAX_SKEW_S:g})")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the server (default 5)")


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    findings = [check_fonts(args.content), check_audio(), check_display()]
    if args.server:
        findings += check_server(args.server, timeout=args.timeout, max_skew_s=args.max_skew)
    findings.append(check_disk(args.disk, args.min_free_mb))
    for finding in findings:
        print(finding.line())
    problems = sum(not f.ok for f in findings)
    print(f"{problems} problem{'s' if problems != 1 else ''}" if problems else "all good")
    return 1 if problems else 0


def check_fonts(content: Path) -> Finding:
    import pygame.freetype

    from signage.display.text import BOLD, FALLBACK_FONTS, REGULAR

    font_dir = content / "fonts"
    fix_bundled = (f"copy {REGULAR} and {BOLD} from the release's content/fonts/ into {font_dir} "
                   "(or point --content at the screen's content directory)")
    pygame.freetype.init()
    for name in (REGULAR, BOLD):
        path = font_dir / name
        if not path.is_file():
            return Finding("fonts", False, f"{path} is missing: Chinese text would be boxes", fix_bundled)
        try:
            face = pygame.freetype.Font(str(path))
            missing = [ch for ch, metrics in zip(SAMPLE, face.get_metrics(SAMPLE, size=24)) if metrics is None]
        except (OSError, pygame.error) as exc:
            return Finding("fonts", False, f"{path} cannot be read ({exc})", fix_bundled)
        if missing:
            return Finding("fonts", False, f"{path} lacks {''.join(missing)!r}", fix_bundled)
    import pygame.font

    fallback = next((found for found in map(pygame.font.match_font, FALLBACK_FONTS) if found), None)
    if fallback is None:
        return Finding("fonts", False, "no system CJK font: characters outside GB2312 (rare names) would be boxes",
                       "apt-get install fonts-noto-cjk")
    return Finding("fonts", True, f"bundled {REGULAR}, {BOLD} in {font_dir}; fallback {fallback}")


def check_audio() -> Finding:
    import pygame

    driver = os.environ.get("SDL_AUDIODRIVER", "")
    try:
        pygame.mixer.init()
        freq, _size, channels = pygame.mixer.get_init() or (0, 0, 0)
        pygame.mixer.quit()
    except pygame.error as exc:
        return Finding("audio", False, f"no sound device ({exc}): the chime and the voice are silent",
                       "check `aplay -l` lists the card, the user is in group audio, and it is not muted "
                       "(alsamixer)" + (f"; SDL_AUDIODRIVER={driver} is set" if driver else ""))
    return Finding("audio", True, f"{freq} Hz, {channels} channel(s), driver {driver or 'SDL default'}")


def check_display() -> Finding:
    import pygame

    try:
        pygame.display.init()
        driver = pygame.display.get_driver()
        sizes = pygame.display.get_desktop_sizes()
    except pygame.error as exc:
        wanted = os.environ.get("SDL_VIDEODRIVER")
        return Finding("display", False, f"cannot open the display ({exc})",
                       "run it as the screen's unit does: no desktop, SDL_VIDEODRIVER=kmsdrm, user in groups "
                       "video and render, the screen's unit stopped; under X, DISPLAY=:0 with X running"
                       + (f" (SDL_VIDEODRIVER={wanted} is set)" if wanted else ""))
    finally:
        if pygame.display.get_init():
            pygame.display.quit()
    shown = ", ".join(f"{w}x{h}" for w, h in sizes) or "none"
    if driver in HEADLESS_DRIVERS and os.environ.get("SDL_VIDEODRIVER") != driver:
        return Finding("display", False, f"SDL fell back to its {driver} driver: the screen would draw nowhere",
                       "start the screen with its unit (SDL_VIDEODRIVER=kmsdrm with no desktop, or x11 with "
                       "DISPLAY=:0), and check the user is in groups video and render")
    if not sizes or min(w * h for w, h in sizes) == 0:
        return Finding("display", False, f"driver {driver}, no screen attached", "check the cable and that the screen is on")
    return Finding("display", True, f"driver {driver}, {len(sizes)} screen(s): {shown}")


def health_url(server: str) -> str:
    """The server's /healthz from a screen's --server (ws://, wss://, http(s)://, or HOST:PORT)."""
    if "://" not in server:
        server = "ws://" + server
    parts = urlsplit(server)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected ws://HOST:PORT or http(s)://HOST:PORT, got {server!r}")
    return urlunsplit((scheme, parts.netloc, "/healthz", "", ""))


def clock_skew_s(server_date: str, sent: float, received: float) -> float:
    """Server clock minus ours, in seconds: its Date header against the middle of the round trip.

    The header has whole seconds, so the result is good to about ±1 s plus half the round trip.
    """
    return parsedate_to_datetime(server_date).timestamp() - (sent + received) / 2


def check_server(server: str, *, timeout: float, max_skew_s: float,
                 clock: Callable[[], float] = time.time) -> list[Finding]:
    try:
        url = health_url(server)
    except ValueError as exc:
        return [Finding("server", False, str(exc), "give --server as the screen's unit does, e.g. ws://192.168.1.10:8080")]
    unreachable_fix = ("check the network (cable, Wi-Fi, address), that the server runs "
                       "(systemctl status waitwell on the server box) and that its port is open")
    sent = clock()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            status, date = resp.status, resp.headers.get("Date")
    except urllib.error.HTTPError as exc:
        status, date = exc.code, exc.headers.get("Date")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            return [Finding("server", False, f"{url}: certificate not trusted ({reason.verify_message})",
                            "install the hall's certificate authority: copy it to /usr/local/share/ca-certificates/ "
                            "and run update-ca-certificates")]
        return [Finding("server", False, f"{url} unreachable ({reason})", unreachable_fix)]
    except (OSError, ValueError) as exc:
        return [Finding("server", False, f"{url} unreachable ({exc})", unreachable_fix)]
    received = clock()
    findings = []
    if status == 200:
        findings.append(Finding("server", True, f"{url} answers"))
    elif status == 503:
        findings.append(Finding("server", False, f"{url} is starting (503: replaying its journal)",
                                "wait a minute; if it stays, read journalctl -u waitwell on the server box"))
    else:
        findings.append(Finding("server", False, f"{url} answered {status}: not a WaitWell server?",
                                "check the address and port in the screen's settings"))
    if date is None:
        findings.append(Finding("clock", False, "the server sent no Date header", "upgrade the server"))
        return findings
    skew = clock_skew_s(date, sent, received)
    if abs(skew) > max_skew_s:
        way = "behind" if skew > 0 else "ahead of"
        findings.append(Finding("clock", False, f"this machine is {abs(skew):.0f} s {way} the server: the waits and "
                                "times on screen are wrong by that much",
                                "turn on time sync: timedatectl set-ntp true (and NTP= in "
                                "/etc/systemd/timesyncd.conf if the hall has its own NTP server)"))
    else:
        findings.append(Finding("clock", True, f"{skew:+.1f} s from the server's (Date header, ±1 s)"))
    return findings


def check_disk(path: Path, min_free_mb: float) -> Finding:
    try:
        usage = shutil.disk_usage(path)
    except OSError as exc:
        return Finding("disk", False, f"cannot read {path} ({exc.strerror or exc})", "give --disk an existing path")
    free_mb = usage.free / 2**20
    if free_mb < min_free_mb:
        return Finding("disk", False, f"{free_mb:.0f} MB free on {path} (under {min_free_mb:g} MB)",
                       "free space: journalctl --vacuum-size=100M, apt-get clean, old content files")
    return Finding("disk", True, f"{free_mb:.0f} MB free on {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="waitwell doctor", description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
