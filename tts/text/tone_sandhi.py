"""Mandarin tone sandhi as GPT-SoVITS applies it (一 and 不 changes, third-tone runs, neutral tones).

Works on jieba (word, POS) segments and tone-numbered finals ("ao3"; 5 = neutral).
"""

from __future__ import annotations

import logging
from typing import Callable, Iterable

from pypinyin import Style, lazy_pinyin

logger = logging.getLogger(__name__)

# Words whose last syllable is neutral-toned (upstream's list).
MUST_NEUTRAL_WORDS: frozenset[str] = frozenset(
    (
    "一辈 丈人 丈夫 上司 上头 下巴 下水 不在 不由 世故 东家 东西 两口 丧气 丫头 主意 买卖 事情 云彩 交情 亲家 亲戚 人家 "
    "什么 介绍 休息 伙计 似的 位置 体面 作坊 佩服 使唤 便宜 倒腾 兄弟 先生 关系 养活 冒失 冤家 冤枉 冷战 凉快 凑合 凤凰 "
    "出息 分析 利害 利索 利落 别扭 刺激 刺猬 前头 力气 功夫 动弹 动静 勤快 匀称 包涵 包袱 千斤 厉害 厚道 口袋 叫唤 吆喝 "
    "合同 吉他 名堂 名字 后头 吓唬 含糊 告示 告诉 和尚 咕噜 咖喱 咳嗽 哆嗦 哈欠 哑巴 唾沫 商量 喇叭 喇嘛 喉咙 喜欢 喽啰 "
    "嘀咕 嘟囔 嘱咐 嘴巴 困难 在乎 地方 地道 壮实 外甥 多么 多少 大人 大夫 大意 大方 大爷 太阳 头发 女婿 奴才 妖精 妥当 "
    "妯娌 姐夫 姑娘 委屈 姥爷 娘家 婆家 媒人 媳妇 嫁妆 字号 学生 学问 官司 实在 客气 家伙 寒碜 寡妇 对付 对头 将就 小伙 "
    "小气 少爷 尾巴 屁股 岁数 工夫 差事 巴掌 巴结 师傅 师父 希罕 帐篷 帮手 干事 幸福 庄稼 应酬 开通 弄堂 弟兄 张罗 得罪 "
    "心思 志气 忙活 快活 念叨 念头 怎么 思量 怪物 悟性 情形 惦记 意思 意识 懒得 戒指 扁担 扎实 扑腾 打发 打听 打扮 打点 "
    "打算 打量 扫帚 扫把 折腾 护士 报复 抬举 拖沓 招呼 招牌 拨弄 拳头 拾掇 指头 指甲 挑剔 挖苦 提防 收成 收拾 故事 新鲜 "
    "时候 明白 暖和 月亮 月饼 朋友 木匠 木头 本事 机灵 枇杷 枕头 架势 柴火 栅栏 核桃 棉花 棒槌 棺材 槟榔 模糊 欺负 正经 "
    "母亲 比方 泥鳅 活泼 浪头 消息 清楚 温和 溜达 滑溜 漂亮 火候 灯笼 炊帚 点心 烂糊 烟筒 烧饼 热闹 照顾 熟悉 爱人 父亲 "
    "爽快 牌楼 牙碜 牢骚 牲口 特务 状元 狐狸 玄乎 玫瑰 玻璃 琉璃 琢磨 琵琶 甘蔗 甜头 生意 畜生 疏忽 疙瘩 疟疾 痛快 痢疾 "
    "白净 盘算 盘缠 相声 眉毛 眨巴 眯缝 眼睛 知识 石匠 石头 石榴 码头 砚台 祖宗 福气 秀才 秀气 秧歌 称呼 稀罕 稳当 窗户 "
    "窝囊 窟窿 笑话 笑语 笤帚 答应 算盘 算计 篱笆 簸箕 粮食 精神 糊涂 糟蹋 糨糊 累赘 红火 结实 编辑 罐头 罗嗦 翻腾 老太 "
    "老头 老婆 老实 老爷 耳朵 耷拉 耽搁 耽误 聪明 胡同 胡琴 胡萝 胭脂 胳膊 能耐 脊梁 脑袋 脾气 膏药 自在 舌头 舒坦 舒服 "
    "芝麻 苍蝇 苗头 苗条 荒唐 荸荠 菩萨 萝卜 葡萄 葫芦 薄荷 蘑菇 蚂蚱 蛤蟆 蜡烛 行当 行李 街坊 衙门 衣服 衣裳 补丁 裁缝 "
    "见识 规矩 计划 认识 记号 记性 讲究 豆腐 财主 费用 趔趄 跟头 跳蚤 踏实 转悠 软和 过去 运气 这个 这么 连累 迷糊 造化 "
    "逻辑 道士 邋遢 那个 那么 部分 里头 里脊 钥匙 铁匠 铃铛 铺盖 锄头 门道 闺女 阔气 队伍 难为 风筝 馄饨 馒头 首饰 马虎 "
    "骆驼 骨头 高粱 鸳鸯 麻利 麻烦 "
    ).split()
)
# Reduplications and -子 words that keep their full tone.
MUST_NOT_NEUTRAL_WORDS: frozenset[str] = frozenset(
    (
    "人人 以下 佼佼 冉冉 分子 卵子 原子 吵吵 哈哈 女子 娃哈哈 学子 家家户户 局地 干嘛 幺幺 恳恳 想想 打打 攘攘 数数 整整 "
    "死死 熙熙 瓜子 电子 男子 留得 石子 算子 考考 耕地 花花草草 莘莘 莲子 落地 虎虎 袅袅 量子 青青 "
    ).split()
)
_NEUTRAL_PARTICLES = "吧呢哈啊呐噻嘛吖嗨呐哦哒额滴哩哟喽啰耶喔诶"
_YI_NO_CHANGE_BEFORE = "：，；。？！“”‘’':,;.?!"
_GE_AS_MEASURE_AFTER = "几有两半多各整每做是"

Segment = list  # [word, pos]; lists because the merges edit them in place


def _neutral(final: str) -> str:
    return final[:-1] + "5"


def _tone(final: str, tone: str) -> str:
    return final[:-1] + tone


def _all_third(finals: Iterable[str]) -> bool:
    return all(f[-1] == "3" for f in finals)


def _pinyin_finals(word: str) -> list[str]:
    return lazy_pinyin(word, neutral_tone_with_five=True, style=Style.FINALS_TONE3)


class ToneSandhi:
    """Upstream's tone sandhi. ``cut_for_search`` is jieba's search-mode cut of a word."""

    def __init__(self, cut_for_search: Callable[[str], Iterable[str]]):
        self._cut_for_search = cut_for_search

    # ---- splitting a word in two (shortest search-mode piece at the start or the end)
    def split_word(self, word: str) -> list[str]:
        pieces = sorted(self._cut_for_search(word), key=len)
        first = pieces[0]
        if word.find(first) == 0:
            return [first, word[len(first):]]
        return [word[: -len(first)], first]

    # ---- per-word rules
    def _neutral_sandhi(self, word: str, pos: str, finals: list[str]) -> list[str]:
        for j in range(1, len(word)):
            if word[j] == word[j - 1] and pos[0] in "nva" and word not in MUST_NOT_NEUTRAL_WORDS:
                finals[j] = _neutral(finals[j])
        ge = word.find("个")
        if word and word[-1] in _NEUTRAL_PARTICLES:
            finals[-1] = _neutral(finals[-1])
        elif word and word[-1] in "的地得":
            finals[-1] = _neutral(finals[-1])
        elif len(word) == 1 and word in "了着过" and pos in ("ul", "uz", "ug"):
            finals[-1] = _neutral(finals[-1])
        elif len(word) > 1 and word[-1] in "们子" and pos in ("r", "n") and word not in MUST_NOT_NEUTRAL_WORDS:
            finals[-1] = _neutral(finals[-1])
        elif len(word) > 1 and word[-1] in "上下里" and pos in ("s", "l", "f"):
            finals[-1] = _neutral(finals[-1])
        elif len(word) > 1 and word[-1] in "来去" and word[-2] in "上下进出回过起开":
            finals[-1] = _neutral(finals[-1])
        elif (ge >= 1 and (word[ge - 1].isnumeric() or word[ge - 1] in _GE_AS_MEASURE_AFTER)) or word == "个":
            finals[ge] = _neutral(finals[ge])
        elif word in MUST_NEUTRAL_WORDS or word[-2:] in MUST_NEUTRAL_WORDS:
            finals[-1] = _neutral(finals[-1])

        halves = self.split_word(word)
        n0 = len(halves[0])
        parts = [finals[:n0], finals[n0:]]
        for half, part in zip(halves, parts):
            if half in MUST_NEUTRAL_WORDS or half[-2:] in MUST_NEUTRAL_WORDS:
                part[-1] = _neutral(part[-1])
        return parts[0] + parts[1]

    @staticmethod
    def _bu_sandhi(word: str, finals: list[str]) -> list[str]:
        if len(word) == 3 and word[1] == "不":  # 看不懂
            finals[1] = _neutral(finals[1])
        else:
            for i, ch in enumerate(word):
                if ch == "不" and i + 1 < len(word) and finals[i + 1][-1] == "4":  # 不怕
                    finals[i] = _tone(finals[i], "2")
        return finals

    @staticmethod
    def _yi_sandhi(word: str, finals: list[str]) -> list[str]:
        if "一" in word and all(ch.isnumeric() for ch in word if ch != "一"):  # 一零零
            return finals
        if len(word) == 3 and word[1] == "一" and word[0] == word[-1]:  # 看一看
            finals[1] = _neutral(finals[1])
        elif word.startswith("第一"):
            finals[1] = _tone(finals[1], "1")
        else:
            for i, ch in enumerate(word):
                if ch == "一" and i + 1 < len(word):
                    if finals[i + 1][-1] == "4":  # 一段
                        finals[i] = _tone(finals[i], "2")
                    elif word[i + 1] not in _YI_NO_CHANGE_BEFORE:  # 一天
                        finals[i] = _tone(finals[i], "4")
        return finals

    def _third_sandhi(self, word: str, finals: list[str]) -> list[str]:
        if len(word) == 2 and _all_third(finals):
            finals[0] = _tone(finals[0], "2")
        elif len(word) == 3:
            halves = self.split_word(word)
            if _all_third(finals):
                if len(halves[0]) == 2:  # 蒙古/包
                    finals[0] = _tone(finals[0], "2")
                    finals[1] = _tone(finals[1], "2")
                elif len(halves[0]) == 1:  # 纸/老虎
                    finals[1] = _tone(finals[1], "2")
            else:
                n0 = len(halves[0])
                parts = [finals[:n0], finals[n0:]]
                for i, part in enumerate(parts):
                    if _all_third(part) and len(part) == 2:  # 所有/人
                        part[0] = _tone(part[0], "2")
                    elif i == 1 and not _all_third(part) and part[0][-1] == "3" and parts[0][-1][-1] == "3":
                        parts[0][-1] = _tone(parts[0][-1], "2")  # 好/喜欢
                finals = parts[0] + parts[1]
        elif len(word) == 4:  # idioms: two words of two
            parts = [finals[:2], finals[2:]]
            for part in parts:
                if _all_third(part):
                    part[0] = _tone(part[0], "2")
            finals = parts[0] + parts[1]
        return finals

    def modified_tone(self, word: str, pos: str, finals: list[str]) -> list[str]:
        """Apply 不, 一, neutral-tone and third-tone rules to one word's finals."""
        finals = self._bu_sandhi(word, finals)
        finals = self._yi_sandhi(word, finals)
        finals = self._neutral_sandhi(word, pos, finals)
        return self._third_sandhi(word, finals)

    # ---- merges of jieba segments before the per-word rules
    @staticmethod
    def _merge_bu(seg: list) -> list:
        out = []
        last = ""
        for word, pos in seg:
            if last == "不":
                word = last + word
            if word != "不":
                out.append([word, pos])
            last = word
        if last == "不":
            out.append(["不", "d"])
        return out

    @staticmethod
    def _merge_yi(seg: list) -> list:
        out: list = []
        i = 0
        while i < len(seg):  # 听 一 听 -> 听一听
            word, pos = seg[i]
            if i >= 1 and word == "一" and i + 1 < len(seg):
                last = out[-1] if out else seg[i - 1]
                nxt = seg[i + 1]
                if last[0] == nxt[0] and last[1] == "v" and nxt[1] == "v":
                    out[-1] = [last[0] + "一" + nxt[0], last[1]]
                    i += 2
                    continue
            out.append([word, pos])
            i += 1
        merged: list = []
        for word, pos in out:  # a lone 一 takes the next word
            if merged and merged[-1][0] == "一":
                merged[-1][0] = merged[-1][0] + word
            else:
                merged.append([word, pos])
        return merged

    @staticmethod
    def _merge_reduplication(seg: list) -> list:
        out: list = []
        for word, pos in seg:
            if out and word == out[-1][0]:
                out[-1][0] = out[-1][0] + word
            else:
                out.append([word, pos])
        return out

    @staticmethod
    def _merge_third_tones(seg: list, whole_words: bool) -> list:
        finals = [_pinyin_finals(word) for word, _ in seg]
        out: list = []
        merged_last = [False] * len(seg)
        for i, (word, pos) in enumerate(seg):
            both_third = False
            if i >= 1:  # evaluated in upstream's order: an empty final raises like upstream
                if whole_words:
                    both_third = _all_third(finals[i - 1]) and _all_third(finals[i])
                else:  # last syllable of the previous and first of this one
                    both_third = finals[i - 1][-1][-1] == "3" and finals[i][0][-1] == "3"
                both_third = both_third and not merged_last[i - 1]
            prev = seg[i - 1][0] if i >= 1 else ""
            is_redup = len(prev) == 2 and prev[0] == prev[1]
            if both_third and not is_redup and len(prev) + len(word) <= 3:
                out[-1][0] = out[-1][0] + word
                merged_last[i] = True
            else:
                out.append([word, pos])
        return out

    @staticmethod
    def _merge_er(seg: list) -> list:
        out: list = []
        for i, (word, pos) in enumerate(seg):
            if i >= 1 and word == "儿" and seg[i - 1][0] != "#":
                out[-1][0] = out[-1][0] + word
            else:
                out.append([word, pos])
        return out

    def pre_merge(self, seg: list) -> list[Segment]:
        """Merge jieba (word, pos) pairs the way upstream does before tone sandhi.

        A merge step that fails on odd input (e.g. a syllable with an empty final) is skipped,
        as upstream skips it.
        """
        seg = self._merge_bu(seg)
        seg = self._try(self._merge_yi, seg, "merge 一")
        seg = self._merge_reduplication(seg)
        seg = self._try(lambda s: self._merge_third_tones(s, True), seg, "merge third tones")
        seg = self._try(lambda s: self._merge_third_tones(s, False), seg, "merge third tones (edges)")
        return self._merge_er(seg)

    @staticmethod
    def _try(step: Callable[[list], list], seg: list, name: str) -> list:
        try:
            return step(seg)
        except IndexError:
            logger.debug("tone sandhi step %s skipped for %r", name, seg)
            return seg
