"""Traditional -> simplified characters, one character at a time, as GPT-SoVITS' normalizer does.

Upstream uses its own character table. We use OpenCC's ``t2s`` character conversion and correct it
where upstream's table gives another result for characters that occur in jieba's dictionary with
frequency >= 10 (the pairs below, "source target" concatenated). For rarer characters OpenCC's
answer may differ from upstream (a documented, measured difference).
"""

from __future__ import annotations

from functools import lru_cache

# (traditional or variant char, what upstream's table yields) pairs, concatenated.
_UPSTREAM_PAIRS = (
    "乾乾亾亡俔俔倲倲傚效儁儁儎儎儗拟儭儭冑冑剉锉劚劚効效勣绩勩勩厤厤吒吒啓啓啣衔喎喎嚧嚧嚮嚮堚堚墠墠墰墰壈壈夥夥姪侄媰媰嫿嫿孎孎孾孾寀寀寳宝屭屃崐昆嶃崭嶈嶈幇帮幓幓"
    "幷幷彃彃彊强彔彔彞彝彲彲徵徵惥恿慂恿憖憖戞戛拚拚捱捱掗掗搧搧摐摐摺摺擽擽敓敓敱敳於於昇昇昰是暐暐暱昵曡叠査査梖梖梲梲棶棶楄匾榘榘榜搒槼槼樿樿橯橯檭檭櫠櫠欍欍欐欐"
    "欑欑欓欓殢殢殰殰毊毊氭氭氾氾洩洩涖莅涗涗漊漊潕潕潙潙潚潚潣潣濄濄濆濆濬浚瀃瀃灙灙煇煇熌熌牎窗牴牴獊獊玁玁珮佩琊玡璝璝瓕瓕産産甯宁畬畲畼畼瘺瘺皟皟盌碗眝眝睍睍睪睾"
    "睺喉矉矉砲炮碕碕磾磾礮礮穇穇篘篘簷檐籔籔粺稗紞紞紟紟紬紬絙絙綇綇綋綋綎綎綖綖綝綝緟緟緥褓緰緰緷緷緸緸縍縍縎縎縯縯縺縺繬繬纇纇羣羣翄翅耑专脥脥脩脩菴菴蒕蒕蓧蓧薙剃"
    "薟薟薹薹袷袷諲諲謆謆譞譞蹠蹠蹻蹻軏軏輨輨轠轠醣醣鈇鈇鈋鈋鈒鈒鉔鉔銶銶錝錝錞錞鍅鍅鍒鍒鍚鍚鍾锺鎝鎝鎭鎭鎯鎯鎲鎲鎶鎶鎷鎷鎸鎸鏆鏆鏇镟鏉鏉鏍鏍鐇鐇鐍鐍鐎鐎鐏鐏鐥鐥鐩鐩"
    "鐪鐪鑉鑉鑱鑱鑴鑴鑹鑹钂钂閤閤閲閲闉闉闠闠頠頠頫頫顅顅顣顣飠飠騄騄騠騠驎驎驫驫魟魟魦魦鮄鮄鮋鮋鮟鮟鮠鮠鮣鮣鮤鮤鮺鮺鰁鰁鰃鰃鰕鰕鱀鱀鱇鱇鱊鱊鵞鹅鶊鶊鶗鶗鶹鶹鷁鷁鸑鸑"
    "麴麴麼麽鼂鼂"
)


@lru_cache(maxsize=1)
def _overrides() -> dict[str, str]:
    return {_UPSTREAM_PAIRS[i]: _UPSTREAM_PAIRS[i + 1] for i in range(0, len(_UPSTREAM_PAIRS), 2)}


@lru_cache(maxsize=1)
def _converter():
    import opencc  # runtime dependency (also used by the g2pW path)

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def _char_t2s(ch: str) -> str:
    over = _overrides().get(ch)
    if over is not None:
        return over
    out = _converter().convert(ch)
    return out if len(out) == 1 else ch


def traditional_to_simplified(text: str) -> str:
    """Convert ``text`` character by character (length is preserved)."""
    return "".join(_char_t2s(ch) for ch in text)
