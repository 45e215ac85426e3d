"""GB/T 2260 division codes the data center knows (provinces, Guangdong prefectures, Guangzhou districts)."""

from typing import Final

# The same tables as catalog/domain/divisions.py, placed in the kernel because the kernel may not
# import a service; the catalog copy is meant to become a re-export of this one when it moves.

PROVINCES: Final[dict[str, str]] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}

# Only the prefectures in force: a retired prefecture code in new data is a data error, and the
# gaps (4410, 4411, 4421–4450) are the standard's own numbering.
GUANGDONG_PREFECTURES: Final[dict[str, str]] = {
    "4401": "广州市",
    "4402": "韶关市",
    "4403": "深圳市",
    "4404": "珠海市",
    "4405": "汕头市",
    "4406": "佛山市",
    "4407": "江门市",
    "4408": "湛江市",
    "4409": "茂名市",
    "4412": "肇庆市",
    "4413": "惠州市",
    "4414": "梅州市",
    "4415": "汕尾市",
    "4416": "河源市",
    "4417": "阳江市",
    "4418": "清远市",
    "4419": "东莞市",
    "4420": "中山市",
    "4451": "潮州市",
    "4452": "揭阳市",
    "4453": "云浮市",
}

# Historic codes stay valid because records (and identity numbers) issued before a
# restructuring keep the code they were issued under.
GUANGZHOU_DISTRICTS: Final[dict[str, str]] = {
    "440100": "广州市",
    "440102": "东山区",  # merged into 越秀 in 2005
    "440103": "荔湾区",
    "440104": "越秀区",
    "440105": "海珠区",
    "440106": "天河区",
    "440107": "芳村区",  # merged into 荔湾 in 2005
    "440111": "白云区",
    "440112": "黄埔区",
    "440113": "番禺区",
    "440114": "花都区",
    "440115": "南沙区",
    "440116": "萝岗区",  # merged into 黄埔 in 2014
    "440117": "从化区",
    "440118": "增城区",
    "440183": "增城市",  # county-level city until it became a district in 2014
    "440184": "从化市",  # county-level city until it became a district in 2014
}

HISTORIC_GUANGZHOU_CODES: Final[frozenset[str]] = frozenset({"440102", "440107", "440116", "440183", "440184"})

DIVISIONS: Final[dict[str, str]] = {
    **{prefix + "0000": name for prefix, name in PROVINCES.items()},
    **{prefix + "00": name for prefix, name in GUANGDONG_PREFECTURES.items()},
    **GUANGZHOU_DISTRICTS,
}


def division_name(code: str) -> str | None:
    """The Chinese name of a division in the shipped table, or None if the table lacks it."""
    return DIVISIONS.get(code)
