"""Language splitting rules (upstream comparisons are in test_en_golden.py)."""

from __future__ import annotations

import pytest

from tts.text.langsplit import split_by_language


def test_english_is_one_piece_and_double_spaces_collapse():
    assert split_by_language("Hello  world, 你好", "en") == [("en", "Hello world, 你好")]


def test_chinese_with_english_words_alternates():
    assert split_by_language("我用ChatGPT写了Python脚本。", "zh") == [
        ("zh", "我用"), ("en", "ChatGPT"), ("zh", "写了"), ("en", "Python"), ("zh", "脚本。")]


def test_marks_join_the_piece_before_them_and_leading_marks_the_first():
    assert split_by_language("“Hello”，大家好！OK.", "zh") == [("en", "“Hello”，"), ("zh", "大家好！"), ("en", "OK.")]


def test_spaces_apostrophes_and_digits_inside_english():
    assert split_by_language("我喜欢Taylor Swift's歌", "zh") == [("zh", "我喜欢"), ("en", "Taylor Swift's"), ("zh", "歌")]
    assert split_by_language("iPhone 15 Pro的价格", "zh") == [("en", "iPhone 15 Pro"), ("zh", "的价格")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GPT 4模型", [("en", "GPT 4"), ("zh", "模型")]),  # longer neighbour before
        ("用了GPT 4模型很好", [("zh", "用了"), ("en", "GPT 4"), ("zh", "模型很好")]),
        ("我有3个apple", [("zh", "我有3个"), ("en", "apple")]),  # same language on both sides
        ("OK，3点见", [("en", "OK，"), ("zh", "3点见")]),  # after a mark: the next piece's
        ("Hi 3，你好", [("en", "Hi 3，"), ("zh", "你好")]),  # before a mark: the previous one's
        ("2024年", [("zh", "2024年")]),
        ("100", [("zh", "100")]),
    ],
)
def test_digits_take_a_neighbours_language(text, expected):
    assert split_by_language(text, "zh") == expected


def test_auto_labels_and_all_zh():
    assert split_by_language("你好Hello", "auto") == [("zh", "你好"), ("en", "Hello")]
    assert split_by_language("こんにちは世界", "auto") == [("ja", "こんにちは世界")]
    assert split_by_language("Windows 11系统", "all_zh") == [("en", "Windows "), ("zh", "11系统")]


def test_symbol_runs_are_english_like_upstream_decides():
    assert split_by_language("你好😀Hello", "auto") == [("zh", "你好"), ("en", "😀Hello")]
    assert split_by_language("从北京→上海", "zh") == [("zh", "从北京"), ("en", "→"), ("zh", "上海")]


@pytest.mark.parametrize("text", ["我用ChatGPT写了一个Python脚本。", "“Hello”，大家好！OK.", "a 1 b 2 中 3 文", "...你好"])
def test_pieces_join_back_to_the_text(text):
    for language in ("zh", "auto"):
        assert "".join(t for _, t in split_by_language(text, language)) == text


def test_empty_and_unsupported():
    assert split_by_language("   ", "zh") == []
    with pytest.raises(ValueError, match="unsupported language 'fr'"):
        split_by_language("Bonjour", "fr")


def test_auto_skips_what_it_cannot_speak_and_says_so_beforehand(caplog):
    from tts.text import text_to_phones, unspoken_pieces

    text = "你好。こんにちは。今天很好。"
    assert unspoken_pieces(text, "auto") == [("ja", "こんにちは。")]
    assert unspoken_pieces(text, "zh") == [] and unspoken_pieces("你好。", "auto") == []
    phones = text_to_phones(text, language="auto")
    assert [p.language for p in phones.pieces] == ["zh", "zh"]
    assert [p.norm_text for p in phones.pieces] == ["你好.", "今天很好."]
    assert "text piece 'こんにちは。' was detected as 'ja'; only Chinese and English are spoken: skipped" in caplog.text
