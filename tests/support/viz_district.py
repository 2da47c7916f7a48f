"""The small district the page tests know by heart (codes, people, ledgers): imported by tests/viz/conftest.py
and the test modules, so no test module imports a conftest by name (they clash when pytest runs tests/viz and
tests/api in one call)."""

from __future__ import annotations

from orggraph.loaders.idcodes import credit_check_char, id_check_char, orgcode_check_char, pid_of

TEST_PID_KEY = b"orggraph-test-key"  # the root conftest's key (tests/conftest.py)

STREET, C1, C2 = "520603001", "520603001001", "520603001002"
G1, G2 = "520603001001001", "520603001002001"
B1 = "52060300100100101"
ORG_STREET, ORG_C1, ORG_G1, ORG_B1 = "D520603001", "D520603001001", "D520603001001001", "D52060300100100101"
REPORTERS = 30  # party members reporting to C1: a hub for the cap tests
PHONE = "13812345678"


def resident_id(n: int, year: int = 1980) -> str:
    first17 = f"520603{year}0101{n:03d}"
    return first17 + id_check_char(first17)


def credit_code(n: int, head: str = "91") -> str:
    body = f"{n:08d}"
    code17 = head + "520603" + body + orgcode_check_char(body)
    return code17 + credit_check_char(code17)


U1, U2, U3 = credit_code(1), credit_code(2), credit_code(3, "12")
SECRETARY, PT_NOW, PT_OLD, LEADER = resident_id(1), resident_id(2), resident_id(3), resident_id(4)
WORKER = resident_id(5)
REPORTER_IDS = [resident_id(100 + i, 1985) for i in range(REPORTERS)]


def pid(id18: str) -> str:
    return pid_of(id18, TEST_PID_KEY)


def small_district() -> dict[str, list[dict[str, str]]]:
    """One street, two communities; C1 has two co-building units and 30 reporting members, C2 only an expired partner."""
    person = {
        "性别": "",
        "手机号": "",
        "政治面貌": "群众",
        "党组织编码": "",
        "工作单位编码": "",
        "居住楼栋编码": "",
        "户号": "",
        "标签": "",
    }
    people = [
        {
            **person,
            "身份证号": SECRETARY,
            "姓名": "许书记",
            "手机号": PHONE,
            "政治面貌": "中共党员",
            "党组织编码": ORG_C1,
            "居住楼栋编码": B1,
            "户号": "101",
        },
        {
            **person,
            "身份证号": PT_NOW,
            "姓名": "兼职甲",
            "政治面貌": "中共党员",
            "党组织编码": ORG_C1,
            "工作单位编码": U1,
        },
        {
            **person,
            "身份证号": PT_OLD,
            "姓名": "兼职乙",
            "政治面貌": "中共党员",
            "党组织编码": ORG_C1,
            "工作单位编码": U2,
        },
        {**person, "身份证号": LEADER, "姓名": "联系领导", "政治面貌": "中共党员", "党组织编码": ORG_STREET},
        {**person, "身份证号": WORKER, "姓名": "网格员丙", "居住楼栋编码": B1, "户号": "102"},
    ] + [
        {
            **person,
            "身份证号": rid,
            "姓名": f"报到党员{i:02d}",
            "政治面貌": "中共党员",
            "党组织编码": ORG_G1,
            "工作单位编码": U1,
            "居住楼栋编码": B1,
            "户号": f"{201 + i}",
        }
        for i, rid in enumerate(REPORTER_IDS)
    ]
    return {
        "网格": [
            {
                "区县": "万山区",
                "街道编码": STREET,
                "街道": "仁山街道",
                "社区编码": C1,
                "社区": "旺家社区",
                "网格编码": G1,
                "网格名称": "旺家第1网格",
                "网格类型": "居民网格",
                "户数": "250",
                "人口": "700",
            },
            {
                "区县": "万山区",
                "街道编码": STREET,
                "街道": "仁山街道",
                "社区编码": C2,
                "社区": "冲广社区",
                "网格编码": G2,
                "网格名称": "冲广第1网格",
                "网格类型": "居民网格",
                "户数": "200",
                "人口": "560",
            },
        ],
        "楼栋": [{"楼栋编码": B1, "楼栋名称": "丰园1栋", "网格编码": G1, "户数": "60"}],
        "单位": [
            {"单位编码": U1, "单位名称": "万山供电局", "单位类型": "国有企业", "所在街道编码": STREET},
            {"单位编码": U2, "单位名称": "丰园物业公司", "单位类型": "民营企业", "所在街道编码": STREET},
            {"单位编码": U3, "单位名称": "万山区图书馆", "单位类型": "事业单位", "所在街道编码": STREET},
        ],
        "党组织": [
            {
                "组织编码": ORG_STREET,
                "组织名称": "中共仁山街道工作委员会",
                "组织类型": "党工委",
                "上级组织编码": "",
                "依托对象编码": STREET,
                "书记身份证号": LEADER,
            },
            {
                "组织编码": ORG_C1,
                "组织名称": "中共旺家社区委员会",
                "组织类型": "党委",
                "上级组织编码": ORG_STREET,
                "依托对象编码": C1,
                "书记身份证号": SECRETARY,
            },
            {
                "组织编码": ORG_G1,
                "组织名称": "旺家第1网格党支部",
                "组织类型": "党支部",
                "上级组织编码": ORG_C1,
                "依托对象编码": G1,
                "书记身份证号": REPORTER_IDS[0],
            },
            {
                "组织编码": ORG_B1,
                "组织名称": "丰园1栋党小组",
                "组织类型": "党小组",
                "上级组织编码": ORG_G1,
                "依托对象编码": B1,
                "书记身份证号": REPORTER_IDS[1],
            },
        ],
        "人员": people,
        "网格力量": [
            {
                "身份证号": WORKER,
                "姓名": "网格员丙",
                "岗位": "专职网格员",
                "负责对象编码": G1,
                "开始日期": "2022-01-01",
                "结束日期": "",
            }
        ],
        "联建共建": [
            {
                "单位编码": U1,
                "社区编码": C1,
                "开始日期": "2021-01-01",
                "结束日期": "",
                "共建项目": "结对帮扶",
            },
            {
                "单位编码": U2,
                "社区编码": C1,
                "开始日期": "2022-01-01",
                "结束日期": "",
                "共建项目": "物业服务",
            },
            {
                "单位编码": U3,
                "社区编码": C2,
                "开始日期": "2019-01-01",
                "结束日期": "2021-06-30",
                "共建项目": "文化共建",
            },
        ],
        "兼职委员": [
            {
                "身份证号": PT_NOW,
                "姓名": "兼职甲",
                "任职组织编码": ORG_C1,
                "来源单位编码": U1,
                "开始日期": "2023-01-01",
                "结束日期": "",
            },
            {
                "身份证号": PT_OLD,
                "姓名": "兼职乙",
                "任职组织编码": ORG_C1,
                "来源单位编码": U2,
                "开始日期": "2018-01-01",
                "结束日期": "2020-12-31",
            },
        ],
        "联系点": [
            {
                "身份证号": LEADER,
                "姓名": "联系领导",
                "职务": "街道党工委书记",
                "联系人类别": "街道党工委班子",
                "联系对象编码": C1,
                "开始日期": "2023-01-01",
                "结束日期": "",
            },
            {
                "身份证号": LEADER,
                "姓名": "联系领导",
                "职务": "街道党工委书记",
                "联系人类别": "街道党工委班子",
                "联系对象编码": G1,
                "开始日期": "2023-01-01",
                "结束日期": "",
            },
        ],
        "双报到": [
            {
                "报到类型": "党员",
                "报到主体编码": rid,
                "报到社区编码": C1,
                "报到日期": "2024-03-01",
                "认领岗位": "志愿服务",
            }
            for rid in REPORTER_IDS
        ],
        "联户": [
            {"身份证号": SECRETARY, "楼栋编码": B1, "户号": "102", "开始日期": "2023-01-01", "结束日期": ""}
        ],
    }
