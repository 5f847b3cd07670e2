"""The pure core must stay pure: stdlib only, no sockets, no disks, no frameworks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


SERVER = Path(__file__).resolve().parents[1] / "server"

SHELLS = {"__main__", "cli", "config_file", "demo", "listen"}
"""The modules at the root of server/ that do I/O: the commands, and reading the config file."""

FORBIDDEN = ("aiohttp", "pygame", "websockets", "yaml", "sqlite3")


def pure_modules() -> list[str]:
    """Every module at the root of server/ that is not a shell: the hall and its rules."""
    return sorted(f"server.{path.stem}" for path in SERVER.glob("*.py")
                  if path.stem not in SHELLS and path.stem != "__init__")


def test_the_pure_list_is_found_not_written_by_hand():
    """A new module at the root of server/ is pure unless it is named a shell here."""
    modules = pure_modules()
    assert "server.hall" in modules and "server.tickets" in modules and "server.wire" in modules
    assert all(f"server.{name}" not in modules for name in SHELLS)


def test_pure_modules_import_nothing_outside_the_standard_library():
    """Importing every pure module loads only the standard library (and not even sqlite3)."""
    code = (
        "import sys\n"
        f"for name in {pure_modules()!r}: __import__(name)\n"
        "tops = {m.split('.')[0] for m in sys.modules}\n"
        "outside = sorted(t for t in tops - set(sys.stdlib_module_names) - {'server', '__main__'}"
        " if not t.startswith('_'))\n"
        f"bad = sorted(set(outside) | {{m for m in {FORBIDDEN!r} if m in sys.modules}})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"pure modules pulled in: {out.stdout.strip()}"
