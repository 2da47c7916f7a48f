"""Masking of personal data in what the audit log records (IDs, phones, secrets). Answers are masked by role in
`orggraph.queries.policy`."""

from __future__ import annotations

import re
from typing import Any

from orggraph.loaders.idcodes import mask_id, mask_phone, validate_resident_id

__all__ = ["mask_for_log", "PHONE_RE", "ID_RE", "SECRET_KEYS"]

# A mainland mobile number standing alone (not part of a longer run of digits, e.g. a code).
PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# Anything shaped like an 18-character resident ID; only *valid* ones are masked, so codes rarely suffer.
ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
# Keys whose values are credentials: never written to the log at all.
SECRET_KEYS = frozenset({"token", "password", "authorization", "cookie"})
# Keys that carry an ID number: masked even when the value is not a valid ID (a typo is still personal).
ID_KEYS = frozenset({"id_number", "id", "身份证号", "resident_id"})


def _is_phone_key(key: str) -> bool:
    return key.lower().endswith("phone") or key == "手机号"


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
