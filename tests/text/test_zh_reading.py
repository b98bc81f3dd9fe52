"""Chinese readings of numbers, money, dates, units and symbols (tts.text.zh_normalization.spoken):
every rule's examples, a hand-reviewed table of sentences, and the frontend keeping every reading."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tts.text import text_to_phones
from tts.text.zh_normalization.spoken import RULES, is_chinese_sentence, read_aloud, read_sentence

TABLE = [line.rstrip("\n").split("\t") for line in
         (Path(__file__).parent / "data" / "zh_reading_cases.tsv").read_text(encoding="utf-8").splitlines()
         if line and not line.startswith("#")]
CATEGORIES = {"negative", "decimal", "temperature", "fraction", "percent", "money", "date", "time", "range", "phone",
              "unit", "ordinal", "score", "version", "email", "url", "fullwidth", "measure", "number", "math",
              "symbol", "decision", "alone"}


def test_the_table_covers_every_category():
    assert len(TABLE) >= 200
    assert {row[0] for row in TABLE} == CATEGORIES
    assert all(len(row) == 4 for row in TABLE)
    assert sum(1 for c, _, text, expected in TABLE if c == "alone" and text == expected) >= 10


@pytest.mark.parametrize("rule, given, expected", [(r.name, given, expected) for r in RULES
                                                   for given, expected in r.examples])
def test_rule_examples(rule, given, expected):
    assert read_sentence(given) == expected


@pytest.mark.parametrize("category, language, given, expected", TABLE, ids=[f"{r[0]}-{r[2][:10]}" for r in TABLE])
def test_reading(category, language, given, expected):
    assert read_aloud(given, language) == expected


def _cjk(text: str) -> str:
    return re.sub(r"[^\u4e00-\u9fa5]", "", text.replace("嗯", "恩").replace("呣", "母"))


def _latin(text: str) -> str:
    return "".join(re.findall(r"[A-Za-z]", text)).lower()


@pytest.mark.parametrize("category, language, given, expected",
                         [r for r in TABLE if r[1] != "en" and is_chinese_sentence(r[2], r[1])],
                         ids=lambda v: v[:10] if isinstance(v, str) else None)
def test_the_frontend_says_every_word_of_the_reading(category, language, given, expected):
    """Nothing of the reading is dropped on the way to phones: its Chinese characters are the
    Chinese pieces' characters, its Latin letters the English pieces' letters."""
    phones = text_to_phones(given, language=language, version="v2")
    zh = "".join(p.norm_text for p in phones.pieces if p.language == "zh")
    en = "".join(p.norm_text for p in phones.pieces if p.language == "en")
    assert _cjk(zh) == _cjk(expected)
    assert _latin(en) == _latin(expected)


@pytest.mark.parametrize("given, expected", [
    ("- 苹果 3个\n- 香蕉 2根", "苹果三个香蕉两根"),
    ("清单：\n* 牛奶 1瓶\n* 面包 2个", "清单,牛奶一瓶面包两个"),
    ("温差是\n-5度", "温差是零下五度")])
def test_list_bullets_are_not_said(given, expected):
    """A "-", "*" or "•" and a space at the start of a line is a list bullet, not 减."""
    assert text_to_phones(given, language="zh").norm_text == expected


@pytest.mark.parametrize("language, sentence, chinese", [
    ("zh", "我有3个苹果。", True), ("zh", "3×4=12", True), ("zh", "I have 3 apples.", False),
    ("auto", "我有3个apple。", True), ("auto", "I love 北京 so much.", False), ("en", "我有3个。", False)])
def test_which_sentences_are_read_in_chinese(language, sentence, chinese):
    assert is_chinese_sentence(sentence, language) is chinese
