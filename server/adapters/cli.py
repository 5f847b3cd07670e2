"""``waitwell adapt KIND``: one process per queue system, forwarding its events to the hall server."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..listen import ListenError, open_listeners, port_number
from .config_file import KINDS


__all__ = ["add_arguments", "run"]


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), port_number(port)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=KINDS, help="the queue system")
    parser.add_argument("--config", type=Path, required=True, help="ADAPTER.yaml (see docs/adapters.md)")
    parser.add_argument("--server", required=True, metavar="URL", help="the hall server, e.g. http://127.0.0.1:8080")
    parser.add_argument("--queue-token", help="the server's queue token (else WAITWELL_QUEUE_TOKEN)")
    parser.add_argument("--listen", type=_listen, default=("127.0.0.1", 8091), metavar="HOST:PORT",
                        help="where the queue system POSTs, and GET /healthz (default 127.0.0.1:8091)")
    parser.add_argument("--spool", type=Path, help="file holding events while the server is down "
                        "(default var/adapt-KIND.spool.jsonl)")
    parser.add_argument("--retry-seconds", type=float, default=1.0, help="how often a spool is resent (default 1)")
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")


def run(args: Any) -> int:
    from aiohttp import web

    from signage.sd_notify import Notifier

    from ..web.systemd import systemd_notify
    from .config_file import load_adapter_config
    from .shell import Forwarder, create_adapter_app, default_spool
    from .spool import Spool

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    token = args.queue_token or os.environ.get("WAITWELL_QUEUE_TOKEN")
    if not token:
        print("waitwell adapt: --queue-token (or WAITWELL_QUEUE_TOKEN) is needed", file=sys.stderr)
        return 2
    try:
        config = load_adapter_config(args.kind, args.config)
    except ConfigError as exc:
        print(f"waitwell adapt: {exc}", file=sys.stderr)
        return 2
    host, port = args.listen
    try:
        sockets = open_listeners(host, port)
    except ListenError as exc:
        print(f"waitwell adapt: {exc}", file=sys.stderr)
        return 2
    spool = Spool((args.spool or default_spool(args.kind)).resolve())
    forwarder = Forwarder(args.server, token, spool, retry_s=args.retry_seconds)
    app = create_adapter_app(args.kind, config, forwarder)
    bound = sockets[0].getsockname()[1]
    hub = getattr(config, "hub_url", None)
    source = f"hub {hub}" if hub else f"POST to http://{host}:{bound}/"
    print(f"WaitWell adapter {args.kind}: {source} -> {args.server} "
          f"(spool {spool.path}, {len(spool)} waiting)")
    sys.stdout.flush()
    # Under systemd: ready once listening, and a watchdog ping from the loop that answers the
    # source (a hung loop leaves the queue system's webhooks unanswered: systemd restarts it).
    app.cleanup_ctx.append(systemd_notify(Notifier.from_env()))
    web.run_app(app, sock=sockets, print=None, access_log=None)
    return 0
