"""Temperatures and measurement units."""

from __future__ import annotations

import re

from .numbers import read_number

RE_TEMPERATURE = re.compile(r"(-?)(\d+(\.\d+)?)(°C|℃|度|摄氏度)")
# Replaced as plain substrings, in this order, anywhere in the sentence (upstream behaviour: a
# Latin "m" or "s" left in Chinese text also becomes 米 / 秒).
UNITS: tuple[tuple[str, str], ...] = (
    ("cm2", "平方厘米"), ("cm²", "平方厘米"), ("cm3", "立方厘米"), ("cm³", "立方厘米"),
    ("cm", "厘米"), ("db", "分贝"), ("ds", "毫秒"), ("kg", "千克"), ("km", "千米"),
    ("m2", "平方米"), ("m²", "平方米"), ("m³", "立方米"), ("m3", "立方米"), ("ml", "毫升"),
    ("m", "米"), ("mm", "毫米"), ("s", "秒"),
)


def sub_temperature(m: re.Match) -> str:
    """"-3.5℃" -> 零下三点五度. Every unit, 摄氏度 included, is read 度: upstream compares the
    decimal-part group with "摄氏度", which never matches."""
    sign = "零下" if m.group(1) else ""
    return f"{sign}{read_number(m.group(2))}度"


def replace_units(sentence: str) -> str:
    for symbol, word in UNITS:
        sentence = sentence.replace(symbol, word)
    return sentence
