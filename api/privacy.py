"""Masking of personal data in what the logs record (IDs, phones, secrets). Answers are masked by role in
`orggraph.queries.policy`."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from orggraph.loaders.idcodes import mask_id, mask_phone, validate_resident_id

__all__ = ["mask_for_log", "mask_log_text", "is_secret_key", "PHONE_RE", "ID_RE", "SECRET_KEYS"]

# A mainland mobile number standing alone (not part of a longer run of digits, e.g. a code).
PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# Anything shaped like an 18-character resident ID; only *valid* ones are masked, so codes rarely suffer.
ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
# Keys whose values are credentials: never written to the log at all (also any key naming a token, password
# or secret, see `is_secret_key`).
SECRET_KEYS = frozenset({"token", "password", "authorization", "cookie", "set-cookie", "orggraph_session"})
_SECRET_KEY_PARTS = ("token", "password", "passwd", "secret", "session", "cookie", "authorization")
# Keys that carry an ID number: masked even when the value is not a valid ID (a typo is still personal).
ID_KEYS = frozenset({"id_number", "id", "身份证号", "resident_id"})


def _is_phone_key(key: str) -> bool:
    return key.lower().endswith("phone") or key == "手机号"


# What logs must never hold, by shape. An ID number in a log is masked when it *looks* like one (a plausible
# birth date where a resident ID has it, or a valid check character), not only when valid: a mistyped ID is
# still a person's; letters around it do not hide it (`/x520603198411268037`). Area codes (520603001001001:
# "001001" is no birth date of a living person) stay readable.
_ID18_RE = re.compile(
    r"(?<!\d)\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?!\d)"
)
_ID15_RE = re.compile(r"(?<!\d)[1-8]\d{5}[2-9]\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?!\d)")
# orggraph API tokens (og_ + 43 characters), bearer credentials, the session cookie, secrets in query strings,
# and any long random-looking run (login codes are 32 URL-safe characters).
_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9])og_[A-Za-z0-9_-]{6,}")
_BEARER_RE = re.compile(r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]{6,}")
_SECRET_PAIR_RE = re.compile(
    r"(?i)((?:access_|refresh_|id_)?token|password|passwd|secret|api_?key|orggraph_session|session|cookie)"
    r"(\s*[=:]\s*[\"']?)([^\s&;,\"'}]+)"
)
_LOGIN_CODE_RE = re.compile(r"(?i)\b(code=)[A-Za-z0-9_-]{20,}")
_RANDOM_RE = re.compile(
    r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[a-z])(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{32,}"
)
_SECRET_HINT_RE = re.compile(r"bearer|basic|token|passw|secret|api_?key|session|cookie|code=", re.IGNORECASE)
_LONG_RUN_RE = re.compile(r"[A-Za-z0-9_-]{32}")
_DIGITS_RE = re.compile(r"\d{11}")  # the shortest thing masked by digits: a mobile number
MAX_LOG_DEPTH = (
    32  # nesting kept in the audit log; deeper parts are summarized (a body can nest 100,000 deep)
)


# The four in one pattern, so a text is scanned once (at a position, the first alternative that matches wins).
_PERSONAL_RE = re.compile(
    "|".join(
        f"(?P<{name}>{r.pattern})"
        for name, r in (("id18", _ID18_RE), ("valid18", ID_RE), ("id15", _ID15_RE), ("phone", PHONE_RE))
    )
)


def _mask_personal(m: re.Match[str]) -> str:
    s = m.group(0)
    if m.lastgroup == "phone":
        return mask_phone(s)
    if m.lastgroup == "valid18" and validate_resident_id(s) is not None:
        return s  # shaped like an ID, no birth date where one would be, wrong check character: a code
    return mask_id(s.upper())


def mask_log_text(text: str) -> str:
    """Free text bound for a log (a message, an error, a traceback, a path, a query string): ID numbers and
    phones masked, tokens, login codes, cookies and credentials replaced by `***`.

    >>> mask_log_text("GET /api/coverage?520603198411268037=1&access_token=og_abcdefghijkl tel 13812341234")
    'GET /api/coverage?5206**********8037=1&access_token=*** tel 138****1234'
    >>> mask_log_text("Authorization: Bearer og_abcdefghijkl; 15-digit 520603841126803, code 520603001001001")
    'Authorization: Bearer og_***; 15-digit 5206*******6803, code 520603001001001'
    """
    # Every request's parameters pass here: each pattern runs only when a cheap test says it could match.
    if "og_" in text:
        text = _TOKEN_RE.sub("og_***", text)
    if _SECRET_HINT_RE.search(text):
        text = _BEARER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
        text = _SECRET_PAIR_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
        text = _LOGIN_CODE_RE.sub(lambda m: f"{m.group(1)}***", text)
    if len(text) >= 32 and _LONG_RUN_RE.search(text):
        text = _RANDOM_RE.sub("***", text)
    if _DIGITS_RE.search(text):
        text = _PERSONAL_RE.sub(_mask_personal, text)
    return text


@lru_cache(maxsize=1024)  # parameter names repeat from request to request
def is_secret_key(key: str) -> bool:
    """A parameter, header or field name whose value is a credential as a whole."""
    k = key.lower()
    return k in SECRET_KEYS or any(part in k for part in _SECRET_KEY_PARTS)


@lru_cache(maxsize=1024)
def _mask_short_key(key: str) -> str:
    return mask_log_text(key)


def _mask_key(key: str) -> str:
    return _mask_short_key(key) if len(key) <= 64 else mask_log_text(key)


def mask_for_log(value: Any, key: str | None = None, _depth: int = 0) -> Any:
    """Request parameters as the audit log keeps them: secrets dropped, ID numbers and phones masked, in keys
    as in values; nesting past MAX_LOG_DEPTH summarized (so no input can exhaust the stack).

    >>> mask_for_log({"id_number": "11010519491231002X", "q": "call 13812341234", "token": "og_x"})
    {'id_number': '1101**********002X', 'q': 'call 138****1234', 'token': '***'}
    >>> mask_for_log({"520603198411268037": 1})
    {'5206**********8037': 1}
    """
    k = (key or "").lower()
    if key is not None and is_secret_key(k):
        return "***"
    if isinstance(value, (dict, list)) and _depth >= MAX_LOG_DEPTH:
        return f"<nested deeper than {MAX_LOG_DEPTH} levels>"
    if isinstance(value, dict):
        return {_mask_key(str(kk)): mask_for_log(v, str(kk), _depth + 1) for kk, v in value.items()}
    if isinstance(value, list):
        return [mask_for_log(v, key, _depth + 1) for v in value]
    if isinstance(value, str):
        if k in ID_KEYS:
            return mask_id(value.strip().upper())
        if _is_phone_key(k):
            return mask_phone(value)
        return mask_log_text(value)
    return value
