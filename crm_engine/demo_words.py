"""Names, streets, companies and after-sales reasons the demo shop draws from.

Chinese and English side by side; phone prefixes are real mainland mobile
prefixes, while foreign numbers come from ranges reserved for fiction.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_ONE = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲辉鹏飞鑫波斌宇浩凯健俊帆帅旭宁琳晶颖倩婷雪欣怡悦"
GIVEN_TWO = _words(
    "子轩 浩然 宇轩 梓涵 一诺 欣怡 雨涵 思彤 佳怡 梓萱 浩宇 俊杰 嘉怡 诗涵 晨曦 子涵 欣妍 雨桐 梦瑶 佳琪 "
    "志强 建华 国强 秀英 桂英 玉兰 海燕 丽娟 建军 晓明 文杰 丹丹 婷婷 静怡 家豪 天宇 博文 思远 明轩 若曦 "
    "可馨 雅琪 晓雯 嘉欣 鹏飞 振宇 子豪 俊熙 一鸣 雨萱 紫涵 梓睿 语嫣 心怡 浩轩 宇辰 靖雯 佳豪 晓燕 春梅"
)
EN_FIRST = _words(
    "Olivia Sophie Charlotte Amelia Jack Oliver Harry George James William Thomas Daniel Michael "
    "David Sarah Laura Emily Hannah Lucy Chloe Ryan Liam Noah Ethan Grace Isabella Mia Ava Ben Sam "
    "Alex Chris Kate Anna Tom Lily Ruby Jacob Lucas Henry Emma Matthew Rachel Peter Claire"
)
EN_LAST = _words(
    "Smith Johnson Williams Brown Jones Taylor Davies Wilson Evans Thomas Roberts Walker Wright "
    "Thompson White Hughes Edwards Green Hall Wood Harris Martin Clarke Jackson Lewis Scott Young "
    "King Baker Moore Allen Mitchell Turner Carter Murphy Kelly Cooper Ward Morris Campbell"
)
MOBILE_PREFIXES = _words(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 177 180 181 182 183 185 186 187 188 189 198 199"
)
STREETS = tuple(
    tuple(s.split("|"))
    for s in (
        "人民路|Renmin Road",
        "中山路|Zhongshan Road",
        "解放路|Jiefang Road",
        "建设路|Jianshe Road",
        "和平路|Heping Road",
        "长江路|Changjiang Road",
        "新华路|Xinhua Road",
        "文化路|Wenhua Road",
        "学府路|Xuefu Road",
        "科技路|Keji Road",
        "青年路|Qingnian Road",
        "滨江大道|Binjiang Avenue",
        "花园路|Huayuan Road",
        "光明路|Guangming Road",
        "东风路|Dongfeng Road",
        "黄河路|Huanghe Road",
        "幸福路|Xingfu Road",
        "朝阳路|Chaoyang Road",
    )
)
COMPANIES_ZH = (
    "上海星辰网络科技有限公司",
    "杭州云帆电子商务有限公司",
    "北京智远咨询有限公司",
    "深圳市海蓝贸易有限公司",
    "广州锦程文化传播有限公司",
    "成都天府软件有限公司",
    "武汉长江设计有限公司",
    "南京金陵教育科技有限公司",
)
COMPANIES_EN = (
    "Bright Harbour Trading (Shanghai) Co., Ltd.",
    "Northwind Consulting (Beijing) Co., Ltd.",
    "Pearl River Design Studio Ltd.",
)
CANCEL_REASONS = {
    "zh": ("不想要了", "拍错了，重新下单", "地址填错了", "价格拍高了"),
    "en": ("Changed my mind", "Ordered by mistake", "Wrong address", "Found a better price"),
}
# (reason, counts as a no-reason return)
RETURN_REASONS = {
    "zh": (("七天无理由退货", True), ("尺码不合适", True), ("颜色不喜欢", True), ("质量问题", False), ("与描述不符", False)),
    "en": (("No longer needed", True), ("Doesn't fit", True), ("Didn't like the colour", True), ("Defective item", False), ("Not as described", False)),
}  # fmt: skip
PARTIAL_REASONS = {
    "zh": ("商品有轻微瑕疵，协商部分退款", "快递延误补偿", "价保退差价"),
    "en": (
        "Minor defect, partial refund agreed",
        "Compensation for late delivery",
        "Price protection refund",
    ),
}
# Transaction reference prefix by payment method.
PAYMENT_PREFIX = {"alipay": "ALP", "wechat_pay": "WXP", "card": "CRD", "paypal": "PPL"}
