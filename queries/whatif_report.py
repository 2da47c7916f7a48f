"""A what-if answer (`queries.whatif.what_if`) as a workbook and as the CLI's Chinese summary."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from orggraph.sheets import Table, fitted_column, write_tables

__all__ = ["summary_text", "whatif_tables", "whatif_xlsx"]

_OP_ZH = {"end": "结束", "add": "新增", "move": "调动", "remove": "移除"}
_KIND_ZH = {"person": "人员", "unit": "单位"}


def _table(sheet: str, title: str, headers: list[str], rows: list[list[Any]]) -> Table:
    cols = [fitted_column(h, (r[j] for r in rows)) for j, h in enumerate(headers)]
    clean = "".join(ch for ch in sheet if ch not in "[]:*?/\\")
    return Table(clean[:31], title, cols, rows)


def whatif_tables(answer: dict[str, Any]) -> list[Table]:
    """调整项, 覆盖率 (before, after, change), one sheet per gap list with what appears and disappears, the
    sole contacts that change, and one sheet per person or unit named (what they cover before and after)."""
    tables = [
        _table(
            "调整项",
            "模拟调整：调整项",
            ["序号", "操作", "说明", "涉及任职数"],
            [[c["index"], _OP_ZH.get(c["op"], c["op"]), c["label"], c["terms"]] for c in answer["changes"]],
        ),
        _table(
            "覆盖率",
            "模拟调整：覆盖率前后对比",
            [
                "指标",
                "调整前 覆盖",
                "调整前 总数",
                "调整前 比例",
                "调整后 覆盖",
                "调整后 总数",
                "调整后 比例",
                "变化",
            ],
            [
                [
                    m["label"],
                    m["before"]["covered"],
                    m["before"]["total"],
                    f"{m['before']['ratio']:.2%}",
                    m["after"]["covered"],
                    m["after"]["total"],
                    f"{m['after']['ratio']:.2%}",
                    f"{m['delta']['covered']:+d}",
                ]
                for m in answer["coverage"]
            ],
        ),
    ]
    for i, g in enumerate(answer["gaps"], 1):
        rows = [["新出现", it["name"], it["where"], it["why"], it["key"]] for it in g["appeared"]] + [
            ["消失", it["name"], it["where"], it["why"], it["key"]] for it in g["disappeared"]
        ]
        sheet = f"{i:02d} " + g["label"].split("（")[0].replace("：", " ")
        tables.append(
            _table(sheet, f"模拟调整：{g['label']}", ["变化", "名称", "所在", "原因", "编码或人员编号"], rows)
        )
    sole = answer["sole_contacts"]
    tables.append(
        _table(
            "唯一联系人变化",
            "模拟调整：网格唯一直接联系人的变化",
            ["变化", "姓名", "网格", "网格编码", "人员编号"],
            [["新出现", s["name"], s["grid_name"], s["grid"], s["pid"]] for s in sole["appeared"]]
            + [["消失", s["name"], s["grid_name"], s["grid"], s["pid"]] for s in sole["disappeared"]],
        )
    )
    for j, p in enumerate(answer["people"], 1):
        rows = [
            [side, t["relationship"], t["role"] or "", t["label"], t["name"], t["code"]]
            for side, terms in (("调整前", p["before"]), ("调整后", p["after"]))
            for t in terms
        ]
        tables.append(
            _table(
                f"P{j:02d} {p['name']}",
                f"模拟调整：{_KIND_ZH[p['kind']]} {p['name']}（{p['key']}）调整前后",
                ["时点", "关系", "岗位或类别", "对象类型", "对象", "编码"],
                rows,
            )
        )
    return tables


def whatif_xlsx(answer: dict[str, Any], scope_name: str) -> bytes:
    """The workbook's bytes."""
    with tempfile.TemporaryDirectory() as d:
        path = write_tables(
            Path(d) / "what-if.xlsx",
            whatif_tables(answer),
            scope=scope_name,
            as_of=answer["as_of"],
            title="模拟调整",
        )
        return path.read_bytes()


def summary_text(answer: dict[str, Any]) -> str:
    """The CLI's Chinese summary: the changes, the measures that move, the gap items that appear or go."""
    out = [f"模拟调整（{answer['scope'] or '全部'}，{answer['as_of']}）："]
    out += [f"  第{c['index']}项 {c['label']}（涉及 {c['terms']} 项任职）" for c in answer["changes"]]
    moved = [m for m in answer["coverage"] if m["delta"]["covered"] or m["delta"]["total"]]
    out.append("覆盖率变化：" if moved else "覆盖率：没有变化")
    for m in moved:
        b, a = m["before"], m["after"]
        out.append(
            f"  {m['label']}：{b['covered']}/{b['total']}（{b['ratio']:.2%}）→ "
            f"{a['covered']}/{a['total']}（{a['ratio']:.2%}），{m['delta']['covered']:+d}"
        )
    for g in answer["gaps"]:
        for what, items in (("新出现", g["appeared"]), ("消失", g["disappeared"])):
            if items:
                shown = "、".join(f"{it['name']}（{it['key']}）" for it in items[:10])
                more = f" 等 {len(items)} 项" if len(items) > 10 else ""
                out.append(f"{g['label']} {what}：{shown}{more}")
    sole = answer["sole_contacts"]
    for what, items in (("新成为", sole["appeared"]), ("不再是", sole["disappeared"])):
        for s in items[:20]:
            out.append(f"{s['name']} {what}网格「{s['grid_name']}」唯一的直接联系人")
    return "\n".join(out)
