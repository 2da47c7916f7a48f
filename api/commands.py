"""The API's commands for `orggraph`: serve, token create/list/revoke, audit. Cheap to import (the CLI starts
fast)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from orggraph.api.auth import Role

from orggraph.settings import Settings

__all__ = ["cmd_serve", "cmd_token", "cmd_audit", "add_parsers"]

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2
ROLE_CHOICES = tuple(r.value for r in Role)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.api.server import serve

    return serve(settings, host=args.host, port=args.port)


def _registry(settings: Settings) -> Any:
    from orggraph.api.auth import TokenRegistry, tokens_path

    return TokenRegistry(tokens_path(settings.data_dir))


def _token_create(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.api.auth import TokenError, check_token_scope, describe
    from orggraph.graph.store import open_store
    from orggraph.queries.scope import ScopeError

    role = Role(args.role)
    try:
        if args.scope:
            # Only a scope needs the graph: it must name a street/community/district that exists.
            settings.warn_dev_key()  # it touches the store (api.md)
            store = open_store(settings)
            try:
                scope = check_token_scope(store, role, args.scope)
            finally:
                store.close()
        else:
            scope = check_token_scope(None, role, None)
        token, rec = _registry(settings).create(role, scope, args.name)
    except (TokenError, ScopeError) as e:
        _err(str(e))
        return EXIT_INPUT
    if args.json:
        print(json.dumps({"token": token, **describe(rec)}, ensure_ascii=False))
    else:
        where = f"，范围 {rec.scope}" if rec.scope else ""
        _err(f"已创建令牌「{rec.name}」（角色 {rec.role}{where}）。令牌只显示这一次，请妥善保存：")
        print(token)
    return EXIT_OK


def _token_list(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.api.auth import TokenError, describe

    try:
        records = _registry(settings).records()
    except TokenError as e:
        _err(str(e))
        return EXIT_FAIL
    if args.json:
        print(json.dumps([describe(r) for r in records], ensure_ascii=False))
        return EXIT_OK
    if not records:
        _err("还没有令牌：用 orggraph token create --role ROLE 创建。")
        return EXIT_OK
    print("name\trole\tscope\tcreated")
    for r in records:
        print(f"{r.name}\t{r.role}\t{r.scope or '-'}\t{r.created}")
    return EXIT_OK


def _token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    if not _registry(settings).revoke(args.name):
        _err(f"没有名为「{args.name}」的令牌：用 orggraph token list 查看。")
        return EXIT_FAIL
    _err(f"已吊销令牌「{args.name}」，立即失效。")
    return EXIT_OK


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    action = {"create": _token_create, "list": _token_list, "revoke": _token_revoke}[args.token_command]
    return action(args, settings)


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from orggraph.api.audit import read_entries

    path = settings.audit_path
    if not path.exists():
        _err(f"还没有审计日志（{path}）：服务收到请求后才会写入。")
        return EXIT_OK
    entries, _ = read_entries(path, limit=args.tail)
    for e in reversed(entries):  # oldest first, like tail
        if args.json:
            print(json.dumps(e, ensure_ascii=False))
        else:
            params = json.dumps(e.get("params"), ensure_ascii=False)
            print(
                f"{e.get('time', '')}\t{e.get('token') or '-'}\t{e.get('role') or '-'}\t{e.get('status')}\t"
                f"{e.get('method', '')} {e.get('route', '')}\t{params}\t{e.get('size')}\t{e.get('ms')}ms"
            )
    return EXIT_OK


def _positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError("应为正整数")
    return n


def add_parsers(sub: Any) -> None:
    """The serve, token and audit subcommands (called from cli.build_parser)."""
    s = sub.add_parser("serve", help="启动接口和页面服务")
    s.add_argument("--host", default="127.0.0.1", help="监听地址（默认只对本机开放）")
    s.add_argument("--port", type=int, default=8000)
    s.set_defaults(func=cmd_serve, uses_store=True)  # cli.main warns about a development pid key

    s = sub.add_parser("token", help="管理接口令牌")
    tsub = s.add_subparsers(dest="token_command", required=True)
    t = tsub.add_parser("create", help="创建令牌（只显示一次）")
    t.add_argument(
        "--role",
        required=True,
        choices=ROLE_CHOICES,
        help="admin 全部；analyst 只读+Cypher；street/community 本辖区；viewer 只看统计和页面",
    )
    t.add_argument(
        "--scope", help="辖区编码：street 用街道编码，community 用社区编码，viewer 可选区县/街道/社区编码"
    )
    t.add_argument("--name", help="令牌名称（审计日志中显示），默认由角色和范围生成")
    t.add_argument("--json", action="store_true", help='输出 {"token": ...}')
    t = tsub.add_parser("list", help="列出令牌（不含令牌本身）")
    t.add_argument("--json", action="store_true")
    t = tsub.add_parser("revoke", help="吊销令牌")
    t.add_argument("name")
    s.set_defaults(func=cmd_token)

    s = sub.add_parser("audit", help="查看审计日志（最近的请求）")
    s.add_argument("--tail", type=_positive, default=20, metavar="N", help="显示最近 N 条")
    s.add_argument("--json", action="store_true", help="每行一条 JSON")
    s.set_defaults(func=cmd_audit)
