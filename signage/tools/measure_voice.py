"""Measure the voice bank and its calls: size, time to assemble a call, each call's length.

    python -m signage.tools.measure_voice [--bank content/voice] [--out DIR]

With ``--out``, writes each sample call as a WAV there too (for a listener or a recogniser).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from signage.voice.assemble import call_parts
from signage.voice.bank import VoiceBank, write_wav
from signage.voice.cli import DEFAULT_BANK
from signage.voice.prompts import LANGS

SAMPLES = (("A023", "3", False), ("B117", "12", False), ("C005", "8", True), ("A100", "21", False), ("D468", "9", False), ("E735", "16", False))
REPEAT = 200


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bank", type=Path, default=DEFAULT_BANK)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    bank = VoiceBank.load(args.bank)
    load_s = time.perf_counter() - started
    for lang in LANGS:
        files = sorted((args.bank / lang).glob("*.wav"))
        size = sum(f.stat().st_size for f in files)
        audio = sum(len(bank.clips[f"{lang}/{f.stem}"]) for f in files) / bank.rate
        print(f"bank {lang}: {len(files)} clips, {size:,} bytes, {audio:.1f} s of audio at {bank.rate} Hz")
    print(f"load and check the bank: {load_s:.2f} s")
    print("| call | lang | length (s) | assemble + render (ms, median of %d) |" % REPEAT)
    print("|---|---|---|---|")
    for label, window, recall in SAMPLES:
        for lang in ("zh", "en", "both"):
            times = []
            for _ in range(REPEAT):
                t = time.perf_counter()
                samples = bank.render(call_parts(label, window, recall=recall, lang=lang))
                times.append(time.perf_counter() - t)
            name = f"{'recall ' if recall else ''}{label} → {window}"
            print(f"| {name} | {lang} | {len(samples) / bank.rate:.2f} | {statistics.median(times) * 1000:.2f} |")
            if args.out is not None:
                args.out.mkdir(parents=True, exist_ok=True)
                write_wav(args.out / f"{label}-{window}{'-recall' if recall else ''}-{lang}.wav", samples, bank.rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
