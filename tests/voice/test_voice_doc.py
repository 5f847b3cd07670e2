"""docs/voice.md's recording script is the prompt list: a voice talent records what the bank needs."""

from __future__ import annotations

from pathlib import Path

from signage.tools.make_voice_bank import recording_script

DOC = Path(__file__).resolve().parents[2] / "docs" / "voice.md"


def test_the_doc_carries_the_recording_script_as_generated():
    assert recording_script() in DOC.read_text(encoding="utf-8")
