"""Reading numbers aloud in Chinese, as GPT-SoVITS' (PaddleSpeech-derived) normalizer reads them."""

from __future__ import annotations

import re

DIGIT_CHARS = "零一二三四五六七八九"
# powers of ten that have their own character, largest first
_UNITS: tuple[tuple[int, str], ...] = ((8, "亿"), (4, "万"), (3, "千"), (2, "百"), (1, "十"))


def read_digits(digits: str, alt_one: bool = False) -> str:
    """Digit by digit: "2026" -> "二零二六"; ``alt_one`` reads 1 as 幺 (phone numbers)."""
    out = "".join(DIGIT_CHARS[int(d)] for d in digits)
    return out.replace("一", "幺") if alt_one else out


def _cardinal_parts(digits: str, use_zero: bool = True) -> list[str]:
    stripped = digits.lstrip("0")
    if not stripped:
        return []
    if len(stripped) == 1:
        if use_zero and len(stripped) < len(digits):
            return [DIGIT_CHARS[0], DIGIT_CHARS[int(stripped)]]
        return [DIGIT_CHARS[int(stripped)]]
    power, unit = next((p, u) for p, u in _UNITS if p < len(stripped))
    head, tail = digits[:-power], digits[-power:]
    return _cardinal_parts(head) + [unit] + _cardinal_parts(tail)


def read_cardinal(digits: str) -> str:
    """An integer as a quantity: "105" -> "一百零五", "12" -> "十二", "" -> ""."""
    if not digits:
        return ""
    digits = digits.lstrip("0")
    if not digits:
        return DIGIT_CHARS[0]
    parts = _cardinal_parts(digits)
    if len(parts) >= 2 and parts[0] == "一" and parts[1] == "十":
        parts = parts[1:]
    return "".join(parts)


def read_number(number: str) -> str:
    """An unsigned integer or decimal: "3.50" -> "三点五零", ".5" -> "零点五"."""
    parts = number.split(".")
    if len(parts) > 2:
        raise ValueError(f"number {number!r} has more than one decimal point")
    integer, decimal = (parts[0], "") if len(parts) == 1 else parts
    out = read_cardinal(integer)
    # trailing zeros of the fraction collapse to one zero ("3.500" -> 三点五零)
    decimal = decimal.rstrip("0") + "0" if decimal.endswith("0") else decimal.rstrip("0")
    if decimal:
        out = (out or DIGIT_CHARS[0]) + "点" + read_digits(decimal)
    return out


# Measure words after which a number is read as a quantity (2 -> 两).
QUANTIFIERS = (
    "(处|台|架|枚|趟|幅|平|方|堵|间|床|株|批|项|例|列|篇|栋|注|亩|封|艘|把|目|套|段|人|所|朵|匹|张|座|回|场|尾|条|个|首|阙|阵|网|炮|顶|丘|棵|只|支|袭|辆|挑|担|颗|壳|窠|曲|墙|群|腔|砣|座|客|贯|扎|捆|刀|令|打|手|罗|坡|山|岭|江|溪|钟|队|单|双|对|出|口|头|脚|板|跳|枝|件|贴|针|线|管|名|位|身|堂|课|本|页|家|户|层|丝|毫|厘|分|钱|两|斤|担|铢|石|钧|锱|忽|(千|毫|微)克|毫|厘|(公)分|分|寸|尺|丈|里|寻|常|铺|程|(千|分|厘|毫|微)米|米|撮|勺|合|升|斗|石|盘|碗|碟|叠|桶|笼|盆|盒|杯|钟|斛|锅|簋|篮|盘|桶|罐|瓶|壶|卮|盏|箩|箱|煲|啖|袋|钵|年|月|日|季|刻|时|周|天|秒|分|小时|旬|纪|岁|世|更|夜|春|夏|秋|冬|代|伏|辈|丸|泡|粒|颗|幢|堆|条|根|支|道|面|片|张|颗|块|元|(亿|千万|百万|万|千|百)|(亿|千万|百万|万|千|百|美|)元|(亿|千万|百万|万|千|百|十|)吨|(亿|千万|百万|万|千|百|)块|角|毛|分)"
)
_NUM = r"(-?)((\d+)(\.\d+)?)"  # signed integer or decimal

RE_FRACTION = re.compile(r"(-?)(\d+)/(\d+)")
RE_PERCENT = re.compile(r"(-?)(\d+(\.\d+)?)%")
RE_NEGATIVE_INT = re.compile(r"(-)(\d+)")
RE_LONG_DIGITS = re.compile(r"\d{3}\d*")
RE_VERSION = re.compile(r"((\d+)(\.\d+)(\.\d+)?(\.\d+)+)")
RE_DECIMAL = re.compile(r"(-?)((\d+)(\.\d+))|(\.(\d+))")
RE_QUANTITY = re.compile(r"(\d+)([多余几\+])?" + QUANTIFIERS)
RE_NUMBER = re.compile(_NUM + r"|(\.(\d+))")
RE_RANGE = re.compile(r"(?<![\d\+\-\×÷=])(" + _NUM + r")[-~](" + _NUM + r")(?![\d\+\-\×÷=])")
_TO_RANGE_UNITS = r"(%|°C|℃|度|摄氏度|cm2|cm²|cm3|cm³|cm|db|ds|kg|km|m2|m²|m³|m3|ml|m|mm|s)"
RE_UNIT_RANGE = re.compile(
    r"(" + _NUM + r"|(\.(\d+)))" + _TO_RANGE_UNITS + r"[~](" + _NUM + r"|(\.(\d+)))" + _TO_RANGE_UNITS
)
_POW = "[⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]"
_OPERAND = r"((-?)((\d+)(\.\d+)?" + _POW + r"*)|(\.\d+" + _POW + r"*)|([A-Za-z]" + _POW + r"*))"
RE_ARITHMETIC = re.compile(_OPERAND + r"([\+\-\×÷=])" + _OPERAND)
RE_POWER = re.compile(_POW + "+")
_OPERATORS = {"+": "加", "-": "减", "×": "乘", "÷": "除", "=": "等于"}
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ", "0123456789xyn")


def sub_fraction(m: re.Match) -> str:
    sign = "负" if m.group(1) else ""
    return f"{sign}{read_number(m.group(3))}分之{read_number(m.group(2))}"


def sub_percent(m: re.Match) -> str:
    sign = "负" if m.group(1) else ""
    return f"{sign}百分之{read_number(m.group(2))}"


def sub_negative_int(m: re.Match) -> str:
    return f"{'负' if m.group(1) else ''}{read_number(m.group(2))}"


def sub_long_digits(m: re.Match) -> str:
    return read_digits(m.group(0), alt_one=True)


def sub_version(m: re.Match) -> str:
    return "".join("点" if c == "." else read_number(c) for c in m.group(1))


def sub_number(m: re.Match) -> str:
    if m.group(5):  # ".5" without integer part
        return read_number(m.group(5))
    return f"{'负' if m.group(1) else ''}{read_number(m.group(2))}"


def sub_quantity(m: re.Match) -> str:
    more = "多" if m.group(2) == "+" else (m.group(2) or "")
    number = read_number(m.group(1))
    return f"{'两' if number == '二' else number}{more}{m.group(3)}"


def sub_range(m: re.Match) -> str:
    first = RE_NUMBER.sub(sub_number, m.group(1))
    second = RE_NUMBER.sub(sub_number, m.group(6))
    return f"{first}到{second}"


def sub_unit_range(m: re.Match) -> str:
    return m.group(0).replace("~", "至")


def sub_arithmetic(m: re.Match) -> str:
    return m.group(1) + _OPERATORS[m.group(8)] + m.group(9)


def sub_power(m: re.Match) -> str:
    return "的" + m.group(0).translate(_SUPERSCRIPTS) + "次方"
