"""Map punctuation to GPT-SoVITS' punctuation phones and drop what has no pronunciation."""

from __future__ import annotations

import re

from ..symbols import PUNCTUATION
from .normalizer import normalize_sentences

# Source punctuation -> phone punctuation (tried left to right; "..." is the only multi-char key).
PUNCTUATION_MAP: dict[str, str] = {
    "：": ",", "；": ",", "，": ",", "。": ".", "！": "!", "？": "?", "\n": ".", "·": ",", "、": ",",
    "...": "…", "$": ".", "/": ",", "—": "-", "~": "…", "～": "…",
}
_MAP_RE = re.compile("|".join(re.escape(k) for k in PUNCTUATION_MAP))
_PUNCT_CLASS = "".join(re.escape(p) for p in PUNCTUATION)
_REPEATED_PUNCT = re.compile(f"([{_PUNCT_CLASS}])([{_PUNCT_CLASS}])+")


def map_punctuation(text: str, keep_latin: bool = False) -> str:
    """嗯->恩, 呣->母, punctuation mapped; every other char outside U+4E00-U+9FA5 (and Latin
    letters if ``keep_latin``) is dropped."""
    text = text.replace("嗯", "恩").replace("呣", "母")
    text = _MAP_RE.sub(lambda m: PUNCTUATION_MAP[m.group()], text)
    keep = r"\u4e00-\u9fa5" + ("A-Za-z" if keep_latin else "") + "".join(PUNCTUATION)
    return re.sub(f"[^{keep}]+", "", text)


def collapse_repeated_punctuation(text: str) -> str:
    """A run of punctuation phones keeps only its first mark: "?!..." -> "?"."""
    return _REPEATED_PUNCT.sub(r"\1", text)


def normalize_zh(text: str) -> str:
    """The full Chinese normalization: sentences normalized, punctuation mapped, runs collapsed.

    The result holds only CJK characters U+4E00-U+9FA5 and the marks ``! ? … , . -``.
    """
    mapped = "".join(map_punctuation(s) for s in normalize_sentences(text))
    return collapse_repeated_punctuation(mapped)
