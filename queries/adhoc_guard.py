"""Checks on ad-hoc Cypher (`orggraph cypher`, `POST /api/cypher`) made before the text reaches the store.

The store runs ad-hoc text read-only; what it would still do that an analyst must not is refused here, with a
Chinese message: `LOAD CSV` reads files on the database server (and, on Neo4j, fetches URLs). The checks look
at the query's code only: comments, string literals and backtick-quoted names are blanked first, so
`RETURN 'LOAD CSV'` is fine and `load /* */ csv` is not.

>>> check_adhoc("MATCH (n) WHERE n.note = 'LOAD CSV FROM x' RETURN n // load csv")
>>> try:
...     check_adhoc("load\\n  CSV WITH HEADERS FROM 'file:///etc/passwd' AS row RETURN row")
... except QueryRefused as e:
...     print(e.status, str(e)[:14])
400 查询中含有 LOAD CSV
"""

from __future__ import annotations

import re

__all__ = ["QueryRefused", "check_adhoc", "code_of"]


class QueryRefused(ValueError):
    """An ad-hoc query refused before it ran: the API answers 400 with the message, the CLI exits 2."""

    status = 400


_LOAD_CSV = re.compile(r"\bLOAD\s+CSV\b", re.IGNORECASE)


def code_of(query: str) -> str:
    """The query with comments, string literals and backtick-quoted names replaced by spaces (same length,
    so positions still match the original). An unterminated literal or comment blanks the rest.

    >>> code_of("RETURN 'a\\\\'b' AS `x y` /* c */ // d").split()
    ['RETURN', 'AS']
    """
    out: list[str] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        two = query[i : i + 2]
        if two == "//":
            end = query.find("\n", i)
            end = n if end < 0 else end
        elif two == "/*":
            end = query.find("*/", i + 2)
            end = n if end < 0 else end + 2
        elif c in ("'", '"'):
            end = i + 1
            while end < n and query[end] != c:
                end += 2 if query[end] == "\\" else 1
            end = min(end + 1, n)
        elif c == "`":
            end = i + 1
            while end < n:
                if query[end] == "`":
                    if query[end + 1 : end + 2] == "`":  # a doubled backtick inside the name
                        end += 2
                        continue
                    break
                end += 1
            end = min(end + 1, n)
        else:
            out.append(c)
            i += 1
            continue
        out.append(" " * (end - i))
        i = end
    return "".join(out)


def check_adhoc(query: str) -> None:
    """Raise QueryRefused when an ad-hoc query does what analysts may not; return None otherwise."""
    code = code_of(query)
    if _LOAD_CSV.search(code):
        raise QueryRefused(
            "查询中含有 LOAD CSV：即席查询不能读取服务器上的文件或网址。请先把数据整理成台账，用 orggraph load 导入，再查询图谱。"
        )
