"""Golden sentences where upstream GPT-SoVITS reads a number or symbol wrong and we read it the way a
Chinese speaker does (tts.text.zh_normalization.spoken). The golden data stays upstream's; the golden
tests expect these normalized texts instead, for the reason given. Listed in README, "Known
differences from upstream"."""

IMPROVED: dict[str, tuple[str, str]] = {
    # text: (our normalized text, why upstream's is wrong)
    "水在100摄氏度的时候会沸腾。": ("水在一百摄氏度的时候会沸腾.", "upstream drops 摄氏 from 摄氏度"),
    "请拨打010-62345678联系我们。": ("请拨打零幺零,六二三四五六七八联系我们.", "a phone number's hyphen is a pause, not 减"),
    "客服热线是400-123-4567。": ("客服热线是四零零,幺二三,四五六七.", "a hotline's hyphens are pauses, not 减"),
    "数量大约10-20个。": ("数量大约十到二十个.", "a range is 到, not 减"),
    "iPhone 15 Pro Max的价格是999美元。": ("i Phone 十五Pro Max的价格是九百九十九美元.",
                                          "a number in a Chinese sentence is read in Chinese"),
    "你知道GPT-4和GPT-3.5有什么区别吗？": ("你知道G P T四和G P T三点五有什么区别吗?",
                                       "model numbers in Chinese; the hyphen is not said"),
    "我的电脑是MacBook Pro，内存16GB。": ("我的电脑是Mac Book Pro内存十六吉字节.", "16GB is 十六吉字节, not 'sixteen G B'"),
    "这本书的ISBN是978-7-111-12345-6。": ("这本书的I S B N是九七八杠七杠幺幺幺杠幺二三四五杠六.",
                                      "a code's hyphens are 杠, not 减"),
    "我用的是Windows 11系统。": ("我用的是Windows 十一系统.", "a number in a Chinese sentence is read in Chinese"),
    "下载速度是10MB/s，还挺快的。": ("下载速度是十兆字节每秒,还挺快的.", "MB/s is 兆字节每秒; upstream says 'M Bs'"),
    "我的WiFi密码是abc123。": ("我的Wi Fi密码是abc幺二三.", "a password's digits are read one by one in Chinese"),
    "这是version 2.0的新功能。": ("这是version 二点零的新功能.", "a number in a Chinese sentence is read in Chinese"),
    "GPT 4的效果比GPT 3好很多。": ("G P T 四的效果比G P T 三好很多.", "a number in a Chinese sentence is read in Chinese"),
    "Python3.10版本发布了。": ("Python三点一零版本发布了.", "a version in a Chinese sentence is read in Chinese"),
    "3D打印技术越来越成熟了。": ("三D打印技术越来越成熟了.", "3D is 三D in Chinese"),
    "5G网络真的很快。": ("五G网络真的很快.", "5G is 五G in Chinese"),
    "他买了一辆Tesla Model 3。": ("他买了一辆Tesla Model 三.", "a number in a Chinese sentence is read in Chinese"),
    "今天温度25℃左右": ("今天温度二十五摄氏度左右", "upstream drops ℃"),
    "3×4等于12": ("三乘四等于十二", "arithmetic in a Chinese sentence; upstream says 'threefour'"),
    "价格¥100元": ("价格一百元", "¥100 is 一百元, not 'one hundred'"),
    "面积是20㎡": ("面积是二十平方米", "upstream drops ㎡"),
    "他的email地址是xiaoming@example.com。": ("他的email地址是xiaoming 艾特example 点com.",
                                           "@ and . of an address are said; upstream drops @"),
    "我今天跑了5.2公里，burn了300卡路里。": ("我今天跑了五点二公里,burn了三百卡路里.", "300 calories is 三百, not 三零零"),
    "这个price是$19.99，还包邮哦。": ("这个price是十九点九九美元,还包邮哦.", "$19.99 is 十九点九九美元; upstream drops $"),
    "请输入验证码：A3B7C9。": ("请输入验证码,A三B七C九.", "a code's digits are read in Chinese"),
    "下午3:30在Room 301开会。": ("下午三点半在Room 三零幺开会.", "a room number is read digit by digit in Chinese"),
    "你听说过ChatGPT-4o吗？": ("你听说过Chat G P T四o吗?", "a model number in a Chinese sentence is read in Chinese"),
    "这个Excel表格有1000多行数据。": ("这个Excel表格有一千多行数据.", "1000多 is 一千多, not 幺零零零多"),
}
