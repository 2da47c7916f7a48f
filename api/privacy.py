"""Masking of personal data: in answers (phones by role) and in what the audit log records (IDs, phones, secrets)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from orggraph.loaders.idcodes import mask_id, mask_phone, validate_resident_id

__all__ = ["mask_answer", "mask_rows", "mask_for_log", "PHONE_RE", "ID_RE", "SECRET_KEYS"]

# A mainland mobile number standing alone (not part of a longer run of digits, e.g. a code).
PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_PHONE_EXACT = re.compile(r"1[3-9]\d{9}")
# Anything shaped like an 18-character resident ID; only *valid* ones are masked, so codes rarely suffer.
ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
# Keys whose values are credentials: never written to the log at all.
SECRET_KEYS = frozenset({"token", "password", "authorization", "cookie"})
# Keys that carry an ID number: masked even when the value is not a valid ID (a typo is still personal).
ID_KEYS = frozenset({"id_number", "id", "身份证号", "resident_id"})


def _is_phone_key(key: str) -> bool:
    return key.lower().endswith("phone") or key == "手机号"


def mask_answer(value: Any, *, sees_phones: bool) -> Any:
    """A JSON-able answer with every `phone` field (in maps and in node properties) masked unless allowed."""
    if sees_phones:
        return value
    if isinstance(value, dict):
        return {
            k: (mask_phone(v) if isinstance(v, str) and _is_phone_key(str(k)) else mask_answer(v, sees_phones=False))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_answer(v, sees_phones=False) for v in value]
    return value


def mask_rows(columns: Sequence[str], rows: list[list[Any]], *, sees_phones: bool) -> list[list[Any]]:
    """Ad-hoc Cypher rows: phones masked in node properties and maps, in columns named *phone, and wherever a
    bare string is exactly a mobile number (`RETURN p.phone AS x`). Best effort by nature: a query can still
    spell a number out piecewise, which is why every query text is kept in the audit log."""
    if sees_phones:
        return rows
    phone_cols = {i for i, c in enumerate(columns) if "phone" in c.lower() or "手机" in c}

    def cell(v: Any, phone_col: bool) -> Any:
        if isinstance(v, str):
            return mask_phone(v) if phone_col or _PHONE_EXACT.fullmatch(v) else v
        if isinstance(v, list):
            return [cell(x, phone_col) for x in v]
        if isinstance(v, dict):
            return {
                k: (mask_phone(x) if isinstance(x, str) and _is_phone_key(str(k)) else cell(x, phone_col))
                for k, x in v.items()
            }
        return v

    return [[cell(v, i in phone_cols) for i, v in enumerate(r)] for r in rows]


def _mask_text(text: str) -> str:
    def id_sub(m: re.Match[str]) -> str:
        s = m.group(0)
        return mask_id(s.upper()) if validate_resident_id(s) is None else s

    return PHONE_RE.sub(lambda m: mask_phone(m.group(0)), ID_RE.sub(id_sub, text))


def mask_for_log(value: Any, key: str | None = None) -> Any:
    """Request parameters as the audit log keeps them: secrets dropped, ID numbers and phones masked.

    >>> mask_for_log({"id_number": "11010519491231002X", "q": "call 13812341234", "token": "og_x"})
    {'id_number': '1101**********002X', 'q': 'call 138****1234', 'token': '***'}
    """
    k = (key or "").lower()
    if k in SECRET_KEYS:
        return "***"
    if isinstance(value, dict):
        return {str(kk): mask_for_log(v, str(kk)) for kk, v in value.items()}
    if isinstance(value, list):
        return [mask_for_log(v, key) for v in value]
    if isinstance(value, str):
        if k in ID_KEYS:
            return mask_id(value.strip().upper())
        if _is_phone_key(k):
            return mask_phone(value)
        return _mask_text(value)
    return value
