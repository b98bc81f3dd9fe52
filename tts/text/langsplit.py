"""Split mixed text into language pieces, as GPT-SoVITS v2 does before g2p.

Upstream runs ``split_lang`` (budoux + a fastText language-id model) and then its own
LangSegmenter rules. For Chinese text with English words, which is what this project speaks,
the outcome is decided by script, and this module reproduces it without any model:

- the text is cut into runs: CJK (Han and kana), Hangul, digits, and other (Latin...) text;
  spaces stay with the run they follow; a punctuation mark joins the run before it (a mark at
  the very start joins the run after it); an apostrophe inside a word is part of the word;
- a run of other text (Latin letters, but also symbols such as ℃ → ¥ or emoji) is English, as
  upstream's language-id model mostly decides; CJK is Chinese (kana: Japanese, Hangul: Korean);
- a digit run takes a neighbour's language by upstream's rules (same on both sides; after a
  sentence mark the next piece's; before one the previous piece's; else the longer side);
- neighbouring pieces of the same language are joined.

For ``language="zh"`` every non-English piece is Chinese and neighbours are joined again, so
the result alternates Chinese and English. Known difference: upstream asks fastText which
language a CJK run is; where it answers something other than Chinese or Japanese (it does for
some short or traditional-Chinese runs), upstream drops that run's non-CJK punctuation and we
do not.
"""

from __future__ import annotations

import re

# Punctuation marks as split_lang defines them (each is its own run, then joins a neighbour).
_PUNCTUATION = frozenset(
    "〜~,.;:!?，。！？；：、·([{<（【《〈「『“‘)]}>）】》〉」』”’\"-_—#$%&…￥'*+<=>@\\^`|"
)
_SENTENCE_MARKS = frozenset(",.!?，。！？")
_FULL_EN_RE = re.compile(
    r"^(?=.*[A-Za-z])[A-Za-z0-9\s\u0020-\u007E\u2000-\u206F\u3000-\u303F\uFF00-\uFFEF]+$"
)

LANGUAGES = ("zh", "en", "auto", "all_zh")


def _char_kind(ch: str) -> str:
    o = ord(ch)
    if 0x4E00 <= o <= 0x9FFF or 0x3040 <= o <= 0x30FF or ch == "々":
        return "cjk"
    if 0xAC00 <= o <= 0xD7AF:
        return "ko"
    if ch.isdigit():
        return "digit"
    return "other"


def _runs(text: str) -> list[list[str]]:
    """Cut ``text`` into [kind, text] runs with spaces, punctuation and newlines attached."""
    runs: list[list[str]] = []
    pending = ""  # punctuation/newlines before the first run: they join the first run
    kind = None
    for i, ch in enumerate(text):
        is_mark = (ch in _PUNCTUATION and not (ch == "'" and i > 0 and not text[i - 1].isspace())) or ch in "\r\n"
        if is_mark:
            kind = None  # the next character starts a new run
            if runs:
                runs[-1][1] += ch
            else:
                pending += ch
            continue
        if ch.isspace() or ch == "'":
            if runs:
                runs[-1][1] += ch
            else:
                pending += ch
            continue
        k = _char_kind(ch)
        if k == kind:
            runs[-1][1] += ch
        else:
            runs.append([k, pending + ch])
            pending = ""
            kind = k
    if pending:
        if runs:
            runs[-1][1] += pending
        else:
            runs.append(["other", pending])
    return runs


def _merge(pieces: list[list[str]]) -> list[list[str]]:
    out: list[list[str]] = []
    for lang, text in pieces:
        if out and out[-1][0] == lang:
            out[-1][1] += text
        else:
            out.append([lang, text])
    return out


def _label(kind: str, text: str) -> str:
    if kind == "digit":
        return "digit"
    if _FULL_EN_RE.match(text):
        return "en"
    if kind == "cjk":
        return "ja" if re.search(r"[\u3040-\u30ff]", text) else "zh"
    if kind == "ko":
        return "ko"
    # Latin text with other letters (café), and symbols without letters (℃ → ¥ 😀): upstream's
    # language-id model mostly answers English for these, so they become English pieces.
    return "en"


def _resolve_digits(items: list[list[str]]) -> list[list[str]]:
    out: list[list[str]] = []
    last = len(items) - 1
    for i, (lang, text) in enumerate(items):
        if lang == "digit":
            if out and i == last:
                lang = out[-1][0]
            elif not out and i < last:
                lang = items[1][0]
            elif out and i < last:
                prev, nxt = out[-1], items[i + 1]
                if prev[0] == nxt[0]:
                    lang = prev[0]
                elif prev[1][-1] in _SENTENCE_MARKS:
                    lang = nxt[0]
                elif nxt[1][0] in _SENTENCE_MARKS:
                    lang = prev[0]
                elif text[-1] in "。.":
                    lang = prev[0]
                elif len(prev[1]) >= len(nxt[1]):
                    lang = prev[0]
                else:
                    lang = nxt[0]
            else:
                lang = "zh"
        out = _merge(out + [[lang, text]])
    return out


def _resolve_unknown(items: list[list[str]]) -> list[list[str]]:
    out: list[list[str]] = []
    for lang, text in items:
        if lang == "x":
            lang = out[-1][0] if out else (items[1][0] if len(items) > 1 else "zh")
        out = _merge(out + [[lang, text]])
    return out


def split_by_language(text: str, language: str = "zh") -> list[tuple[str, str]]:
    """Split ``text`` into ``(language, text)`` pieces the way upstream v2 does for ``language``.

    ``"en"``: the whole text is one English piece. ``"zh"``: alternating Chinese and English
    pieces. ``"auto"``: pieces labelled "zh", "en" (and "ja"/"ko" for kana/Hangul, which the
    caller may reject). ``"all_zh"``: like "zh" with digits always Chinese. Runs of 2+ spaces
    become one space first, as upstream does. Pieces joined give back the text (after that
    space collapsing and stripping of the ends), except where upstream itself loses characters.
    """
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}: expected one of {', '.join(LANGUAGES)}")
    text = re.sub(r" {2,}", " ", text)
    if language == "en":
        return [("en", text)]
    runs = _runs(text.strip())
    if not runs:
        return []
    items = _merge([[_label(kind, t), t] for kind, t in runs])
    if language == "all_zh":
        items = _merge([["en" if lang == "en" else "zh", t] for lang, t in items])
        return [(lang, t) for lang, t in items]
    if any(lang == "digit" for lang, _ in items):
        items = _resolve_digits(items)
    items = _resolve_unknown(items)
    if language == "zh":
        items = _merge([["en" if lang == "en" else "zh", t] for lang, t in items])
    return [(lang, t) for lang, t in items]
