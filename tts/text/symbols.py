"""GPT-SoVITS phone symbol tables (v1: 322 symbols, v2: 732) in upstream's exact order.

The tables are assembled from the phone inventories below. v1 is the sorted set of pad + Mandarin
initials/finals + Japanese + punctuation + ARPAbet symbols; v2 appends (in this order) the Japanese
pitch marks, the Korean jamo sorted, and the Cantonese (Jyutping, "Y"-prefixed) symbols sorted, so
that ``SYMBOLS_V2[:322] == SYMBOLS_V1`` and ids of the v1 symbols never move.
"""

from __future__ import annotations

from functools import lru_cache

PAD = "_"
# Punctuation phones (one phone each). "-" is a phone too.
PUNCTUATION: tuple[str, ...] = ("!", "?", "…", ",", ".", "-")
# Silence / unknown phones: SP2 and SP3 replace "," when the text contains "￥" / "^".
SPECIAL: tuple[str, ...] = ("SP", "SP2", "SP3", "UNK")

# Mandarin initials. AA/EE/OO are the zero-initial placeholders of a-/e-/o- syllables.
ZH_INITIALS: tuple[str, ...] = tuple(
    "AA EE OO b c ch d f g h j k l m n p q r s sh t w x y z zh".split()
)
# Mandarin finals without tone; i0 = the apical vowel after z/c/s, ir = after zh/ch/sh/r,
# E = the "ie/ye" e, En = the "ian/yan" an; v = ü.
ZH_FINALS: tuple[str, ...] = tuple(
    "E En a ai an ang ao e ei en eng er i i0 ia ian iang iao ie in ing iong ir iu "
    "o ong ou u ua uai uan uang ui un uo v van ve vn".split()
)
ZH_TONES = "12345"  # 5 = neutral tone

JA_SYMBOLS: tuple[str, ...] = tuple(
    "I N U a b by ch cl d dy e f g gy h hy i j k ky m my n ny o p py r ry s sh t ts u v w y z".split()
)

# ARPAbet: consonants, then vowels with stress 0/1/2, plus the two stress-less vowels that occur.
_ARPA_CONSONANTS = "B CH D DH F G HH JH K L M N NG P R S SH T TH V W Y Z ZH".split()
_ARPA_VOWELS = "AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split()
ARPA: frozenset[str] = frozenset(
    _ARPA_CONSONANTS + [v + s for v in _ARPA_VOWELS for s in "012"] + ["ER", "IH"]
)

JA_PITCH_MARKS: tuple[str, ...] = ("[", "]")
KO_SYMBOLS = "ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎㄲㄸㅃㅆㅉㅏㅓㅗㅜㅡㅣㅐㅔ空停"

# Cantonese (Jyutping). Finals carry tones 1-6; some syllable parts also occur bare.
_YUE_TONED = (
    "a aa aai aak aam aan aang aap aat aau ai ak am an ang ap at au e ei ek eng eoi eon eot "
    "g i ik im in ing ip it iu k m n o oe oek oeng oi ok on ong ot ou p t u ui uk un ung ut yu yun yut"
).split()
_YUE_BARE = "a aa ai ak au b c d e f g gw h j k kw l m n ng o oi ok on ou p s t uk w z".split()
YUE_SYMBOLS: frozenset[str] = frozenset(
    ["Y" + f + t for f in _YUE_TONED for t in "123456"] + ["Y" + b for b in _YUE_BARE]
)


def _build_v1() -> list[str]:
    zh_finals_toned = [f + t for t in ZH_TONES for f in ZH_FINALS]
    items = [PAD, *ZH_INITIALS, *zh_finals_toned, *JA_SYMBOLS, *PUNCTUATION, *SPECIAL, *ARPA]
    return sorted(set(items))


SYMBOLS_V1: tuple[str, ...] = tuple(_build_v1())
SYMBOLS_V2: tuple[str, ...] = (
    SYMBOLS_V1 + JA_PITCH_MARKS + tuple(sorted(KO_SYMBOLS)) + tuple(sorted(YUE_SYMBOLS))
)

VERSIONS = ("v1", "v2")


def symbols_for(version: str) -> tuple[str, ...]:
    """The symbol table of ``version`` ("v1" or "v2"); a phone's id is its index in it."""
    if version == "v1":
        return SYMBOLS_V1
    if version == "v2":
        return SYMBOLS_V2
    raise ValueError(f"unknown symbol table version {version!r}; expected one of {VERSIONS}")


@lru_cache(maxsize=None)
def symbol_to_id(version: str) -> dict[str, int]:
    """Mapping phone symbol -> id for ``version`` ("v1" or "v2"). Do not mutate the result."""
    return {s: i for i, s in enumerate(symbols_for(version))}
