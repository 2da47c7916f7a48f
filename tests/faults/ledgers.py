"""A small, valid set of all eleven ledgers (check characters computed, every reference resolvable), for
fuzzing and injection tests that need many imports: the demo generator's smallest city is too big to import
200 times."""

from __future__ import annotations

import shutil
from pathlib import Path

from orggraph.loaders.demo import LEDGER_HEADERS
from orggraph.loaders.idcodes import credit_check_char, id_check_char

Ledgers = dict[str, list[dict[str, str]]]


def resident_id(n: int, born: str = "19800101", male: bool = True) -> str:
    seq = f"{(n * 2 + (1 if male else 0)) % 1000:03d}"
    first17 = "520603" + born + seq
    return first17 + id_check_char(first17)


def credit_code(n: int) -> str:
    first17 = f"91520603MA6D{n:05d}"
    return first17 + credit_check_char(first17)


def small_ledgers(name: str = "") -> Ledgers:
    """The ledgers as {stem: rows}; `name` replaces every free-text field (names, titles, projects...)."""
    p = [resident_id(i, male=i % 2 == 1) for i in range(1, 11)]
    u = [credit_code(i) for i in range(1, 4)]

    def nm(default: str) -> str:
        return name or default

    grids = [
        ("520603001", nm("谢桥街道"), "C1", nm("冲广坪社区"), "G1", "200", "600"),
        ("520603001", nm("谢桥街道"), "C1", nm("冲广坪社区"), "G2", "250", ""),
        ("520603001", nm("谢桥街道"), "C2", nm("龙田社区"), "G3", "", "700"),
        ("520603002", nm("仁山街道"), "C3", nm("仁山社区"), "G4", "300", "900"),
    ]
    people = [
        (p[0], nm("张三"), "男", "13800000001", "中共党员", "P2", u[0], "B1", "101", "志愿者、退役军人"),
        (p[1], nm("李四"), "", "", "群众", "", "", "B1", "102", ""),
        (p[2], nm("王五"), "", "13800000003", "中共预备党员", "P2", "", "B2", "201", "社区工作者"),
        (p[3], nm("赵六"), "女", "", "共青团员", "", u[1], "B3", "301", ""),
        (p[4], nm("孙七"), "", "", "中共党员", "P3", u[2], "", "", "空巢老人"),
        (p[5], nm("周八"), "", "", "群众", "", "", "B4", "401", ""),
        (p[6], nm("吴九"), "", "", "", "", "", "B1", "101", "留守儿童"),
        (p[7], nm("郑十"), "", "", "群众", "", "", "", "", ""),
        (p[8], nm("钱一"), "", "", "中共党员", "P1", "", "", "", ""),
        (p[9], nm("陈二"), "", "", "群众", "", "", "B4", "402", ""),
    ]
    return {
        "网格": [dict(zip(LEDGER_HEADERS["网格"], (nm("万山区"), s, sn, c, cn, g, nm(f"{g}网格"), "居民网格", h, pop), strict=False))
                 for s, sn, c, cn, g, h, pop in grids],
        "楼栋": [dict(zip(LEDGER_HEADERS["楼栋"], (b, nm(f"{b}号楼"), g, h), strict=False))
                 for b, g, h in (("B1", "G1", "40"), ("B2", "G1", "30"), ("B3", "G2", ""), ("B4", "G3", "20"))],
        "单位": [dict(zip(LEDGER_HEADERS["单位"], (u[0], nm("区委组织部"), "党政机关", "520603001"), strict=False)),
                 dict(zip(LEDGER_HEADERS["单位"], (u[1], nm("万山国资公司"), "国有企业", ""), strict=False)),
                 dict(zip(LEDGER_HEADERS["单位"], (u[2], nm("社工服务中心"), "社会组织", "520603002"), strict=False))],
        "党组织": [dict(zip(LEDGER_HEADERS["党组织"], row, strict=False)) for row in (
            ("P0", nm("谢桥街道党工委"), "党工委", "", "520603001", ""),
            ("P1", nm("冲广坪社区党委"), "党委", "P0", "C1", p[8]),
            ("P2", nm("第一网格党支部"), "党支部", "P1", "G1", p[0]),
            ("P3", nm("社工中心党支部"), "党支部", "P1", u[2], ""),
        )],
        "人员": [dict(zip(LEDGER_HEADERS["人员"], row, strict=False)) for row in people],
        "网格力量": [dict(zip(LEDGER_HEADERS["网格力量"], row, strict=False)) for row in (
            (p[1], nm("李四"), "专职网格员", "G1", "2023-01-01", ""),
            (p[1], nm("李四"), "专职网格员", "G1", "2021/3/1", "2022年12月31日"),
            (p[3], nm("赵六"), "兼职网格员", "G2", "", ""),
            (p[6], nm("吴九"), "楼栋长", "B1", "2024-01-01", ""),
        )],
        "联建共建": [dict(zip(LEDGER_HEADERS["联建共建"], row, strict=False)) for row in (
            (u[0], "C1", "2022-01-01", "", nm("共建项目甲")),
            (u[1], "C2", "2021-01-01", "2023-12-31", ""),
        )],
        "兼职委员": [dict(zip(LEDGER_HEADERS["兼职委员"], (p[4], nm("孙七"), "P1", u[2], "2023-06-01", ""), strict=False))],
        "联系点": [dict(zip(LEDGER_HEADERS["联系点"], (p[5], nm("周八"), nm("区委常委"), "区委区政府班子", t, "2024-01-01", ""), strict=False))
                  for t in ("520603001", "C1", "G1")],
        "双报到": [dict(zip(LEDGER_HEADERS["双报到"], row, strict=False)) for row in (
            ("党员", p[0], "C1", "2024-03-05", nm("环境整治")),
            ("单位", u[1], "C2", "", ""),
        )],
        "联户": [dict(zip(LEDGER_HEADERS["联户"], (p[0], "B1", "102", "2024-01-01", ""), strict=False))],
    }  # fmt: skip


def copy_folder(src: Path, dst: Path) -> Path:
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    return dst
