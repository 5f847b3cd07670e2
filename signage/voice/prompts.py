"""Every prompt of a voice bank: its file name, what a speaker says, and how it is used (pure).

This list is the bank's contract: the generator speaks it, ``waitwell voice check`` requires
it, docs/voice.md prints it for a voice talent, and a call is assembled only from these names.

Digits and letters come in the forms a hall reads them: inside a ticket number a digit is
read level (it continues: A 零 二 …), the last one falls (… 三). Letters are never last.
Window numbers 1–20 are whole words (halls rarely have more windows; a whole word sounds
natural); 21–99 are built from a tens word and a final digit; anything else digit by digit.
"""

from __future__ import annotations

import dataclasses
import string


__all__ = ["Prompt", "LANGS", "WHOLE_WINDOWS", "prompts", "prompt_names", "ZH_DIGITS", "EN_DIGITS"]

LANGS = ("zh", "en")
WHOLE_WINDOWS = 20
"""Window numbers up to this have a clip of their own."""

ZH_DIGITS = "零一二三四五六七八九"
EN_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_ZH_PINYIN_DIGITS = ("ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3")
_EN_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


@dataclasses.dataclass(frozen=True, slots=True)
class Prompt:
    """One clip of the bank."""

    lang: str
    name: str
    """File stem: ``content/voice/<lang>/<name>.wav``."""
    text: str
    """What to say, as a voice talent reads it (Hanzi for zh)."""
    note: str
    """How it is said or used (for the recording script)."""
    synth: str
    """Input of the generator's synthesizer (tone-numbered pinyin for zh, English otherwise)."""


def _zh_number(n: int) -> tuple[str, str]:
    """Hanzi and pinyin of 1..99 as a cardinal (十二, 二十)."""
    tens, units = divmod(n, 10)
    hanzi, pinyin = "", []
    if tens:
        if tens > 1:
            hanzi += ZH_DIGITS[tens]
            pinyin.append(_ZH_PINYIN_DIGITS[tens])
        hanzi += "十"
        pinyin.append("shi2")
    if units:
        hanzi += ZH_DIGITS[units]
        pinyin.append(_ZH_PINYIN_DIGITS[units])
    return hanzi, " ".join(pinyin)


def _en_number(n: int) -> str:
    """1..99 in English words (twenty-one)."""
    if n < 10:
        return EN_DIGITS[n]
    if n < 20:
        return _EN_TEENS[n - 10]
    tens, units = divmod(n, 10)
    return _EN_TENS[tens] + (f"-{EN_DIGITS[units]}" if units else "")


def _build() -> tuple[Prompt, ...]:
    out: list[Prompt] = []
    zh, en = out.append, out.append
    zh(Prompt("zh", "qing", "请", "opens every call: 请 A023 号到 3 号窗口办理", "qing3"))
    zh(Prompt("zh", "recall", "再次呼叫", "before a recall, a phrase of its own", "zai4 ci4 hu1 jiao4."))
    zh(Prompt("zh", "hao_dao", "号到", "after the ticket number: …三 号到 …", "hao4 dao4"))
    zh(Prompt("zh", "hao_chuangkou_banli", "号窗口办理", "after the window number, ends the call (falling)", "hao4 chuang1 kou3 ban4 li3."))
    for letter in string.ascii_uppercase:
        zh(Prompt("zh", f"letter_{letter.lower()}", letter, "the ticket's letter as halls read it (A = ei), level", f"{letter},"))
    for d in range(10):
        zh(Prompt("zh", f"digit_{d}", ZH_DIGITS[d], "inside a ticket number, level (continues)", _ZH_PINYIN_DIGITS[d] + ","))
        zh(Prompt("zh", f"digit_{d}_final", ZH_DIGITS[d], "last digit of a ticket number, falling", _ZH_PINYIN_DIGITS[d] + "."))
    for n in range(1, WHOLE_WINDOWS + 1):
        hanzi, pinyin = _zh_number(n)
        zh(Prompt("zh", f"window_{n}", hanzi, f"window {n}, before 号窗口办理", pinyin))
    for t in range(2, 10):
        hanzi, pinyin = _zh_number(t * 10)
        zh(Prompt("zh", f"tens_{t}", hanzi, f"window {t}0–{t}9: {hanzi}, then a final digit (二十一 = 二十 + 一)", pinyin + ","))
    en(Prompt("en", "ticket", "Ticket", "opens every call: Ticket A023, please go to window 3", "Ticket"))
    en(Prompt("en", "recall", "Repeat call", "before a recall, a phrase of its own", "Repeat call."))
    en(Prompt("en", "please_go_to_window", "please go to window", "after the ticket number", "please go to window"))
    for letter in string.ascii_uppercase:
        en(Prompt("en", f"letter_{letter.lower()}", letter, "the ticket's letter, level", f"{letter},"))
    for d in range(10):
        en(Prompt("en", f"digit_{d}", EN_DIGITS[d], "inside a ticket number, level (continues)", EN_DIGITS[d] + ","))
        en(Prompt("en", f"digit_{d}_final", EN_DIGITS[d], "last digit of a ticket number, falling", EN_DIGITS[d] + "."))
    for n in range(1, WHOLE_WINDOWS + 1):
        en(Prompt("en", f"window_{n}", _en_number(n), f"window {n}, ends the call (falling)", _en_number(n) + "."))
    for t in range(2, 10):
        en(Prompt("en", f"tens_{t}", _EN_TENS[t], f"window {t}0–{t}9: {_EN_TENS[t]}, then a final digit", _EN_TENS[t] + ","))
    return tuple(out)


_PROMPTS = _build()


def prompts(lang: str | None = None) -> tuple[Prompt, ...]:
    """Every prompt, or those of one language."""
    return tuple(p for p in _PROMPTS if lang is None or p.lang == lang)


def prompt_names(lang: str) -> frozenset[str]:
    """File stems a bank must hold for ``lang``."""
    return frozenset(p.name for p in prompts(lang))
