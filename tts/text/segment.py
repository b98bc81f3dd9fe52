"""Cutting text into the pieces that are synthesized one at a time: every cut of text is here.

``split_for_synthesis`` is upstream GPT-SoVITS v2's preprocessing for a whole text with its
"cut5" method (cut after every punctuation mark, merge pieces shorter than 5 characters);
``synthesis_segments`` is what the engine synthesizes: those pieces, cut blindly where one is
still longer than BERT takes. ``IncrementalSegmenter`` cuts text that arrives in pieces (an LLM
stream) at clause boundaries as soon as they are certain, so synthesis can start before the
reply is complete.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from .zh_normalization.spoken import ADDRESS

logger = logging.getLogger(__name__)

# Marks that may end a segment (upstream's `splits`): checked on the last character.
SPLIT_MARKS = frozenset("，。？！,.?!~:：—…")
# Marks after which cut5 cuts ("." between two digits excepted).
CUT5_MARKS = frozenset(",.;?!、，。？！：…")
# Marks whose runs collapse to the first one before cutting.
_COLLAPSING = "!?…,.-"
_COLLAPSE_RE = re.compile(f"([{re.escape(_COLLAPSING)}])([{re.escape(_COLLAPSING)}])+")
_SPLIT_MARKS_RE = re.compile("[" + re.escape("".join(sorted(SPLIT_MARKS))) + "]")
MAX_SEGMENT_CHARS = 510  # BERT takes 512 positions with CLS and SEP: longer pieces are cut again
MIN_SEGMENT_CHARS = 5  # cut5 pieces shorter than this are merged with the next


def collapse_punctuation(text: str) -> str:
    """Keep the first mark of each run of ``! ? … , . -`` (upstream does this before cutting)."""
    return _COLLAPSE_RE.sub(r"\1", text)


def _inside_token(text: str, i: int) -> bool:
    """True when the "." at ``text[i]`` is inside a number (3.14, as upstream) or inside an e-mail or
    web address (test@example.com, www.bilibili.com), where nobody pauses."""
    if not 0 < i < len(text) - 1:
        return False
    if text[i - 1].isdigit() and text[i + 1].isdigit():
        return True
    return i in _address_positions(text)


@lru_cache(maxsize=16)
def _address_positions(text: str) -> frozenset[int]:
    """Positions of ``text`` inside an address: ADDRESS matched within each maximal run of address
    characters, once per run and text (per "." it made a long run of dots cubic: minutes for
    4,000 characters of "a.a.a.")."""
    return frozenset(i for run in _ADDRESS_RUN.finditer(text) if "." in run.group()
                     for m in ADDRESS.finditer(text, run.start(), run.end()) for i in range(m.start(), m.end()))


_ADDRESS_CHARS = r"[A-Za-z0-9._%+@/:-]"
_ADDRESS_CHAR = re.compile(_ADDRESS_CHARS)
_ADDRESS_RUN = re.compile(_ADDRESS_CHARS + "+")


def _address_may_go_on(buf: str, i: int) -> bool:
    """The "." at ``buf[i]`` follows a Latin letter or digit and the word after it runs to the end of
    the buffer: whether it is inside an address is not known yet."""
    if i == 0 or not (buf[i - 1].isascii() and buf[i - 1].isalnum()):
        return False
    j = i + 1
    while j < len(buf) and _ADDRESS_CHAR.match(buf[j]):
        j += 1
    return j == len(buf)


def cut5(text: str) -> list[str]:
    """Cut after each mark of ``CUT5_MARKS`` (not a "." inside a number, address or file name, see
    ``_inside_token``); drop mark-only pieces.

    Newlines are kept inside pieces; :func:`split_for_synthesis` splits on them afterwards.
    """
    text = text.strip("\n")
    pieces: list[str] = []
    start = 0
    for i, ch in enumerate(text):
        if ch not in CUT5_MARKS:
            continue
        if (ch == "." and _inside_token(text, i)) or _thousands_comma(text, i):
            continue
        pieces.append(text[start : i + 1])
        start = i + 1
    if start < len(text):
        pieces.append(text[start:])
    return [p for p in pieces if not set(p) <= CUT5_MARKS]


def merge_short(texts: list[str], threshold: int = MIN_SEGMENT_CHARS) -> list[str]:
    """Join consecutive texts until each has ``threshold`` characters; a short tail joins the last."""
    if len(texts) < 2:
        return list(texts)
    out: list[str] = []
    acc = ""
    for t in texts:
        acc += t
        if len(acc) >= threshold:
            out.append(acc)
            acc = ""
    if acc:
        if out:
            out[-1] += acc
        else:
            out.append(acc)
    return out


def split_long(text: str, max_len: int = MAX_SEGMENT_CHARS) -> list[str]:
    """Cut a text longer than ``max_len`` at split marks into pieces of at most ``max_len`` (as upstream).

    A stretch longer than ``max_len`` without marks stays whole (as upstream; where upstream also
    emits an empty piece before it, we do not).
    """
    parts = re.split("(" + _SPLIT_MARKS_RE.pattern + ")", text)
    out: list[str] = []
    current = ""
    for part in parts:
        if len(current + part) > max_len:
            if current:
                out.append(current)
            current = part
        else:
            current += part
    if current:
        out.append(current)
    return out


def _first_clause(text: str) -> str:
    return _SPLIT_MARKS_RE.split(text)[0].strip()


def split_for_synthesis(text: str, language: str = "zh") -> list[str]:
    """Cut a whole text into the segments upstream v2 synthesizes one by one (method "cut5").

    Promises upstream's order of operations: runs of ``! ? … , . -`` collapse; a first clause
    shorter than 4 characters gets "。" in front ("." for English); cut5; newlines split;
    pieces shorter than 5 characters merge with the next; pieces without any word character
    are dropped; each piece ends with a split mark ("。" / "." appended); pieces over 510
    characters are cut again. Text without anything to say gives ``[]`` (upstream raises).
    """
    mark = "." if language == "en" else "。"
    text = collapse_punctuation(text).strip("\n")
    if not text:
        return []
    if text[0] not in SPLIT_MARKS and len(_first_clause(text)) < 4:
        text = mark + text
    joined = "\n".join(cut5(text))
    while "\n\n" in joined:
        joined = joined.replace("\n\n", "\n")
    pieces = [p for p in joined.split("\n") if p not in (" ", "")]
    out: list[str] = []
    for piece in merge_short(pieces, MIN_SEGMENT_CHARS):
        if not piece.strip() or not re.sub(r"\W+", "", piece):
            continue
        if piece[-1] not in SPLIT_MARKS:
            piece += mark
        out.extend(split_long(piece) if len(piece) > MAX_SEGMENT_CHARS else [piece])
    return out


def hard_split(text: str, max_chars: int = MAX_SEGMENT_CHARS) -> list[str]:
    """``text`` cut into pieces of at most ``max_chars`` characters (only texts without any
    punctuation get this far: upstream fails on them; we cut them blindly)."""
    if len(text) <= max_chars:
        return [text]
    logger.warning("segment of %d characters without punctuation: cut every %d characters", len(text), max_chars)
    return [text[i:i + max_chars] for i in range(0, len(text), max_chars)]


def synthesis_segments(text: str, language: str = "zh") -> list[str]:
    """The segments the engine synthesizes one by one: :func:`split_for_synthesis`, then any
    piece still longer than MAX_SEGMENT_CHARS cut by :func:`hard_split`."""
    segments = split_for_synthesis(text, language) if text.strip() else []
    return [piece for segment in segments for piece in hard_split(segment)]


# Incremental segmentation ------------------------------------------------------------------

# A segment may end after one of these (plus what follows it in _TRAILING).
_BOUNDARY = frozenset(CUT5_MARKS | {"\n", "；", "～"})
# Characters that stay with the segment before them: more marks, closing quotes, spaces.
_TRAILING = frozenset(_BOUNDARY | set("?!~:：—…”’」』）)】》〉] \t\r\u3000"))


def _is_number_mark(text: str, i: int) -> bool:
    """True when text[i] is "," between two digits (1,000) or a "." inside a token (3.14, example.com):
    not a boundary."""
    if text[i] == ".":
        return _inside_token(text, i)
    return text[i] == "," and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()


def _thousands_comma(text: str, i: int) -> bool:
    """The "," at ``text[i]`` separates thousands (3,500; 1,000,000): a digit before it and exactly three
    after it. cut5 cuts there (upstream does); nobody pauses inside a number."""
    return (text[i] == "," and 0 < i and text[i - 1].isdigit() and text[i + 1:i + 4].isdigit()
            and len(text[i + 1:i + 4]) == 3 and not text[i + 4:i + 5].isdigit())


def _content_len(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace() and ch not in _TRAILING)


def _safe_cut(text: str, pos: int) -> bool:
    """Whether cutting ``text`` before index ``pos`` keeps words and numbers whole."""
    a, b = text[pos - 1], text[pos]
    if a.isascii() and b.isascii() and a.isalnum() and b.isalnum():
        return False
    return not (a in ".," and pos >= 2 and text[pos - 2].isdigit() and b.isdigit()) and not (
        b in ".," and a.isdigit() and pos + 1 < len(text) and text[pos + 1].isdigit()
    )


class IncrementalSegmenter:
    """Cuts streamed text into segments for synthesis, as soon as each cut is certain.

    ``feed(piece)`` returns the segments completed by that piece; ``flush()`` returns the rest at
    the end of the stream. Promises:
    - the segments, joined, are exactly the text fed (nothing dropped, nothing added);
    - a segment ends at a clause boundary (a cut5 mark or a newline) together with the marks,
      closing quotes and spaces that follow it, once the next character shows the clause is
      over; never inside a number such as 3.14 or 1,000;
    - the first segment is cut at the first boundary where it has ``first_min_chars``
      characters (fast first audio); later ones need ``min_chars``;
    - no segment is longer than ``max_chars``: without a boundary the text is cut at the last
      space (or other point outside a word or number) before the cap.
    Segments are raw text: pass each through :func:`split_for_synthesis`; a segment with
    nothing to say gives no pieces there.
    """

    def __init__(self, first_min_chars: int = 4, min_chars: int = 12, max_chars: int = 100) -> None:
        if not 1 <= first_min_chars <= max_chars or not 1 <= min_chars <= max_chars:
            raise ValueError(
                f"need 1 <= first_min_chars, min_chars <= max_chars; got first_min_chars={first_min_chars}, "
                f"min_chars={min_chars}, max_chars={max_chars}"
            )
        self.first_min_chars = first_min_chars
        self.min_chars = min_chars
        self.max_chars = max_chars
        self._buf = ""
        self._emitted = 0

    def feed(self, piece: str) -> list[str]:
        """Add streamed text; return the segments it completes (possibly none)."""
        self._buf += piece
        return self._drain(final=False)

    def flush(self) -> list[str]:
        """End of stream: return the remaining segments (the last may be short); resets the state."""
        out = self._drain(final=True)
        if self._buf:
            out.append(self._buf)
        self._buf = ""
        self._emitted = 0
        return out

    def _emit(self, end: int) -> str:
        seg, self._buf = self._buf[:end], self._buf[end:]
        self._emitted += 1
        return seg

    def _drain(self, final: bool) -> list[str]:
        out = []
        while self._buf:
            end = self._next_cut(final)
            if end is None:
                break
            out.append(self._emit(end))
        return out

    def _boundary_ends(self, final: bool) -> list[int]:
        """Ends (exclusive) of the certain clause boundaries in the buffer, in order."""
        buf, ends, i = self._buf, [], 0
        while i < min(len(buf), self.max_chars):  # later boundaries cannot end a segment yet
            if buf[i] not in _BOUNDARY or _is_number_mark(buf, i):
                i += 1
                continue
            if buf[i] in ".," and i > 0 and buf[i - 1].isdigit() and i == len(buf) - 1 and not final:
                break  # "3." may become "3.14": wait for the next character
            if buf[i] == "." and not final and _address_may_go_on(buf, i):
                break  # "example." or "example.c" may become "example.com": wait for the rest of the word
            k = i + 1
            while k < len(buf) and buf[k] in _TRAILING and not _is_number_mark(buf, k):
                k += 1
            if k == len(buf) and not final:
                break  # the clause may go on with more marks or quotes
            ends.append(k)
            i = k
        return ends

    def _next_cut(self, final: bool) -> int | None:
        need = self.first_min_chars if self._emitted == 0 else self.min_chars
        ends = self._boundary_ends(final)
        for end in ends:
            if end > self.max_chars:
                break
            if _content_len(self._buf[:end]) >= need:
                return end
        if len(self._buf) <= self.max_chars:
            return None
        # Over the cap: the last boundary, else the last space, else any point outside a word.
        within = [e for e in ends if e <= self.max_chars]
        if within:
            return within[-1]
        buf = self._buf
        for pos in range(self.max_chars, 0, -1):
            if buf[pos - 1].isspace() and not buf[pos].isspace():
                return pos
        for pos in range(self.max_chars, 0, -1):
            if _safe_cut(buf, pos):
                return pos
        return self.max_chars
