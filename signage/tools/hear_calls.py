"""Transcribe rendered calls with an offline recogniser, to judge the bank's intelligibility.

    python -m signage.tools.measure_voice --out calls/
    python -m signage.tools.hear_calls MODEL_DIR calls/*-zh.wav calls/*-en.wav

Needs faster-whisper (not a WaitWell dependency) and a CTranslate2 Whisper model folder
(docs/voice.md says which one was used). A file named ``*-zh.wav`` is transcribed as
Chinese, ``*-en.wav`` as English, then once more with the language detected.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    from faster_whisper import WhisperModel  # type: ignore[import-not-found,unused-ignore]

    model = WhisperModel(args[0], device="cpu", compute_type="int8", cpu_threads=1)
    print("| call | heard (language forced) | heard (language detected) |")
    print("|---|---|---|")
    for name in args[1:]:
        path = Path(name)
        lang = path.stem.rsplit("-", 1)[-1]
        forced, _ = model.transcribe(str(path), language=lang if lang in ("zh", "en") else None, beam_size=5)
        detected, info = model.transcribe(str(path), beam_size=5)
        heard = "".join(s.text for s in forced).strip()
        auto = "".join(s.text for s in detected).strip()
        print(f"| {path.stem} | {heard[:80]} | ({info.language}) {auto[:80]} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
