"""The `orggraph` command: load ledgers, query, serve, manage tokens, build the demo.

Length (about 710 lines): one `cmd_*` function per subcommand and the argparse tree; the work itself lives in
the modules they call.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orggraph.graph.cypher import statement
from orggraph.loaders.demo import DEFAULT_RESIDENTS

from orggraph import __version__
from orggraph.settings import Settings, SettingsError, get_settings

__all__ = ["main"]

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2
DEFAULT_NEO4J_DATABASE = "neo4j"  # the database a Neo4j server creates and uses unless told otherwise


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def _open_store(settings: Settings) -> Any:
    from orggraph.graph.store import open_store

    return open_store(settings)


# ------------------------------------------------------------------------------------------------ load
def cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.api.demo_store import forget_demo
    from orggraph.loaders.changes import summary_zh
    from orggraph.loaders.importer import LoadError, import_ledgers, load_lock, load_record, terminal_progress

    path = Path(args.path)
    if not path.exists():
        _err(f"找不到 {path}：请给出台账文件夹或 .xlsx 工作簿的路径。")
        return EXIT_INPUT
    try:
        with load_lock(settings.data_dir):
            store = _open_store(settings)
            try:
                report = import_ledgers(
                    path,
                    store,
                    pid_key=settings.pid_key_bytes,
                    dry_run=args.dry_run,
                    mapping_file=Path(args.mapping) if args.mapping else None,
                    batch_size=settings.batch_size,
                    progress=None if args.json else terminal_progress(),
                    before_write=lambda: forget_demo(
                        settings
                    ),  # real ledgers from now on: demo may not clear them
                    history_dir=settings.data_dir,
                    bulk=not args.no_bulk,
                )
            finally:
                store.close()
    except LoadError as e:  # another load holds the data dir, or the lock or the spool cannot be written
        _err(str(e))
        return EXIT_FAIL
    for issue in report.warnings:
        _err(issue.format())  # a warning's format() starts with 警告：
    if not report.ok:
        for issue in report.errors:
            _err("错误：" + issue.format())
        _err(f"共 {len(report.errors)} 处错误，未导入任何数据。请改正后重新导入（可先用 --dry-run 只检查）。")
        return EXIT_INPUT
    rec = load_record(report)
    if args.json:
        print(json.dumps({k: rec[k] for k in ("rows", "changes", "seconds")}, ensure_ascii=False))
        return EXIT_OK
    for ledger, n in report.rows.items():
        same = "（与上次导入的文件相同，未重新读取）" if ledger in report.skipped else ""
        print(f"{report.files.get(ledger, ledger)}：{n:,} 行{same}")
    changes = summary_zh(rec["changes"])
    if report.dry_run:
        print(f"检查通过（--dry-run，未写入）。若导入：{changes}。用时 {report.seconds:.1f} 秒。")
    else:
        total = sum(report.written.values())
        wrote = f"写入 {total:,} 条节点和关系" if total else "未写入任何数据"
        print(f"导入完成：{changes}；{wrote}，用时 {report.seconds:.1f} 秒。")
    return EXIT_OK


def cmd_changes(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.loaders.changes import History, HistoryError, parse_since, summary_zh

    try:
        since = parse_since(args.since)
    except ValueError as e:
        _err(str(e))
        return EXIT_INPUT
    try:
        history = History(settings.data_dir)
        try:
            reports = history.reports(since)
        finally:
            history.close()
    except HistoryError as e:
        _err(f"{e}。请检查数据文件夹的权限。")
        return EXIT_FAIL
    if args.json:
        print(json.dumps(reports, ensure_ascii=False))
        return EXIT_OK
    if not reports:
        print("没有导入记录" + (f"（{since} 以来）" if since else "") + "。")
        return EXIT_OK
    status_zh = {"done": "完成", "running": "中断或进行中", "refused": "有错误，未导入"}
    for r in reports:
        files = "、".join(r.get("files", {}).values())
        head = f"#{r['id']} {r['started']} {status_zh.get(r['status'], r['status'])}"
        if r["status"] == "refused":
            print(f"{head}：{r.get('errors', 0)} 处错误。{files}")
        elif r.get("changes") is not None:
            print(f"{head}：{summary_zh(r['changes'])}。{files}")
        else:
            print(f"{head}。{files}")
    return EXIT_OK


def cmd_diff(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.loaders.changes import HistoryError
    from orggraph.loaders.diff import changes_between
    from orggraph.queries.scope import ScopeError

    store = _open_store(settings)
    try:
        answer = changes_between(store, settings.data_dir, args.scope, getattr(args, "from"), args.to)
    except ScopeError as e:
        _err(str(e))
        return EXIT_INPUT
    except HistoryError as e:
        _err(f"{e}。请检查数据文件夹的权限。")
        return EXIT_FAIL
    finally:
        store.close()
    if args.json:
        print(json.dumps(answer, ensure_ascii=False))
        return EXIT_OK
    where = answer["scope_name"] or answer["scope"] or "全部"
    print(f"{where}：{answer['from']} 至 {answer['to']} 之间开始或结束的任期 {len(answer['terms']):,} 项")
    for t in answer["terms"]:
        detail = t["role"] or t["category"] or t["project"] or ""
        print(
            f"  {t['date']} {t['what']}{t['event_zh']}：{t['a_name'] or t['a_key']} → "
            f"{t['t_name'] or t['t_key']} {detail}".rstrip()
        )
    print(f"期间的导入 {len(answer['loads']):,} 次，范围内的变更 {len(answer['changes']):,} 项")
    for c in answer["changes"]:
        print(f"  {c['time']} {c['kind_zh']}：{c['a']}" + (f" → {c['b']}" if c["b"] else ""))
    if answer["truncated"]:
        print("（结果太多，只列出了一部分：请缩小范围或时间段）")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------- cypher
PARAM_SYNTAX = (
    "名称=值（值总是字符串，如 --param code=520603001）或 名称:=JSON（数字、列表、true/false/null，如 "
    "--param n:=3）"
)


def _no_constant(name: str) -> Any:
    raise ValueError(
        name
    )  # NaN and Infinity: json.loads takes them, but they are not JSON (nor Cypher literals)


def _parse_param(text: str) -> tuple[str, Any]:
    """`k=v`: the string v, always (codes and pids are digit strings); `k:=v`: v read as JSON (like
    HTTPie)."""
    name, sep, value = text.partition("=")
    as_json = name.endswith(":")
    name = name.removesuffix(":").strip()
    if not sep or not name:
        raise ValueError(f"参数「{text}」应写成 {PARAM_SYNTAX}。")
    if not as_json:
        return name, value
    try:
        return name, json.loads(value, parse_constant=_no_constant)
    except ValueError:
        raise ValueError(
            f"参数「{text}」中 := 后面的值不是合法的 JSON（数字、列表、true/false/null 等）。"
            f"要传字符串请写 --param {name}={value}"
        ) from None


def cmd_cypher(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.graph.store import StoreError
    from orggraph.queries.adhoc_guard import MAX_REPLY_BYTES, cap_rows, check_adhoc

    try:
        params = dict(_parse_param(p) for p in args.param or [])
        # The query text is the analyst's own: checked before the store is opened (no write, no LOAD CSV,
        # bounded nesting and size; AdhocRefused is a ValueError: the user's input, exit 2), then run
        # read-only, as enforced by the store itself too.
        query = cap_rows(args.query, check_adhoc(args.query, params), args.limit + 1, params)
    except ValueError as e:
        _err(str(e))
        return EXIT_INPUT
    store = _open_store(settings)
    try:
        result = store.read(
            query, params, timeout=settings.query_timeout, max_rows=args.limit, reply_limit=MAX_REPLY_BYTES
        )
    except StoreError as e:
        _err(str(e))
        return EXIT_FAIL
    finally:
        store.close()
    if args.json:
        print(json.dumps(result.records(), ensure_ascii=False, indent=None))
    else:
        _print_table(result.columns, result.rows)
    if result.truncated:
        _err(f"结果超过 {args.limit} 行，只显示前 {args.limit} 行（可用 --limit 调整）。")
    return EXIT_OK


def _print_table(columns: list[str], rows: list[list[Any]]) -> None:
    def cell(v: Any) -> str:
        return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)

    print("\t".join(columns))
    for r in rows:
        print("\t".join(cell(v) for v in r))
    print(f"({len(rows)} 行)", file=sys.stderr)


# ---------------------------------------------------------------------------------------------- export
def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.loaders.export import ExportError, drop_summary, export_ledgers, export_store
    from orggraph.loaders.importer import LoadError, terminal_progress

    out = Path(args.neo4j_admin)
    try:
        if args.from_ledgers:
            report, result = export_ledgers(
                Path(args.from_ledgers),
                out,
                pid_key=settings.pid_key_bytes,
                database=args.database,
                mapping_file=Path(args.mapping) if args.mapping else None,
            )
            if result is None:
                for issue in report.errors:
                    _err("错误：" + issue.format())
                _err(f"共 {len(report.errors)} 处错误，未导出。请改正台账后重试。")
                return EXIT_INPUT
        else:
            result = _with_locked_store(
                settings,
                lambda store: export_store(
                    store, out, database=args.database, progress=terminal_progress("导出")
                ),
            )
    except (ExportError, LoadError) as e:
        _err(str(e))
        return EXIT_FAIL
    for line in drop_summary(result):
        _err("警告：" + line)
    print(f"已导出 {result.total_nodes:,} 个节点、{result.total_relationships:,} 条关系到 {result.out_dir}")
    print("在停止的 Neo4j 上运行下面的命令（目标数据库须尚不存在或为空；命令也写在 import.sh 中）：\n")
    print(result.command())
    script = shlex.quote(str(result.out_dir / "import.sh"))
    print(
        "\n用本仓库的工具（./dev neo4j）：NEO4J_ADMIN='./dev neo4j admin --data <Neo4j 数据目录>' "
        f"sh {script}"
        "（先 ./dev neo4j stop --data <Neo4j 数据目录>；启动过的 Neo4j 已有 neo4j 库，须在命令后加 "
        "--overwrite-destination=true，它会替换整个库）"
    )
    db = shlex.quote(args.database)
    create = (
        ""
        if args.database == DEFAULT_NEO4J_DATABASE
        else f"，执行 CREATE DATABASE {db}（非默认数据库须先创建）"
    )
    schema = shlex.quote(str(result.out_dir / "schema.cypher"))
    print(
        f"\n然后启动 Neo4j{create}，再运行 cypher-shell -d {db} -f {schema} 建立唯一约束和索引、恢复空列表。"
    )
    return EXIT_OK


# ------------------------------------------------------------------------------------- backup, restore
def _with_locked_store(settings: Settings, action: Any) -> Any:
    """Run action(store) holding the load lock: no load changes the graph meanwhile (LoadError otherwise)."""
    from orggraph.loaders.importer import load_lock

    with load_lock(settings.data_dir):
        store = _open_store(settings)
        try:
            return action(store)
        finally:
            store.close()


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.graph.backup import BackupError, backup
    from orggraph.loaders.importer import LoadError

    try:
        info = _with_locked_store(settings, lambda store: backup(store, Path(args.out)))
    except (BackupError, LoadError) as e:
        _err(str(e))
        return EXIT_FAIL
    print(
        f"已备份图「{info.graph}」：{info.nodes:,} 个节点、{info.relationships:,} 条关系，"
        f"{info.payload_bytes / 1e6:.1f} MB → {info.path}（数据库忙 {info.seconds:.1f} 秒）"
    )
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.api.demo_store import forget_demo
    from orggraph.graph.backup import BackupError, restore
    from orggraph.loaders.importer import LoadError

    def replace(store: Any) -> Any:
        forget_demo(settings)  # whatever the backup holds is the user's, not the demo's
        return restore(store, Path(args.src))

    try:
        info = _with_locked_store(settings, replace)
    except (BackupError, LoadError) as e:
        _err(str(e))
        return EXIT_FAIL
    print(
        f"已从 {info.path} 恢复图「{info.graph}」（备份于 {info.created}）：{info.nodes:,} 个节点、"
        f"{info.relationships:,} 条关系。"
    )
    return EXIT_OK


# ------------------------------------------------------------------------------------------------ demo
def _generate_demo(out: Path, **options: Any) -> dict[str, int] | None:
    """demo.generate, its refusals (too few residents, too many for --xlsx) as a message: None then."""
    from orggraph.loaders.demo import generate

    try:
        return generate(out, **options)
    except ValueError as e:
        _err(f"错误：{e}")
        return None


def cmd_demo_data(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.loaders.demo import written_message

    out = Path(args.out)
    counts = _generate_demo(out, residents=args.residents, seed=args.seed, xlsx=args.xlsx)
    if counts is None:
        return EXIT_INPUT
    for ledger, n in counts.items():
        print(f"{ledger}: {n:,}")
    print(written_message(out, args.xlsx))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Build the demo into the embedded store under ORGGRAPH_DATA_DIR (never ORGGRAPH_URI's), then serve it.

    Holding the load lock, it refuses (exit 2) a store holding data it did not write itself, unless --force;
    see api/demo_store.py for how it knows its own data.
    """
    from orggraph.loaders.importer import LoadError, load_lock

    uri_ignored = settings.uri is not None
    if uri_ignored:
        _err(
            "注意：演示不使用 ORGGRAPH_URI 指定的数据库（其中的数据不会被改动），"
            f"而是使用 ORGGRAPH_DATA_DIR 下的内置存储（{settings.data_dir}）。"
        )
        settings = settings.model_copy(update={"uri": None})
    try:
        with load_lock(settings.data_dir):
            store = _open_store(settings)
            try:
                status = _build_demo(args, settings, store)
            finally:
                store.close()
    except LoadError as e:  # another load holds the data dir, or a file there cannot be written
        _err(str(e))
        return EXIT_FAIL
    if status != EXIT_OK:
        return status
    if uri_ignored:
        print(
            "（用 orggraph cypher 查询演示数据时先 unset ORGGRAPH_URI：否则查询的是 ORGGRAPH_URI "
            "指定的数据库。）"
        )
    if args.no_serve:
        return EXIT_OK
    return _serve_demo(args, settings)


def _build_demo(args: argparse.Namespace, settings: Settings, store: Any) -> int:
    """Check that the store may be cleared, generate the demo ledgers, clear, load and mark the store."""
    from orggraph.api.demo_store import claim_for_demo, graph_counts, holds_only_demo, mark_demo_loaded
    from orggraph.loaders.importer import import_ledgers, terminal_progress

    nodes, rels = graph_counts(store)
    foreign = not holds_only_demo(settings, (nodes, rels))
    if foreign and not args.force:
        _err(
            f"{settings.data_dir} 中的内置存储（图「{settings.graph_name}」）已有 {nodes:,} 个节点、"
            f"{rels:,} 条关系，"
            "不是 orggraph demo 写入的数据（例如 orggraph load 导入的台账），演示不会清空它。\n"
            "请换一个数据文件夹运行演示，例如：ORGGRAPH_DATA_DIR=/tmp/orggraph-demo orggraph demo\n"
            "确实要删除这些数据、换成演示数据时，加 --force：orggraph demo --force"
        )
        return EXIT_INPUT
    ledgers = settings.data_dir / "demo-ledgers"
    print(f"生成演示台账（{args.residents:,} 名居民）→ {ledgers}")
    if _generate_demo(ledgers, residents=args.residents, seed=2026) is None:
        return EXIT_INPUT
    claim_for_demo(settings)  # before clearing: an interrupted demo leaves a store the next demo may rebuild
    store.clear()
    if foreign:
        _err(f"已按 --force 删除图「{settings.graph_name}」中原有的 {nodes:,} 个节点、{rels:,} 条关系。")
    report = import_ledgers(
        ledgers,
        store,
        pid_key=settings.pid_key_bytes,
        batch_size=settings.batch_size,
        progress=terminal_progress(),
    )
    if not report.ok:  # the generator's own ledgers: a bug, said as such
        for issue in report.errors[:50]:
            _err("错误：" + issue.format())
        _err("演示台账未通过校验，未导入。这是 orggraph 的缺陷，请报告上面的错误。")
        return EXIT_FAIL
    mark_demo_loaded(settings, graph_counts(store), args.residents)
    print(f"已导入：{sum(report.written.values()):,} 条节点和关系，用时 {report.seconds:.1f} 秒")
    _print_demo_summary(store)
    return EXIT_OK


_DEMO_SUMMARY = statement(
    "cli.demo.summary",
    "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n ORDER BY label",
    "演示数据概况：各类节点数",
    origin=__name__,
)
_FIRST_GRID = statement(
    "cli.demo.first_grid", "MATCH (g:Grid) RETURN min(g.code)", "演示提示中示例用的网格编码", origin=__name__
)


def _print_demo_summary(store: Any) -> None:
    for label, n in store.read(_DEMO_SUMMARY).rows:
        print(f"  {label:<12}{n:>10,}")
    print(
        '试试：orggraph cypher "MATCH (c:Community) WHERE NOT (:Unit)-[:CO_BUILDS]->(c) RETURN '
        'c.code, c.name"'
    )
    grid = store.read(_FIRST_GRID).scalar()
    if grid:
        print(
            f"      orggraph cypher 'MATCH (g:Grid {{code: $code}})<-[r:SERVES]-(p:Person) RETURN "
            f"p.name, r.role' --param code={grid}"
        )


def _serve_demo(args: argparse.Namespace, settings: Settings) -> int:
    try:
        from orggraph.api.server import serve_demo
    except ImportError:
        print("（API 尚未提供：演示数据已导入，可用 orggraph cypher 查询）")
        return EXIT_OK
    return serve_demo(settings, host="127.0.0.1", port=args.port)


# ------------------------------------------------------------------------------------------------- viz
def cmd_viz(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.loaders.phones import phone_seal
    from orggraph.queries.scope import ScopeError
    from orggraph.viz.export import write_page

    store = _open_store(settings)
    try:
        out = write_page(
            store, args, phone_seal(settings.pid_key_bytes)
        )  # opens phones only for --role admin
    except ScopeError as e:
        _err(str(e))
        return EXIT_INPUT
    finally:
        store.close()
    print(f"已写入 {out}（单个文件，离线可用，不访问任何网络）")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------- report
def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.queries.coverage import RulesError
    from orggraph.queries.reports import FORMATS, build_report, write_report
    from orggraph.queries.scope import ScopeError

    out = Path(args.out)
    if out.suffix.lower() not in FORMATS:
        _err(f"输出文件「{out}」应以 .xlsx、.csv 或 .json 结尾。")
        return EXIT_INPUT
    store = _open_store(settings)
    try:
        report = build_report(store, args.kind, args.scope, args.as_of)
    except ScopeError as e:
        _err(str(e))
        return EXIT_INPUT
    except RulesError as e:
        _err(str(e))
        return EXIT_FAIL
    finally:
        store.close()
    paths = write_report(report, out)
    print(
        f"已写入「{report['scope_title']}」截至 {report['as_of']} 的报表：" + "、".join(str(x) for x in paths)
    )
    return EXIT_OK


# ---------------------------------------------------------------------------------------------- template
def cmd_template(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.loaders.read import LEDGERS
    from orggraph.loaders.template import TemplateError, parse_ledgers, scope_codes, write_template
    from orggraph.queries.scope import ScopeError

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        _err(f"输出文件「{out}」应以 .xlsx 结尾，例如 台账模板.xlsx。")
        return EXIT_INPUT
    try:
        ledgers = parse_ledgers(args.ledgers)
    except TemplateError as e:
        _err(str(e))
        return EXIT_INPUT
    codes = None
    if args.scope:
        store = _open_store(settings)
        try:
            codes = scope_codes(store, args.scope)
        except ScopeError as e:
            _err(str(e))
            return EXIT_INPUT
        finally:
            store.close()
    try:
        write_template(out, ledgers, codes)
    except OSError as e:
        _err(f"无法写入 {out}：{e.strerror or e}。请检查文件夹是否存在、文件是否正在被表格软件打开。")
        return EXIT_FAIL
    where = f"，下拉列表含{codes.scope_name}已有的编码" if codes else ""
    print(
        f"已写入台账模板 {out}（{len(ledgers)} 个台账：{'、'.join(LEDGERS[k].zh for k in ledgers)}{where}）。"
        f"填好后用 orggraph load {shlex.quote(str(out))} 导入；第 2 行示例自动跳过。"
    )
    return EXIT_OK


# ----------------------------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    from orggraph.api.auth import Role

    p = argparse.ArgumentParser(prog="orggraph", description="党建引领基层治理关系图谱")
    p.add_argument("--version", action="version", version=f"orggraph {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("load", help="导入台账文件夹或 .xlsx 工作簿")
    s.add_argument("path")
    s.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    s.add_argument("--mapping", help="自定义表头别名的 JSON 文件")
    s.add_argument("--json", action="store_true", help='只输出一个 JSON 对象：{"rows", "changes", "seconds"}')
    s.add_argument(
        "--no-bulk",
        action="store_true",
        help="导入空的 FalkorDB 图时也逐批 MERGE 写入，不走整批写入（GRAPH.BULK）",
    )
    s.set_defaults(func=cmd_load, uses_store=True)

    s = sub.add_parser("changes", help="历次导入的变更记录")
    s.add_argument("--since", help="只列出此后的导入：YYYY-MM-DD 或 ISO 时间")
    s.add_argument("--json", action="store_true", help="输出 JSON 数组（最新的在前）")
    s.set_defaults(func=cmd_changes, uses_store=False)

    s = sub.add_parser("diff", help="两个日期之间开始或结束的任期、联系点、共建协议和网格力量")
    s.add_argument("--scope", help="区县、街道或社区编码；默认全部")
    s.add_argument("--from", required=True, metavar="DATE", help="开始日期 YYYY-MM-DD")
    s.add_argument("--to", required=True, metavar="DATE", help="结束日期 YYYY-MM-DD（含）")
    s.add_argument("--json", action="store_true", help="输出 JSON 对象")
    s.set_defaults(func=cmd_diff, uses_store=True)

    s = sub.add_parser("cypher", help="运行只读 Cypher 查询")
    s.add_argument("query")
    s.add_argument(
        "--param",
        action="append",
        metavar="K=V|K:=JSON",
        help="查询参数，可重复：K=V 的值总是字符串（编码、pid 就这样写，如 code=520603001）；"
        'K:=V 的值按 JSON 解析（数字、列表、true/false/null，如 n:=3、codes:=\'["a","b"]\'）',
    )
    s.add_argument("--json", action="store_true", help="输出 JSON 数组")
    s.add_argument("--limit", type=int, default=10_000, help="最多输出的行数")
    s.set_defaults(func=cmd_cypher, uses_store=True)

    s = sub.add_parser("export", help="导出为 neo4j-admin 批量导入的 CSV（省/市级数据进 Neo4j 的最快途径）")
    s.add_argument("--neo4j-admin", required=True, metavar="DIR", help="输出文件夹")
    s.add_argument(
        "--from-ledgers", metavar="PATH", help="直接从台账导出（只校验，不写入图库）；默认导出当前图库"
    )
    s.add_argument("--mapping", help="自定义表头别名的 JSON 文件（与 --from-ledgers 一起用）")
    s.add_argument("--database", default=DEFAULT_NEO4J_DATABASE, help="打印的导入命令中的目标数据库名")
    s.set_defaults(func=cmd_export, uses_store=True)

    s = sub.add_parser("backup", help="把图库完整备份到一个文件")
    s.add_argument("out", help="备份文件路径")
    s.set_defaults(func=cmd_backup, uses_store=True)

    s = sub.add_parser("restore", help="用备份文件替换图库的全部内容（先检查文件，损坏则不做任何改动）")
    s.add_argument("src", help="orggraph backup 生成的文件")
    s.set_defaults(func=cmd_restore, uses_store=True)

    s = sub.add_parser("demo-data", help="生成演示台账")
    s.add_argument("out")
    s.add_argument("--residents", type=int, default=DEFAULT_RESIDENTS)
    s.add_argument("--seed", type=int, default=2026)
    s.add_argument("--xlsx", action="store_true", help="写成一个多工作表的 OUT/台账.xlsx（代替 CSV 文件）")
    s.set_defaults(func=cmd_demo_data)

    s = sub.add_parser(
        "template", help="生成台账模板 .xlsx（表头、下拉列表、格式和填写提示齐全，填好即可导入）"
    )
    s.add_argument("--out", required=True, help="输出的 .xlsx 文件，例如 台账模板.xlsx")
    s.add_argument("--ledgers", help="只要这些台账，用逗号分隔，例如 人员,网格力量（默认全部 11 个）")
    s.add_argument(
        "--scope", help="区县、街道或社区编码：编码列的下拉列表取库中该范围已有的编码（需要能访问图库）"
    )
    s.set_defaults(func=cmd_template)

    s = sub.add_parser(
        "demo", help="生成演示数据，导入 ORGGRAPH_DATA_DIR 下的内置存储（不用 ORGGRAPH_URI），启动服务"
    )
    s.add_argument("--residents", type=int, default=DEFAULT_RESIDENTS)
    s.add_argument("--port", type=int, default=8765)
    s.add_argument("--no-serve", action="store_true", help="只导入，不启动服务")
    s.add_argument(
        "--force",
        action="store_true",
        help="数据文件夹的内置存储中已有不是演示写入的数据时，也删除它（默认拒绝，退出码 2）",
    )
    s.set_defaults(func=cmd_demo, uses_store=True)

    s = sub.add_parser("viz", help="把一个页面导出为单个离线 HTML 文件")
    s.add_argument("page", choices=("overview", "gaps", "cobuilding", "org-tree", "ego", "path"))
    s.add_argument("--scope", help="区县、街道或社区编码（默认全部）")
    s.add_argument("--key", help="ego：节点编码或人员标识")
    s.add_argument("--depth", type=int, choices=(1, 2), default=1, help="ego：一步或两步邻居")
    s.add_argument("--from", dest="from_key", help="path：起点")
    s.add_argument("--to", dest="to_key", help="path：终点")
    s.add_argument("--as-of", dest="as_of", help="数据日期 YYYY-MM-DD（默认今天）")
    s.add_argument(
        "--role",
        default="viewer",
        choices=[r.value for r in Role],
        help="按此角色显示（默认 viewer：人员只显示为“人员”；analyst 等：手机号脱敏；admin 显示完整手机号）",
    )
    s.add_argument("--base-url", help="页面内链接指向的服务地址，例如 http://10.0.0.5:8765（默认不带链接）")
    s.add_argument("--out", required=True, help="输出的 .html 文件")
    s.set_defaults(func=cmd_viz, uses_store=True)

    s = sub.add_parser(
        "report", help="生成覆盖率报表、短板清单或网络分析报表（.xlsx 可直接打印，或 .csv、.json）"
    )
    s.add_argument(
        "kind",
        choices=("coverage", "gaps", "analytics"),
        help="coverage：覆盖率；gaps：短板清单；analytics：网络分析（关键人员、网格员负担均衡、"
        "社区联结；范围过大时请按区县或街道分别生成）",
    )
    s.add_argument("--scope", help="区县、街道或社区编码（默认全部）")
    s.add_argument("--as-of", dest="as_of", help="截至日期 YYYY-MM-DD（默认今天）")
    s.add_argument("--out", required=True, help="输出文件：.xlsx、.csv（每张表一个文件）或 .json")
    s.set_defaults(func=cmd_report, uses_store=True)

    from orggraph.api.commands import add_parsers as add_api_parsers
    from orggraph.api.whatif_cli import add_parser as add_whatif_parser

    add_whatif_parser(sub)  # what-if
    add_api_parsers(sub)  # serve, token create|list|revoke, audit
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as e:
        _err(str(e))
        return EXIT_INPUT
    from orggraph.graph.store import StoreError

    if getattr(args, "uses_store", False):
        settings.warn_dev_key()  # api.md: every command that touches the store or computes pids
    try:
        return int(args.func(args, settings))
    except StoreError as e:
        _err(str(e))
        return EXIT_FAIL
    except KeyboardInterrupt:
        _err("已中断。")
        return 130
