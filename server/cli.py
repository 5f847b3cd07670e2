"""The ``waitwell`` command: serve, display, simulate, demo, voice."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

from .config_file import DEFAULT_CONFIG_PATH, load_config
from .errors import ConfigError
from .listen import ListenError, open_listeners, port_number


__all__ = ["main", "build_parser"]

# Subcommands that live in other packages: (module, help). Each module has
# add_arguments(parser) and run(args) -> int, imported only when used.
_PLUGGED = {
    "display": ("signage.cli", "run a lobby screen (pygame)"),
    "simulate": ("server.simulator.cli", "generate or push a simulated hall day"),
    "demo": ("server.demo", "run the sample hall: server, simulated day, a lobby screen"),
    "voice": ("signage.voice.cli", "check a voice bank, or render a spoken call to a WAV file"),
    "hq": ("server.hq.cli", "run head office for a chain of halls (PostgreSQL)"),
    "doctor": ("signage.doctor", "check a screen's machine: fonts, audio, display, server, clock, disk"),
    "adapt": ("server.adapters.cli", "forward a queue system's events (generic JSON, Qminder) to the hall"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="waitwell", description="WaitWell: queue displays and staff alerts.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="run the hall server", description="Run the hall server.")
    serve.add_argument("--config", type=Path, help="hall config YAML (default: the sample hall)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=port_number, default=8080, help="port (default 8080)")
    serve.add_argument("--data-dir", type=Path,
                       help="journal and tokens (default: the config's data_dir, relative to the config "
                            "file's folder; else ./var)")
    serve.add_argument("--queue-token", help="token the queue system must present")
    serve.add_argument("--staff-token", help="token staff tablets must present")
    serve.add_argument("--clock", choices=("wall", "event"), default="wall",
                       help="wall: hall time is the real clock; event: the largest 'at' seen (replays)")
    serve.add_argument("--hq", metavar="URL", help="head office to forward the journal to (waitwell hq; "
                                                    "else the config's hq.url)")
    serve.add_argument("--hall-id", help="this hall's id at head office (with --hq; else hq.hall_id, else hall.id)")
    serve.add_argument("--hq-token", help="token head office gave this hall (with --hq; else hq.token, else "
                                          "WAITWELL_HQ_TOKEN)")
    serve.add_argument("--keep-days", type=float,
                       help="days of journal to keep (default: the config's keep_days, else 90); with --hq, "
                            "never a record head office lacks")
    serve.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDR",
                       help="a reverse proxy in front (e.g. 127.0.0.1 for nginx on this box), repeatable: "
                            "requests from it count the client in X-Forwarded-For for the rate limits")
    serve.add_argument("--tls-cert", type=Path, metavar="FILE",
                       help="serve HTTPS and WSS with this PEM certificate (chain after it); with --tls-key")
    serve.add_argument("--tls-key", type=Path, metavar="FILE", help="the certificate's PEM private key")
    serve.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    for name, (module, help_text) in _PLUGGED.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        sub_parser.set_defaults(plugged_module=module)
        try:
            importlib.import_module(module).add_arguments(sub_parser)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise
            sub_parser.set_defaults(unavailable=f"'waitwell {name}' is not installed in this build")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if getattr(args, "unavailable", None):
        print(args.unavailable, file=sys.stderr)
        return 2
    module = importlib.import_module(args.plugged_module)
    return int(module.run(args))


def serve(args: Any) -> int:
    """Run the server until interrupted."""
    from aiohttp import web

    from signage.sd_notify import Notifier

    from .web.app import create_app
    from .web.forwarder import HQLink
    from .web.clients import parse_proxies
    from .web.systemd import systemd_notify
    from .web.tls import TLSError, server_context
    from .web.tokens import TOKENS_FILE, resolve_tokens

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"waitwell: {exc}", file=sys.stderr)
        return 2
    hq_url = args.hq or config.hq_url
    hall_id = args.hall_id or config.hq_hall_id or (config.id if config.hq_url else None)
    if hq_url and not hall_id:
        print("waitwell: --hq needs --hall-id (this hall's id at head office)", file=sys.stderr)
        return 2
    if (args.tls_cert is None) != (args.tls_key is None):
        print("waitwell: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    ssl_context = None
    if args.tls_cert is not None:
        try:
            ssl_context = server_context(args.tls_cert, args.tls_key)
        except TLSError as exc:
            print(f"waitwell: {exc}", file=sys.stderr)
            return 2
    keep_days = args.keep_days if args.keep_days is not None else config.keep_days
    if keep_days <= 0:
        print("waitwell: --keep-days must be a positive number of days", file=sys.stderr)
        return 2
    try:
        proxies = parse_proxies(args.trusted_proxy)
    except ValueError as exc:
        print(f"waitwell: {exc}", file=sys.stderr)
        return 2
    # Listen before touching the journal: a port we cannot have is the likeliest failure, and
    # it must be one line, not aiohttp's traceback from deep inside run_app.
    try:
        sockets = open_listeners(args.host, args.port)
    except ListenError as exc:
        print(f"waitwell: {exc}", file=sys.stderr)
        return 2
    port = sockets[0].getsockname()[1]
    # Printed and used absolute: the journal and tokens must not depend on where we were started.
    data_dir = (args.data_dir or Path(config.data_dir or "var")).resolve()
    try:
        tokens = resolve_tokens(config, data_dir, queue=args.queue_token, staff=args.staff_token)
        token = args.hq_token or config.hq_token or os.environ.get("WAITWELL_HQ_TOKEN")
        hq = HQLink(hq_url, hall_id, token) if hq_url and hall_id else None
        app = create_app(config, data_dir=data_dir, tokens=tokens, clock=args.clock, hq=hq, keep_days=keep_days,
                         trusted_proxies=proxies)
    except (OSError, sqlite3.Error) as exc:
        for sock in sockets:
            sock.close()
        print(f"waitwell: cannot use --data-dir {data_dir}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 2
    http, ws = ("https", "wss") if ssl_context is not None else ("http", "ws")
    base = f"{http}://{args.host}:{port}"
    # Tokens only to a person at a terminal: under systemd, stdout is the journal, which anyone
    # in group adm (or with a copy of the logs) can read.
    shown = sys.stdout.isatty()
    link = f"?token={tokens.staff}" if shown else ""
    print(f"WaitWell serving {config.name} / {config.name_en} ({args.clock} clock), data in {data_dir}")
    print(f"  hall config:   {(args.config or DEFAULT_CONFIG_PATH).resolve()}")
    for name in tokens.generated:
        kept = f"generated {name} token (kept in {data_dir / TOKENS_FILE})"
        print(f"  {kept}: {getattr(tokens, name)}" if shown else f"  {kept}, shown only on a terminal")
    print(f"  queue events:  {ws}://{args.host}:{port}/ws/queue   (queue token)")
    print(f"  lobby screens: {ws}://{args.host}:{port}/ws/display")
    print(f"  staff tablets: {base}/staff{link}")
    print(f"  manager:       {base}/manager{link}")
    if hq is not None:
        print(f"  head office:   {hq_url} as hall {hall_id}")
    sys.stdout.flush()
    app.cleanup_ctx.append(systemd_notify(Notifier.from_env()))
    web.run_app(app, sock=sockets, print=None, access_log=None, ssl_context=ssl_context)
    return 0


if __name__ == "__main__":
    sys.exit(main())
