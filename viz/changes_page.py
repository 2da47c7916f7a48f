"""The page 数据变更 (`/pages/changes`): every load's change report, newest first, and its `.xlsx` export."""

from __future__ import annotations

import datetime as _dt
import io
from typing import Any

from orggraph.loaders.changes import KIND_ZH, summary_zh
from orggraph.viz.render import Links, render

__all__ = ["build_changes_page", "changes_xlsx", "STATUS_ZH"]

STATUS_ZH = {"done": "完成", "running": "中断或进行中", "refused": "有错误，未导入"}


def _row(r: dict[str, Any]) -> dict[str, Any]:
    ch = r.get("changes") or {"added": 0, "updated": 0, "removed": 0, "by_kind": {}}
    files = r.get("files") or {}
    rows = r.get("rows") or {}
    same = set(r.get("unchanged_files") or ())
    file_rows = [
        f"{name}：{rows.get(ledger, 0):,} 行" + ("（未改动）" if name in same else "")
        for ledger, name in files.items()
    ]
    if r["status"] == "refused":
        summary = f"{r.get('errors', 0):,} 处错误，未导入任何数据"
    elif r["status"] == "running":
        summary = "未完成（被中断或仍在进行）：重新导入同一台账即可补全"
    else:
        summary = summary_zh(ch, limit=20)
    return {
        **r,
        "status_zh": STATUS_ZH.get(r["status"], r["status"]),
        "file_rows": file_rows,
        "summary": summary,
        "added": ch["added"],
        "updated": ch["updated"],
        "removed": ch["removed"],
    }


def build_changes_page(loads: list[dict[str, Any]], since: str | None) -> str:
    links = Links(base="", console=True)  # only admins and analysts see this page: both may use the console
    return render(
        "changes.html",
        title="数据变更",
        subtitle=f"共 {len(loads):,} 次导入" + (f"（{since} 以来）" if since else ""),
        links=links,
        inline_assets=False,
        as_of=_dt.date.today().isoformat(),
        here="数据变更",
        loads=[_row(r) for r in loads],
        since=since,
        xlsx_href=links.href("/pages/changes.xlsx", since=since),
    )


def changes_xlsx(loads: list[dict[str, Any]]) -> bytes:
    """Two sheets: 导入记录 (one row a load) and 变更明细 (one row a load and kind)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "导入记录"
    ws.append(
        [
            "编号",
            "开始时间（UTC）",
            "结束时间（UTC）",
            "状态",
            "文件",
            "行数",
            "内容哈希",
            "新增",
            "变更",
            "删除或结束",
            "用时（秒）",
        ]
    )
    detail = wb.create_sheet("变更明细")
    detail.append(["编号", "开始时间（UTC）", "变更类别", "类别代码", "数量"])
    for r in loads:
        row = _row(r)
        hashes = r.get("content_hashes") or {}
        ws.append(
            [
                r["id"],
                r["started"],
                r.get("finished") or "",
                row["status_zh"],
                "、".join((r.get("files") or {}).values()),
                sum((r.get("rows") or {}).values()),
                "、".join(f"{k}:{v}" for k, v in hashes.items()),
                row["added"],
                row["updated"],
                row["removed"],
                r.get("seconds", ""),
            ]
        )
        for kind, n in ((r.get("changes") or {}).get("by_kind") or {}).items():
            detail.append([r["id"], r["started"], KIND_ZH.get(kind, kind), kind, n])
    for sheet in (ws, detail):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
