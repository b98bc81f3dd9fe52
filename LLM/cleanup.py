"""Reply cleanup for speech: drop what a voice should not read.

Dropped, with everything inside them (nested groups too): （…） (…) 【…】 […] {…} *…*; emoji and
pictographic symbols; control and zero-width format characters; U+FFFD (undecodable bytes). Kept: the words inside quotation
marks 「…」 『…』 “…” "…" (they are spoken words), and all other text. Runs of spaces collapse to one
space (a line break wins over spaces); whitespace at the start and end and before closing
punctuation is dropped. A group never closed (an aside the LLM did not finish) drops only the rest of
its own sentence: from the next sentence end (。！？!?… or a line break) on the text is spoken again,
that end mark included when something was spoken before it. A "*" between two digits (5*3, 5 * 3) is
a times sign, not an aside: it stays, for the Chinese reading (五乘三). A "*" that starts a line and
is followed by a space is a list bullet: it alone is dropped ("* 牛奶 1瓶" -> "牛奶 1瓶").

``SpeechCleaner`` does the same incrementally on a stream of pieces: feeding any split of a text
piece by piece and then calling ``flush`` gives exactly ``clean_for_speech`` of the whole text.
Text is released as soon as it is known to be spoken; only whitespace (until the next kept
character), a "*" after a digit or at a line's start (until the next character) and the text from an open group's opener
on are held back; if the group is never closed, ``flush`` releases what follows its sentence end.
"""

from __future__ import annotations

import re
import unicodedata

# opener -> closer; "*" opens and closes an action / emphasis aside
_GROUPS = {"（": "）", "(": ")", "【": "】", "[": "]", "{": "}", "*": "*"}
_STRAY_CLOSERS = frozenset("）)】]}")
_LINE_BREAKS = "\n\r\u2028\u2029"
# where the sentence of a group never closed ends (a run of marks counts as one end)
_SENTENCE_END = re.compile(f"[。！？!?…{_LINE_BREAKS}]+")
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

    One cleaner per reply (it holds that reply's open groups, the text they hold and pending whitespace).
    """

    def __init__(self) -> None:
        self._open: list[str] = []  # closers of the open groups, innermost last
        self._held: list[str] = []  # the text from the outermost open group's opener on
        self._times: str | None = None  # after a "*" that follows a digit: the space after it ("" or " ")
        self._digit = False  # the last character released is a digit, and only spaces came since
        self._pending_space = ""  # "", " " or "\n": whitespace waiting for the next kept character
        self._started = False  # any character released yet
        self._line_start = True  # nothing kept on this line yet
        self._bullet = False  # after a "*" at a line's start: a list bullet if a space follows

    def feed(self, piece: str) -> str:
        """Take the next piece of the reply; return the newly released speakable text (may be "")."""
        out: list[str] = []
        for ch in piece:
            self._step(ch, out)
        return "".join(out)

    def flush(self) -> str:
        """End of the reply: a group never closed drops only the rest of its sentence; return the text
        after that end (cleaned as usual) and reset for the next reply."""
        out: list[str] = []
        while self._open:
            held = "".join(self._held)
            self._open.clear()
            self._held.clear()
            end = _SENTENCE_END.search(held)
            if end is None:
                break
            for ch in held[end.start() if self._started else end.end():]:  # may open another group
                self._step(ch, out)
        self._times = None  # a "*" after a digit at the very end opens an empty aside
        self._bullet = False  # so does a "*" alone at the start of the last line
        self._line_start = True
        self._digit = False
        self._pending_space = ""
        self._started = False
        return "".join(out)

    def _step(self, ch: str, out: list[str]) -> None:
        if self._bullet:
            self._bullet = False
            if ch in " \t":  # "* item": a list bullet, dropped; the item is spoken
                return
            self._open.append("*")  # "*笑*" at a line's start: an aside
            self._held = ["*"]
            self._line_start = False
        if self._times is not None:
            if ch in " \t":
                self._times = " "
                return
            space, self._times = self._times, None
            if ch.isdecimal():  # 5*3: a times sign
                self._release("*", out)
                self._pending_space = space
            else:  # 5*笑*: an aside after a number
                self._open.append("*")
                self._held = ["*", space]
        if self._open:
            self._held.append(ch)
            closer = self._open[-1]
            if ch == closer:
                self._open.pop()
                if not self._open:
                    self._held.clear()
            elif closer != "*" and ch in _GROUPS and ch != "*":
                self._open.append(_GROUPS[ch])  # nested group inside a bracket
            return
        if ch == "*" and self._digit:
            self._times = ""
            return
        if ch == "*" and self._line_start:
            self._bullet = True
            return
        if ch.isspace():
            if ch in _LINE_BREAKS:
                self._pending_space = "\n"
                self._digit = False
                self._line_start = True
            elif not self._pending_space:
                self._pending_space = " "
            return
        if ch in _GROUPS:
            self._open.append(_GROUPS[ch])
            self._held = [ch]
            self._line_start = False
        elif ch not in _STRAY_CLOSERS and not _unspeakable(ch):
            self._release(ch, out)
            return
        self._digit = False

    def _release(self, ch: str, out: list[str]) -> None:
        if self._pending_space and self._started and ch not in _NO_SPACE_BEFORE:
            out.append(self._pending_space)
        self._pending_space = ""
        self._started = True
        self._line_start = False
        self._digit = ch.isdecimal()
        out.append(ch)


def clean_for_speech(text: str) -> str:
    """The speakable part of a whole reply (see the module docstring for the rules)."""
    cleaner = SpeechCleaner()
    return cleaner.feed(text) + cleaner.flush()
