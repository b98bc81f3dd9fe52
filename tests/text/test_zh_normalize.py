"""Chinese normalization: expected strings produced by upstream's text_normalize (commit 48b1a01)."""

import pytest

from tts.text.pinyin_table import pinyin_to_phones_table
from tts.text.zh_normalization import normalize_zh
from tts.text.zh_normalization.numbers import read_cardinal, read_digits, read_number

UPSTREAM_CASES = [
    ('今天是2026年11月22日。', '今天是二零二六年十一月二十二日.'),
    ('我的生日是1998-07-15。', '我的生日是一九九八年七月十五日.'),
    ('现在是晚上9:30。', '现在是晚上九点半.'),
    ('比赛从14:00-16:30进行。', '比赛从十四点至十六点三十分进行.'),
    ('闹钟定在06:05:09响。', '闹钟定在六点零五分零九秒响.'),
    ('他一共花了12.5元。', '他一共花了十二点五元.'),
    ('我有25个苹果和2个梨。', '我有二十五个苹果和两个梨.'),
    ('成功率只有12.5%。', '成功率只有百分之十二点五.'),
    ('利润下降了-3%。', '利润下降了负百分之三.'),
    ('他的电话是13812345678。', '他的电话是幺三八幺二三四五六七八.'),
    ('请拨打010-62345678联系我们。', '请拨打零幺零减六二三四五六七八联系我们.'),
    ('客服热线是400-123-4567。', '客服热线是四零零减幺二三减四五六七.'),
    ('房间号是8023。', '房间号是八零二三.'),
    ('数量大约10-20个。', '数量大约十减二十个.'),
    ('这个数字是-15。', '这个数字是负十五.'),
    ('0.5和.5和3.500', '零点五和零点五和三点五零'),
    ('1+2=3', '一加二等于三'),
    ('这是第3版，版本号1.2.3。', '这是第三版,版本号一点二点三.'),
    ('明天最低气温-5℃，注意保暖。', '明天最低气温零下五度,注意保暖.'),
    ('水在100摄氏度的时候会沸腾。', '水在一百度的时候会沸腾.'),
    ('温度在20~25℃之间。', '温度在二十…二十五度之间.'),
    ('身高180cm，体重70kg。', '身高一百八十厘米,体重七十千克.'),
    ('房间面积是30m²。', '房间面积是三十平方米.'),
    ('全角数字１２３和字母ＡＢＣ。', '全角数字幺二三和字母.'),
    ('你好！！！真的吗？？？', '你好!真的吗?'),
    ('我不知道……等一下~~~', '我不知道…等一下…'),
    ('嗯，呣。', '恩,母.'),
    ('《红楼梦》（这是括号）【通知】', '红楼梦这是括号通知'),
    ('你好——欢迎光临。', '你好欢迎光临.'),
    ('今天、明天；后天：都有雨·吧', '今天,明天,后天,都有雨,吧'),
    ('這個東西很貴，說話要算數。', '这个东西很贵,说话要算数.'),
    ('α和β，x²', '阿尔法和贝塔,的二次方'),
    ('①苹果②香蕉', '一苹果二香蕉'),
    ('他的分数是90/100。', '他的分数是一百分之九十.'),
]


@pytest.mark.parametrize("text,expected", UPSTREAM_CASES)
def test_normalize_like_upstream(text, expected):
    assert normalize_zh(text) == expected


@pytest.mark.parametrize(
    "digits,expected",
    [("0", "零"), ("10", "十"), ("12", "十二"), ("105", "一百零五"), ("1000", "一千"), ("10010", "一万零一十"),
     ("120000000", "一亿二千万"), ("007", "七")],
)
def test_read_cardinal(digits, expected):
    assert read_cardinal(digits) == expected


def test_read_number_and_digits():
    assert read_number("3.140") == "三点一四零"
    assert read_number("0.05") == "零点零五"
    assert read_digits("110", alt_one=True) == "幺幺零"
    with pytest.raises(ValueError, match="more than one decimal point"):
        read_number("1.2.3")


def test_output_alphabet():
    out = normalize_zh("Hello，世界！123 abc ① ℃ ～ @#￥%……&*（）")
    assert all("\u4e00" <= c <= "\u9fa5" or c in "!?…,.-" for c in out), out


def test_pinyin_table_facts():
    table = pinyin_to_phones_table()
    assert len(table) == 429
    assert table["a"] == ("AA", "a") and table["er"] == ("EE", "er") and table["ou"] == ("OO", "ou")
    assert table["zhi"] == ("zh", "ir") and table["si"] == ("s", "i0") and table["ri"] == ("r", "ir")
    assert table["yan"] == ("y", "En") and table["ye"] == ("y", "E") and table["yu"] == ("y", "v")
    assert table["quan"] == ("q", "van") and table["jv"] == ("j", "v") and table["lve"] == ("l", "ve")
    assert table["gui"] == ("g", "ui") and table["wen"] == ("w", "en")
