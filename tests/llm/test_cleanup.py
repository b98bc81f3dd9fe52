"""Reply cleanup for speech: a table of cases, checked whole and fed piece by piece."""

from __future__ import annotations

import random

import pytest

from LLM import SpeechCleaner, clean_for_speech

CASES = [
    # (reply, what the voice reads)
    ("你好，旅行者！", "你好，旅行者！"),
    ("（轻轻笑了一下）你真有趣。", "你真有趣。"),
    ("你好呀（挥手）！", "你好呀！"),
    ("Hello (waves) there.", "Hello there."),
    ("Hi (smiles).", "Hi."),
    ("【系统提示】今天是晴天。", "今天是晴天。"),
    ("好的[看向远方]我们走吧", "好的我们走吧"),
    ("{动作：点头}没问题。", "没问题。"),
    ("*眨眨眼*嘿嘿，被你发现了。", "嘿嘿，被你发现了。"),
    ("我来啦*蹦蹦跳跳地跑过来*！", "我来啦！"),
    ("**一定**要来哦", "一定要来哦"),  # markdown bold: empty asides, the words stay
    ("今天好开心😀🎉！", "今天好开心！"),
    ("送你一朵花🌸~", "送你一朵花~"),
    ("一起去看烟花吧✨❤️", "一起去看烟花吧"),
    ("家人👨‍👩‍👧在等我", "家人在等我"),  # ZWJ sequence
    ("「梦想」是很奇妙的东西。", "「梦想」是很奇妙的东西。"),
    ("她说：『我会一直在这里。』", "她说：『我会一直在这里。』"),
    ("“别担心，”她笑着说。", "“别担心，”她笑着说。"),
    ("「你好（笑）呀」", "「你好呀」"),  # asides inside quotes still go, the spoken words stay
    ("（外层（内层）还是外层）剩下的", "剩下的"),
    ("【注意（嵌套[三层]）】说完了", "说完了"),
    ("我想说（这句话没有说完", "我想说"),  # unclosed at the end
    ("故事开始了*她慢慢地", "故事开始了"),
    ("说完了（", "说完了"),
    ("说完了。*", "说完了。"),
    # never closed: only the rest of its own sentence goes (the sentence end stays after spoken text)
    ("*笑着看向你 你好呀，旅行者！今天想去哪里？", "今天想去哪里？"),
    ("前面的话（笑着说。后面的话", "前面的话。后面的话"),
    ("真的吗【惊讶！！我不信", "真的吗！！我不信"),
    ("*叹气……好吧，我答应你。", "好吧，我答应你。"),
    ("第一行【旁白\n第二行", "第一行\n第二行"),
    ("（外层【内层】还在外层。然后*眨眼*继续", "然后继续"),  # nested, the outer one unclosed
    ("你好（笑*眨眼。再见*挥手", "你好。再见"),  # two unclosed in a row; "*" inside brackets is text
    # "*" between two digits is a times sign (the Chinese reading says 乘)
    ("价格是5*3=15元。", "价格是5*3=15元。"),
    ("5 * 3 = 15", "5 * 3 = 15"),
    ("共5*挥手*个", "共5个"),
    ("有**2**个", "有2个"),
    ("结果是5*", "结果是5"),
    ("多余的右括号）不要读", "多余的右括号不要读"),
    ("  前后空白  ", "前后空白"),
    ("a  (b)  c", "a c"),
    ("第一行\n（动作）\n第二行", "第一行\n第二行"),
    ("全角括号（里面有 English words）之后", "全角括号之后"),
    ("半角(括号)与全角（括号）混用", "半角与全角混用"),
    ("（只有动作）", ""),
    ("", ""),
    ("零宽\u200b字符\ufeff和控制\x17字符", "零宽字符和控制字符"),
    ("坏字节\ufffd不读", "坏字节不读"),
    ("温度是30°C，数学1+1=2。", "温度是30°C，数学1+1=2。"),
    ("清单：\n* 牛奶 1瓶\n* 面包 2个", "清单：\n牛奶 1瓶\n面包 2个"),  # list bullets, not an aside
    ("  * 第一点\n\t*\t第二点*眨眼*", "第一点\n第二点"),
    ("*挥手* 你好\n*笑 再见", "你好"),  # at a line's start without a space: asides
]


# a reply that begins with an action never closed: before, nothing of it was spoken
LONG_UNCLOSED = ("*笑着揉了揉你的头 你又来找我啦！" + "今天的天气真不错，我们一起去蒙德城外的草原上散步吧。" * 6
                 + "你觉得怎么样？")
LONG_SPOKEN = LONG_UNCLOSED[LONG_UNCLOSED.index("！") + 1:]


def test_table_has_enough_cases():
    assert len(CASES) >= 25


@pytest.mark.parametrize(("text", "spoken"), CASES)
def test_clean_whole_text(text, spoken):
    assert clean_for_speech(text) == spoken


@pytest.mark.parametrize(("text", "spoken"), CASES)
def test_any_split_gives_the_same_result(text, spoken):
    # one character per piece, and every two-piece split
    c = SpeechCleaner()
    assert "".join(c.feed(ch) for ch in text) + c.flush() == spoken
    for i in range(len(text) + 1):
        c = SpeechCleaner()
        assert c.feed(text[:i]) + c.feed(text[i:]) + c.flush() == spoken


def fed_in_random_pieces(text: str, rng: random.Random) -> str:
    """What one cleaner releases for ``text`` fed in pieces of 1 to 4 characters, flush included."""
    c, out, i = SpeechCleaner(), [], 0
    while i < len(text):
        n = rng.randint(1, 4)
        out.append(c.feed(text[i:i + n]))
        i += n
    return "".join(out) + c.flush()


@pytest.mark.parametrize(("text", "spoken"), CASES + [(LONG_UNCLOSED, LONG_SPOKEN)])
def test_random_small_pieces_give_the_same_result(text, spoken):
    rng = random.Random(7)
    for _ in range(20):
        assert fed_in_random_pieces(text, rng) == spoken


def test_random_texts_of_markers_give_the_same_result_whole_and_in_pieces():
    rng = random.Random(1)
    for _ in range(2000):
        text = "".join(rng.choice("你好。！…\n \t*（）【】53a") for _ in range(rng.randint(0, 14)))
        assert fed_in_random_pieces(text, rng) == clean_for_speech(text), text


def test_a_long_reply_after_an_unclosed_action_is_spoken():
    assert clean_for_speech(LONG_UNCLOSED) == LONG_SPOKEN and len(LONG_SPOKEN) > 150


def test_text_held_by_an_unclosed_marker_is_released_at_flush():
    c = SpeechCleaner()
    assert c.feed("我想说*笑 你好！今天") == "我想说"  # a "*" may still close: held back
    assert c.feed("天气真好。") == ""
    assert c.flush() == "！今天天气真好。"
    assert c.feed("新的回复") == "新的回复"  # flush resets for the next reply


def test_a_times_sign_is_read_by_the_chinese_frontend():
    from tts.text import text_to_phones

    assert text_to_phones(clean_for_speech("价格是5*3=15元。"), "zh").norm_text == "价格是五乘三等于十五元."


def test_bracket_split_across_pieces_releases_text_early():
    c = SpeechCleaner()
    assert c.feed("你好（") == "你好"
    assert c.feed("轻轻") == ""  # inside the aside: dropped
    assert c.feed("笑）。今天") == "。今天"  # closed: text flows again
    assert c.feed("*眨") == ""
    assert c.feed("眼*真好！") == "真好！"  # punctuation is released at once, not held back
    assert c.flush() == ""


def test_unclosed_bracket_is_dropped_at_flush_and_cleaner_resets():
    c = SpeechCleaner()
    assert c.feed("我想说【这是") == "我想说"
    assert c.feed("旁白") == ""
    assert c.flush() == ""
    assert c.feed("新的回复") == "新的回复"  # flush resets for the next reply


def test_space_waits_for_the_next_kept_character():
    c = SpeechCleaner()
    assert c.feed("Hello ") == "Hello"
    assert c.feed("(waves) ") == ""
    assert c.feed("there") == " there"
