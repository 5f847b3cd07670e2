"""`waitwell voice check` and `waitwell voice say`, through the waitwell command."""

from __future__ import annotations

import shutil
from pathlib import Path

from server.cli import main
from signage.voice.assemble import call_parts
from signage.voice.bank import VoiceBank, read_wav

BANK = Path(__file__).resolve().parents[2] / "content" / "voice"


def test_check_passes_the_committed_bank(capsys):
    assert main(["voice", "check", str(BANK)]) == 0
    assert "a complete voice bank" in capsys.readouterr().out


def test_check_fails_with_one_line_per_problem_naming_the_file(tmp_path: Path, capsys):
    bank = tmp_path / "voice"
    shutil.copytree(BANK, bank)
    (bank / "zh" / "qing.wav").unlink()
    (bank / "en" / "ticket.wav").write_bytes(b"not audio")
    assert main(["voice", "check", str(bank)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"waitwell voice check: {bank / 'en' / 'ticket.wav'}: not a PCM WAV file (file does not start with RIFF id)"
    assert err[1].startswith(f"waitwell voice check: {bank / 'zh' / 'qing.wav'}: missing")
    assert err[2] == f"waitwell voice check: 2 problem(s) in {bank}"


def test_say_writes_the_call_as_the_screen_speaks_it(tmp_path: Path, capsys):
    out = tmp_path / "call.wav"
    assert main(["voice", "say", "A023", "3", "--recall", "--lang", "both", "--out", str(out)]) == 0
    samples, rate = read_wav(out)
    bank = VoiceBank.load(BANK)
    assert rate == bank.rate
    assert samples == bank.render(call_parts("A023", "3", recall=True, lang="both"))
    assert "zh/recall zh/qing zh/letter_a" in capsys.readouterr().out


def test_say_in_one_language_is_shorter(tmp_path: Path):
    lengths = {}
    for lang in ("zh", "en", "both"):
        assert main(["voice", "say", "B117", "12", "--lang", lang, "--out", str(tmp_path / f"{lang}.wav")]) == 0
        samples, rate = read_wav(tmp_path / f"{lang}.wav")
        lengths[lang] = len(samples) / rate
    assert lengths["zh"] + lengths["en"] < lengths["both"] < lengths["zh"] + lengths["en"] + 1.0


def test_say_with_a_broken_bank_is_one_line_and_exit_2(tmp_path: Path, capsys):
    assert main(["voice", "say", "A1", "1", "--bank", str(tmp_path), "--out", str(tmp_path / "x.wav")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("waitwell voice say: voice bank ") and "missing" in err
