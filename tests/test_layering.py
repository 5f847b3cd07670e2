"""The pure core must stay pure: no aiohttp, no pygame, no sockets."""

from __future__ import annotations

import subprocess
import sys


PURE_MODULES = ["server.events", "server.hall", "server.alerts", "server.estimate", "server.wire",
                "server.errors"]


def test_pure_modules_import_no_io_frameworks():
    """Importing the hall's pure modules loads neither aiohttp nor pygame nor websockets."""
    code = (
        "import sys\n"
        f"for name in {PURE_MODULES!r}: __import__(name)\n"
        "bad = [m for m in ('aiohttp', 'pygame', 'websockets', 'sqlite3') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"pure modules pulled in: {out.stdout.strip()}"
