"""``waitwell simulate``: realistic hall days as queue-event streams.

Wiring: ``add_arguments(parser)`` fills a (sub)parser, ``run(args)`` does the work and returns
the exit code (0 ok, 1 some events rejected by the server, 2 usage error or push aborted).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
from typing import Any

from ..config_file import load_config
from ..errors import ConfigError
from .day import Day, simulate_day, simulate_days, summarize
from .push import PushAborted, push_events, write_jsonl
from .scenarios import SCENARIOS, Hall, Service, Window, get_scenario, hall_for, sample_hall

__all__ = ["add_arguments", "run", "main", "load_hall"]


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _positive_float(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not x > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return x


def _positive_int(value: str) -> int:
    try:
        x = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
    if x < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return x


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``simulate`` options to ``parser``."""
    parser.add_argument("--scenario", default="normal",
                        choices=[*SCENARIOS, "calendar"],
                        help="kind of day (calendar: by date: month end/start, weekend quiet, "
                             "else normal; default normal)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--date", type=_date, default=None,
                        help="first business day, YYYY-MM-DD (default: per scenario)")
    parser.add_argument("--days", type=_positive_int, default=1,
                        help="consecutive days of the same hall, each starting with hall.reset")
    parser.add_argument("--windows", type=_positive_int, default=None,
                        help="number of windows in the hall (counter plan scaled to it)")
    parser.add_argument("--config", default=None, metavar="HALL.yaml",
                        help="hall config (services, windows, timezone) instead of the sample hall")
    parser.add_argument("--out", default=None, metavar="FILE.jsonl",
                        help="write events as JSONL ('-' = stdout; default stdout unless --push)")
    parser.add_argument("--truth", default=None, metavar="FILE.json",
                        help="write the truth per ticket (issued/called/ended, window, status)")
    parser.add_argument("--stats", action="store_true",
                        help="print realised volumes and waits per day to stderr")
    parser.add_argument("--push", default=None, metavar="ws://HOST:PORT/ws/queue",
                        help="push events to a hall server's queue feed")
    parser.add_argument("--token", default=None,
                        help="queue token for --push (default $WAITWELL_QUEUE_TOKEN)")
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=_positive_float, default=None, metavar="X",
                      help="push on the hall clock, X times faster than real time (default 1)")
    pace.add_argument("--as-fast-as-acks", action="store_true",
                      help="push the next event as soon as the previous one is acked")
    parser.add_argument("--ack-timeout", type=_positive_float, default=30.0, metavar="S",
                        help="reconnect when an ack takes longer than S seconds (default 30)")


def load_hall(path: str, n_windows: int | None = None) -> Hall:
    """The Hall of a hall config file: its services (prefix, mean_service_s, cv), windows and timezone.

    The file is read and checked by the server's own reader, so the simulated hall is exactly
    the hall a server started with the same file runs.

    Raises:
        ConfigError: the file is wrong (one line naming file and line), or has no services or windows.
    """
    config = load_config(path)
    services = tuple(Service(s.id, s.prefix, s.mean_service_s, s.cv if s.cv is not None else 0.4)
                     for s in config.services)
    if not services:
        raise ConfigError(f"{path}: no services — a simulated day needs at least one")
    windows = [Window(w.id, w.services) for w in config.windows]
    if not windows:
        raise ConfigError(f"{path}: no windows — a simulated day needs at least one")
    if n_windows is not None:
        ids = {w.id for w in windows}
        k = 1
        while len(windows) < n_windows:
            while str(k) in ids:
                k += 1
            windows.append(Window(str(k)))
            ids.add(str(k))
        windows = windows[:n_windows]
    return Hall(id=config.id, services=services, windows=tuple(windows), timezone=config.timezone)


def _build_days(args: argparse.Namespace) -> list[Day]:
    hall: Hall | None = None
    if args.config:
        hall = load_hall(args.config, args.windows)
    elif args.windows is not None:
        # the scenario's own catalogue (the sample hall for calendar days), at that size
        hall = sample_hall(args.windows) if args.scenario == "calendar" else hall_for(args.scenario, args.windows)
    if args.scenario == "calendar":
        start = args.date or dt.date(2026, 11, 1)
        return simulate_days(start, args.days, args.seed, None, hall=hall)
    sc = get_scenario(args.scenario)
    scale = len(hall.windows) / sc.windows if hall is not None else None
    if args.days == 1:
        return [simulate_day(sc, args.seed, args.date, hall=hall, plan_scale=scale)]
    start = args.date or dt.date(2026, 11, 2)
    return simulate_days(start, args.days, args.seed, sc, hall=hall, plan_scale=scale)


def _write_json(path: str, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as fp:
        json.dump(obj, fp, ensure_ascii=False)
        fp.write("\n")


def run(args: argparse.Namespace) -> int:
    """Run ``waitwell simulate`` with parsed ``args``; returns the exit code."""
    try:
        days = _build_days(args)
    except (OSError, ValueError, KeyError, ConfigError) as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 2
    events = [ev for d in days for ev in d.events]

    if args.truth:
        truth = days[0].truth() if len(days) == 1 else {"days": [d.truth() for d in days]}
        _write_json(args.truth, truth)
    if args.stats:
        for d in days:
            print(json.dumps(summarize(d), ensure_ascii=False), file=sys.stderr)
    if args.out == "-" or (args.out is None and args.push is None):
        write_jsonl(events, sys.stdout)
        sys.stdout.flush()
    elif args.out:
        with open(args.out, "w", encoding="utf-8") as fp:
            write_jsonl(events, fp)

    if args.push is None:
        return 0
    token = args.token or os.environ.get("WAITWELL_QUEUE_TOKEN") or None
    speed = args.speed
    if not args.as_fast_as_acks and speed is None:
        speed = 1.0
        print("simulate: pushing in real time (use --speed X or --as-fast-as-acks to go faster)",
              file=sys.stderr)
    try:
        result = asyncio.run(push_events(events, args.push, token, speed=speed,
                                         as_fast_as_acks=args.as_fast_as_acks,
                                         ack_timeout=args.ack_timeout))
    except PushAborted as exc:
        print(f"simulate: push aborted: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("simulate: interrupted", file=sys.stderr)
        return 130
    print(f"simulate: pushed {len(events)} events ({result.sent} frames, {result.duplicates} "
          f"duplicates, {len(result.errors)} rejected, {result.reconnects} reconnects)",
          file=sys.stderr)
    return 1 if result.errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="waitwell simulate",
                                     description="Simulate service-hall days as queue events.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
