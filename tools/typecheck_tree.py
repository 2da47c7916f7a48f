"""Build `.typecheck/`: the `orggraph` package laid out as Python imports it, for mypy.

`pyproject.toml` maps `orggraph.graph` to the top-level folder `graph/` (and so on: the product's layout is
fixed), which setuptools understands but mypy does not: from the repository, mypy would see `graph.schema` and
never `orggraph.graph.schema`, and leave every type crossing a module boundary unchecked. This script reads
the mapping from `[tool.setuptools.package-dir]` and makes `.typecheck/orggraph/` a directory of symbolic
links (`.typecheck/orggraph/graph -> ../../graph`, and the files of `orggraph/` one by one), which `mypy_path`
points at. It is regenerated on every `./dev lint` (cheap, and a clone never carries a stale one:
`.typecheck/` is ignored by git). `./dev lint` maps the paths in mypy's messages back to the real files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREE = ROOT / ".typecheck"


def mapping(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """The `package-dir` mapping: dotted package name -> folder relative to the repository."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    dirs: dict[str, str] = data["tool"]["setuptools"]["package-dir"]
    return dirs


def build(tree: Path = TREE) -> Path:
    dirs = mapping()
    top = "orggraph"
    if tree.exists():
        shutil.rmtree(tree)
    pkg = tree / top
    pkg.mkdir(parents=True)
    (tree / ".gitignore").write_text("*\n", encoding="utf-8")
    own = ROOT / dirs.get(top, top)
    # The files of the top package itself, one link each (its folder also holds the mapped subpackages).
    for f in sorted(own.iterdir()):
        if f.suffix in (".py", ".pyi") or f.name == "py.typed":
            (pkg / f.name).symlink_to(os.path.relpath(f, pkg))
    for name, folder in sorted(dirs.items()):
        if name == top:
            continue
        if not name.startswith(top + ".") or "." in name[len(top) + 1 :]:
            raise SystemExit(f"typecheck_tree: {name} is not a direct subpackage of {top}")
        link = pkg / name[len(top) + 1 :]
        link.symlink_to(os.path.relpath(ROOT / folder, pkg), target_is_directory=True)
    return tree


def real_path(line: str, tree: Path = TREE) -> str:
    """mypy's message with the linked path replaced by the file's place in the repository."""
    prefix = f"{tree.name}/orggraph/"
    if not line.startswith(prefix):
        return line
    rest = line[len(prefix) :]
    sub, _, tail = rest.partition("/")
    folder = mapping().get(f"orggraph.{sub}") if tail else None
    return f"{folder}/{tail}" if folder else f"{mapping().get('orggraph', 'orggraph')}/{rest}"


def main(argv: list[str]) -> int:
    """`typecheck_tree.py` builds the tree; `typecheck_tree.py mypy ARGS…` also runs mypy on it."""
    build()
    if not argv or argv[0] != "mypy":
        return 0
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", *argv[1:]], cwd=ROOT, capture_output=True, text=True, check=False
    )
    for line in (proc.stdout + proc.stderr).splitlines():
        print(real_path(line))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
