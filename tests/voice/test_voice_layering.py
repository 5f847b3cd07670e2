"""The voice rules are pure and the bank code is standard library only: no pygame, no server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MODULES = ["signage.voice", "signage.voice.prompts", "signage.voice.assemble", "signage.voice.speech", "signage.voice.bank"]


def test_voice_modules_load_only_the_standard_library():
    code = ("import sys\nbefore = set(sys.modules)\n" + "".join(f"import {m}\n" for m in MODULES)
            + "print('\\n'.join(sorted({m.split('.')[0] for m in set(sys.modules) - before})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    outside = [m for m in out.stdout.split() if m not in sys.stdlib_module_names and not m.startswith("_") and m != "signage"]
    assert outside == []
