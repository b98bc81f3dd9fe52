"""Dates and clock times read in Chinese."""

from __future__ import annotations

import re

from .numbers import DIGIT_CHARS, read_cardinal, read_digits, read_number

_CLOCK = r"([0-1]?[0-9]|2[0-3]):([0-5][0-9])(:([0-5][0-9]))?"
RE_TIME = re.compile(_CLOCK)
RE_TIME_RANGE = re.compile(_CLOCK + r"(~|-)" + _CLOCK)
# Clock times as a speaker reads them (spoken.py): never the tail of a longer number (upstream reads
# "24:00" as 2 and 4:00), and 24:00, the end of a day (营业时间8:00-24:00), is a time too.
_SPOKEN_CLOCK = r"(?<![\d:.])([01]?[0-9]|2[0-3]|24(?=:00)):([0-5][0-9])(:([0-5][0-9]))?(?![\d:])"
RE_SPOKEN_TIME = re.compile(_SPOKEN_CLOCK)
RE_SPOKEN_TIME_RANGE = re.compile(_SPOKEN_CLOCK + r"\s?([~～\-—–])\s?" + _SPOKEN_CLOCK)
RE_DATE = re.compile(r"(\d{4}|\d{2})年((0?[1-9]|1[0-2])月)?(((0?[1-9])|((1|2)[0-9])|30|31)([日号]))?")
RE_DATE_NUMERIC = re.compile(r"(\d{4})([- /.])(0[1-9]|1[012])\2(0[1-9]|[12][0-9]|3[01])")


def _clock_part(digits: str) -> str:
    out = read_number(digits.lstrip("0"))
    return DIGIT_CHARS[0] + out if digits.startswith("0") else out


def _clock(hour: str, minute: str, second: str | None, half_if: str, spoken: bool = False) -> str:
    said_hour = read_number(hour)
    out = f"{'两' if spoken and said_hour == '二' else said_hour}点"
    if minute.lstrip("0"):
        # upstream tests the FIRST time's minute for "半" in both halves of a range
        out += "半" if int(half_if) == 30 else f"{_clock_part(minute)}分"
    if second and second.lstrip("0"):
        out += f"{_clock_part(second)}秒"
    return out


def sub_time(m: re.Match, spoken: bool = False) -> str:
    """"9:30" -> 九点半, "10:05:07" -> 十点零五分零七秒; ranges join with 至. ``spoken``: as a
    speaker says it rather than as upstream does: 2 o'clock is 两点, and the second time of a range
    is 半 only when both minutes are 30 (upstream tests the first's only: "8:30-9:15" is 九点半
    there, here 九点十五分; "14:00-16:30" stays 十六点三十分 as the goldens have it)."""
    out = _clock(m.group(1), m.group(2), m.group(4), m.group(2), spoken)
    if len(m.groups()) > 5:
        second_half_if = m.group(2) if not spoken or m.group(7) == "30" else "0"
        out += "至" + _clock(m.group(6), m.group(7), m.group(9), second_half_if, spoken)
    return out


def sub_date(m: re.Match) -> str:
    """"2026年11月22日" -> 二零二六年十一月二十二日."""
    out = f"{read_digits(m.group(1))}年"
    if m.group(3):
        out += f"{read_cardinal(m.group(3))}月"
    if m.group(5):
        out += f"{read_cardinal(m.group(5))}{m.group(9)}"
    return out


def sub_numeric_date(m: re.Match) -> str:
    """"2026-11-22" / "2026/11/22" / "2026.11.22" -> 二零二六年十一月二十二日."""
    return f"{read_digits(m.group(1))}年{read_cardinal(m.group(3))}月{read_cardinal(m.group(4))}日"
