"""`waitwell display`: command-line entry of the lobby screen."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit


__all__ = ["add_arguments", "run", "main", "DEFAULT_CONTENT"]

DEFAULT_CONTENT = Path(__file__).resolve().parents[1] / "content"


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not m or int(m[1]) < 160 or int(m[2]) < 120:
        raise argparse.ArgumentTypeError(f"expected WxH such as 1920x1080, got {text!r}")
    return int(m[1]), int(m[2])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of `waitwell display` to ``parser``."""
    parser.add_argument("--server", default="ws://127.0.0.1:8080", help="feed, ws://HOST:PORT[/ws/display][?token=…] (default %(default)s)")
    parser.add_argument("--screen", default="0", metavar="NAME", help="attached display to use: its SDL index (default 0)")
    parser.add_argument("--size", type=_size, metavar="WxH", help="window size, e.g. 1920x1080 or 1080x1920 (portrait)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--windowed", dest="fullscreen", action="store_false", help="run in a window")
    mode.add_argument("--fullscreen", dest="fullscreen", action="store_true", help="run fullscreen (default)")
    parser.set_defaults(fullscreen=True)
    parser.add_argument("--content", type=Path, default=DEFAULT_CONTENT, metavar="DIR", help="content directory (default: the repository's content/)")
    parser.add_argument("--screenshot", type=Path, metavar="FILE.png", help="render headless once the first state arrived (or after 5 s), write the PNG, exit")
    parser.add_argument("--trace", type=Path, metavar="FILE", help="append 'seq monotonic_time' per display.state presented")
    parser.add_argument("--voice", action="store_true", help="speak the calls after the chime (one screen per hall; the others stay silent)")
    parser.add_argument("--voice-bank", type=Path, metavar="DIR", help="voice bank for --voice (default: the content directory's voice/)")
    parser.add_argument("--voice-lang", choices=("zh", "en", "both"), default="both", help="languages spoken with --voice (default: both, Chinese first)")
    parser.add_argument("--voice-max-age", type=float, metavar="SECONDS", help="a call not spoken within this of being made is not spoken (default 45)")
    parser.add_argument("--token", default=os.environ.get("WAITWELL_DISPLAY_TOKEN"), help=argparse.SUPPRESS)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def _feed_url(url: str) -> str:
    """``url`` when a display feed could live there; ValueError naming what is wrong otherwise."""
    parts = urlsplit(url)  # raises ValueError for a malformed IPv6 host
    if parts.scheme not in ("ws", "wss"):
        raise ValueError(f"the scheme must be ws or wss, not {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError("no host")
    _ = parts.port  # raises ValueError for a port outside 0-65535 or not a number
    return url


def run(args: argparse.Namespace) -> int:
    """Run the lobby screen with parsed ``args``; return the exit code."""
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.screenshot is not None:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ["SDL_AUDIODRIVER"] = "dummy"
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    from signage.content_files import load_content
    from signage.errors import ContentError
    from signage.feed import normalize_url

    try:
        load_content(args.content)
    except ContentError as exc:
        print(f"waitwell display: {exc} (content directory {args.content})", file=sys.stderr)
        return 2
    try:
        url = _feed_url(normalize_url(args.server, args.token))
    except ValueError as exc:
        # Unreachable servers are retried forever (a screen must come back by itself); a URL no
        # server could ever answer is bad input and would otherwise be retried forever too.
        print(f"waitwell display: --server {args.server!r}: {exc}; expected ws://HOST:PORT", file=sys.stderr)
        return 2
    voice = None
    if getattr(args, "voice", False):
        from signage.voice.bank import BankError, VoiceBank

        bank_dir = args.voice_bank or args.content / "voice"
        try:
            voice = VoiceBank.load(bank_dir)
        except BankError as exc:
            print(f"waitwell display: --voice: {exc}", file=sys.stderr)
            return 2
    from signage.display.app import DisplayApp

    try:
        index = int(args.screen)
    except ValueError:
        logging.getLogger(__name__).warning("--screen %r is not a display index; using 0", args.screen)
        index = 0
    trace = open(args.trace, "a", encoding="utf-8") if args.trace else None  # noqa: SIM115 - closed below
    try:
        app = DisplayApp(
            url=url,
            content_dir=args.content,
            size=args.size,
            fullscreen=args.fullscreen,
            display_index=index,
            trace=trace,
            screenshot=args.screenshot,
            voice=voice,
            voice_lang=getattr(args, "voice_lang", "both"),
            voice_max_age_s=getattr(args, "voice_max_age", None),
        )
        try:
            return asyncio.run(app.run())
        except KeyboardInterrupt:
            return 0
    finally:
        if trace is not None:
            trace.close()


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run (``python -m signage``)."""
    parser = argparse.ArgumentParser(prog="waitwell display", description="The WaitWell lobby screen.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
