"""``waitwell hq``: head office for a chain of halls (plugged into server/cli.py)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..listen import ListenError, open_listeners, port_number
from ..web.tokens import write_private


__all__ = ["add_arguments", "run"]

TOKEN_FILE = "hq-token.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="HQ.yaml: head office's token, the halls' tokens, names, regions")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=8090, help="port (default 8090)")
    parser.add_argument("--data-dir", type=Path, default=Path("var/hq"),
                        help="the embedded PostgreSQL and the generated token (default ./var/hq)")
    parser.add_argument("--db", help="PostgreSQL DSN of the chain's own server (default: an embedded one in the data dir)")
    parser.add_argument("--token", help="token every hall and the board may use (else WAITWELL_HQ_TOKEN, HQ.yaml, "
                                        "or generated once and kept in the data dir)")
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")


def _token(args: Any, configured: str | None, data_dir: Path) -> tuple[str, bool]:
    given = args.token or os.environ.get("WAITWELL_HQ_TOKEN") or configured
    if given:
        return given, False
    path = data_dir / TOKEN_FILE
    if path.exists():
        return str(json.loads(path.read_text(encoding="utf-8"))["token"]), False
    token = secrets.token_urlsafe(18)
    write_private(path, json.dumps({"token": token}).encode())
    return token, True


def run(args: Any) -> int:
    from aiohttp import web

    from .app import create_hq_app
    from .settings import load_settings

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"waitwell hq: {exc}", file=sys.stderr)
        return 2
    try:
        sockets = open_listeners(args.host, args.port)
    except ListenError as exc:
        print(f"waitwell hq: {exc}", file=sys.stderr)
        return 2
    port = sockets[0].getsockname()[1]
    data_dir = args.data_dir.resolve()
    try:
        token, generated = _token(args, settings.token, data_dir)
    except OSError as exc:
        print(f"waitwell hq: cannot use --data-dir {data_dir}: {exc.strerror}", file=sys.stderr)
        return 2
    app = create_hq_app(settings, token=token, data_dir=data_dir, dsn=args.db)
    print(f"WaitWell head office on http://{args.host}:{port}, data in {data_dir}, "
          f"{'PostgreSQL at ' + args.db if args.db else 'embedded PostgreSQL'}")
    if generated:
        # Only to a person at a terminal: under systemd stdout is the journal, readable by group adm.
        kept = f"generated token (kept in {data_dir / TOKEN_FILE})"
        print(f"  {kept}: {token}" if sys.stdout.isatty() else f"  {kept}, shown only on a terminal")
    print(f"  halls:  waitwell serve ... --hq http://{args.host}:{port} --hall-id ID --hq-token TOKEN")
    sys.stdout.flush()
    import psycopg

    from .pg import PostgresError

    try:
        web.run_app(app, sock=sockets, print=None, access_log=None)
    except (PostgresError, psycopg.OperationalError) as exc:
        print(f"waitwell hq: cannot use PostgreSQL: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}",
              file=sys.stderr)
        return 1
    return 0
