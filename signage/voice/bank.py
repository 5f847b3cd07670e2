"""A voice bank on disk: WAV clips read, checked and rendered into calls (standard library only).

A bank is ``<dir>/zh/<name>.wav`` and ``<dir>/en/<name>.wav`` for every prompt of
:mod:`signage.voice.prompts`: PCM 16-bit mono, one sample rate, silence trimmed, equal
loudness. The measures here (speech level, edge silence) are the ones the generator
normalises to and ``waitwell voice check`` holds a bank to, so they cannot disagree.
"""

from __future__ import annotations

import array
import dataclasses
import math
import sys
import wave
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from signage.voice.assemble import Clip, Part, Pause
from signage.voice.prompts import LANGS, prompt_names


__all__ = ["BankError", "Problem", "VoiceBank", "check_bank", "read_wav", "write_wav", "speech_level_db", "edge_silence_s",
           "peak", "LOUDNESS_TOLERANCE_DB", "MAX_EDGE_SILENCE_S", "FRAME_S", "GATE_DB"]

FRAME_S = 0.010
GATE_DB = 30.0
"""A frame is silence when it is this much quieter than the clip's loudest frame."""
LOUDNESS_TOLERANCE_DB = 1.0
"""Every clip's speech level within this of the bank's median: no word jumps out of a call."""
MAX_EDGE_SILENCE_S = 0.050
"""Silence allowed before and after the speech of a clip: the call's pauses are the assembler's, not the clips'."""
PEAK_LIMIT = 32700
"""A sample at or over this is treated as clipped."""


class BankError(Exception):
    """A bank that cannot be used; the message names the file."""


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a bank, about one file (or the bank as a whole when ``path`` is None)."""

    path: Path | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path is not None else self.message


def read_wav(path: Path) -> tuple[array.array[int], int]:
    """Samples and rate of a 16-bit mono PCM WAV; BankError naming the file otherwise."""
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            data = w.readframes(n)
    except (wave.Error, EOFError) as exc:
        raise BankError(f"{path}: not a PCM WAV file ({exc})") from exc
    except OSError as exc:
        raise BankError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if width != 2 or channels != 1:
        raise BankError(f"{path}: {channels} channel(s) of {8 * width}-bit samples; a bank clip is 16-bit mono")
    samples = array.array("h")
    samples.frombytes(data)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples, rate


def write_wav(path: Path | BinaryIO, samples: array.array[int], rate: int) -> None:
    """Write 16-bit mono PCM to a file (or a file object)."""
    out = samples
    if sys.byteorder == "big":
        out = array.array("h", samples)
        out.byteswap()
    with wave.open(str(path) if isinstance(path, Path) else path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(out.tobytes())


def _frame_energies(samples: Sequence[int], rate: int) -> list[float]:
    n = max(1, int(rate * FRAME_S))
    return [sum(s * s for s in samples[i:i + n]) / len(samples[i:i + n]) for i in range(0, len(samples), n)]


def _db(energy: float) -> float:
    return 10 * math.log10(energy / (32768.0 ** 2)) if energy > 0 else -math.inf


def speech_level_db(samples: Sequence[int], rate: int) -> float:
    """Mean power (dBFS) of the frames that are speech, i.e. within GATE_DB of the loudest frame."""
    energies = _frame_energies(samples, rate)
    top = max(energies, default=0.0)
    if top <= 0:
        return -math.inf
    floor = top * 10 ** (-GATE_DB / 10)
    voiced = [e for e in energies if e >= floor]
    return _db(sum(voiced) / len(voiced))


def edge_silence_s(samples: Sequence[int], rate: int) -> tuple[float, float]:
    """Seconds of silence (frames GATE_DB under the loudest) before and after the speech."""
    energies = _frame_energies(samples, rate)
    top = max(energies, default=0.0)
    if top <= 0:
        return (len(samples) / rate, 0.0)
    floor = top * 10 ** (-GATE_DB / 10)
    first = next(i for i, e in enumerate(energies) if e >= floor)
    last = max(i for i, e in enumerate(energies) if e >= floor)
    return (first * FRAME_S, (len(energies) - 1 - last) * FRAME_S)


def peak(samples: Sequence[int]) -> int:
    """Largest absolute sample."""
    return max((abs(s) for s in samples), default=0)


def _clip_path(root: Path, lang: str, name: str) -> Path:
    return root / lang / f"{name}.wav"


def check_bank(root: Path) -> list[Problem]:
    """Everything wrong with the bank in ``root``; empty when it can be used as it is."""
    if not root.is_dir():
        return [Problem(root, "not a directory")]
    problems: list[Problem] = []
    levels: dict[Path, float] = {}
    rates: dict[Path, int] = {}
    for lang in LANGS:
        for name in sorted(prompt_names(lang)):
            path = _clip_path(root, lang, name)
            if not path.is_file():
                problems.append(Problem(path, "missing (see docs/voice.md for what it says)"))
                continue
            try:
                samples, rate = read_wav(path)
            except BankError as exc:
                problems.append(Problem(path, str(exc).removeprefix(f"{path}: ")))
                continue
            rates[path] = rate
            if not samples or peak(samples) == 0:
                problems.append(Problem(path, "silent"))
                continue
            lead, tail = edge_silence_s(samples, rate)
            if lead > MAX_EDGE_SILENCE_S or tail > MAX_EDGE_SILENCE_S:
                problems.append(Problem(path, f"silence not trimmed: {lead * 1000:.0f} ms before the speech, {tail * 1000:.0f} ms after "
                                              f"(at most {MAX_EDGE_SILENCE_S * 1000:.0f} ms each)"))
            if peak(samples) >= PEAK_LIMIT:
                problems.append(Problem(path, "clipped (samples at full scale)"))
            levels[path] = speech_level_db(samples, rate)
    if rates:
        common = max(set(rates.values()), key=lambda r: (list(rates.values()).count(r), r))
        for path, rate in rates.items():
            if rate != common:
                problems.append(Problem(path, f"sample rate {rate} Hz; the bank's other clips are {common} Hz (one rate for all)"))
    if levels:
        ordered = sorted(levels.values())
        median = ordered[len(ordered) // 2]
        for path, level in levels.items():
            if abs(level - median) > LOUDNESS_TOLERANCE_DB:
                problems.append(Problem(path, f"speech level {level:.1f} dBFS, {level - median:+.1f} dB from the bank's median "
                                              f"{median:.1f} dBFS (at most ±{LOUDNESS_TOLERANCE_DB:.0f} dB)"))
    problems.sort(key=lambda p: str(p.path))
    return problems


class VoiceBank:
    """The clips of a bank, in memory, and the calls rendered from them."""

    def __init__(self, clips: dict[str, array.array[int]], rate: int) -> None:
        self.clips = clips
        self.rate = rate

    @classmethod
    def load(cls, root: Path) -> VoiceBank:
        """Load a bank that passes :func:`check_bank`; BankError listing its problems otherwise."""
        problems = check_bank(root)
        if problems:
            shown = "; ".join(str(p) for p in problems[:5])
            more = f" (and {len(problems) - 5} more; run `waitwell voice check {root}`)" if len(problems) > 5 else ""
            raise BankError(f"voice bank {root}: {shown}{more}")
        clips: dict[str, array.array[int]] = {}
        rate = 0
        for lang in LANGS:
            for name in prompt_names(lang):
                clips[f"{lang}/{name}"], rate = read_wav(_clip_path(root, lang, name))
        return cls(clips, rate)

    def render(self, parts: Iterable[Part]) -> array.array[int]:
        """The samples of ``parts`` one after the other (KeyError for a clip the bank lacks)."""
        out = array.array("h")
        for part in parts:
            if isinstance(part, Clip):
                out.extend(self.clips[f"{part.lang}/{part.name}"])
            elif isinstance(part, Pause):
                out.frombytes(bytes(2 * (self.rate * part.ms // 1000)))
        return out

    def length_s(self, parts: Iterable[Part]) -> float:
        """Seconds ``parts`` last when rendered."""
        n = 0
        for part in parts:
            n += len(self.clips[f"{part.lang}/{part.name}"]) if isinstance(part, Clip) else self.rate * part.ms // 1000
        return n / self.rate
