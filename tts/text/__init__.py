"""Text frontend: text -> GPT-SoVITS phone ids (+ word2ph for BERT), identical to upstream v1/v2.

``text_to_phones(text, language="zh", version="v2")`` is the whole pipeline: Chinese readings of
numbers and symbols in Chinese sentences (``zh_normalization.spoken``), language split,
normalization, g2p (optionally with a g2pW model), symbol ids, and upstream's "fewer than 6
phones -> put '.' in front and redo" rule. ``Frontend`` keeps an optional g2pW model loaded.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from tts.options import LANGUAGES

from .cleaner import clean_text
from .phones import PhonePiece, Phones
from .symbols import SYMBOLS_V1, SYMBOLS_V2, symbol_to_id
from .zh_g2p import ChineseG2P
from .zh_normalization.spoken import read_aloud

if TYPE_CHECKING:
    from .g2pw import G2PW

logger = logging.getLogger(__name__)

SPOKEN = ("zh", "en")  # the languages the g2p speaks ("auto" may detect others: "ja", "ko")
MIN_PHONES = 6  # fewer phones than this: upstream retries with "." in front of the text

__all__ = [
    "Frontend",
    "LANGUAGES",
    "PhonePiece",
    "Phones",
    "SYMBOLS_V1",
    "SYMBOLS_V2",
    "symbol_to_id",
    "text_to_phones",
    "unspoken_pieces",
]


def _language_pieces(text: str, language: str) -> list[tuple[str, str]]:
    """(language, text) pieces as upstream's get_phones_and_bert forms them."""
    if language == "en":
        return [("en", text)]
    from .langsplit import split_by_language  # owned by the language-split frontend

    pieces: list[tuple[str, str]] = []
    for lang, piece in split_by_language(text, language):
        if language == "zh":
            lang = "en" if lang == "en" else "zh"
        elif lang not in SPOKEN:
            logger.warning("text piece %r was detected as %r; only Chinese and English are spoken: skipped",
                           piece[:30], lang)
            continue
        if language == "zh" and pieces and pieces[-1][0] == lang:
            pieces[-1] = (lang, pieces[-1][1] + piece)
        else:
            pieces.append((lang, piece))
    return pieces


def _spoken_text(text: str, language: str) -> str:
    """``text`` with numbers, money, units, dates and symbols of Chinese sentences read in Chinese,
    before the language split could send them to the English g2p (upstream splits first)."""
    return re.sub(r" {2,}", " ", read_aloud(text, language))


def unspoken_pieces(text: str, language: str = "auto") -> list[tuple[str, str]]:
    """The ``(language, piece)`` pieces of ``text`` the frontend skips: with ``language="auto"``,
    those detected as a language other than Chinese and English (Japanese kana, Korean Hangul)."""
    if language != "auto":
        return []
    from .langsplit import split_by_language

    return [(lang, piece) for lang, piece in split_by_language(_spoken_text(text, language), language)
            if lang not in SPOKEN]


class Frontend:
    """The text frontend with an optional g2pW model for Chinese polyphones.

    ``g2pw_dir``: an upstream ``G2PWModel`` folder (g2pW.onnx, POLYPHONIC_CHARS.txt, ...); its
    tokenizer comes from ``bert_dir`` (the chinese-roberta-wwm-ext-large folder, as upstream uses).
    Without ``g2pw_dir`` polyphones come from pypinyin (logged once).
    """

    def __init__(self, g2pw_dir: Path | None = None, bert_dir: Path | None = None, g2pw: "G2PW | None" = None):
        if g2pw is None and g2pw_dir is not None:
            from .g2pw import G2PW

            if bert_dir is None:
                raise ValueError(f"g2pW folder {g2pw_dir} given without bert_dir (its tokenizer folder)")
            g2pw = G2PW.load(Path(g2pw_dir), Path(bert_dir))
        if g2pw is None:
            _log_no_g2pw()
        self.g2pw = g2pw
        self._zh = {"v2": ChineseG2P(g2pw=g2pw, erhua=True), "v1": ChineseG2P(g2pw=None, erhua=False)}

    def text_to_phones(self, text: str, language: str = "zh", version: str = "v2") -> Phones:
        """Phones of ``text`` in ``language`` ("zh": Chinese with embedded English, "en", "auto")."""
        if language not in LANGUAGES:
            raise ValueError(f"language {language!r} is not supported; expected one of {LANGUAGES}")
        if version not in self._zh:
            raise ValueError(f"version {version!r} is not supported; expected one of {tuple(self._zh)}")
        text = _spoken_text(text, language)
        phones = self._phones(text, language, version)
        if len(phones) < MIN_PHONES:
            phones = self._phones("." + text, language, version)
        return phones

    def _phones(self, text: str, language: str, version: str) -> Phones:
        ids_of = symbol_to_id(version)
        pieces = []
        for lang, piece in _language_pieces(text, language):
            cleaned = clean_text(piece, lang, version, self._zh[version])
            ids = tuple(ids_of[s] for s in cleaned.symbols)
            pieces.append(PhonePiece(lang, cleaned.symbols, ids, cleaned.word2ph, cleaned.norm_text))
        return Phones(tuple(pieces))


@lru_cache(maxsize=1)
def _log_no_g2pw() -> None:
    logger.info("no g2pW model configured: Chinese polyphones are read with pypinyin (upstream uses g2pW)")


@lru_cache(maxsize=8)
def _frontend_for(g2pw: "G2PW | None") -> Frontend:
    return Frontend(g2pw=g2pw)


def text_to_phones(text: str, language: str = "zh", version: str = "v2", g2pw: "G2PW | None" = None) -> Phones:
    """Phone ids, word2ph and normalized text of ``text`` as upstream GPT-SoVITS computes them.

    ``language``: "zh" (Chinese; English words inside go to the English g2p), "en" or "auto".
    ``version``: "v2" (732 symbols) or "v1" (322). ``g2pw``: a loaded g2pW model, or None.
    """
    return _frontend_for(g2pw).text_to_phones(text, language, version)
