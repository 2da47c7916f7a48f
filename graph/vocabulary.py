"""The README's graph vocabulary tables, rendered from `orggraph.graph.schema` (the one source).

`python -m orggraph.graph.vocabulary --write README.md` replaces the text between the two markers below with
the tables; `tests/test_docs.py` fails when the README and the schema disagree, so a schema change comes with
its README change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orggraph.graph.schema import NODES, RELS, NodeType, Prop, RelType

__all__ = ["BEGIN", "END", "tables", "replace_block", "main"]

REGENERATE = "python -m orggraph.graph.vocabulary --write README.md"
BEGIN = f"<!-- vocabulary: generated from graph/schema.py by `{REGENERATE}` -->"
END = "<!-- /vocabulary -->"


def _prop(p: Prop) -> str:
    kind = "" if p.type == "STRING" else f" ({p.type})"
    return f"`{p.name}` {p.zh}{kind}"


def _labels(names: tuple[str, ...]) -> str:
    return " \\| ".join(f"`{n}`" for n in names)


def _node_row(n: NodeType) -> str:
    label = f"`{n.label}`" + "".join(f" (+`{x}`)" for x in n.extra_labels)
    return f"| {label} | {n.zh} | `{n.key}` | {', '.join(_prop(p) for p in n.props)} |"


def _cardinality(r: RelType) -> str:
    if r.one_per == "start":
        return "at most one per start node"
    if r.one_per == "end":
        return "at most one per end node"
    return "several per pair, told apart by `key`" if r.keyed else "any number"


def _rel_row(r: RelType) -> str:
    props = ", ".join(_prop(p) for p in r.props)
    return f"| `{r.type}` | {r.zh} | {_labels(r.start)} | {_labels(r.end)} | {_cardinality(r)} | {props} |"


def tables() -> str:
    """The two tables (nodes, relationships), as Markdown."""
    lines = ["| label | 中文 | key | properties |", "|---|---|---|---|"]
    lines += [_node_row(n) for n in NODES.values()]
    lines += ["", "| type | 中文 | from | to | how many | properties |", "|---|---|---|---|---|---|"]
    lines += [_rel_row(r) for r in RELS.values()]
    return "\n".join(lines) + "\n"


def replace_block(text: str) -> str:
    """`text` with the part between BEGIN and END (the markers kept) replaced by `tables()`."""
    head, sep, rest = text.partition(BEGIN + "\n")
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"the markers {BEGIN!r} … {END!r} are missing")
    return head + BEGIN + "\n" + tables() + END + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orggraph.graph.vocabulary", description=__doc__)
    parser.add_argument("--write", metavar="FILE", help="replace the generated block in FILE (the README)")
    args = parser.parse_args(argv)
    if args.write is None:
        sys.stdout.write(tables())
        return 0
    path = Path(args.write)
    path.write_text(replace_block(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
