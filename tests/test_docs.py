"""The contracts in docs/ and the README agree with the code they describe: the README's vocabulary tables are
what `orggraph.graph.vocabulary` renders from graph/schema.py, docs/graph-model.md names the schema's labels,
relationship types, ends and properties, docs/ledgers.md every ledger column, and no document points outside
the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from orggraph.graph.schema import NODES, RELS
from orggraph.graph.vocabulary import BEGIN, END, tables
from orggraph.loaders.read import LEDGERS

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TICKED = re.compile(r"`([A-Za-z_]+)`")


def _section(text: str, heading: str) -> str:
    """The text under a Markdown heading, up to the next heading of any level."""
    start = text.index(heading)
    nxt = re.search(r"^#", text[start + len(heading) :], re.M)
    return text[start : start + len(heading) + (nxt.start() if nxt else len(text))]


def _rows(text: str) -> list[list[str]]:
    """The cells of every table row (header and rule rows left out), with `\\|` kept inside a cell."""
    out = []
    for line in text.splitlines():
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        out.append(cells)
    return out


def test_the_readme_vocabulary_is_the_schema() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert BEGIN in text and END in text, "README.md lost the vocabulary markers"
    block = text.split(BEGIN + "\n", 1)[1].split(END, 1)[0]
    assert block == tables(), "run: python -m orggraph.graph.vocabulary --write README.md"


def test_graph_model_names_the_schema() -> None:
    text = (ROOT / "docs" / "graph-model.md").read_text(encoding="utf-8")
    nodes = {}
    for cells in _rows(_section(text, "## Nodes")):
        label = TICKED.findall(cells[0])
        if label and label[0] in NODES or (label and cells[1] != "中文"):
            nodes[label[0]] = cells
    assert set(nodes) == set(NODES)
    for label, (_, zh, props) in nodes.items():
        nt = NODES[label]
        assert zh == nt.zh, label
        names = TICKED.findall(props)
        assert names[0] == nt.key, f"{label}: the key is listed first"
        assert set(names) <= set(nt.prop_names), (
            f"{label}: {set(names) - set(nt.prop_names)} not in the schema"
        )
    ends: dict[str, tuple[set[str], set[str]]] = {}
    for cells in _rows(_section(text, "## Relationships")):
        pattern, zh, props = cells
        for start, rtype, end in re.findall(r"\(([\w\\|]+)\)-\[:(\w+)\]->\(([\w\\|]+)\)", pattern):
            rt = RELS[rtype]
            assert zh == rt.zh, rtype
            assert set(TICKED.findall(props)) <= set(rt.prop_names), rtype
            s, e = ends.setdefault(rtype, (set(), set()))
            s.update(start.split("\\|"))
            e.update(end.split("\\|"))
    assert set(ends) == set(RELS)
    for rtype, (s, e) in ends.items():
        assert (s, e) == (set(RELS[rtype].start), set(RELS[rtype].end)), rtype


def test_ledgers_doc_lists_every_column() -> None:
    text = (ROOT / "docs" / "ledgers.md").read_text(encoding="utf-8")
    for spec in LEDGERS.values():
        section = _section(text, f"### {spec.zh} ({spec.name})")
        for col in spec.columns:
            mark = re.escape(col.zh) + r"(\*?)"
            found = re.search(r"(?:\||/)\s*" + mark + r"\s*(?:\\\||\||/)", section)  # `a / b` shares a row
            assert found, f"docs/ledgers.md {spec.zh}: no column {col.zh}"
            assert bool(found.group(1)) == col.required, f"{spec.zh}.{col.zh}: required is marked by *"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_documents_point_inside_the_repository(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    assert "shared/spec" not in text
    assert not re.search(r"(?<![\w.])/(work|home|root|Users)/", text), "an absolute path of some machine"
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://", "#", "mailto:")):
            continue
        assert not target.startswith(("/", "file:")), target
        path = (doc.parent / target.split("#", 1)[0]).resolve()
        assert path.exists() and ROOT in path.parents, f"{doc.name} links to {target}, not in the repository"
