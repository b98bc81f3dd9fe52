"""English text normalization as GPT-SoVITS v2 does it before English g2p.

Numbers, money, times, units, fractions and ordinals are spelled out as ``inflect`` spells them; accents
are stripped; everything except ASCII letters, spaces and ``' . , ? ! -`` is dropped; an
uppercase letter that does not start a word is split off (``OpenAI`` -> ``Open A I``) so that
acronyms are read letter by letter; runs of punctuation collapse to their first mark.

Upstream's quirks are kept on purpose, because voices were trained on their output (for example
a negative number eats the space before it: ``is -5`` -> ``isnegative five``).
"""

from __future__ import annotations

import re
import unicodedata

# Full-width sentence marks mapped to ASCII. Upstream's table also lists ";:，；" -> "," and quotes
# -> "'", but as escaped literal patterns that never match: those characters are later dropped
# (or, for ":", read as a clock time) instead. We match what upstream actually does.
_PUNCT_MAP = {"。": ".", "！": "!", "？": "?"}
_PUNCT_MAP_RE = re.compile("|".join(re.escape(k) for k in _PUNCT_MAP))

# Punctuation phones; a run of them (or one after whitespace) keeps only its first character.
_PHONE_PUNCT = "!?…,.-"
_CONSECUTIVE_PUNCT_RE = re.compile(f"([{re.escape(_PHONE_PUNCT)}\\s])([{re.escape(_PHONE_PUNCT)}])+")

_UNITS = {
    "m": ("meter", "meters"),
    "km": ("kilometer", "kilometers"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "ft": ("feet", "feet"),
    "L": ("liter", "liters"),
    "tbsp": ("tablespoon", "tablespoons"),
    "tsp": ("teaspoon", "teaspoons"),
    "h": ("hour", "hours"),
    "min": ("minute", "minutes"),
    "s": ("second", "seconds"),
    "°C": ("degree celsius", "degrees celsius"),
    "°F": ("degree fahrenheit", "degrees fahrenheit"),
}

_LIST_ORDINAL_RE = re.compile(r"\b([0-9]+)\. ")  # "1. " at the start of a list item
_OPERAND = r"(?:-?\d+(?:\.\d+)?[⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]*|\.\d+[⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]*|[A-Za-z][⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]*)"
_ARITHMETIC_RE = re.compile(f"({_OPERAND})\\s+([-+×÷=])\\s+({_OPERAND})")
_OPERATOR_WORDS = {"+": " plus ", "-": " minus ", "×": " times ", "÷": " divided by ", "=": " Equals "}
_NEGATIVE_RE = re.compile(r"(?:^|\s+)-(\d+)")
_GROUPED_NUMBER_RE = re.compile(r"([0-9][0-9,]+[0-9])")
_CLOCK_RE = re.compile(r"\b([01]?[0-9]|2[0-3]):([0-5][0-9])\b")
_UNIT_RE = re.compile(r"\b([0-9]+(\.[0-9]+)?(m|km|km/h|ft|L|tbsp|tsp|h|min|s|°C|°F))\b")
# The patterns that may start inside a run of digits start only at its first character: the
# same matches as upstream's patterns, found in linear time (upstream's backtrack cubically on
# a long run of digits: minutes for 4,000). Runs of more than LONG_DIGITS are read digit by digit.
_POUNDS_BEFORE_RE = re.compile(r"£([0-9.,]*[0-9]+)")
_POUNDS_AFTER_RE = re.compile(r"(?<![0-9.,])([0-9.,]*[0-9])£")
_DOLLARS_BEFORE_RE = re.compile(r"\$([0-9.,]*[0-9]+)")
_DOLLARS_AFTER_RE = re.compile(r"(?<![(0-9.,])([(0-9.,]*[0-9])\$")
_DECIMAL_RE = re.compile(r"(?<![0-9])([0-9]+\.\s*[0-9]+)")
_FRACTION_RE = re.compile(r"(?<![0-9])([0-9]+/[0-9]+)")
_ORDINAL_SUFFIX_RE = re.compile(r"(?<![0-9])[0-9]+(st|nd|rd|th)")
_INTEGER_RE = re.compile(r"[0-9]+")
LONG_DIGITS = 100
_LONG_DIGITS_RE = re.compile(f"[0-9]{{{LONG_DIGITS + 1},}}")
_NOT_SPEAKABLE_RE = re.compile(r"[^ A-Za-z'.,?!\-]")
_INNER_CAPITAL_RE = re.compile(r"(?<!^)(?<!\s)([A-Z])")


_UNITS_WORDS = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ["", " thousand", " million", " billion", " trillion", " quadrillion", " quintillion", " sextillion",
           " septillion", " octillion", " nonillion", " decillion"]
_ORDINAL_ENDINGS = {"ty": "tieth", "one": "first", "two": "second", "three": "third", "five": "fifth",
                    "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
_ORDINAL_ENDING_RE = re.compile("(" + "|".join(_ORDINAL_ENDINGS) + r")\Z")
_SUFFIXED_ORDINAL_RE = re.compile(r"\A(\d+)(st|nd|rd|th)\Z")

# Number words follow the ``inflect`` package (which upstream uses) word for word; we spell them
# ourselves because importing inflect takes seconds.


def _two_digits(n: int) -> str:
    tens, units = divmod(n, 10)
    if tens == 1:
        return _TEENS[units]
    return _TENS[tens] + ("-" if tens and units else "") + _UNITS_WORDS[units]


def number_words(n: int, andword: str = "and") -> str:
    """``inflect``'s ``number_to_words(n, andword=...)`` for an integer n >= 0.

    Groups of three digits joined with ", " (``1234`` -> "one thousand, two hundred and thirty-four");
    ``andword`` after "hundred", and between the last group and a last single word
    (``1001`` -> "one thousand and one"). Beyond the decillions, digits are read one by one
    (inflect, and so upstream, raises an error there).
    """
    if n == 0:
        return "zero"
    if n >= 1000 ** len(_SCALES):
        return " ".join("zero" if d == "0" else _UNITS_WORDS[int(d)] for d in str(n))
    groups = []
    scale = 0
    while n:
        n, group = divmod(n, 1000)
        hundreds, rest = divmod(group, 100)
        if hundreds:
            joiner = f" {andword} " if rest else ""
            groups.append(f"{_UNITS_WORDS[hundreds]} hundred{joiner}{_two_digits(rest) if rest else ''}{_SCALES[scale]}")
        elif rest:
            groups.append(_two_digits(rest) + _SCALES[scale])
        scale += 1
    groups.reverse()
    # A last group of one word (no scale) after other groups is joined with the andword.
    if len(groups) > 1 and groups[-1] and " " not in groups[-1] and not groups[-1].endswith(tuple(_SCALES[1:])):
        last = groups.pop()
        text = ", ".join(groups) + f" {andword} {last}"
    else:
        text = ", ".join(groups)
    return re.sub(r"\s+", " ", text).strip()


def ordinal_words(words: str) -> str:
    """"twenty-one" -> "twenty-first", "one hundred" -> "one hundredth" (inflect's ``ordinal`` of words)."""
    new = _ORDINAL_ENDING_RE.sub(lambda m: _ORDINAL_ENDINGS[m.group(1)], words)
    return new if new != words else words + "th"


def ordinal_suffix(digits: str) -> str:
    """"1" -> "1st", "12" -> "12th", "22" -> "22nd" (inflect's ``ordinal`` of a digit string)."""
    n = int(digits)
    if n % 100 in (11, 12, 13):
        return digits + "th"
    return digits + {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _year_pair(n: int) -> str:
    tens = n // 10
    if tens:
        return _two_digits(n)
    return f"oh {_UNITS_WORDS[n]}" if n else "oh oh"


def _list_ordinal(m: re.Match) -> str:
    return ordinal_suffix(m.group(1)) + ", "


def _arithmetic(m: re.Match) -> str:
    return m.group(1) + _OPERATOR_WORDS[m.group(2)] + m.group(3)


def _clock(m: re.Match) -> str:
    hours, minutes = int(m.group(1)), int(m.group(2))
    period = "a.m." if hours < 12 else "p.m."
    if hours > 12:
        hours -= 12
    words = number_words(hours)
    if minutes == 0:
        return f"{words} o'clock {period}"
    return f"{words} {number_words(minutes)} {period}"


def _unit(m: re.Match) -> str:
    whole, decimals, unit = m.group(1), m.group(2), m.group(3)
    # Upstream reads "1 m" as singular only for an integer 1 (it drops the "." before comparing).
    value = int(whole.replace(unit, "").replace(".", ""))
    plural = not (decimals is None and value == 1)
    return whole.replace(unit, " " + _UNITS[unit][int(plural)])


def _money(amount: str, unit: tuple[str, str], sub: tuple[str, str], zero: str) -> str:
    parts = re.sub(r"[^0-9.]", "", amount).split(".")  # "1,000" and stray marks such as ",00034" or "(5"
    if len(parts) > 2:
        return amount + " " + unit[1]
    main = int(parts[0]) if parts[0] else 0
    cents = int(parts[1].ljust(2, "0")) if len(parts) > 1 and parts[1] else 0
    main_words = f"{main} {unit[0] if main == 1 else unit[1]}"
    cent_words = f"{cents} {sub[0] if cents == 1 else sub[1]}"
    if main and cents:
        return f"{main_words} and {cent_words}"
    if main:
        return main_words
    if cents:
        return cent_words
    return zero


def _pounds(m: re.Match) -> str:
    return _money(m.group(1), ("pound", "pounds"), ("penny", "pence"), "zero pounds")


def _dollars(m: re.Match) -> str:
    return _money(m.group(1), ("dollar", "dollars"), ("cent", "cents"), "zero dollars")


def _decimal(m: re.Match) -> str:
    integer, fraction = m.group(1).split(".")[:2]
    return integer + " point " + " ".join(fraction)


def _fraction(m: re.Match) -> str:
    numerator, denominator = (int(x) for x in m.group(0).split("/"))
    top = number_words(numerator)
    if denominator == 1:
        return top
    if denominator == 2:
        return f"{top} {'half' if numerator == 1 else 'halves'}"
    bottom = ordinal_words(number_words(denominator))
    return f"{top} {bottom}{'s' if numerator > 1 else ''}"


def _ordinal(m: re.Match) -> str:
    digits = m.group(0)[:-2]
    words = number_words(int(digits))
    head, _, last = words.rpartition(", ")
    return (head + ", " if head else "") + ordinal_words(last)


def _integer(m: re.Match) -> str:
    num = int(m.group(0))
    if 1000 < num < 3000:  # read like a year
        if num == 2000:
            return "two thousand"
        if 2000 < num < 2010:
            return "two thousand " + number_words(num % 100)
        if num % 100 == 0:
            return number_words(num // 100) + " hundred"
        return f"{_year_pair(num // 100)} {_year_pair(num % 100)}"
    return number_words(num, andword="")


def expand_english(text: str) -> str:
    """Spell out numbers and symbols and keep only what the English g2p reads (upstream's order)."""
    text = _LONG_DIGITS_RE.sub(lambda m: " ".join(m.group(0)), text)  # no number has a name that long
    text = _LIST_ORDINAL_RE.sub(_list_ordinal, text)
    while _ARITHMETIC_RE.search(text):
        text = _ARITHMETIC_RE.sub(_arithmetic, text)
    text = _NEGATIVE_RE.sub(lambda m: "negative " + m.group(1), text)
    text = _GROUPED_NUMBER_RE.sub(lambda m: m.group(1).replace(",", ""), text)
    text = _CLOCK_RE.sub(_clock, text)
    text = _UNIT_RE.sub(_unit, text)
    text = _POUNDS_BEFORE_RE.sub(_pounds, text)
    text = _POUNDS_AFTER_RE.sub(_pounds, text)
    text = _DOLLARS_BEFORE_RE.sub(_dollars, text)
    text = _DOLLARS_AFTER_RE.sub(_dollars, text)
    text = _DECIMAL_RE.sub(_decimal, text)
    text = _FRACTION_RE.sub(_fraction, text)
    text = _ORDINAL_SUFFIX_RE.sub(_ordinal, text)
    text = _INTEGER_RE.sub(_integer, text)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    text = text.replace("%", " percent")
    text = _NOT_SPEAKABLE_RE.sub("", text)
    text = re.sub(r"(?i)i\.e\.", "that is", text)
    text = re.sub(r"(?i)e\.g\.", "for example", text)
    return _INNER_CAPITAL_RE.sub(r" \1", text)


def normalize_english(text: str) -> str:
    """Normalize an English piece exactly as upstream's ``english.text_normalize`` (v2) does."""
    text = _PUNCT_MAP_RE.sub(lambda m: _PUNCT_MAP[m.group(0)], text)
    text = expand_english(text)
    return _CONSECUTIVE_PUNCT_RE.sub(r"\1", text)
