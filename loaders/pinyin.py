"""拼音首字母 of names, stored on every named node (`py`) so that search finds "dl" for 邓璐 from an index.

Written by the importer next to `name` (`orggraph.loaders.importer`), and computed the same way for what a
user types (`orggraph.queries.search`). Letters and digits in a name are kept (lower case); other characters
(spaces, brackets, ·) are dropped. Polyphonic characters take pypinyin's most common reading.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["initials", "with_initials"]


@lru_cache(maxsize=65536)
def _char(ch: str) -> str:
    from pypinyin import Style, lazy_pinyin

    if ch.isascii():
        return ch.lower() if ch.isalnum() else ""
    got = lazy_pinyin(ch, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(g for g in got if g.isascii() and g.isalnum()).lower()[:1]


def initials(name: str | None) -> str:
    """「邓璐」→ "dl", 「3号楼」→ "3hl", "" for None or nothing spellable."""
    if not name:
        return ""
    return "".join(_char(ch) for ch in str(name))


def with_initials(props: dict[str, object]) -> dict[str, object]:
    """A node's properties with `py` set from `name` (unchanged when there is no name or `py` is given)."""
    name = props.get("name")
    if isinstance(name, str) and name and "py" not in props:
        props["py"] = initials(name)
    return props
