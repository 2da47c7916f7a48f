"""Lints Cypher with Neo4j's own front end, offline: one Node.js process runs tools/cypherlint/lint.mjs over a
batch.

`python -m orggraph.graph.lint 'MATCH ...' [FILE.cypher ...]` prints the diagnostics of each query.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orggraph.graph.schema import linter_schema

__all__ = [
    "BLOCKING_WARNING_KINDS",
    "Diagnostic",
    "LintResult",
    "LinterUnavailable",
    "lint_statements",
    "linter_dir",
    "main",
]

# Warnings that mean the statement disagrees with our schema (which is authoritative: a name it does
# not know is a typo, not a label someone else's data might have) or uses a form Neo4j is removing.
# "hint" warnings (cartesian products, unbounded shortest paths) are advice and do not block.
BLOCKING_WARNING_KINDS = frozenset({"unknown-name", "unknown-property", "schema-path", "deprecated"})

_SETUP_HINT = (
    "请在仓库根目录运行 ./dev setup 安装 Neo4j 的 Cypher 检查器（Node.js 与 "
    "@neo4j-cypher/language-support）。"
)
_PACKAGE = Path("node_modules") / "@neo4j-cypher" / "language-support"


class LinterUnavailable(RuntimeError):
    """Node.js or the npm package is missing; `str(e)` says what to run."""


@dataclass(frozen=True)
class Diagnostic:
    message: str
    line: int  # 1-based
    col: int  # 1-based
    kind: str  # errors: "error", "multiple-statements", "crash"; warnings: see BLOCKING_WARNING_KINDS, "hint"

    def format(self) -> str:
        return f"{self.line}:{self.col} [{self.kind}] {self.message}"


@dataclass(frozen=True)
class LintResult:
    name: str
    errors: tuple[Diagnostic, ...]
    warnings: tuple[Diagnostic, ...]
    parameters: tuple[str, ...]  # names of the $parameters the statement reads

    @property
    def blocking(self) -> tuple[Diagnostic, ...]:
        """Errors plus the warnings that must not ship (BLOCKING_WARNING_KINDS)."""
        return self.errors + tuple(w for w in self.warnings if w.kind in BLOCKING_WARNING_KINDS)

    @property
    def ok(self) -> bool:
        return not self.blocking


def linter_dir() -> Path:
    """Where tools/cypherlint lives: ORGGRAPH_CYPHERLINT_DIR, else beside the source tree (editable
    install)."""
    env = os.environ.get("ORGGRAPH_CYPHERLINT_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "tools" / "cypherlint"


def _command() -> list[str]:
    node = shutil.which("node")
    if node is None:
        raise LinterUnavailable("找不到 Node.js（node 命令）。" + _SETUP_HINT)
    d = linter_dir()
    if not (d / "lint.mjs").is_file():
        raise LinterUnavailable(f"找不到 {d / 'lint.mjs'}：需要在源码仓库中运行（pip install -e）。")
    if not (d / _PACKAGE / "package.json").is_file():
        raise LinterUnavailable(f"{d} 中没有安装 @neo4j-cypher/language-support。" + _SETUP_HINT)
    return [node, str(d / "lint.mjs")]


def _diagnostics(items: Sequence[Mapping[str, Any]]) -> tuple[Diagnostic, ...]:
    return tuple(Diagnostic(str(d["message"]), int(d["line"]), int(d["col"]), str(d["kind"])) for d in items)


def lint_statements(
    statements: Sequence[tuple[str, str]], schema: Mapping[str, object] | None = None
) -> list[LintResult]:
    """Lint `(name, text)` pairs against `schema` (default: ours), in one Node.js process; results in input
    order.

    Raises LinterUnavailable when Node.js or the npm package is missing, RuntimeError when the harness fails.
    """
    if not statements:
        return []
    cmd = _command()
    payload = {
        "schema": dict(schema if schema is not None else linter_schema()),
        "statements": [{"name": n, "text": t} for n, t in statements],
    }
    # Neo4j's semantic analysis takes ~0.1 s per statement on one core; a hang is not that.
    timeout = 120 + 2 * len(statements)
    try:
        proc = subprocess.run(
            cmd,
            input=json.dumps(payload, ensure_ascii=False),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
            cwd=linter_dir(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"Cypher 检查器 {timeout} 秒内没有完成（{len(statements)} 条语句）。") from None
    if proc.returncode != 0:
        raise RuntimeError(f"Cypher 检查器失败（退出码 {proc.returncode}）：{proc.stderr.strip()[-2000:]}")
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    if len(lines) != len(statements) or [x["name"] for x in lines] != [n for n, _ in statements]:
        raise RuntimeError(f"Cypher 检查器的输出与输入不符：{len(statements)} 条语句，{len(lines)} 条结果。")
    return [
        LintResult(
            name=x["name"],
            errors=_diagnostics(x["errors"]),
            warnings=_diagnostics(x["warnings"]),
            parameters=tuple(x["parameters"]),
        )
        for x in lines
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the diagnostics of each query given (a `.cypher` file path is read); exit 1 if any must not
    ship."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(
            "用法：python -m orggraph.graph.lint 'MATCH ...' [文件.cypher ...]\n用 Neo4j 的 Cypher "
            "前端按 orggraph 的模式检查查询。"
        )
        return 0 if args else 2
    statements: list[tuple[str, str]] = []
    for i, a in enumerate(args, 1):
        p = Path(a)
        if a.endswith(".cypher") and p.is_file():
            statements.append((a, p.read_text(encoding="utf-8")))
        else:
            statements.append((f"查询{i}" if len(args) > 1 else "查询", a))
    try:
        results = lint_statements(statements)
    except LinterUnavailable as e:
        print(e, file=sys.stderr)
        return 2
    bad = 0
    for r in results:
        blocking = set(r.blocking)
        for d in (*r.errors, *r.warnings):
            level = "错误" if d in r.errors else ("警告（不可发布）" if d in blocking else "提示")
            print(f"{r.name}:{d.line}:{d.col}: {level} [{d.kind}] {d.message}")
        if r.parameters:
            print(f"{r.name}: 参数 {', '.join('$' + p for p in r.parameters)}")
        if r.ok:
            print(f"{r.name}: 通过")
        else:
            bad += 1
    if bad:
        print(f"{bad} 条查询有必须修正的问题。", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
