"""The two streets the API tests know by heart: codes, people and their ledgers."""

from __future__ import annotations

from orggraph.loaders.idcodes import credit_check_char, id_check_char, orgcode_check_char, pid_of
from support.ledger_rows import PERSON_BLANKS

TEST_PID_KEY = b"orggraph-test-key"  # the root conftest's key (tests/conftest.py)
DISTRICT = "520603"
S1, S2 = "520603001", "520603002"  # 仁山街道, 谢桥街道
C11, C12, C21 = "520603001001", "520603001002", "520603002001"
G111, G121, G211 = "520603001001001", "520603001002001", "520603002001001"
B1, B2 = "52060300100100101", "52060300200100101"
H1, H2 = B1 + "-101", B2 + "-101"
ORG_S1, ORG_C11, ORG_S2 = "D520603001", "D520603001001", "D520603002"
PHONE_A, PHONE_B = "13812345678", "13900001111"


def resident_id(n: int, year: int = 1980) -> str:
    first17 = f"520603{year}0101{n:03d}"
    return first17 + id_check_char(first17)


def credit_code(n: int, head: str = "91") -> str:
    body = f"{n:08d}"
    code17 = head + DISTRICT + body + orgcode_check_char(body)
    return code17 + credit_check_char(code17)


U1, U2 = credit_code(1), credit_code(2, "12")
# People: a resident and secretary in street 1, a worker in each street, a leader per street, a resident of
# street 2.
ID_A, ID_WA, ID_LA, ID_B, ID_WB, ID_LB = (resident_id(n) for n in (1, 2, 3, 4, 5, 6))
# Across the street border: BR lives in street 2 and serves a grid of street 1; X2 shares BR's home and links
# a
# household of street 1; DL, a district leader, contacts street 2, a community of street 1 and a grid of
# street 2.
ID_BR, ID_X2, ID_DL = resident_id(7), resident_id(8), resident_id(9)
UNKNOWN_ID = resident_id(99)
H_SHARED = B2 + "-201"


def pid(id18: str) -> str:
    return pid_of(id18, TEST_PID_KEY)


PID_A, PID_WA, PID_LA, PID_B, PID_WB, PID_LB = (pid(i) for i in (ID_A, ID_WA, ID_LA, ID_B, ID_WB, ID_LB))
PID_BR, PID_X2, PID_DL = pid(ID_BR), pid(ID_X2), pid(ID_DL)


def two_streets() -> dict[str, list[dict[str, str]]]:
    person = PERSON_BLANKS
    grid = {"区县": "万山区", "网格类型": "居民网格"}
    return {
        "网格": [
            {
                **grid,
                "街道编码": S1,
                "街道": "仁山街道",
                "社区编码": C11,
                "社区": "旺家社区",
                "网格编码": G111,
                "网格名称": "旺家第1网格",
                "户数": "250",
                "人口": "700",
            },
            {
                **grid,
                "街道编码": S1,
                "街道": "仁山街道",
                "社区编码": C12,
                "社区": "冲广社区",
                "网格编码": G121,
                "网格名称": "冲广第1网格",
                "户数": "400",
                "人口": "900",
            },
            {
                **grid,
                "街道编码": S2,
                "街道": "谢桥街道",
                "社区编码": C21,
                "社区": "谢桥社区",
                "网格编码": G211,
                "网格名称": "谢桥第1网格",
                "户数": "200",
                "人口": "500",
            },
        ],
        "楼栋": [
            {"楼栋编码": B1, "楼栋名称": "丰园1栋", "网格编码": G111, "户数": "60"},
            {"楼栋编码": B2, "楼栋名称": "谢桥1栋", "网格编码": G211, "户数": "40"},
        ],
        "单位": [
            {"单位编码": U1, "单位名称": "万山供电局", "单位类型": "国有企业", "所在街道编码": S1},
            {"单位编码": U2, "单位名称": "谢桥卫生院", "单位类型": "事业单位", "所在街道编码": S2},
        ],
        "党组织": [
            {
                "组织编码": ORG_S1,
                "组织名称": "中共仁山街道工作委员会",
                "组织类型": "党工委",
                "上级组织编码": "",
                "依托对象编码": S1,
                "书记身份证号": ID_LA,
            },
            {
                "组织编码": ORG_C11,
                "组织名称": "中共旺家社区委员会",
                "组织类型": "党委",
                "上级组织编码": ORG_S1,
                "依托对象编码": C11,
                "书记身份证号": ID_A,
            },
            {
                "组织编码": ORG_S2,
                "组织名称": "中共谢桥街道工作委员会",
                "组织类型": "党工委",
                "上级组织编码": "",
                "依托对象编码": S2,
                "书记身份证号": ID_LB,
            },
        ],
        "人员": [
            {
                **person,
                "身份证号": ID_A,
                "姓名": "许书记",
                "手机号": PHONE_A,
                "政治面貌": "中共党员",
                "党组织编码": ORG_C11,
                "居住楼栋编码": B1,
                "户号": "101",
                "标签": "社区工作者",
            },
            {
                **person,
                "身份证号": ID_WA,
                "姓名": "网格员甲",
                "手机号": "13700000001",
                "居住楼栋编码": B1,
                "户号": "102",
            },
            {**person, "身份证号": ID_LA, "姓名": "联系领导甲", "政治面貌": "中共党员", "党组织编码": ORG_S1},
            {
                **person,
                "身份证号": ID_B,
                "姓名": "许谢桥",
                "手机号": PHONE_B,
                "居住楼栋编码": B2,
                "户号": "101",
            },
            {**person, "身份证号": ID_WB, "姓名": "网格员乙", "居住楼栋编码": B2, "户号": "102"},
            {**person, "身份证号": ID_LB, "姓名": "联系领导乙", "政治面貌": "中共党员", "党组织编码": ORG_S2},
            {**person, "身份证号": ID_BR, "姓名": "跨街网格员", "居住楼栋编码": B2, "户号": "201"},
            {**person, "身份证号": ID_X2, "姓名": "同住联户长", "居住楼栋编码": B2, "户号": "201"},
            {**person, "身份证号": ID_DL, "姓名": "区领导", "政治面貌": "中共党员", "党组织编码": ORG_S2},
        ],
        "网格力量": [
            {
                "身份证号": ID_WA,
                "岗位": "专职网格员",
                "负责对象编码": G111,
                "开始日期": "2022-01-01",
                "结束日期": "",
            },
            {
                "身份证号": ID_WB,
                "岗位": "专职网格员",
                "负责对象编码": G211,
                "开始日期": "2022-01-01",
                "结束日期": "",
            },
            {
                "身份证号": ID_A,
                "岗位": "楼栋长",
                "负责对象编码": B1,
                "开始日期": "2022-01-01",
                "结束日期": "",
            },
            {
                "身份证号": ID_BR,
                "岗位": "兼职网格员",
                "负责对象编码": G111,
                "开始日期": "2022-01-01",
                "结束日期": "",
            },
        ],
        "联建共建": [
            {
                "单位编码": U1,
                "社区编码": C11,
                "开始日期": "2021-01-01",
                "结束日期": "",
                "共建项目": "结对帮扶",
            },
            {
                "单位编码": U2,
                "社区编码": C21,
                "开始日期": "2021-01-01",
                "结束日期": "",
                "共建项目": "健康义诊",
            },
            {
                "单位编码": U2,
                "社区编码": C12,
                "开始日期": "2021-01-01",
                "结束日期": "",
                "共建项目": "健康讲座",
            },
        ],
        "联系点": [
            {
                "身份证号": ID_LA,
                "职务": "街道党工委书记",
                "联系人类别": "街道党工委班子",
                "联系对象编码": C11,
                "开始日期": "2023-01-01",
                "结束日期": "",
            },
            {
                "身份证号": ID_LA,
                "职务": "街道党工委书记",
                "联系人类别": "街道党工委班子",
                "联系对象编码": G111,
                "开始日期": "2023-01-01",
                "结束日期": "",
            },
            {
                "身份证号": ID_LB,
                "职务": "街道党工委书记",
                "联系人类别": "街道党工委班子",
                "联系对象编码": C21,
                "开始日期": "2023-01-01",
                "结束日期": "",
            },
            {
                "身份证号": ID_LB,
                "职务": "街道党工委书记",
                "联系人类别": "街道党工委班子",
                "联系对象编码": G211,
                "开始日期": "2023-01-01",
                "结束日期": "",
            },
        ]
        + [
            {
                "身份证号": ID_DL,
                "职务": "区委常委",
                "联系人类别": "区委区政府班子",
                "联系对象编码": code,
                "开始日期": "2023-01-01",
                "结束日期": "",
            }
            for code in (S2, C11, G211)
        ],
        "联户": [
            {"身份证号": ID_A, "楼栋编码": B1, "户号": "102", "开始日期": "2023-01-01", "结束日期": ""},
            {"身份证号": ID_X2, "楼栋编码": B1, "户号": "101", "开始日期": "2023-01-01", "结束日期": ""},
        ],
    }
