"""`waitwell display --voice` speaks through the real pygame mixer: SDL's disk audio driver
records every sample the screen plays, and the calls are found there whole, in order."""

from __future__ import annotations

import array
import asyncio
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO / "bench") not in sys.path:
    sys.path.insert(0, str(REPO / "bench"))

from display_feed import FeedServer, sample_state  # noqa: E402

from signage.voice.assemble import call_parts  # noqa: E402
from signage.voice.bank import VoiceBank  # noqa: E402

TZ = timezone(timedelta(hours=8))


def wire_call(ticket: str, window: str, at: datetime, recall: bool = False) -> dict[str, object]:
    return {"ticket": ticket, "window": window, "called_at": at.isoformat(), "recall": recall, "service": "quick"}


def expected(bank: VoiceBank, ticket: str, window: str, recall: bool = False) -> bytes:
    """The chime, its pause and the English words of one call, as the speaker plays them."""
    from signage.display.chime import synthesize
    from signage.display.speaker import AFTER_CHIME_MS

    samples = synthesize(bank.rate)
    samples.frombytes(bytes(2 * (bank.rate * AFTER_CHIME_MS // 1000)))
    samples += bank.render(call_parts(ticket, window, recall=recall, lang="en"))
    assert sys.byteorder == "little"  # SDL's disk driver writes the device's native S16
    return samples.tobytes()


async def wait_for(raw: Path, pieces: list[bytes], proc: asyncio.subprocess.Process, timeout: float = 90.0) -> list[int]:
    """Offsets of ``pieces`` in the recorded audio once all are there."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        data = raw.read_bytes() if raw.exists() else b""
        found = [data.find(p) for p in pieces]
        if all(i >= 0 for i in found):
            return found
        if proc.returncode is not None or loop.time() > end:
            raise AssertionError(f"not all calls were played (found at {found}; screen exit {proc.returncode})")
        await asyncio.sleep(0.25)


@pytest.mark.skipif(sys.byteorder != "little", reason="the expected bytes are little-endian")
async def test_the_speaking_screen_plays_each_call_whole_in_order_and_skips_stale_ones(tmp_path: Path):
    bank = VoiceBank.load(REPO / "content" / "voice")
    t0 = datetime(2026, 11, 30, 10, 15, 2, tzinfo=TZ)
    srv = FeedServer()
    port = await srv.start()
    # Newest first, as on the wire: A001 and A002 called together, B100 five minutes ago.
    srv.send(sample_state(1, t0, [wire_call("A002", "15", t0), wire_call("A001", "3", t0), wire_call("B100", "7", t0 - timedelta(minutes=5))]))
    raw = tmp_path / "audio.raw"
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="disk", SDL_DISKAUDIOFILE=str(raw), PYGAME_HIDE_SUPPORT_PROMPT="1")
    log = open(tmp_path / "screen.log", "wb")  # noqa: SIM115 - closed below
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "signage", "--server", f"ws://127.0.0.1:{port}", "--windowed", "--size", "640x360",
        "--voice", "--voice-lang", "en", cwd=REPO, env=env, stdout=log, stderr=log)
    try:
        a001, a002 = expected(bank, "A001", "3"), expected(bank, "A002", "15")
        first, second = await wait_for(raw, [a001, a002], proc)
        assert first + len(a001) <= second  # one after the other, the first whole before the second starts
        # A recall a little later is spoken again, after the calls before it.
        later = t0 + timedelta(seconds=12)
        srv.send(sample_state(2, later, [wire_call("A001", "3", later, recall=True), wire_call("A002", "15", t0),
                                          wire_call("A001", "3", t0), wire_call("B100", "7", t0 - timedelta(minutes=5))]))
        recall = expected(bank, "A001", "3", recall=True)
        (third,) = await wait_for(raw, [recall], proc)
        assert third >= second + len(a002)
        data = raw.read_bytes()
        assert data.find(expected(bank, "B100", "7")) == -1  # stale when the screen got it: never spoken
        assert data.count(a001) == 1 and data.count(a002) == 1  # every state repeats the calls: spoken once
    finally:
        proc.terminate()
        await proc.wait()
        log.close()
        await srv.stop()
    spoken = [line for line in (tmp_path / "screen.log").read_text().splitlines() if "speaker: speaking " in line]
    assert [line.split("speaker: speaking ")[1].split(":")[0] for line in spoken] == [
        "A001 at window 3", "A002 at window 15", "recall of A001 at window 3"]


def test_display_voice_with_a_broken_bank_is_one_line_and_exit_2(tmp_path: Path, capsys):
    from signage.cli import main

    assert main(["--voice", "--voice-bank", str(tmp_path), "--server", "ws://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("waitwell display: --voice: voice bank ") and "missing" in err


def test_a_speaking_screen_leaves_the_chime_to_the_speaker():
    """The banner's chime would ring over the previous call's words: the speaker rings it before each call."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    import pygame

    from signage.content_files import load_content
    from signage.display.app import Screen
    from signage.display.speaker import Speaker
    from signage.state import parse_state

    class CountingChime:
        played = 0

        def play(self) -> None:
            self.played += 1

    pygame.display.init()
    pygame.font.init()
    try:
        content = load_content(REPO / "content")
        t0 = datetime(2026, 11, 30, 10, 15, 2, tzinfo=TZ)
        state = parse_state(sample_state(1, t0, [wire_call("A001", "3", t0)]))
        chimes = []
        for speaker in (None, Speaker(VoiceBank.load(REPO / "content" / "voice"), lang="zh")):
            chime = CountingChime()
            screen = Screen(pygame.Surface((640, 360)), content, font_dir=REPO / "content" / "fonts", chime=chime, speaker=speaker)  # type: ignore[arg-type]
            screen.receive_state(state, True, 0.0)
            screen.frame(0.0, t0)
            screen.speak(0.0, t0)
            chimes.append(chime.played)
            if speaker is not None:
                assert [u.call.ticket for u in speaker.queue.spoken] == ["A001"]
                assert len(speaker.samples(state.calls[0])) > len(speaker.chime) > 0
        assert chimes == [1, 0]
    finally:
        pygame.mixer.quit()
        pygame.display.quit()
