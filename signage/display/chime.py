"""The call chime: a two-tone bell synthesized at start-up, silent without an audio device."""

from __future__ import annotations

import array
import logging
import math

import pygame


__all__ = ["Chime", "synthesize"]

log = logging.getLogger(__name__)

RATE = 22050


def synthesize(rate: int = RATE) -> array.array[int]:
    """Return 16-bit mono samples of a soft "ding-dong" (E5 then C5, bell-like decay)."""
    samples = array.array("h")
    for freq, dur in ((659.25, 0.55), (523.25, 0.9)):
        n = int(rate * dur)
        for i in range(n):
            t = i / rate
            env = math.exp(-3.2 * t) * min(1.0, i / (0.01 * rate))
            v = math.sin(2 * math.pi * freq * t) + 0.35 * math.sin(4 * math.pi * freq * t) + 0.12 * math.sin(6 * math.pi * freq * t)
            samples.append(int(9000 * env * v))
    return samples


class Chime:
    """Play the chime; when the mixer cannot start, log once and stay silent."""

    def __init__(self, enabled: bool = True) -> None:
        self.sound: pygame.mixer.Sound | None = None
        self.enabled = enabled
        self.played = 0
        if not enabled:
            return
        try:
            if not pygame.mixer.get_init():
                pygame.mixer.init(frequency=RATE, size=-16, channels=1)
            mixer = pygame.mixer.get_init()
            if mixer is None:
                raise pygame.error("the mixer did not start")
            freq, _size, channels = mixer
            mono = synthesize(freq)
            if channels > 1:
                data = array.array("h", (s for s in mono for _ in range(channels)))
            else:
                data = mono
            self.sound = pygame.mixer.Sound(buffer=data.tobytes())
        except (pygame.error, OSError) as exc:
            log.warning("no audio device, the chime is silent: %s", exc)
            self.sound = None

    def play(self) -> None:
        """Start the chime (non-blocking)."""
        self.played += 1
        if self.sound is not None and self.enabled:
            self.sound.play()
