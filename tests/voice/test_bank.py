"""The voice bank: the committed one is complete and uniform; the checker names what is wrong."""

from __future__ import annotations

import array
import re
import shutil
from pathlib import Path

import pytest

from signage.voice.assemble import call_parts
from signage.voice.bank import (
    BankError, VoiceBank, check_bank, edge_silence_s, read_wav, speech_level_db, write_wav)
from signage.voice.prompts import prompts

BANK = Path(__file__).resolve().parents[2] / "content" / "voice"


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    """A copy of the committed bank to break."""
    shutil.copytree(BANK, tmp_path / "voice")
    return tmp_path / "voice"


def test_the_committed_bank_passes_the_check():
    assert check_bank(BANK) == []


def test_the_committed_bank_holds_every_prompt_and_nothing_else():
    on_disk = sorted(str(p.relative_to(BANK)) for p in BANK.glob("*/*.wav"))
    assert on_disk == sorted(f"{p.lang}/{p.name}.wav" for p in prompts())


def test_a_missing_prompt_is_named(bank: Path):
    (bank / "zh" / "hao_dao.wav").unlink()
    problems = check_bank(bank)
    assert [(p.path, p.message.split(" ")[0]) for p in problems] == [(bank / "zh" / "hao_dao.wav", "missing")]


def test_a_clip_at_another_rate_is_named(bank: Path):
    path = bank / "en" / "window_7.wav"
    samples, _ = read_wav(path)
    write_wav(path, samples, 16000)
    problems = check_bank(bank)
    assert len(problems) == 1 and problems[0].path == path and "16000 Hz" in problems[0].message and "22050 Hz" in problems[0].message


def _scaled(path: Path, db: float) -> None:
    samples, rate = read_wav(path)
    gain = 10 ** (db / 20)
    write_wav(path, array.array("h", (int(s * gain) for s in samples)), rate)


def test_a_clip_louder_or_quieter_by_more_than_1_db_is_named(bank: Path):
    _scaled(bank / "zh" / "qing.wav", 1.5)
    _scaled(bank / "en" / "ticket.wav", -1.5)
    _scaled(bank / "en" / "letter_q.wav", 0.8)  # within the tolerance
    problems = check_bank(bank)
    assert sorted(p.path.name for p in problems) == ["qing.wav", "ticket.wav"]
    assert all("dB from the bank's median" in p.message for p in problems)


def test_untrimmed_silence_is_named(bank: Path):
    path = bank / "en" / "digit_4.wav"
    samples, rate = read_wav(path)
    write_wav(path, array.array("h", bytes(2 * rate // 5)) + samples, rate)  # 200 ms of silence in front
    problems = check_bank(bank)
    assert len(problems) == 1 and problems[0].path == path and "silence not trimmed" in problems[0].message
    assert re.search(r"\b2[0-2]0 ms before", problems[0].message)


def test_a_stereo_clip_or_a_file_that_is_not_a_wav_is_named(bank: Path):
    import wave

    stereo = bank / "zh" / "digit_1.wav"
    with wave.open(str(stereo), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(bytes(4000))
    (bank / "zh" / "digit_2.wav").write_bytes(b"ID3 an mp3 renamed")
    problems = {p.path.name: p.message for p in check_bank(bank)}
    assert set(problems) == {"digit_1.wav", "digit_2.wav"}
    assert "16-bit mono" in problems["digit_1.wav"] and "not a PCM WAV" in problems["digit_2.wav"]


def test_loading_a_broken_bank_says_what_is_wrong(bank: Path):
    (bank / "en" / "recall.wav").unlink()
    with pytest.raises(BankError, match=r"en/recall\.wav: missing"):
        VoiceBank.load(bank)


def test_a_rendered_call_is_its_clips_and_pauses_end_to_end():
    voice = VoiceBank.load(BANK)
    parts = call_parts("A023", "3")
    samples = voice.render(parts)
    assert len(samples) / voice.rate == pytest.approx(voice.length_s(parts))
    first, _ = read_wav(BANK / "zh" / "qing.wav")
    assert samples[:len(first)] == first
    lead, tail = edge_silence_s(samples, voice.rate)
    assert lead < 0.05 and tail < 0.05
    assert speech_level_db(samples, voice.rate) == pytest.approx(-20.0, abs=1.0)
