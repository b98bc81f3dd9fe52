"""How a Chinese speaker reads numbers, money, dates, units and symbols in a Chinese sentence.

Runs on whole sentences *before* the language split, so that "¥199", "-8℃", "60km/h" or
"2023/12/31" are read in Chinese instead of reaching the English g2p as digits and Latin
symbols (upstream GPT-SoVITS splits first and reads them in English or drops them). Latin words
stay as they are for the English g2p; a number inside a Chinese sentence is read in Chinese.

The reading is a list of rules (``RULES``), tried in order, each a pattern, a rendering and
examples (the tests run every example). Tables (``UNITS``, ``CURRENCIES``, ``CODE_WORDS``) hold
the data. Where upstream's normalizer reads a form right (plain quantities, years, clock times,
versions, phone numbers...) the rules reuse its readers, so the result is the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .chronology import RE_SPOKEN_TIME, RE_SPOKEN_TIME_RANGE, sub_date, sub_numeric_date, sub_time
from .numbers import QUANTIFIERS, RE_POWER, read_cardinal, read_digits, read_number, sub_power, sub_version
from .phonecode import RE_MOBILE, sub_mobile

# ---- tables -------------------------------------------------------------------------------------

# unit symbol -> reading, longest symbols first (a compound such as km/h before km). A unit is
# read only right after a number, and only when no Latin letter follows it.
UNITS: tuple[tuple[str, str], ...] = (
    ("km/h", "千米每小时"), ("m/s", "米每秒"), ("MB/s", "兆字节每秒"), ("KB/s", "千字节每秒"),
    ("GB/s", "吉字节每秒"), ("Mbps", "兆比特每秒"), ("kbps", "千比特每秒"), ("Gbps", "吉比特每秒"),
    ("km²", "平方公里"), ("km2", "平方公里"), ("m²", "平方米"), ("m2", "平方米"), ("㎡", "平方米"),
    ("cm²", "平方厘米"), ("cm2", "平方厘米"), ("m³", "立方米"), ("m3", "立方米"), ("cm³", "立方厘米"),
    ("kWh", "千瓦时"), ("mAh", "毫安时"), ("kHz", "千赫兹"), ("MHz", "兆赫兹"), ("GHz", "吉赫兹"),
    ("Hz", "赫兹"), ("km", "公里"), ("cm", "厘米"), ("mm", "毫米"), ("μm", "微米"), ("nm", "纳米"),
    ("kg", "千克"), ("mg", "毫克"), ("ml", "毫升"), ("mL", "毫升"), ("KB", "千字节"), ("kB", "千字节"),
    ("MB", "兆字节"), ("GB", "吉字节"), ("TB", "太字节"), ("kW", "千瓦"), ("mA", "毫安"), ("dB", "分贝"),
    ("db", "分贝"), ("min", "分钟"), ("ms", "毫秒"), ("m", "米"), ("g", "克"), ("t", "吨"), ("L", "升"),
    ("l", "升"), ("W", "瓦"), ("V", "伏"), ("h", "小时"), ("s", "秒"),
)
# prefix currency symbol -> the word read after the amount
CURRENCIES: tuple[tuple[str, str], ...] = (
    ("US$", "美元"), ("HK$", "港元"), ("NT$", "新台币"), ("A$", "澳元"), ("C$", "加元"), ("$", "美元"),
    ("¥", "元"), ("￥", "元"), ("€", "欧元"), ("£", "英镑"), ("₩", "韩元"),
)
# words after which a number is a code, read digit by digit (1 as 幺): rooms, accounts, codes
CODE_WORDS = ("号码", "编号", "房间号", "房号", "门牌号", "尾号", "工号", "学号", "账号", "帐号", "单号", "车次",
              "航班", "邮编", "密码", "验证码", "代码", "电话", "手机", "分机", "热线", "客服", "拨打", "请打", "号",
              "QQ", "ID", "Room", "room")
# An amount or a code? A bare number of 5+ digits is a code (10086, read digit by digit) unless it
# is round (a multiple of 1000: 15000, 1400000000) or one of these words is right before it (maybe
# with 是/为/了/: between) or right after it; then it is an amount (月薪15000 -> 月薪一万五千). The
# words also make a year-like 4-digit number an amount (一共2000字 -> 两千字, not 二零零零). A code
# word (CODE_WORDS) is read first and wins: 拨打10000 and 邮编100000 stay codes.
AMOUNT_WORDS_BEFORE = ("约", "大概", "将近", "接近", "超过", "多达", "高达", "达到", "不到", "不足", "至少", "最多",
                       "一共", "总共", "共计", "共有", "总计", "合计", "累计", "数量", "人口", "人数", "月薪", "年薪",
                       "薪水", "工资", "收入", "价格", "售价", "总价", "成本", "预算", "余额", "金额", "销量", "价值")
AMOUNT_WORDS_AFTER = ("左右", "以上", "以下", "上下", "之多", "出头")
# Measure words after which a number is a count (2 -> 两): upstream's list (numbers.QUANTIFIERS)
# without 更 and 出 (after a number far more often 更新/更好 and 出来/出现 than a night watch or a
# play: 出 only in 出戏), with common ones it lacks; 次 not in 次方 (a power) or 次元 (二次元). 年 in 年级 is a grade:
# 2年级 is 二年级, not 两年级 (see _MEASURE_RE).
MEASURE_WORDS_ADDED = ("次(?![方元])", "遍", "种", "款", "倍", "份", "部", "节", "出(?=戏)")
MEASURE_WORDS_DROPPED = ("更", "出")
# a hyphen between a number with one of these after it and another number is a range (1万-2万,
# 100元-200元, 1月1日-12月31日: 到), never a minus sign, which a Chinese word can be before (余额是-200元)
RANGE_AFTER = "万千百亿年月日号元块"
# after a range of two years, these make it years, read digit by digit (2023-2024赛季); a bare
# 2023-2024 stays a range of numbers
YEAR_WORDS = ("年", "学年", "赛季", "财年", "年度", "届")
# Two numbers joined by a hyphen are a range (3-5个: 三到五个) unless one of these words, right
# before them (maybe with 是/为/: between) or right after, says they are a score: 比分是2-1, 以2-1获胜
# (二比一)
SCORE_WORDS_BEFORE = ("比分", "打成", "战成", "定格在", "比分定格在")
SCORE_WORDS_AFTER = ("获胜", "取胜", "胜出", "战胜", "击败", "力克", "大胜", "险胜", "完胜", "战平", "逆转", "告负",
                     "落败", "负于", "输给", "赢下", "赢了", "输了", "的比分")
TEMPERATURE_UNITS = (("℃", "摄氏度"), ("°C", "摄氏度"), ("摄氏度", "摄氏度"), ("℉", "华氏度"), ("°F", "华氏度"),
                     ("华氏度", "华氏度"), ("度", "度"), ("°", "度"))
SYMBOLS = (("&", "和"), ("@", "艾特"), ("‰", "千分号"), ("№", "第"))
FULL_WIDTH_FOLDED = "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ" \
                    "０１２３４５６７８９＄％＠＆＋－／＝．～"


# ---- how numbers are said ---------------------------------------------------------------------


def plain(number: str) -> str:
    """A number as a quantity ("1,200.5" -> 一千二百点五), upstream's reading."""
    return read_number(number.replace(",", ""))


def measure(number: str) -> str:
    """A count before a measure word or unit: 2 is 两 (两个, 两公里, as upstream reads quantities),
    and so is a leading 2 before 千, 万 or 亿 (两千多人)."""
    out = plain(number)
    if out == "二":
        return "两"
    return "两" + out[1:] if out[:2] in ("二千", "二万", "二亿") else out


def digits(number: str) -> str:
    """A code read digit by digit, 1 as 幺."""
    return read_digits(re.sub(r"\D", "", number), alt_one=True)


def signed(sign: str | None, word: str = "负") -> str:
    return word if sign else ""


@dataclass(frozen=True)
class Rule:
    """One reading: where ``pattern`` matches, ``render(match)`` is said instead."""

    name: str
    pattern: re.Pattern
    render: Callable[[re.Match], str]
    examples: tuple[tuple[str, str], ...]  # (in, out) pairs, run by the tests

    def apply(self, text: str) -> str:
        return self.pattern.sub(self.render, text)


def _alternatives(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"  # 12, 1,200, 3.5
_SIGN = r"(?:(?<![0-9A-Za-z.])([-−])|(零下))?"  # a minus sign, not a hyphen after a word or number
_NOT_AFTER_DIGIT = r"(?<![\d.,])"
_UNIT_TABLE = dict(UNITS)
_UNIT_RE = _alternatives(_UNIT_TABLE)
_CURRENCY_TABLE = dict(CURRENCIES)
_TEMPERATURE_TABLE = dict(TEMPERATURE_UNITS)
# QUANTIFIERS is one alternation "(a|b|(千|毫)克|...)": split at "|" and joined again it is the same
# pattern, less the dropped top-level words
_MEASURE_RE = ("(?!年级)(" + "|".join(MEASURE_WORDS_ADDED) + "|"
               + "|".join(w for w in QUANTIFIERS[1:-1].split("|") if w not in MEASURE_WORDS_DROPPED) + ")")
_FOLD = str.maketrans({c: chr(ord(c) - 0xFEE0) for c in FULL_WIDTH_FOLDED})


TOP_LEVEL_DOMAINS = ("com", "cn", "net", "org", "io", "ai", "edu", "gov", "dev", "app")
# an e-mail or web address, as the segmenter must keep it whole (its dots are not sentence ends)
ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|(?:https?://)?www\.[A-Za-z0-9./_-]+|"
                     r"https?://[A-Za-z0-9./_-]+|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:"
                     + "|".join(TOP_LEVEL_DOMAINS) + r")(?![A-Za-z0-9])(?:/[A-Za-z0-9_./-]*)?")


def _fold(m: re.Match) -> str:
    return m.group(0).translate(_FOLD)


def _email(m: re.Match) -> str:
    local, domain = m.group(1), m.group(2)
    return f"{_spell(local)} 艾特 {' 点 '.join(_spell(part) for part in domain.split('.'))}"


def _spell(token: str) -> str:
    """Latin stays for the English g2p; digits are read one by one; separators are said."""
    out = re.sub(r"\d+", lambda d: " " + digits(d.group(0)) + " ", token)
    out = out.replace(".", " 点 ").replace("_", " 下划线 ").replace("-", " 杠 ").replace("/", " 斜杠 ")
    return re.sub(r" {2,}", " ", out).strip()


def _url(m: re.Match) -> str:
    host, path = m.group(2), m.group(3) or ""
    parts = host.split(".")
    said = ["三W" if p.lower() == "www" else _spell(p) for p in parts]
    out = " 点 ".join(said)
    if path.strip("/"):
        out += " 斜杠 " + " 斜杠 ".join(_spell(p) for p in path.strip("/").split("/"))
    return f" {out} "


def _month_day(m: re.Match) -> str:
    return f"{read_cardinal(m.group(1))}月{read_cardinal(m.group(2))}日"


def _minutes(m: re.Match) -> str:
    seconds = m.group(2).lstrip("0")
    return f"{plain(m.group(1))}分" + (f"零{plain(seconds)}秒" if seconds else "钟")


def _hyphen_score(m: re.Match) -> str:
    """A score where SCORE_WORDS_BEFORE / _AFTER say it is one; else left for the range rule."""
    before = re.sub(r"(?:是|为|:|：|\s)+$", "", m.string[:m.start()])
    if before.endswith(SCORE_WORDS_BEFORE) or m.string[m.end():].lstrip().startswith(SCORE_WORDS_AFTER):
        return _score(m)
    return m.group(0)


def _score(m: re.Match) -> str:
    return f"{plain(m.group(1))}比{plain(m.group(2))}"


def _phone_groups(m: re.Match) -> str:
    return "，".join(digits(g) for g in re.split(r"[-\s]", m.group(0)) if g)


def _hyphenated_code(m: re.Match) -> str:
    return "杠".join(digits(g) for g in m.group(0).split("-"))


def _id_card(m: re.Match) -> str:
    number = m.group(0)
    return digits(number[:17]) + (number[17] if number[17] in "Xx" else digits(number[17]))


def _money(m: re.Match) -> str:
    sign, symbol, amount, scale, word_after = m.group(1), m.group(2), m.group(3), m.group(4) or "", m.group(5)
    word = word_after or _CURRENCY_TABLE[symbol]
    return f"{signed(sign)}{plain(amount)}{scale}{word}"


def _temperature(m: re.Match) -> str:
    """One temperature or a range: 20~25℃, or with the unit on both ends, 20℃~25℃ (said twice)."""
    sign = m.group(1) or m.group(2)
    first, first_unit, second, unit = m.group(3), m.group(4), m.group(6), _TEMPERATURE_TABLE[m.group(7)]
    said = f"{signed(sign, '零下')}{plain(first)}"
    if second is not None:
        said += f"{_TEMPERATURE_TABLE[first_unit] if first_unit else ''}到{signed(m.group(5), '零下')}{plain(second)}"
    return said + unit


def _unit(m: re.Match) -> str:
    sign, first, second, unit = m.group(1) or m.group(2), m.group(3), m.group(4), _UNIT_TABLE[m.group(5)]
    if second is not None:
        return f"{signed(sign)}{measure(first)}到{measure(second)}{unit}"
    return f"{signed(sign)}{measure(first)}{unit}"


def _percent(m: re.Match) -> str:
    sign, first, second, mark = m.group(1) or m.group(2), m.group(3), m.group(4), m.group(5)
    word = "百分之" if mark == "%" else "千分之"
    said = f"{signed(sign)}{word}{plain(first)}"
    return said + (f"到{word}{plain(second)}" if second is not None else "")


def _fraction(m: re.Match) -> str:
    sign, numerator, denominator = m.group(1), m.group(2), m.group(3)
    return f"{signed(sign)}{plain(denominator)}分之{plain(numerator)}"


def _range(m: re.Match) -> str:
    first, second, after = m.group(1), m.group(2), m.group(3) or ""
    read = measure if after else plain
    return f"{read(first)}到{read(second)}{after}"


def _ordinal(m: re.Match) -> str:
    return f"第{plain(m.group(1))}"


def _more(m: re.Match) -> str:
    return f"{measure(m.group(1))}{m.group(2)}"


def _quantity(m: re.Match) -> str:
    return f"{signed(m.group(1))}{measure(m.group(2))}{m.group(3)}"


def _version(m: re.Match) -> str:
    """A dotted version as upstream reads it (digit by digit: 3.11.4 -> 三点一一点四), but its major
    number as a number: 17.2.1 is 十七点二点一, not 一七点二点一."""
    major, rest = m.group(1).split(".", 1)
    return plain(major) + "点" + sub_version(re.match(r"(.*)", rest))


def _letters_and_digits(m: re.Match) -> str:
    number = m.group(0)
    return digits(number) if len(number) >= 3 else plain(number)


def _amount_context(m: re.Match) -> bool:
    """Whether a word around the number says it is an amount (AMOUNT_WORDS_BEFORE / _AFTER)."""
    before = re.sub(r"(?:是|为|了|:|：|\s)+$", "", m.string[:m.start()])
    return before.endswith(AMOUNT_WORDS_BEFORE) or m.string[m.end():].startswith(AMOUNT_WORDS_AFTER)


def _number(m: re.Match) -> str:
    sign, number = m.group(1), m.group(2)
    bare = number.replace(",", "")
    if "," not in number and "." not in number:
        if bare.startswith("0") and len(bare) > 1:
            return signed(sign) + digits(bare)  # 007, 0571: a code
        if len(bare) >= 4 and (_amount_context(m) or (len(bare) >= 5 and bare.endswith("000"))):
            return signed(sign) + measure(bare)  # an amount (see AMOUNT_WORDS_BEFORE): 一万五千, 两千
        if len(bare) >= 5 or (len(bare) == 4 and 1900 <= int(bare) <= 2099 and not sign):
            return signed(sign) + read_digits(bare, alt_one=len(bare) >= 5)  # a code, or a year: 二零二四
    return signed(sign) + plain(number)


_POWERS = "⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ"
_OPERAND = rf"(?:\d+(?:\.\d+)?|(?<![A-Za-z])[A-Za-z](?![A-Za-z]))[{_POWERS}]*"
_EXPRESSION = re.compile(rf"{_OPERAND}(?:\s?[+\-×÷*=]\s?{_OPERAND})+")
_OPERATORS = {"+": "加", "-": "减", "×": "乘", "*": "乘", "÷": "除以", "=": "等于"}


def _arithmetic(m: re.Match) -> str:
    """An expression with a number or a power in it: its operators said (x-y alone, or Wi-Fi, stay)."""
    expression = m.group(0)
    if not re.search(rf"[\d{_POWERS}]", expression):
        return expression
    return re.sub(r"\s?([+\-×÷*=])\s?", lambda o: _OPERATORS[o.group(1)], expression)


def _symbol(m: re.Match) -> str:
    return dict(SYMBOLS)[m.group(0)]


_TEMP_UNIT_RE = _alternatives(_TEMPERATURE_TABLE)
_LATIN_AFTER = r"(?![A-Za-z])"

RULES: tuple[Rule, ...] = (
    Rule("full-width letters, digits and signs folded to ASCII", re.compile(f"[{FULL_WIDTH_FOLDED}]+"), _fold,
         (("全角ＡＢＣ和１２３", "全角ABC和一百二十三"), ("啊～好累呀～", "啊~好累呀~"))),
    Rule("list bullet ('-', '*' or '•' and a space at the start of a line): not said (was 减)",
         re.compile(r"^[ \t]*[-*•][ \t]+", re.MULTILINE), lambda m: "",
         (("- 苹果 3个\n- 香蕉 2根", "苹果 三个\n香蕉 两根"), ("* 牛奶", "牛奶"), ("-5度", "零下五度"))),
    Rule("e-mail address", re.compile(r"([A-Za-z0-9._%+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"), _email,
         (("test@example.com", "test 艾特 example 点 com"),
          ("xiao_ming2024@qq.com", "xiao 下划线 ming 二零二四 艾特 qq 点 com"))),
    Rule("web address", re.compile(
        r"(https?://)?((?:www\.)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|(?<=://)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|"
        r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:" + "|".join(TOP_LEVEL_DOMAINS) + r"))"
        r"(/[A-Za-z0-9_./-]*)?(?![A-Za-z0-9])"), _url,
        (("www.bilibili.com", " 三W 点 bilibili 点 com "), ("https://github.com/openai", " github 点 com 斜杠 openai "))),
    Rule("year-month-day", re.compile(r"(\d{4})([-/.])(0?[1-9]|1[0-2])\2(0?[1-9]|[12]\d|3[01])(?!\d)"),
         lambda m: sub_numeric_date(re.match(r"(\d{4})([- /.])(\d\d)\2(\d\d)",
                                             f"{m.group(1)}-{int(m.group(3)):02d}-{int(m.group(4)):02d}")),
         (("2023/12/31", "二零二三年十二月三十一日"), ("2024-1-5", "二零二四年一月五日"))),
    Rule("range of years (2023-2024年, 2023-2024赛季)", re.compile(
        r"(?<![\d.])((?:1[6-9]|20)\d\d)\s?[-~～—–]\s?((?:1[6-9]|20)\d\d)(?=\s?(?:" + _alternatives(YEAR_WORDS) + "))"),
         lambda m: f"{read_digits(m.group(1))}到{read_digits(m.group(2))}",
         (("2023-2024年", "二零二三到二零二四年"), ("2023~2024学年", "二零二三到二零二四学年"))),
    Rule("hyphen or tilde after a number with a scale, date or money word (1万-2万, 1日-31日): 到",
         re.compile(r"(?<=\d[" + RANGE_AFTER + r"])\s?[-~～—–]\s?(?=\d)"), lambda m: "到",
         (("1万-2万", "一万到两万"), ("5千~8千", "五千到八千"), ("1月-3月", "一月到三月"), ("100元-200元", "一百元到二百元"),
          ("1日-2024年12月31日", "一日到二零二四年十二月三十一日"))),
    Rule("year with 年, month, day", re.compile(
        r"(\d{4}|\d{2})年((0?[1-9]|1[0-2])月)?(((0?[1-9])|((1|2)[0-9])|30|31)([日号]))?"), sub_date,
         (("2026年11月22日", "二零二六年十一月二十二日"), ("98年", "九八年"))),
    Rule("month/day (a day after the 12th, or written with two digits)", re.compile(
        r"(?<![\d/.])(1[0-2]|0[1-9]|[1-9])/(1[3-9]|2\d|3[01]|0[1-9])(?![\d/.])"), _month_day,
         (("12/31", "十二月三十一日"), ("5/20", "五月二十日"), ("03/08", "三月八日"))),
    Rule("clock time range", RE_SPOKEN_TIME_RANGE, lambda m: sub_time(m, spoken=True),
         (("14:00-16:30", "十四点至十六点三十分"), ("8:30-9:15", "八点半至九点十五分"), ("8:00-24:00", "八点至二十四点"))),
    Rule("clock time", RE_SPOKEN_TIME, lambda m: sub_time(m, spoken=True),
         (("9:30", "九点半"), ("06:05:09", "六点零五分零九秒"), ("2:30", "两点半"), ("12:00", "十二点"),
          ("24:00", "二十四点"))),
    Rule("minutes and seconds past any hour (45:00; seconds written with a 0, as a score's never are)",
         re.compile(r"(?<![\d:.])(2[5-9]|[3-9]\d|\d{3})[:：](0\d)(?![\d:])"), _minutes,
         (("45:00", "四十五分钟"), ("90:05", "九十分零五秒"))),
    Rule("score", re.compile(r"(?<![\d:.])(\d{1,3})[:：](\d{1,3})(?![\d:])"), _score,
         (("3:2", "三比二"), ("比分是2：1", "比分是二比一"))),
    Rule("mobile phone number", RE_MOBILE, sub_mobile, (("13812345678", "幺三八幺二三四五六七八"),)),
    Rule("ID card number", re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), _id_card,
         (("11010519491231002X", "幺幺零幺零五幺九四九幺二三幺零零二X"),)),
    Rule("landline or hotline with hyphens", re.compile(
        r"(?<![\d-])(?:0\d{2,3}-\d{7,8}(?:-\d{1,5})?|400-\d{3}-\d{4}|800-\d{3}-\d{4})(?![\d-])"), _phone_groups,
         (("010-62345678", "零幺零，六二三四五六七八"), ("400-123-4567", "四零零，幺二三，四五六七"))),
    Rule("hyphenated code (ISBN, serial)", re.compile(r"(?<![\d-])\d+(?:-\d+){2,}(?![\d-])"), _hyphenated_code,
         (("978-7-111-12345-6", "九七八杠七杠幺幺幺杠幺二三四五杠六"),)),
    Rule("money after a currency sign", re.compile(
        r"(?:(?<![0-9A-Za-z.])([-−]))?(" + _alternatives(_CURRENCY_TABLE) + r")\s?(" + _NUM + r")(万|亿|千|百)?(元|块)?"),
         _money, (("¥199", "一百九十九元"), ("$19.99", "十九点九九美元"), ("¥100元", "一百元"),
                  ("US$5万", "五万美元"), ("€1,200", "一千二百欧元"))),
    Rule("temperature", re.compile(
        _NOT_AFTER_DIGIT + _SIGN + r"(" + _NUM + r")(?:\s?(" + _TEMP_UNIT_RE + r")?\s?[~～\-—至到]\s?([-−]|零下)?("
        + _NUM + r"))?\s?(" + _TEMP_UNIT_RE + r")"), _temperature,
         (("-8℃", "零下八摄氏度"), ("100℃", "一百摄氏度"), ("36.5°C", "三十六点五摄氏度"),
          ("20~25℃", "二十到二十五摄氏度"), ("100摄氏度", "一百摄氏度"), ("98.6°F", "九十八点六华氏度"),
          ("20℃~25℃", "二十摄氏度到二十五摄氏度"), ("-3℃~-5℃", "零下三摄氏度到零下五摄氏度"))),
    Rule("number with a unit", re.compile(
        _NOT_AFTER_DIGIT + _SIGN + r"(" + _NUM + r")(?:\s?[~～\-—至到]\s?(" + _NUM + r"))?\s?(" + _UNIT_RE + r")"
        + _LATIN_AFTER), _unit,
         (("60km/h", "六十千米每小时"), ("5km", "五公里"), ("256MB", "二百五十六兆字节"), ("2kg", "两千克"),
          ("3-5km", "三到五公里"), ("10MB/s", "十兆字节每秒"), ("30m²", "三十平方米"), ("1.5L", "一点五升"))),
    Rule("percent and per mille", re.compile(
        _NOT_AFTER_DIGIT + _SIGN + r"(" + _NUM + r")%?(?:\s?[~～\-—至到]\s?(" + _NUM + r"))?\s?([%‰])"), _percent,
         (("12.5%", "百分之十二点五"), ("-3%", "负百分之三"), ("5‰", "千分之五"), ("10%-20%", "百分之十到百分之二十"))),
    Rule("fraction", re.compile(r"(?<![\d/.])([-−])?(\d+)/(\d+)(?![\d/])"), _fraction,
         (("3/4", "四分之三"), ("2/3", "三分之二"), ("90/100", "一百分之九十"))),
    Rule("score with a hyphen (the words around say it is one)", re.compile(
        r"(?<![\d.:\-])(\d{1,3})\s?[-–—]\s?(\d{1,3})(?![\d.:\-])"), _hyphen_score,
         (("比分是2-1", "比分是二比一"), ("以3-0获胜", "以三比零获胜"), ("2-3人", "两到三人"))),
    Rule("range", re.compile(
        r"(?<![\d.+\-×÷=])(" + _NUM + r")\s?[-~～—]\s?(" + _NUM + r")(?![\d.+\-×÷=])(" + _MEASURE_RE + r")?"), _range,
         (("3-5个", "三到五个"), ("10~20", "十到二十"), ("2-3天", "两到三天"), ("2-3次", "两到三次"))),
    Rule("ordinal", re.compile(r"第\s?(\d+)"), _ordinal, (("第1名", "第一名"), ("第2", "第二"))),
    Rule("English ordinal", re.compile(r"(?<![\dA-Za-z])(\d+)(?:st|nd|rd|th)(?![A-Za-z])"), _ordinal,
         (("1st", "第一"), ("23rd", "第二十三"))),
    Rule("code after a word that names one", re.compile(
        r"(" + _alternatives(CODE_WORDS) + r")((?:\s?(?:是|为|:|：)?\s?))(\d{3,}|\d[\d ]{2,}\d)(?![\d.])"),
         lambda m: f"{m.group(1)}{m.group(2)}{digits(m.group(3))}",
         (("房间号是8023", "房间号是八零二三"), ("QQ号12345678", "QQ号幺二三四五六七八"), ("Room 301", "Room 三零幺"))),
    Rule("hyphen between a name and its number", re.compile(r"(?<=[A-Za-z])[-‐](?=\d)"), lambda m: "",
         (("GPT-4", "GPT四"),)),
    Rule("month and day", re.compile(r"(?<![\d.])(1[0-2]|0?[1-9])月(?:(3[01]|[12]\d|0?[1-9])([日号]))?"),
         lambda m: f"{read_cardinal(m.group(1))}月" + (f"{read_cardinal(m.group(2))}{m.group(3)}" if m.group(2) else ""),
         (("12月25日", "十二月二十五日"), ("2月", "二月"), ("3月5号", "三月五号"))),
    Rule("hour of the day", re.compile(r"(?<![\d.])(1\d|2[0-4]|0?\d)点(?!\d(?!\d?分))"),
         lambda m: f"{measure(m.group(1))}点",
         (("下午2点", "下午两点"), ("3点开会", "三点开会"), ("2点15分", "两点十五分"))),
    Rule("arithmetic", _EXPRESSION, _arithmetic,
         (("1+2=3", "一加二等于三"), ("3×4=12", "三乘四等于十二"), ("x²+y²=1", "x的二次方加y的二次方等于一"),
          ("Wi-Fi", "Wi-Fi"))),
    Rule("power", RE_POWER, sub_power, (("x²", "x的二次方"),)),
    Rule("number before 多/余/几", re.compile(r"(\d+(?:,\d{3})*)(多|余|几)"), _more,
         (("1000多行", "一千多行"), ("2万余", "两万余"), ("2000多人", "两千多人"))),
    Rule("number before a measure word (not the end of a version: 17.2.1更新)", re.compile(
        r"(?:(?<![0-9A-Za-z.])([-−]))?" + _NOT_AFTER_DIGIT + r"(\d+(?:,\d{3})*(?:\.\d+)?)(" + _MEASURE_RE + r")"),
         _quantity,
         (("3个", "三个"), ("2台", "两台"), ("25岁", "二十五岁"), ("-200元", "负二百元"), ("2000元", "两千元"),
          ("2次", "两次"), ("2节课", "两节课"), ("2年级", "二年级"), ("2次方", "二次方"), ("1.2.3出来", "一点二点三出来"))),
    Rule("version", re.compile(r"((\d+)(\.\d+)(\.\d+)?(\.\d+)+)"), _version,
         (("1.2.3", "一点二点三"), ("17.2.1", "十七点二点一"))),
    Rule("digits touching Latin letters", re.compile(r"(?<=[A-Za-z])\d+(?!\.\d)|\d+(?=[A-Za-z])"), _letters_and_digits,
         (("abc123", "abc幺二三"), ("A3B7C9", "A三B七C九"), ("PS5", "PS五"), ("7B", "七B"), ("iPhone15", "iPhone十五"))),
    Rule("number", re.compile(r"(?:(?<![0-9A-Za-z.])([-−]))?(\d+(?:,\d{3})+(?:\.\d+)?|\d*\.\d+|\d+)"), _number,
         (("42", "四十二"), ("-15", "负十五"), ("0.5", "零点五"), ("1,000,000", "一百万"), ("2024", "二零二四"),
          ("10086", "幺零零八六"), ("007", "零零七"), ("3.14159", "三点一四一五九"), ("15000", "一万五千"),
          ("月薪15300", "月薪一万五千三百"), ("超过2000", "超过两千"), ("12345左右", "一万二千三百四十五左右"))),
    Rule("symbols said as words", re.compile(_alternatives(dict(SYMBOLS))), _symbol, (("A&B", "A和B"),)),
)


# ---- whole texts ------------------------------------------------------------------------------

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_SENTENCES = re.compile(r"(?<=[。！？!?；;\n])")


def is_chinese_sentence(sentence: str, language: str) -> bool:
    """Whether numbers and symbols in ``sentence`` are read in Chinese: with ``language`` "zh"
    unless it is English words without any Chinese; with "auto" when its Chinese characters are at
    least as many as its Latin words."""
    cjk, words = len(_CJK.findall(sentence)), len(_LATIN_WORD.findall(sentence))
    if language == "zh":
        return cjk > 0 or words == 0
    return language == "auto" and cjk > 0 and cjk >= words


def read_sentence(sentence: str) -> str:
    """``sentence`` with every rule applied in order."""
    for rule in RULES:
        sentence = rule.apply(sentence)
    return sentence


def read_aloud(text: str, language: str) -> str:
    """``text`` with numbers, money, dates, units and symbols written as a Chinese speaker says them,
    sentence by sentence where the sentence is Chinese (``is_chinese_sentence``); English
    sentences and ``language`` "en" are left as they are."""
    if language == "en" or not text:
        return text
    return "".join(read_sentence(s) if is_chinese_sentence(s, language) else s for s in _SENTENCES.split(text))
