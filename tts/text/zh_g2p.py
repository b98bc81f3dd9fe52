"""Chinese grapheme-to-phoneme conversion, GPT-SoVITS v2 ("chinese2") style.

Normalized text (CJK + ``! ? … , . -``) -> phone symbols and word2ph. Per sentence piece: jieba POS
cut, upstream's pre-merges, pinyin (pypinyin, or g2pW for polyphones when a model is given),
tone sandhi, erhua, then the opencpop-strict pinyin table.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from pypinyin import Style, lazy_pinyin
from pypinyin.contrib.tone_convert import to_finals_tone3, to_initials

from .pinyin_table import pinyin_to_phones_table
from .symbols import PUNCTUATION
from .tone_sandhi import ToneSandhi

if TYPE_CHECKING:
    from .g2pw import G2PW

_SPLIT_AFTER_PUNCT = re.compile(r"(?<=[" + re.escape("".join(PUNCTUATION)) + r"])\s*")
_LATIN = re.compile(r"[a-zA-Z]+")

MUST_ERHUA = frozenset("小院儿 胡同儿 范儿 老汉儿 撒欢儿 寻老礼儿 妥妥儿 媳妇儿".split())
NOT_ERHUA = frozenset(
    (
        "虐儿 为儿 护儿 瞒儿 救儿 替儿 有儿 一儿 我儿 俺儿 妻儿 拐儿 聋儿 乞儿 患儿 幼儿 孤儿 婴儿 婴幼儿 连体儿 "
        "脑瘫儿 流浪儿 体弱儿 混血儿 蜜雪儿 舫儿 祖儿 美儿 应采儿 可儿 侄儿 孙儿 侄孙儿 女儿 男儿 红孩儿 花儿 虫儿 "
        "马儿 鸟儿 猪儿 猫儿 狗儿 少儿"
    ).split()
)
# spelling fixes from pypinyin's strict initials/finals to the table's keys
_WITH_INITIAL = {"uei": "ui", "iou": "iu", "uen": "un"}
_ZERO_INITIAL_WHOLE = {"ing": "ying", "i": "yi", "in": "yin", "u": "wu"}
_ZERO_INITIAL_FIRST = {"v": "yu", "e": "e", "i": "y", "u": "w"}


def merge_erhua(initials: list[str], finals: list[str], word: str, pos: str) -> tuple[list[str], list[str]]:
    """Upstream's v2 erhua: a final 儿 (er2/er5) takes the tone of the syllable before it."""
    for i, final in enumerate(finals):
        if i == len(finals) - 1 and word[i] == "儿" and final == "er1":
            finals[i] = "er2"
    if word not in MUST_ERHUA and (word in NOT_ERHUA or pos in ("a", "j", "nr")):
        return initials, finals
    if len(finals) != len(word):
        return initials, finals
    new_finals: list[str] = []
    for i, final in enumerate(finals):
        if (
            i == len(finals) - 1
            and word[i] == "儿"
            and final in ("er2", "er5")
            and word[-2:] not in NOT_ERHUA
            and new_finals
        ):
            final = "er" + new_finals[-1][-1]
        new_finals.append(final)
    return list(initials), new_finals


def syllable_phones(initial: str, final: str) -> list[str]:
    """pypinyin strict initial + tone-numbered final -> [initial phone, final phone + tone]."""
    toneless, tone = final[:-1], final[-1]
    if tone not in "12345":
        raise ValueError(f"pinyin final {final!r} has no tone digit")
    spelled = initial + toneless
    if initial:
        if toneless in _WITH_INITIAL:
            spelled = initial + _WITH_INITIAL[toneless]
    elif spelled in _ZERO_INITIAL_WHOLE:
        spelled = _ZERO_INITIAL_WHOLE[spelled]
    elif spelled[:1] in _ZERO_INITIAL_FIRST:
        spelled = _ZERO_INITIAL_FIRST[spelled[0]] + spelled[1:]
    table = pinyin_to_phones_table()
    if spelled not in table:
        raise ValueError(
            f"pinyin {spelled!r} (initial {initial!r}, final {final!r}) is not in the opencpop-strict table"
        )
    new_initial, new_final = table[spelled]
    return [new_initial, new_final + tone]


@lru_cache(maxsize=4096)
def _pronounceable(char: str) -> bool:
    """Whether pypinyin's own reading of ``char`` maps to phones (false for e.g. 噷 "hm")."""
    if char in PUNCTUATION:
        return True
    initial = lazy_pinyin(char, neutral_tone_with_five=True, style=Style.INITIALS)
    final = lazy_pinyin(char, neutral_tone_with_five=True, style=Style.FINALS_TONE3)
    if len(initial) != 1 or len(final) != 1 or initial[0] == final[0] or len(final[0]) < 2:
        return False
    try:
        syllable_phones(initial[0], final[0])
    except ValueError:
        return False
    return True


def drop_unpronounceable(text: str) -> str:
    """``text`` without the characters whose reading has no phones (upstream crashes on them)."""
    return "".join(c for c in text if _pronounceable(c))


@lru_cache(maxsize=1)
def _jieba() -> tuple[object, ToneSandhi]:
    """jieba's default POS tokenizer and the tone sandhi bound to its dictionary, as upstream uses
    them (loaded once, ~1 s). Importing ``jieba.posseg`` already reads the word tags of the default
    dictionary for its default tokenizer: a tokenizer of our own would read them a second time (~0.8 s)."""
    import jieba
    import jieba.posseg

    return jieba.posseg.dt, ToneSandhi(jieba.dt.cut_for_search)


class ChineseG2P:
    """Normalized Chinese text -> (phone symbols, word2ph), as upstream v2 computes them.

    ``g2pw``: a loaded :class:`tts.text.g2pw.G2PW`; None uses pypinyin for every character.
    ``erhua``: v2 merges erhua tones; v1 (upstream's chinese.py) does not and never uses g2pW.
    jieba's dictionary is loaded on first use (about a second) and shared by all instances.
    """

    def __init__(self, g2pw: "G2PW | None" = None, erhua: bool = True):
        self.g2pw = g2pw
        self.erhua = erhua

    @staticmethod
    def split_pieces(text: str) -> list[str]:
        """Split after every punctuation mark (the unit g2pW and the sandhi merges see)."""
        return [p for p in _SPLIT_AFTER_PUNCT.split(text) if p.strip()]

    def g2p(self, text: str) -> tuple[list[str], list[int]]:
        """Phones and word2ph of normalized text: one entry of word2ph per character."""
        posseg, sandhi = _jieba()
        pieces = [_LATIN.sub("", p) for p in self.split_pieces(text)]
        g2pw_results: list[list[str]] = []
        if self.g2pw is not None:
            batch = [p for p in pieces if p]
            g2pw_results = self.g2pw.predict(batch) if batch else []
        phones: list[str] = []
        word2ph: list[int] = []
        cursor = 0
        for piece in pieces:
            words = sandhi.pre_merge([[w, f] for w, f in posseg.lcut(piece)])
            if self.g2pw is None:
                initials, finals = self._pypinyin_syllables(words, sandhi)
            else:
                pinyins = g2pw_results[cursor] if piece else []
                cursor += 1 if piece else 0
                initials, finals = self._g2pw_syllables(words, pinyins, sandhi)
            for initial, final in zip(initials, finals):
                if initial == final:
                    if initial not in PUNCTUATION:
                        raise ValueError(f"no pinyin for {initial!r} in {piece!r}")
                    phones.append(initial)
                    word2ph.append(1)
                else:
                    phones += syllable_phones(initial, final)
                    word2ph.append(2)
        return phones, word2ph

    def _pypinyin_syllables(self, words: list, sandhi: ToneSandhi) -> tuple[list[str], list[str]]:
        initials: list[str] = []
        finals: list[str] = []
        for word, pos in words:
            if pos == "eng":
                continue
            ini = lazy_pinyin(word, neutral_tone_with_five=True, style=Style.INITIALS)
            fin = lazy_pinyin(word, neutral_tone_with_five=True, style=Style.FINALS_TONE3)
            n = min(len(ini), len(fin))
            ini, fin = ini[:n], fin[:n]
            fin = sandhi.modified_tone(word, pos, fin)
            if self.erhua:
                ini, fin = merge_erhua(ini, fin, word, pos)
            initials += ini
            finals += fin
        return initials, finals

    def _g2pw_syllables(self, words: list, pinyins: list[str], sandhi: ToneSandhi) -> tuple[list[str], list[str]]:
        assert self.g2pw is not None
        initials: list[str] = []
        finals: list[str] = []
        start = 0
        for word, pos in words:
            end = start + len(word)
            if pos == "eng":
                start = end
                continue
            word_pinyins = self.g2pw.correct(word, pinyins[start:end])
            ini: list[str] = []
            fin: list[str] = []
            for py in word_pinyins:
                if py[0].isalpha():
                    ini.append(to_initials(py))
                    fin.append(to_finals_tone3(py, neutral_tone_with_five=True))
                else:
                    ini.append(py)
                    fin.append(py)
            start = end
            fin = sandhi.modified_tone(word, pos, fin)
            if self.erhua:
                ini, fin = merge_erhua(ini, fin, word, pos)
            initials += ini
            finals += fin
        return initials, finals
