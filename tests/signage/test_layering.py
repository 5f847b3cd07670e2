"""signage's layering: the pure modules import nothing but the standard library; signage never imports server."""

from __future__ import annotations

import subprocess
import sys

from lobby_helpers import REPO


PURE = ["signage", "signage.state", "signage.calls", "signage.view", "signage.playlist", "signage.content", "signage.feed", "signage.errors", "signage.cli",
        "signage.fields", "signage.schedule", "signage.content_files"]


def test_pure_modules_import_neither_pygame_nor_aiohttp():
    """Importing the pure core (and the CLI module) loads neither pygame nor aiohttp."""
    code = "import sys\n" + "".join(f"import {m}\n" for m in PURE) + "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygame', 'aiohttp')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


RULES = ["signage.errors", "signage.fields", "signage.schedule", "signage.playlist", "signage.content", "signage.state",
         "signage.calls", "signage.view"]
"""The lobby's rules: the server's /display content imports some of them, so they must stay pure."""


def _loaded_after_importing(modules: list[str]) -> list[str]:
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + "print('\\n'.join(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_the_rules_need_only_the_standard_library():
    """The pure rule modules load no third-party package (no PyYAML, pygame, segno, websockets)."""
    at_start = set(_loaded_after_importing([]))  # the interpreter's own (site, the editable install's finder)
    loaded = [m for m in _loaded_after_importing(RULES) if m not in at_start]
    # _sysconfigdata_* is the standard library's build data (sysconfig), not in stdlib_module_names.
    stdlib = [m for m in loaded if m in sys.stdlib_module_names or m.startswith("_sysconfigdata")]
    assert sorted(set(loaded) - set(stdlib)) == ["signage"]


def test_no_signage_module_imports_the_server():
    """signage reaches the server only through the wire: importing every signage module loads no server module."""
    import pkgutil

    import signage

    modules = [m.name for m in pkgutil.walk_packages(signage.__path__, "signage.") if m.name != "signage.__main__"]
    assert "signage.display.app" in modules and "signage.content_files" in modules
    assert "server" not in _loaded_after_importing(modules)
