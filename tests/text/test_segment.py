"""Segmenting text for synthesis: upstream's cut5 preprocessing and the incremental segmenter."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tts.text.segment import IncrementalSegmenter, cut5, merge_short, split_for_synthesis, split_long

DATA = Path(__file__).parent / "data"
GOLDEN = json.loads((DATA / "segment_golden.json").read_text(encoding="utf-8"))["cases"]


def test_golden_set_is_large_enough():
    assert len(GOLDEN) >= 30


@pytest.mark.parametrize("case", GOLDEN, ids=[f"{c['language']}-{i}" for i, c in enumerate(GOLDEN)])
def test_split_for_synthesis_matches_upstream(case):
    assert split_for_synthesis(case["text"], case["language"]) == case["segments"]


def test_cut5_keeps_decimal_points_and_drops_mark_only_pieces():
    assert cut5("圆周率是3.14，对吧？！") == ["圆周率是3.14，", "对吧？"]
    assert cut5("结尾没有标点") == ["结尾没有标点"]


def test_merge_short_joins_until_threshold_and_tail_joins_last():
    assert merge_short(["a，", "bc，", "defgh。", "i"], 5) == ["a，bc，", "defgh。i"]
    assert merge_short(["ab"], 5) == ["ab"]


def test_long_text_is_cut_at_marks_below_510_chars():
    text = ("这是一个测试句子~" * 80) + "完。"  # cut5 does not cut at "~"; the 510 rule does
    segments = split_for_synthesis(text)
    assert len(segments) == 2 and all(len(s) <= 510 for s in segments)
    assert "".join(segments) == text
    assert split_long("啊" * 600) == ["啊" * 600]  # no mark: upstream leaves it whole


def test_final_mark_is_added_by_language():
    # (upstream's "。" in front of a short first clause is cut off again by cut5)
    assert split_for_synthesis("好的，我明白了") == ["好的，我明白了。"]
    assert split_for_synthesis("OK, I see", "en") == ["OK, I see."]


def test_nothing_to_say_gives_no_segments():
    assert split_for_synthesis("") == []
    assert split_for_synthesis("\n\n") == []
    assert split_for_synthesis("……！！") == []


# Incremental segmenter ----------------------------------------------------------------------

TEXTS = [
    "你好呀，我是小助手。今天天气不错，温度是3.14度，我们去公园玩吧！Hello, how are you? I am fine, thank you.",
    "圆周率大约是3.1415926，而e大约是2.71828。一共有1,000,000个人参加了活动！",
    "他说：“我明天不来了。”然后就走了……真的吗？？",
    "第一段。\n\n第二段，有点长的一段话。\n第三段",
    "a" * 250 + "，" + "这是一个没有标点的很长很长的句子" * 12,
    "Supercalifragilisticexpialidocious words without any punctuation at all keep going on and on and on "
    "until the segmenter has to cut them somewhere sensible because otherwise they would grow forever",
    "",
    "。",
    "嗯",
]


def _run(seg: IncrementalSegmenter, pieces: list[str]) -> list[str]:
    out = []
    for p in pieces:
        out += seg.feed(p)
    return out + seg.flush()


def _random_pieces(text: str, rng: random.Random) -> list[str]:
    pieces, i = [], 0
    while i < len(text):
        n = rng.choice([1, 1, 2, 3, 5, 8, 20])
        pieces.append(text[i : i + n])
        i += n
    return pieces


@pytest.mark.parametrize("seed", range(25))
def test_incremental_segments_rebuild_the_text_and_respect_the_cap(seed):
    rng = random.Random(seed)
    for text in TEXTS:
        cap = rng.choice([20, 40, 100])
        seg = IncrementalSegmenter(first_min_chars=rng.choice([1, 4, 6]), min_chars=rng.choice([5, 12]), max_chars=cap)
        segments = _run(seg, _random_pieces(text, rng))
        assert "".join(segments) == text
        assert all(s for s in segments)
        assert all(len(s) <= cap for s in segments), [len(s) for s in segments]


@pytest.mark.parametrize("seed", range(10))
def test_incremental_segments_do_not_depend_on_how_the_text_arrives(seed):
    rng = random.Random(seed)
    for text in TEXTS[:4]:
        whole = _run(IncrementalSegmenter(), [text])
        by_char = _run(IncrementalSegmenter(), list(text))
        assert _run(IncrementalSegmenter(), _random_pieces(text, rng)) == whole == by_char


def test_first_segment_is_short_then_clauses():
    seg = IncrementalSegmenter(first_min_chars=4, min_chars=12, max_chars=100)
    assert seg.feed("今天天气，") == []  # not certain yet: more marks may follow
    assert seg.feed("我们") == ["今天天气，"]
    assert seg.feed("去公园玩吧，好不好？") == []  # 9 characters < min_chars
    assert seg.feed("我觉得挺好的。然后") == ["我们去公园玩吧，好不好？我觉得挺好的。"]
    assert seg.flush() == ["然后"]


def test_marks_quotes_and_spaces_stay_with_their_clause():
    segments = _run(IncrementalSegmenter(first_min_chars=2, min_chars=2), list("他说：“好的！！”  然后走了。 Yes, sure."))
    assert segments == ["他说：", "“好的！！”  ", "然后走了。 ", "Yes, ", "sure."]


def test_numbers_are_never_split():
    text = "价格是3.14元，一共1,000个，温度-5.5度。"
    for first in (1, 2, 3):
        segments = _run(IncrementalSegmenter(first_min_chars=first, min_chars=1), list(text))
        assert "".join(segments) == text
        assert not any(s.endswith(("3.", "3", "1,", "1")) for s in segments[:-1]), segments
    # "3." at the end of the stream so far: wait for the next character
    seg = IncrementalSegmenter(first_min_chars=1, min_chars=1)
    assert seg.feed("它是3.") == []
    assert seg.feed("14") == []
    assert seg.feed("，") == []
    assert seg.feed("对") == ["它是3.14，"]


def test_cap_cuts_at_a_space_not_inside_a_word():
    seg = IncrementalSegmenter(first_min_chars=4, min_chars=4, max_chars=30)
    out = _run(seg, ["one two three four five six seven eight nine ten eleven twelve"])
    assert all(len(s) <= 30 for s in out)
    assert all(s.endswith(" ") for s in out[:-1]), out


def test_flush_resets_state():
    seg = IncrementalSegmenter(first_min_chars=4, min_chars=50)
    assert _run(seg, ["很好，非常好。"]) == ["很好，非常好。"]
    assert seg.feed("今天天气，我们") == ["今天天气，"]  # first segment rule applies again


def test_bad_limits_are_rejected_with_their_values():
    with pytest.raises(ValueError, match="max_chars=3"):
        IncrementalSegmenter(first_min_chars=4, min_chars=5, max_chars=3)


@pytest.mark.parametrize("text, segments", [
    ("他的邮箱是test@example.com，有事找他。", ["他的邮箱是test@example.com，", "有事找他。"]),
    ("网址是www.bilibili.com。", ["网址是www.bilibili.com。"]),
    ("访问baidu.com搜索。", ["访问baidu.com搜索。"]),
    ("abc,def.ghi!jkl?", ["abc,def.", "ghi!jkl?"]),  # not an address: upstream's cut stays
])
def test_addresses_are_not_cut_at_their_dots(text, segments):
    assert split_for_synthesis(text, "zh") == segments
    streamed = IncrementalSegmenter(first_min_chars=2, min_chars=2)
    out = [s for ch in text for s in streamed.feed(ch)] + streamed.flush()
    assert "".join(out) == text
    assert not any(s.endswith(("example.", "www.", "baidu.")) for s in out)


def test_a_thousands_comma_is_not_a_cut():
    assert split_for_synthesis("这台电脑¥3,500，太贵了。", "zh") == ["这台电脑¥3,500，太贵了。"]
    assert split_for_synthesis("人口1,400,000,000人。", "zh") == ["人口1,400,000,000人。"]
    assert cut5("好的,我知道了,12,34。") == ["好的,", "我知道了,", "12,", "34。"]  # not thousands: cut as upstream


def _inside_address_per_dot(text: str, i: int) -> bool:
    """The rule as first written: ADDRESS matched around each "." on its own (cubic on long runs)."""
    import re

    from tts.text.zh_normalization.spoken import ADDRESS

    if not 0 < i < len(text) - 1:
        return False
    if text[i - 1].isdigit() and text[i + 1].isdigit():
        return True
    char = re.compile(r"[A-Za-z0-9._%+@/:-]")
    start, end = i, i + 1
    while start > 0 and char.match(text[start - 1]):
        start -= 1
    while end < len(text) and char.match(text[end]):
        end += 1
    return any(m.start() <= i < m.end() for m in ADDRESS.finditer(text, start, end))


def test_dots_inside_addresses_are_found_once_per_run_with_the_same_answers():
    from tts.text.segment import _inside_token

    rng = random.Random(3)
    alphabet = ["a", "b", "1", ".", "@", "/", ":", "-", " ", "你", "com", "cn", "www.", "http://", "。"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
        for i, ch in enumerate(text):
            if ch == ".":
                assert _inside_token(text, i) == _inside_address_per_dot(text, i), (text, i)
    # long runs of dots in words: before, each "." rescanned its whole run (minutes for these)
    for text in ("a." * 2048, "file.txt." * 450, "a.com." * 680):
        assert "".join(synthesis_segments_of(text)).replace("。", "") == text.replace("。", "")


def synthesis_segments_of(text: str) -> list[str]:
    from tts.text.segment import synthesis_segments

    segmenter, streamed = IncrementalSegmenter(), []
    for start in range(0, len(text), 7):
        streamed += segmenter.feed(text[start:start + 7])
    streamed += segmenter.flush()
    assert "".join(streamed) == text
    return synthesis_segments(text)
