"""A call as the clips and pauses it is spoken with (pure).

``call_parts("A023", "3", recall=False, lang="both")`` →
请 A 零 二 三(final) 号到 三 号窗口办理 … Ticket A zero two three(final) please go to window three,
with fixed pauses between them. Ticket numbers are read digit by digit, the way halls read
them (A023 → A 零 二 三, never 二十三); window numbers as cardinals (12 → 十二, twelve).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from signage.voice.prompts import WHOLE_WINDOWS


__all__ = ["Clip", "Pause", "Part", "LANG_CHOICES", "call_parts", "ticket_clips", "window_clips", "clip_names",
           "IN_NUMBER_MS", "PHRASE_MS", "RECALL_MS", "BETWEEN_LANGS_MS"]

# Fixed pauses. Inside a number the digits must stay one word to the ear (40–80 ms in the
# research's vendors); between phrases a breath; the two languages are two sentences.
IN_NUMBER_MS = 60
PHRASE_MS = 180
RECALL_MS = 350
BETWEEN_LANGS_MS = 700

LANG_CHOICES = ("zh", "en", "both")


@dataclasses.dataclass(frozen=True, slots=True)
class Clip:
    """One clip of the bank: ``<lang>/<name>.wav``."""

    lang: str
    name: str


@dataclasses.dataclass(frozen=True, slots=True)
class Pause:
    """Silence between clips."""

    ms: int


Part = Clip | Pause


def _readable(text: str) -> list[str]:
    """The letters and digits of ``text`` (upper case), the rest dropped: a bank says nothing else."""
    return [c for c in text.upper() if ("A" <= c <= "Z") or ("0" <= c <= "9")]


def _spell(chars: Sequence[str]) -> list[str]:
    """Clip names for characters read one by one; the last digit in its falling form."""
    names: list[str] = []
    for i, c in enumerate(chars):
        last = i == len(chars) - 1
        if c.isdigit():
            names.append(f"digit_{c}_final" if last else f"digit_{c}")
        else:
            names.append(f"letter_{c.lower()}")
    return names


def ticket_clips(label: str) -> list[str]:
    """Clip names of a ticket label, read character by character (A023 → A 零 二 三)."""
    return _spell(_readable(label))


def window_clips(window: str) -> list[str]:
    """Clip names of a window: 1–99 as a cardinal (12 → 十二), anything else spelled out."""
    w = window.strip()
    if w.isascii() and w.isdigit() and 1 <= int(w) <= 99:
        n = int(w)
        if n <= WHOLE_WINDOWS:
            return [f"window_{n}"]
        tens, units = divmod(n, 10)
        return [f"tens_{tens}"] + ([f"digit_{units}_final"] if units else [])
    return _spell(_readable(w))


def _number(lang: str, names: list[str]) -> list[Part]:
    parts: list[Part] = []
    for i, name in enumerate(names):
        if i:
            parts.append(Pause(IN_NUMBER_MS))
        parts.append(Clip(lang, name))
    return parts


def _one_language(lang: str, label: str, window: str, recall: bool) -> list[Part]:
    parts: list[Part] = []
    if recall:
        parts += [Clip(lang, "recall"), Pause(RECALL_MS)]
    ticket = _number(lang, ticket_clips(label))
    win = _number(lang, window_clips(window))
    if lang == "zh":
        parts += [Clip(lang, "qing"), Pause(IN_NUMBER_MS), *ticket, Pause(IN_NUMBER_MS), Clip(lang, "hao_dao"),
                  Pause(IN_NUMBER_MS), *win, Pause(IN_NUMBER_MS), Clip(lang, "hao_chuangkou_banli")]
    else:
        parts += [Clip(lang, "ticket"), Pause(PHRASE_MS // 2), *ticket, Pause(PHRASE_MS), Clip(lang, "please_go_to_window"),
                  Pause(IN_NUMBER_MS), *win]
    return parts


def call_parts(label: str, window: str, *, recall: bool = False, lang: str = "both") -> list[Part]:
    """The clips and pauses of one call: Chinese, then English when ``lang`` is "both"."""
    if lang not in LANG_CHOICES:
        raise ValueError(f"lang must be one of {', '.join(LANG_CHOICES)}, not {lang!r}")
    langs = ("zh", "en") if lang == "both" else (lang,)
    parts: list[Part] = []
    for i, one in enumerate(langs):
        if i:
            parts.append(Pause(BETWEEN_LANGS_MS))
        parts += _one_language(one, label, window, recall)
    return parts


def clip_names(parts: Sequence[Part]) -> list[str]:
    """``lang/name`` of each clip in ``parts``, in order (for logs and tests)."""
    return [f"{p.lang}/{p.name}" for p in parts if isinstance(p, Clip)]
