"""A call as clips: the words in order, numbers read the way halls read them."""

from __future__ import annotations

import pytest

from signage.voice.assemble import BETWEEN_LANGS_MS, Clip, Pause, call_parts, clip_names, ticket_clips, window_clips
from signage.voice.prompts import prompt_names


def test_the_chinese_call_reads_the_ticket_digit_by_digit_and_the_window_as_a_number():
    """请 A023 号到 3 号窗口办理: A 零 二 三, the last digit in its falling form."""
    assert clip_names(call_parts("A023", "3", lang="zh")) == [
        "zh/qing", "zh/letter_a", "zh/digit_0", "zh/digit_2", "zh/digit_3_final", "zh/hao_dao", "zh/window_3", "zh/hao_chuangkou_banli"]


def test_the_english_call():
    """Ticket A023, please go to window 3."""
    assert clip_names(call_parts("A023", "3", lang="en")) == [
        "en/ticket", "en/letter_a", "en/digit_0", "en/digit_2", "en/digit_3_final", "en/please_go_to_window", "en/window_3"]


def test_both_is_chinese_then_english_with_a_pause_between():
    parts = call_parts("B117", "12")
    names = clip_names(parts)
    assert names == clip_names(call_parts("B117", "12", lang="zh")) + clip_names(call_parts("B117", "12", lang="en"))
    split = len(call_parts("B117", "12", lang="zh"))
    assert parts[split] == Pause(BETWEEN_LANGS_MS)


def test_a_recall_says_repeat_call_first_in_each_language():
    """再次呼叫 / "Repeat call" before the call."""
    names = clip_names(call_parts("A023", "3", recall=True))
    assert names[0] == "zh/recall" and names[1] == "zh/qing"
    assert names[names.index("en/ticket") - 1] == "en/recall"
    assert "zh/recall" not in clip_names(call_parts("A023", "3"))


@pytest.mark.parametrize(("window", "clips"), [
    ("1", ["window_1"]), ("12", ["window_12"]), ("20", ["window_20"]),
    ("21", ["tens_2", "digit_1_final"]), ("30", ["tens_3"]), ("99", ["tens_9", "digit_9_final"]),
    ("100", ["digit_1", "digit_0", "digit_0_final"]), ("3A", ["digit_3", "letter_a"]), (" 7 ", ["window_7"]),
])
def test_window_numbers_are_cardinals_up_to_99_and_spelled_beyond(window, clips):
    """Window 12 → 十二 (one clip); 21 → 二十 + 一; what is not 1–99 is spelled out."""
    assert window_clips(window) == clips


def test_ticket_labels_read_letters_and_digits_only():
    """Lower case is read as upper; separators are not said."""
    assert ticket_clips("a-105") == ["letter_a", "digit_1", "digit_0", "digit_5_final"]
    assert ticket_clips("VIP1") == ["letter_v", "letter_i", "letter_p", "digit_1_final"]


@pytest.mark.parametrize("label", ["A000", "Z999", "AB12", "C1", "X-07"])
@pytest.mark.parametrize("window", ["1", "9", "15", "20", "47", "60", "123", "B2"])
def test_every_clip_a_call_uses_is_a_prompt_of_the_bank(label, window):
    """Assembly and the prompt list cannot drift apart: a call never needs a clip a bank lacks."""
    for part in call_parts(label, window, recall=True):
        if isinstance(part, Clip):
            assert part.name in prompt_names(part.lang)


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="zh, en, both"):
        call_parts("A1", "1", lang="fr")
