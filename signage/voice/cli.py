"""`waitwell voice`: check a voice bank, render one call as the screen speaks it."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from signage.voice.assemble import LANG_CHOICES, call_parts, clip_names
from signage.voice.bank import BankError, VoiceBank, check_bank, write_wav


__all__ = ["add_arguments", "run", "DEFAULT_BANK"]

DEFAULT_BANK = Path(__file__).resolve().parents[2] / "content" / "voice"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``check`` and ``say`` to ``parser``."""
    sub = parser.add_subparsers(dest="voice_command", required=True, metavar="ACTION")
    check = sub.add_parser("check", help="validate a voice bank (every prompt, one rate, equal loudness, trimmed)",
                           description="Validate a voice bank: every prompt of docs/voice.md present as 16-bit mono WAV, "
                                       "one sample rate, speech levels within 1 dB, silence trimmed. Exit 1 with one line per problem.")
    check.add_argument("bank", type=Path, metavar="DIR", help="the bank: DIR/zh/*.wav and DIR/en/*.wav")
    say = sub.add_parser("say", help="render one call to a WAV file, as the screen speaks it",
                         description="Render one call to a WAV file, as `waitwell display --voice` speaks it.")
    say.add_argument("label", metavar="LABEL", help="ticket, e.g. A023")
    say.add_argument("window", metavar="WINDOW", help="window, e.g. 3")
    say.add_argument("--recall", action="store_true", help="a recall: 再次呼叫 / Repeat call first")
    say.add_argument("--lang", choices=LANG_CHOICES, default="both", help="zh, en or both (default: both, Chinese first)")
    say.add_argument("--out", type=Path, required=True, metavar="FILE.wav", help="WAV file to write")
    say.add_argument("--bank", type=Path, default=DEFAULT_BANK, metavar="DIR", help="voice bank (default: the repository's content/voice)")


def run(args: argparse.Namespace) -> int:
    """Run ``waitwell voice``; return the exit code."""
    if args.voice_command == "check":
        problems = check_bank(args.bank)
        for problem in problems:
            print(f"waitwell voice check: {problem}", file=sys.stderr)
        if problems:
            print(f"waitwell voice check: {len(problems)} problem(s) in {args.bank}", file=sys.stderr)
            return 1
        print(f"{args.bank}: a complete voice bank")
        return 0
    try:
        bank = VoiceBank.load(args.bank)
    except BankError as exc:
        print(f"waitwell voice say: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    parts = call_parts(args.label, args.window, recall=args.recall, lang=args.lang)
    samples = bank.render(parts)
    took = time.perf_counter() - started
    try:
        write_wav(args.out, samples, bank.rate)
    except OSError as exc:
        print(f"waitwell voice say: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"{args.out}: {len(samples) / bank.rate:.2f} s, assembled in {took * 1000:.2f} ms: {' '.join(clip_names(parts))}")
    return 0
