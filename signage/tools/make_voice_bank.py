"""Generate the voice bank content/voice/{zh,en}/ with espeak-ng (a stand-in for a recorded bank).

    apt-get install espeak-ng          # Debian 12: espeak-ng 1.51
    python -m signage.tools.make_voice_bank [--out content/voice]

Chinese uses espeak-ng's ``cmn-latn-pinyin`` voice fed tone-numbered pinyin (written next to
each prompt in signage/voice/prompts.py): 1.51 reads Hanzi through its English voice
(espeak-ng issue #1236). English uses ``en-gb``: with ``en-us`` an offline recogniser
(Whisper base) heard "window three" as "don't free" and "Ticket" as "take it" (docs/voice.md). Each clip is trimmed to its speech, given
5 ms fades and scaled to one speech level, with the measures ``waitwell voice check`` uses.
Only needed to rebuild the bank; the product plays the committed WAVs.
"""

from __future__ import annotations

import argparse
import array
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from signage.voice.bank import FRAME_S, GATE_DB, PEAK_LIMIT, peak, read_wav, speech_level_db, write_wav
from signage.voice.prompts import Prompt, prompts


ROOT = Path(__file__).resolve().parents[2]
VOICES = {"zh": "cmn-latn-pinyin", "en": "en-gb"}
# Words per minute: a little under espeak's 175, which runs the digits together.
SPEED = {"zh": 160, "en": 160}
# espeak-ng's Mandarin ignores the clause's punctuation (a "," and a "." give the same audio),
# so the falling, last-digit form is spoken lower and slower, as a phrase end is.
ZH_FINAL = ["-p", "40", "-s", "135"]
TARGET_DB = -20.0
"""Speech level of every clip (dBFS): leaves ~8 dB of headroom to the loudest espeak peaks."""
MARGIN_S = 0.010
FADE_S = 0.005


def synthesize(prompt: Prompt, work: Path) -> tuple[array.array[int], int]:
    """The raw espeak-ng rendering of one prompt."""
    out = work / f"{prompt.lang}-{prompt.name}.wav"
    extra = ZH_FINAL if prompt.lang == "zh" and prompt.name.endswith("_final") else []
    subprocess.run(["espeak-ng", "-v", VOICES[prompt.lang], "-s", str(SPEED[prompt.lang]), *extra, "-w", str(out), prompt.synth],
                   check=True, capture_output=True)
    return read_wav(out)


def trim(samples: array.array[int], rate: int) -> array.array[int]:
    """Cut the silence around the speech (keeping MARGIN_S) and fade both ends in FADE_S."""
    n = max(1, int(rate * FRAME_S))
    energies = [sum(s * s for s in samples[i:i + n]) / len(samples[i:i + n]) for i in range(0, len(samples), n)]
    floor = max(energies) * 10 ** (-GATE_DB / 10)
    voiced = [i for i, e in enumerate(energies) if e >= floor]
    margin = int(rate * MARGIN_S)
    start = max(0, voiced[0] * n - margin)
    end = min(len(samples), (voiced[-1] + 1) * n + margin)
    cut = array.array("h", samples[start:end])
    fade = int(rate * FADE_S)
    for i in range(min(fade, len(cut) // 2)):
        g = i / fade
        cut[i] = int(cut[i] * g)
        cut[-1 - i] = int(cut[-1 - i] * g)
    return cut


def scale(samples: array.array[int], rate: int, target_db: float) -> array.array[int]:
    """``samples`` at speech level ``target_db``; ValueError if that would clip."""
    gain = 10 ** ((target_db - speech_level_db(samples, rate)) / 20)
    if peak(samples) * gain >= PEAK_LIMIT:
        raise ValueError(f"a gain of {20 * math.log10(gain):+.1f} dB would clip")
    return array.array("h", (int(round(s * gain)) for s in samples))


def recording_script() -> str:
    """Every prompt as a Markdown table: the file, what to say, how."""
    rows = ["| file | say | how |", "|---|---|---|"]
    rows += [f"| `{p.lang}/{p.name}.wav` | {p.text} | {p.note} |" for p in prompts()]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "content" / "voice")
    parser.add_argument("--script", action="store_true", help="print the recording script (docs/voice.md's table) and exit")
    args = parser.parse_args(argv)
    if args.script:
        print(recording_script())
        return 0
    if shutil.which("espeak-ng") is None:
        print("make_voice_bank: espeak-ng is not installed (apt-get install espeak-ng)", file=sys.stderr)
        return 2
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for prompt in prompts():
            samples, rate = synthesize(prompt, Path(tmp))
            clip = scale(trim(samples, rate), rate, TARGET_DB)
            path = args.out / prompt.lang / f"{prompt.name}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_wav(path, clip, rate)
            total += path.stat().st_size
    print(f"{len(prompts())} clips, {total:,} bytes in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
