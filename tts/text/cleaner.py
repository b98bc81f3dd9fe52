"""Per-language cleaning: text -> (phone symbols, word2ph, normalized text), upstream's clean_text."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .symbols import symbols_for
from .zh_g2p import ChineseG2P, drop_unpronounceable
from .zh_normalization import normalize_zh

logger = logging.getLogger(__name__)

SUPPORTED_LANGUAGES = ("zh", "en")
# A "￥" / "^" anywhere in a Chinese piece turns it into a pause mark and every "," into SP2 / SP3.
SPECIAL_PAUSES: tuple[tuple[str, str], ...] = (("￥", "SP2"), ("^", "SP3"))


@dataclass(frozen=True)
class Cleaned:
    """Phones of one language piece (symbols of the version's table; "UNK" for unknown ones)."""

    symbols: tuple[str, ...]
    word2ph: tuple[int, ...] | None
    norm_text: str


def _zh_g2p(norm_text: str, zh_g2p: ChineseG2P) -> tuple[str, list[str], list[int]]:
    """g2p of normalized Chinese; where upstream would crash on a character without usable pinyin
    (e.g. 噷), that character is dropped instead (logged)."""
    try:
        phones, word2ph = zh_g2p.g2p(norm_text)
    except (IndexError, ValueError) as e:
        kept = drop_unpronounceable(norm_text)
        if kept == norm_text:
            raise ValueError(f"cannot convert {norm_text!r} to phones: {e}") from e
        logger.warning("dropping characters without usable pinyin: %r -> %r", norm_text, kept)
        norm_text = kept
        phones, word2ph = zh_g2p.g2p(norm_text)
    return norm_text, phones, word2ph


def clean_text(text: str, language: str, version: str, zh_g2p: ChineseG2P) -> Cleaned:
    """Normalize and convert one piece of ``language`` ("zh" or "en") like upstream's clean_text."""
    table = set(symbols_for(version))
    if language == "zh":
        for mark, pause in SPECIAL_PAUSES:
            if mark in text:
                norm_text, phones, word2ph = _zh_g2p(normalize_zh(text.replace(mark, ",")), zh_g2p)
                phones = [pause if p == "," else p for p in phones]
                return Cleaned(tuple(phones), tuple(word2ph), norm_text)
        norm_text, phones, word2ph = _zh_g2p(normalize_zh(text), zh_g2p)
        if len(word2ph) != len(norm_text) or sum(word2ph) != len(phones):
            raise AssertionError(f"word2ph does not match {norm_text!r}: {word2ph}")
        w2p: tuple[int, ...] | None = tuple(word2ph)
    elif language == "en":
        from .english import g2p_en  # owned by the English frontend

        phones, norm_text = g2p_en(text)
        phones = list(phones)
        if len(phones) < 4:
            phones = [","] + phones
        w2p = None
    else:
        raise ValueError(f"language {language!r} is not supported; expected one of {SUPPORTED_LANGUAGES}")
    return Cleaned(tuple(p if p in table else "UNK" for p in phones), w2p, norm_text)
