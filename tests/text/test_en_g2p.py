"""English g2p and normalization: offline, upstream's rules (goldens are in test_en_golden.py)."""

from __future__ import annotations

import sys

import pytest

from tts.text.en_normalize import normalize_english, number_words, ordinal_words
from tts.text.english import EnglishG2P, default_g2p, g2p_en
from tts.text.symbols import SYMBOLS_V2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I have $250 in my pocket.", "I have two hundred fifty dollars in my pocket."),
        ("It's 13:30 now", "It's one thirty p.m. now"),
        ("1. first item", "first, first item"),
        ("3/4 and 1/2 and 5/2", "three fourths and one half and five halves"),
        ("in 1987 and 2005 and 1900", "in nineteen eighty-seven and two thousand five and nineteen hundred"),
        ("it is -5 outside", "it isnegative five outside"),  # upstream eats the space
        ("pi is 3.14", "pi is three point one four"),
        ("10% of 1,000,000", "ten percent of one million"),
        ("e.g. OpenAI, i.e. GPT", "for example Open A I, that is G P T"),
        ("Wait... what?!", "Wait. what?"),
        ("a;b：c，d", "abcd"),  # upstream's ",;:" mapping never matches: the marks are dropped
        ("café", "cafe"),
    ],
)
def test_normalization_matches_upstream_rules(text, expected):
    assert normalize_english(text) == expected


def test_number_words_like_inflect():
    assert number_words(0) == "zero"
    assert number_words(101) == "one hundred and one"
    assert number_words(101, andword="") == "one hundred one"
    assert number_words(1001) == "one thousand and one"
    assert number_words(1234567) == "one million, two hundred and thirty-four thousand, five hundred and sixty-seven"
    assert ordinal_words("twenty-one") == "twenty-first" and ordinal_words("one hundred") == "one hundredth"
    assert number_words(10**40).startswith("one zero zero")  # inflect (upstream) raises here


def test_g2p_returns_v2_symbols_and_normalized_text():
    symbols, norm = g2p_en("Hello, JSON world!")
    assert norm == "Hello, J S O N world!"
    assert symbols[:5] == ["HH", "AH0", "L", "OW1", ","]
    assert set(symbols) <= set(SYMBOLS_V2)


def test_word_lookup_rules():
    g2p = default_g2p()
    assert g2p.lookup("chatgpt") == "CH AE1 T JH IY1 P IY1 T IY1".split()  # upstream's extra words
    assert g2p.lookup("ai") == ["EY1", "AY1"]  # removed from the dictionary: spelled out
    assert g2p.lookup("zero") == ["Z", "IY1", "R", "OW0"]  # CMUdict 0.7b reading, as upstream
    assert g2p.lookup("snarfblat's")[-1] == "S"  # possessive after a voiceless ending
    assert g2p.lookup("sunflowerseed") == g2p.lookup("sunflower") + g2p.lookup("seed")  # compound split
    # a capital "A" alone is "EY1"; homographs are read as for a noun ("NN": no tagger offline)
    assert g2p("A read") == ["EY1", "R", "EH1", "D"]


def test_unknown_words_are_predicted_offline():
    phones = default_g2p().lookup("zorblaxian")
    assert phones and set(phones) <= set(SYMBOLS_V2) | {"UW"}
    assert "g2p_en" not in sys.modules  # importing g2p_en would try to download NLTK data
    assert "inflect" not in sys.modules


def test_custom_dictionary():
    g2p = EnglishG2P({"hello": ["HH", "EH1", "L", "OW0"], "a": ["AH0"]})
    assert g2p("hello") == ["HH", "EH1", "L", "OW0"]


def test_money_with_stray_marks_is_read_not_a_crash():
    from tts.text import text_to_phones

    assert text_to_phones("I have ,00034£.", "en").norm_text == "I have thirty-four pounds."


def test_number_patterns_match_upstreams_in_linear_time():
    """Each pattern that may start inside a run of digits starts at the run's first character only:
    the same substitutions as upstream's patterns (compared on random text), without their cubic
    backtracking on long runs of digits."""
    import random
    import re

    from tts.text import en_normalize

    upstream = {"_POUNDS_AFTER_RE": r"([0-9.,]*[0-9]+)£", "_DOLLARS_AFTER_RE": r"([(0-9.,]*[0-9]+)\$",
                "_DECIMAL_RE": r"([0-9]+\.\s*[0-9]+)", "_FRACTION_RE": r"([0-9]+/[0-9]+)",
                "_ORDINAL_SUFFIX_RE": r"[0-9]+(st|nd|rd|th)"}
    rng = random.Random(5)
    alphabet = "0123456789.,(£$/ st"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 25)))
        for name, pattern in upstream.items():
            ours = getattr(en_normalize, name)
            assert ours.sub(r"<\g<0>>", text) == re.sub(pattern, r"<\g<0>>", text), (name, text)
    for text in ("I have " + "1" * 800 + " apples", "1" * 4000, "1," * 2000, "2" * 4400 + "km"):
        assert normalize_english(text).count("one") + normalize_english(text).count("two") >= 800
