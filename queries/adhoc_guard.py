"""Checks an analyst's own Cypher before it is sent to the store (`POST /api/cypher`, `orggraph cypher`).

The store refuses writes in a read-only query, but only after it has parsed and planned it: by then a refused
`CREATE (n {x: 1})` has already added the property key `x` to FalkorDB's schema (and to the next snapshot),
and a 59-byte query of 23 nested lists has frozen the server's parser for a minute (parse time doubles with
each level; the query's own time limit does not cover parsing). So the text is checked here first, by a
tokenizer that knows strings, escaped names and comments (a `CREATE` inside a string or a comment is no
write):

- `check_load_csv`: no `LOAD CSV` (it reads files or URLs from the database server's side);
- `check_writes`: no write clause (CREATE, MERGE, SET, DELETE, DETACH DELETE, REMOVE, FOREACH, DROP) and no
  procedure CALL other than the read-only ones listed in READ_PROCEDURES;
- `check_complexity`: at most MAX_LENGTH characters, MAX_DEPTH nested brackets/parentheses/braces and
  MAX_MATCHES MATCH parts;
- `check_ranges`: no `range()` of more than MAX_RANGE elements (when its bounds are numbers or parameters).

`check_adhoc` runs them all and raises AdhocRefused (a Chinese message naming what is wrong and how to fix
it). `cap_rows` adds a LIMIT to a query's final RETURN so the store stops after the row cap instead of sending
millions of rows that would all be read into memory before being cut.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AdhocRefused",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_MATCHES",
    "MAX_RANGE",
    "MAX_REPLY_BYTES",
    "READ_PROCEDURES",
    "Token",
    "cap_rows",
    "check_adhoc",
    "check_complexity",
    "check_load_csv",
    "check_ranges",
    "check_writes",
    "tokens",
]

MAX_LENGTH = 20_000  # characters: a long hand-written analysis is ~2,000
MAX_DEPTH = 12  # nested ( [ { : real queries use 4-5; FalkorDB's parse time doubles per level past ~15
MAX_MATCHES = 16  # MATCH / OPTIONAL MATCH parts: each more one multiplies the work
MAX_RANGE = 10_000_000  # elements of one range(): 160 MB in FalkorDB
# Bytes of the store's answer read at most (FalkorDB's wire format; about 8x that in Python objects, and about
# 1 s of the API's CPU to parse): 10,000 rows of a few columns take 1-5 MB.
MAX_REPLY_BYTES = 16 << 20

# Procedures that only read (FalkorDB's and Neo4j's catalog and index lookups); any other CALL is refused.
READ_PROCEDURES = frozenset(
    {
        "db.labels",
        "db.relationshiptypes",
        "db.propertykeys",
        "db.indexes",
        "db.constraints",
        "db.schema.visualization",
        "db.schema.nodetypeproperties",
        "db.schema.reltypeproperties",
        "db.idx.fulltext.querynodes",
        "db.idx.fulltext.queryrelationships",
        "db.index.fulltext.querynodes",
        "db.index.fulltext.queryrelationships",
        "db.meta.stats",
        "dbms.procedures",
        "dbms.components",
        "algo.bfs",
        "algo.pagerank",
        "algo.sppath",
        "algo.sspath",
        "algo.wcc",
        "algo.betweenness",
        "algo.labelpropagation",
    }
)

_WRITE_WORDS = {"CREATE", "MERGE", "SET", "DELETE", "REMOVE", "FOREACH", "DROP", "DETACH"}


class AdhocRefused(ValueError):
    """The query is refused before it reaches the store; `status` is the HTTP answer (400 or 403)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Token:
    kind: str  # "word" (keyword or name), "name" (`escaped`), "string", "number", "param", "punct"
    text: str
    pos: int  # where it starts in the query
    end: int  # where it ends (after a closing quote)


_WORD = re.compile(r"[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def tokens(query: str) -> Iterator[Token]:
    """The query's tokens, strings and `escaped` names whole, comments (// and /* */) left out. An unclosed
    string, name or comment is an AdhocRefused."""
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif query.startswith("//", i):
            j = query.find("\n", i)
            i = n if j < 0 else j + 1
        elif query.startswith("/*", i):
            j = query.find("*/", i + 2)
            if j < 0:
                raise AdhocRefused("查询有误：查询中的注释 /* 没有结束（缺少 */）。请补全或删去注释。")
            i = j + 2
        elif c in "'\"`":
            j = i + 1
            while j < n and query[j] != c:
                j += 2 if query[j] == "\\" and c != "`" else 1
            if j >= n:
                what = "名称" if c == "`" else "字符串"
                raise AdhocRefused(
                    f"查询有误：查询中第 {i + 1} 个字符起的{what}没有结束（缺少 {c}）。请补全引号。"
                )
            yield Token("name" if c == "`" else "string", query[i + 1 : j], i, j + 1)
            i = j + 1
        elif c == "$":
            m = _WORD.match(query, i + 1) or _NUMBER.match(query, i + 1)
            end = m.end() if m else i + 1
            yield Token("param", query[i + 1 : end], i, end)
            i = end
        elif m := _NUMBER.match(query, i):
            yield Token("number", m.group(), i, m.end())
            i = m.end()
        elif m := _WORD.match(query, i):
            yield Token("word", m.group(), i, m.end())
            i = m.end()
        else:
            yield Token("punct", c, i, i + 1)
            i += 1


def _words(toks: list[Token]) -> list[str]:
    return [t.text.upper() if t.kind == "word" else "" for t in toks]


def check_load_csv(toks: list[Token]) -> None:
    """LOAD CSV reads files or URLs on the database server: never from an ad-hoc query."""
    w = _words(toks)
    for a, b in zip(w, w[1:], strict=False):
        if a == "LOAD" and b == "CSV":
            raise AdhocRefused(
                "不允许在查询中使用 LOAD CSV（它会让数据库服务器读取文件或网址）。台账请用 orggraph "
                "load 导入。",
                403,
            )


def _property_position(toks: list[Token], i: int) -> bool:
    """True when toks[i] is a property, map key or label name rather than a keyword (`n.set`, `{delete: 1}`,
    `:Create`)."""
    before = toks[i - 1] if i else None
    after = toks[i + 1] if i + 1 < len(toks) else None
    if before is not None and before.kind == "punct" and before.text in ".:":
        return True
    return (
        after is not None
        and after.kind == "punct"
        and after.text == ":"
        and before is not None
        and (before.kind == "punct" and before.text in "{,")
    )


def check_writes(toks: list[Token]) -> None:
    """No write clause and no procedure that may write, found by token (not in strings, names or comments)."""
    w = _words(toks)
    for i, word in enumerate(w):
        if not word or _property_position(toks, i):
            continue
        if word in _WRITE_WORDS:
            shown = "DETACH DELETE" if word == "DETACH" else word
            raise AdhocRefused(
                f"只读查询中不允许写入（发现 {shown}）。请只用 MATCH … RETURN 读取数据；"
                "数据的修改请通过台账导入（orggraph load）。",
                403,
            )
        if word == "CALL":
            j = i + 1
            if j < len(toks) and toks[j].kind == "punct" and toks[j].text == "{":
                continue  # a subquery: its own clauses are checked like the rest
            name: list[str] = []
            while j < len(toks) and toks[j].kind in ("word", "name"):
                name.append(toks[j].text)
                if j + 1 < len(toks) and toks[j + 1].kind == "punct" and toks[j + 1].text == ".":
                    j += 2
                    continue
                break
            proc = ".".join(name)
            if proc.lower() not in READ_PROCEDURES:
                raise AdhocRefused(
                    f"不允许在查询中调用过程 {proc or '（未写名称）'}：只允许只读的过程（"
                    + "、".join(sorted(READ_PROCEDURES)[:6])
                    + " 等）。",
                    403,
                )


def check_complexity(query: str, toks: list[Token]) -> None:
    """Bounds on what the store must parse and plan: length, bracket nesting, number of MATCH parts."""
    if len(query) > MAX_LENGTH:
        raise AdhocRefused(
            f"查询太长（{len(query):,} 个字符，上限 {MAX_LENGTH:,}）。请拆成几个较短的查询，"
            "列表类的值请用参数（params）传入。"
        )
    depth = deepest = 0
    opening = {"(": ")", "[": "]", "{": "}"}
    stack: list[str] = []
    for t in toks:
        if t.kind != "punct":
            continue
        if t.text in opening:
            stack.append(opening[t.text])
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                raise AdhocRefused(
                    f"查询的括号嵌套太深（超过 {MAX_DEPTH} 层，第 {t.pos + 1} 个字符处）。"
                    "请减少嵌套的列表、映射或括号；较深的数据请用参数（params）传入。"
                )
        elif t.text in ")]}":
            if not stack or stack.pop() != t.text:
                raise AdhocRefused(
                    f"查询有误：查询的括号不配对（第 {t.pos + 1} 个字符处的 {t.text}）。请检查括号。"
                )
            depth -= 1
    if stack:
        raise AdhocRefused(f"查询有误：查询的括号没有闭合（缺少 {''.join(reversed(stack))}）。请检查括号。")
    matches = sum(1 for word in _words(toks) if word == "MATCH")
    if matches > MAX_MATCHES:
        raise AdhocRefused(
            f"查询中的 MATCH 太多（{matches} 个，上限 {MAX_MATCHES}）。请把它拆成几个查询，"
            "或合并成较少的模式。"
        )


def check_ranges(toks: list[Token], params: Mapping[str, Any] | None = None) -> None:
    """No `range(a, b[, step])` of more than MAX_RANGE elements when its bounds are written as numbers or
    given as parameters: FalkorDB builds the whole list first, beyond its own time limit (a
    300-million-element one ran a minute past a 3 s limit and took gigabytes)."""

    def value(t: Token) -> int | None:
        if t.kind == "number" and t.text.isdigit():
            return int(t.text)
        if t.kind == "param" and params is not None:
            v = params.get(t.text)
            return v if isinstance(v, int) and not isinstance(v, bool) else None
        return None

    for i, t in enumerate(toks):
        if not (
            t.kind == "word" and t.text.lower() == "range" and i + 1 < len(toks) and toks[i + 1].text == "("
        ):
            continue
        args: list[int | None] = []
        j, sign = i + 2, 1
        while j < len(toks) and len(args) < 3:
            tok = toks[j]
            if tok.kind == "punct" and tok.text == "-":
                sign, j = -sign, j + 1
                continue
            v = value(tok)
            args.append(None if v is None else sign * v)
            sign = 1
            nxt = toks[j + 1] if j + 1 < len(toks) else None
            if nxt is None or nxt.kind != "punct" or nxt.text not in ",)":
                args = []  # an expression: not judged here
                break
            j += 2
            if nxt.text == ")":
                break
        if len(args) < 2 or any(a is None for a in args):
            continue
        start, end = args[0], args[1]
        step = args[2] if len(args) > 2 else 1
        assert start is not None and end is not None and step is not None
        if step and (end - start) // step + 1 > MAX_RANGE:
            raise AdhocRefused(
                f"range() 生成的列表太长（超过 {MAX_RANGE:,} 个元素，第 {t.pos + 1} 个字符处）。"
                "请缩小范围，或改用 MATCH 读取数据。"
            )


def check_adhoc(query: str, params: Mapping[str, Any] | None = None) -> list[Token]:
    """Every check of an ad-hoc query; raises AdhocRefused. Returns the tokens (for `cap_rows`)."""
    if len(query) > MAX_LENGTH:  # before tokenizing megabytes
        check_complexity(query, [])
    toks = list(tokens(query))
    check_load_csv(toks)
    check_writes(toks)
    check_complexity(query, toks)
    check_ranges(toks, params)
    return toks


def _top_level(toks: list[Token]) -> list[int]:
    """Bracket depth before each token."""
    depth, out = 0, []
    for t in toks:
        if t.kind == "punct" and t.text in ")]}":
            depth -= 1
        out.append(depth)
        if t.kind == "punct" and t.text in "([{":
            depth += 1
    return out


def cap_rows(query: str, toks: list[Token], cap: int, params: Mapping[str, Any] | None = None) -> str:
    """The query with every final RETURN (each part of a UNION) ending in `LIMIT cap` at most: added when the
    part has no LIMIT, lowered when its LIMIT is a larger number or parameter; any other LIMIT expression is
    left as written. The store then stops at the cap instead of producing rows nobody receives."""
    depth = _top_level(toks)
    w = _words(toks)
    # Split into UNION parts at top level; each part's last top-level RETURN is the one to cap.
    parts: list[tuple[int, int]] = []
    start = 0
    for i, word in enumerate(w):
        if word == "UNION" and depth[i] == 0:
            parts.append((start, i))
            start = i + 1
    parts.append((start, len(toks)))
    edits: list[tuple[int, int, str]] = []  # (from, to, replacement) in characters
    for a, b in parts:
        ret = max((i for i in range(a, b) if w[i] == "RETURN" and depth[i] == 0), default=None)
        if ret is None:
            continue
        lim = next((i for i in range(ret, b) if w[i] == "LIMIT" and depth[i] == 0), None)
        last = b - 1
        while last > ret and toks[last].kind == "punct" and toks[last].text == ";":
            last -= 1
        if lim is None:
            edits.append((toks[last].end, toks[last].end, f" LIMIT {cap}"))
            continue
        if lim + 1 != last:
            continue  # no value, or an expression (LIMIT 1 + 2): left as written
        val = toks[lim + 1]
        big = False
        if val.kind == "number" and val.text.isdigit():
            big = int(val.text) > cap
        elif val.kind == "param" and params is not None:
            v = params.get(val.text)
            big = isinstance(v, int) and not isinstance(v, bool) and v > cap
        if big:
            edits.append((val.pos, val.end, str(cap)))
    for frm, to, text in sorted(edits, reverse=True):
        query = query[:frm] + text + query[to:]
    return query
