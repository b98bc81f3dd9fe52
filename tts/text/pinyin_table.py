"""Pinyin syllable -> (initial, final) phones, the "opencpop-strict" convention GPT-SoVITS uses.

The table is generated from the Mandarin syllable inventory below and a few spelling rules:
- zero-initial syllables starting with a/e/o get the placeholder initial AA/EE/OO and keep
  their spelling as the final (``ai -> AA ai``); y- and w- are kept as initials;
- after j/q/x/y the written u is ü (``ju -> j v``, ``quan -> q van``, ``yue -> y ve``);
- yan -> y En, ye -> y E (the e of ie is "E", the a of ian is "En" only after y);
- i after zh/ch/sh/r is "ir", after z/c/s "i0";
- everything else: initial + the rest of the spelling as final (iu, ui, un stay contracted).
Keys use the spellings GPT-SoVITS looks up (``jv``, ``yvan``... occur beside ``ju``, ``yuan``).
"""

from __future__ import annotations

from functools import lru_cache

_JQX = "i ia ian iang iao ie in ing iong iu u v uan van ue ve un vn"
# Per initial ("" = zero initial), the finals as spelled after it.
SYLLABLES: dict[str, str] = {
    "": "a ai an ang ao e ei en eng er o ou",
    "b": "a ai an ang ao ei en eng i ian iao ie in ing o u",
    "p": "a ai an ang ao ei en eng i ian iao ie in ing o ou u",
    "m": "a ai an ang ao e ei en eng i ian iao ie in ing iu o ou u",
    "f": "a an ang ei en eng o ou u",
    "d": "a ai an ang ao e ei en eng i ia ian iao ie ing iu ong ou u uan ui un uo",
    "t": "a ai an ang ao e ei eng i ian iao ie ing ong ou u uan ui un uo",
    "n": "a ai an ang ao e ei en eng i ian iang iao ie in ing iu ong ou u uan un uo v ve",
    "l": "a ai an ang ao e ei eng i ia ian iang iao ie in ing iu o ong ou u uan un uo v ve",
    "g": "a ai an ang ao e ei en eng ong ou u ua uai uan uang ui un uo",
    "k": "a ai an ang ao e ei en eng ong ou u ua uai uan uang ui un uo",
    "h": "a ai an ang ao e ei en eng ong ou u ua uai uan uang ui un uo",
    "j": _JQX,
    "q": _JQX,
    "x": _JQX,
    "zh": "a ai an ang ao e ei en eng i ong ou u ua uai uan uang ui un uo",
    "ch": "a ai an ang ao e en eng i ong ou u ua uai uan uang ui un uo",
    "sh": "a ai an ang ao e ei en eng i ou u ua uai uan uang ui un uo",
    "r": "an ang ao e en eng i ong ou u ua uan ui un uo",
    "z": "a ai an ang ao e ei en eng i ong ou u uan ui un uo",
    "c": "a ai an ang ao e ei en eng i ong ou u uan ui un uo",
    "s": "a ai an ang ao e en eng i ong ou u uan ui un uo",
    "y": "a an ang ao e i in ing o ong ou u v uan van ue ve un vn",
    "w": "a ai an ang ei en eng o u",
}

_ZERO_INITIAL = {"a": "AA", "e": "EE", "o": "OO"}
_U_IS_V = {"u": "v", "uan": "van", "ue": "ve", "un": "vn"}
_Y_FINALS = {"an": "En", "e": "E"}


def _split(initial: str, rest: str) -> tuple[str, str]:
    if not initial:
        return _ZERO_INITIAL[rest[0]], rest
    final = rest
    if initial in ("j", "q", "x", "y"):
        final = _U_IS_V.get(final, final)
    if initial == "y":
        final = _Y_FINALS.get(final, final)
    if final == "i" and initial in ("zh", "ch", "sh", "r"):
        final = "ir"
    elif final == "i" and initial in ("z", "c", "s"):
        final = "i0"
    return initial, final


@lru_cache(maxsize=1)
def pinyin_to_phones_table() -> dict[str, tuple[str, str]]:
    """All valid toneless pinyin spellings -> (initial phone, final phone without tone)."""
    table: dict[str, tuple[str, str]] = {}
    for initial, finals in SYLLABLES.items():
        for rest in finals.split():
            table[initial + rest] = _split(initial, rest)
    return table
