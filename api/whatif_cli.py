"""`orggraph what-if SCENARIO.json [--scope S] [--as-of D] [--json] [--xlsx OUT]`: a what-if scenario from the
command line (the same answer as `POST /api/what-if`, as an operator: everything, no jurisdiction)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from orggraph.settings import Settings

__all__ = ["add_parser", "cmd_whatif"]

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def _scenario(path: Path) -> dict[str, Any] | None:
    """The file's scenario: an object {"scope"?, "as_of"?, "changes": [...]} or a bare list of changes."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as e:
        _err(f"读不到模拟调整文件「{path}」：{e.strerror}。")
        return None
    except json.JSONDecodeError as e:
        _err(f"模拟调整文件「{path}」不是有效的 JSON（第 {e.lineno} 行第 {e.colno} 列）：请改正。")
        return None
    if isinstance(data, list):
        data = {"changes": data}
    if not isinstance(data, dict) or "changes" not in data:
        _err(f'模拟调整文件「{path}」应为 {{"changes": [...]}}（可另加 "scope"、"as_of"）或调整项的列表。')
        return None
    return data


def cmd_whatif(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.api import cli
    from orggraph.queries.coverage import open_scope
    from orggraph.queries.scope import ScopeError
    from orggraph.queries.whatif import what_if
    from orggraph.queries.whatif_report import summary_text, whatif_xlsx

    body = _scenario(Path(args.scenario))
    if body is None:
        return EXIT_INPUT
    if args.xlsx and not args.xlsx.lower().endswith(".xlsx"):
        _err(f"输出文件「{args.xlsx}」应以 .xlsx 结尾。")
        return EXIT_INPUT
    store = cli._open_store(settings)
    try:
        scope = args.scope or body.get("scope")
        answer = what_if(
            store, body["changes"], scope, args.as_of or body.get("as_of"), timeout=settings.query_timeout
        )
        if args.xlsx:
            sc = open_scope(store, answer["scope"], answer["as_of"])
            name = (sc.ref.name or sc.ref.key) if sc.ref else "全部"
            Path(args.xlsx).write_bytes(whatif_xlsx(answer, name))
    except ScopeError as e:
        _err(str(e))
        return EXIT_INPUT
    finally:
        store.close()
    print(json.dumps(answer, ensure_ascii=False) if args.json else summary_text(answer))
    if args.xlsx and not args.json:
        print(f"已写入 {args.xlsx}")
    return EXIT_OK


def add_parser(sub: Any) -> None:
    s = sub.add_parser(
        "what-if", help="模拟调整：结束、新增、调动或移除任职后覆盖率和短板如何变化（不改动数据）"
    )
    s.add_argument(
        "scenario", help='模拟调整文件 .json：{"scope"?, "as_of"?, "changes": [...]}（见 docs/api.md）'
    )
    s.add_argument("--scope", help="区县、街道或社区编码（默认文件中的 scope，或全部）")
    s.add_argument("--as-of", dest="as_of", help="日期 YYYY-MM-DD（默认文件中的 as_of，或今天）")
    s.add_argument("--json", action="store_true", help="输出与 POST /api/what-if 相同的 JSON")
    s.add_argument("--xlsx", help="另把结果写成 .xlsx 工作簿")
    s.set_defaults(func=cmd_whatif, uses_store=True)
