"""Chinese text normalization: split into sentences, then read numbers, dates, units... as words.

Order of the rewrite steps and every pattern follow GPT-SoVITS' zh normalizer, including its
quirks (see README "known differences": none intended here).
"""

from __future__ import annotations

import re
import string

from . import chronology, numbers, phonecode, units
from .char_convert import traditional_to_simplified

_FULLWIDTH_TO_ASCII = str.maketrans(
    {chr(ord(c) + 0xFEE0): c for c in string.ascii_letters + string.digits} | {"\u3000": " "}
)
_SENTENCE_END = re.compile(r"([：、，；。？！,;?!][”’]?)")
_DROP_BEFORE_SPLIT = re.compile(r"[——《》【】<>{}()（）#&@“”^_|\\]")
_DROP_AFTER = re.compile(r"[-——《》【】<=>{}()（）#&@“”^_|\\]")
_CIRCLED = {c: d for c, d in zip("①②③④⑤⑥⑦⑧⑨⑩", "一二三四五六七八九十")}
# Greek letters (lower and upper case where upstream reads both), then arithmetic signs.
_GREEK = (
    ("α", "阿尔法"), ("β", "贝塔"), ("γΓ", "伽玛"), ("δΔ", "德尔塔"), ("ε", "艾普西龙"), ("ζ", "捷塔"),
    ("η", "依塔"), ("θΘ", "西塔"), ("ι", "艾欧塔"), ("κ", "喀帕"), ("λΛ", "拉姆达"), ("μ", "缪"),
    ("ν", "拗"), ("ξΞ", "克西"), ("ο", "欧米克伦"), ("πΠ", "派"), ("ρ", "肉"), ("ςΣσ", "西格玛"),
    ("τ", "套"), ("υ", "宇普西龙"), ("φΦ", "服艾"), ("χ", "器"), ("ψΨ", "普赛"), ("ωΩ", "欧米伽"),
    ("+", "加"), ("-", "减"), ("×", "乘"), ("÷", "除"), ("=", "等"),
)


def split_sentences(text: str) -> list[str]:
    """Drop spaces and bracket-like symbols, then split after sentence punctuation."""
    text = _DROP_BEFORE_SPLIT.sub("", text.replace(" ", ""))
    text = _SENTENCE_END.sub(r"\1\n", text).strip()
    return [s.strip() for s in re.split(r"\n+", text)]


def _post_replace(sentence: str) -> str:
    sentence = sentence.replace("/", "每")
    for circled, word in _CIRCLED.items():
        sentence = sentence.replace(circled, word)
    for chars, word in _GREEK:
        for c in chars:
            sentence = sentence.replace(c, word)
    return _DROP_AFTER.sub("", sentence)


def normalize_sentence(sentence: str) -> str:
    """Rewrite one sentence so that numbers, dates, times, units... are Chinese words."""
    sentence = traditional_to_simplified(sentence).translate(_FULLWIDTH_TO_ASCII)
    sentence = chronology.RE_DATE.sub(chronology.sub_date, sentence)
    sentence = chronology.RE_DATE_NUMERIC.sub(chronology.sub_numeric_date, sentence)
    sentence = chronology.RE_TIME_RANGE.sub(chronology.sub_time, sentence)
    sentence = chronology.RE_TIME.sub(chronology.sub_time, sentence)
    sentence = numbers.RE_UNIT_RANGE.sub(numbers.sub_unit_range, sentence)
    sentence = units.RE_TEMPERATURE.sub(units.sub_temperature, sentence)
    sentence = units.replace_units(sentence)
    while numbers.RE_ARITHMETIC.search(sentence):
        sentence = numbers.RE_ARITHMETIC.sub(numbers.sub_arithmetic, sentence)
    sentence = numbers.RE_POWER.sub(numbers.sub_power, sentence)
    sentence = numbers.RE_FRACTION.sub(numbers.sub_fraction, sentence)
    sentence = numbers.RE_PERCENT.sub(numbers.sub_percent, sentence)
    sentence = phonecode.RE_MOBILE.sub(phonecode.sub_mobile, sentence)
    sentence = phonecode.RE_LANDLINE.sub(phonecode.sub_landline, sentence)
    sentence = phonecode.RE_SERVICE_NUMBER.sub(phonecode.sub_landline, sentence)
    sentence = numbers.RE_RANGE.sub(numbers.sub_range, sentence)
    sentence = numbers.RE_NEGATIVE_INT.sub(numbers.sub_negative_int, sentence)
    sentence = numbers.RE_VERSION.sub(numbers.sub_version, sentence)
    sentence = numbers.RE_DECIMAL.sub(numbers.sub_number, sentence)
    sentence = numbers.RE_QUANTITY.sub(numbers.sub_quantity, sentence)
    sentence = numbers.RE_LONG_DIGITS.sub(numbers.sub_long_digits, sentence)
    sentence = numbers.RE_NUMBER.sub(numbers.sub_number, sentence)
    return _post_replace(sentence)


def normalize_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences and normalize each."""
    return [normalize_sentence(s) for s in split_sentences(text)]
