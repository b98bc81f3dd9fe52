"""Reply cleanup for speech: drop what a voice should not read.

Dropped, with everything inside them (nested groups too): （…） (…) 【…】 […] {…} *…*; emoji and
pictographic symbols; control and zero-width format characters; U+FFFD (undecodable bytes). Kept: the words inside quotation
marks 「…」 『…』 “…” "…" (they are spoken words), and all other text. Runs of spaces collapse to one
space (a line break wins over spaces); whitespace at the start and end and before closing
punctuation is dropped. A group still open at the end of the reply (an unfinished aside) is dropped.

``SpeechCleaner`` does the same incrementally on a stream of pieces: feeding any split of a text
piece by piece and then calling ``flush`` gives exactly ``clean_for_speech`` of the whole text.
Text is released as soon as it is known to be spoken; only whitespace (until the next kept
character) and the inside of an open group are held back.
"""

from __future__ import annotations

import unicodedata

# opener -> closer; "*" opens and closes an action / emphasis aside
_GROUPS = {"（": "）", "(": ")", "【": "】", "[": "]", "{": "}", "*": "*"}
_STRAY_CLOSERS = frozenset("）)】]}")
# no space is kept before these (a dropped aside often leaves "word (aside)." -> "word .")
_NO_SPACE_BEFORE = frozenset("。，、；：！？…,.;:!?」』”’》〉")
_EMOJI_RANGES = (
    (0x1F000, 0x1FAFF),  # mahjong/cards, enclosed alphanumerics, regional indicators, pictographs, emoticons, ...
    (0x2600, 0x27BF),  # miscellaneous symbols, dingbats (☀ ☺ ♪ ✨ ❤)
    (0x2B00, 0x2BFF),  # miscellaneous symbols and arrows (⭐ ⬆)
    (0x2300, 0x23FF),  # miscellaneous technical (⌚ ⏰ ⏳)
    (0xFE00, 0xFE0F),  # variation selectors (emoji presentation)
    (0x20E3, 0x20E3),  # combining enclosing keycap
    (0xE0020, 0xE007F),  # tag characters (flag sequences)
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3297),
    (0x3299, 0x3299),
)


def is_emoji(ch: str) -> bool:
    """True for emoji / pictographic symbols (and the joiners and selectors that build emoji sequences)."""
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _EMOJI_RANGES)


def _unspeakable(ch: str) -> bool:
    # Cc control, Cf format (ZWJ, zero-width space, BOM, bidi marks), Co private use, Cs surrogates
    # U+FFFD: bytes a server could not decode (partial UTF-8 streamed by some servers)
    return is_emoji(ch) or ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs")


class SpeechCleaner:
    """Incremental ``clean_for_speech``: ``feed`` pieces, get the speakable text released so far.

    One cleaner per reply (it holds that reply's open groups and pending whitespace).
    """

    def __init__(self) -> None:
        self._open: list[str] = []  # closers of the open groups, innermost last
        self._pending_space = ""  # "", " " or "\n": whitespace waiting for the next kept character
        self._started = False  # any character released yet

    def feed(self, piece: str) -> str:
        """Take the next piece of the reply; return the newly released speakable text (may be "")."""
        out: list[str] = []
        for ch in piece:
            if self._open:
                closer = self._open[-1]
                if ch == closer:
                    self._open.pop()
                elif closer != "*" and ch in _GROUPS and ch != "*":
                    self._open.append(_GROUPS[ch])  # nested group inside a bracket
                continue
            if ch in _GROUPS:
                self._open.append(_GROUPS[ch])
                continue
            if ch.isspace():
                if ch in "\n\r\u2028\u2029":
                    self._pending_space = "\n"
                elif not self._pending_space:
                    self._pending_space = " "
                continue
            if ch in _STRAY_CLOSERS or _unspeakable(ch):
                continue
            if self._pending_space and self._started and ch not in _NO_SPACE_BEFORE:
                out.append(self._pending_space)
            self._pending_space = ""
            self._started = True
            out.append(ch)
        return "".join(out)

    def flush(self) -> str:
        """End of the reply: drop an unclosed group and trailing whitespace, reset, return what is left ("")."""
        self._open.clear()
        self._pending_space = ""
        self._started = False
        return ""


def clean_for_speech(text: str) -> str:
    """The speakable part of a whole reply (see the module docstring for the rules)."""
    cleaner = SpeechCleaner()
    return cleaner.feed(text) + cleaner.flush()
