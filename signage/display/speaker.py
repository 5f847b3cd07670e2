"""The hall's speaker: each call's chime then its words through pygame.mixer, in the voice queue's order.

One screen per hall speaks (``waitwell display --voice``); the others stay silent, or the
calls would echo from every screen a little apart. What is said and when is decided by the
pure parts (signage.voice.assemble, signage.voice.speech); this module only plays it.

The speaker rings the chime itself, as the first part of each call: a chime rung when a call
reaches the banner would ring over the words of the call before it.
"""

from __future__ import annotations

import array
import io
import logging
from collections.abc import Sequence
from datetime import datetime

import pygame

from signage.state import Call
from signage.voice.assemble import call_parts, clip_names
from signage.voice.bank import VoiceBank, write_wav
from signage.display.chime import synthesize
from signage.voice.speech import MAX_AGE_S, Utterance, VoiceQueue


__all__ = ["Speaker", "AFTER_CHIME_MS"]

AFTER_CHIME_MS = 300

log = logging.getLogger(__name__)


class Speaker:
    """Speak calls from a voice bank; silent (but still keeping order) without an audio device."""

    def __init__(self, bank: VoiceBank, *, lang: str = "both", max_age_s: float = MAX_AGE_S, chime: bool = True) -> None:
        self.bank = bank
        self.lang = lang
        self.chime = array.array("h")
        if chime:
            self.chime = synthesize(bank.rate)
            self.chime.frombytes(bytes(2 * (bank.rate * AFTER_CHIME_MS // 1000)))
        self.queue = VoiceQueue(self._length_s, max_age_s=max_age_s)
        self.channel: pygame.mixer.Channel | None = None
        try:
            if not pygame.mixer.get_init():
                pygame.mixer.init(frequency=bank.rate, size=-16, channels=1)
            # A channel of its own: the chime plays on another and never cuts a call short.
            pygame.mixer.set_reserved(1)
            self.channel = pygame.mixer.Channel(0)
        except (pygame.error, OSError) as exc:
            log.warning("no audio device, calls are not spoken: %s", exc)

    def _length_s(self, call: Call) -> float:
        parts = call_parts(call.ticket, call.window, recall=call.recall, lang=self.lang)
        return (len(self.chime) / self.bank.rate) + self.bank.length_s(parts)

    def hear(self, calls: Sequence[Call], now: datetime) -> None:
        """Take the calls of a new display.state, at hall time ``now``."""
        self.queue.add(calls, now)

    def samples(self, call: Call) -> array.array[int]:
        """What is played for ``call``: the chime, a pause, the words (at the bank's rate)."""
        return self.chime + self.bank.render(call_parts(call.ticket, call.window, recall=call.recall, lang=self.lang))

    def tick(self, now: datetime) -> Utterance | None:
        """Start the call that is due at hall time ``now``, if any; return it."""
        utterance = self.queue.due(now)
        if utterance is None:
            return None
        call = utterance.call
        parts = call_parts(call.ticket, call.window, recall=call.recall, lang=self.lang)
        log.info("speaking %s%s at window %s: %s", "recall of " if call.recall else "", call.ticket, call.window, " ".join(clip_names(parts)))
        if self.channel is not None:
            sound = self._sound(self.samples(call))
            if self.channel.get_busy():
                # The device runs a little behind the hall's clock: queue, never cut a call short.
                self.channel.queue(sound)
            else:
                self.channel.play(sound)
        return utterance

    def _sound(self, samples: array.array[int]) -> pygame.mixer.Sound:
        # Through a WAV file in memory: SDL converts the bank's rate to whatever the mixer runs at.
        buf = io.BytesIO()
        write_wav(buf, samples, self.bank.rate)
        buf.seek(0)
        return pygame.mixer.Sound(file=buf)

    def next_due(self, now: datetime) -> datetime | None:
        """When the next call may start (the frame loop wakes then), or None."""
        return self.queue.next_due(now)
