"""Cell parsers for the ledgers: dates, counts, phones, tags. Pure; each returns (value, reason-or-None)."""

from __future__ import annotations

import datetime as _dt
import re

__all__ = ["MAX_COUNT", "parse_date", "parse_count", "parse_phone", "split_tags", "parse_enum"]

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
# A spreadsheet date read as text may carry a time part ("2023-05-01 00:00:00").
_TIME_SUFFIX = re.compile(r"[ T]00:00(:00(\.0+)?)?$")


def parse_date(text: str) -> tuple[str | None, str | None]:
    """'2023/5/1', '2023年5月1日', '2023-05-01' → '2023-05-01'. Empty → (None, None)."""
    t = text.strip()
    if not t:
        return None, None
    t = _TIME_SUFFIX.sub("", t)
    for pat in _DATE_PATTERNS:
        m = pat.match(t)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return _dt.date(y, mo, d).isoformat(), None
            except ValueError:
                return None, "日期不存在，请检查年月日"
    return None, "无法识别的日期，请写成 2023-05-01、2023/5/1 或 2023年5月1日"


# The largest count accepted: 15 digits, what a spreadsheet keeps exactly (Excel rounds past 15 significant
# digits), exact in the JSON the pages read (2**53) and far inside the stores' signed 64-bit integers. No grid
# or building comes near it: a longer number is a typo, or another column pasted into this one.
MAX_COUNT = 10**15 - 1
_COUNT = re.compile(r"(-?)(\d+)(?:\.0+)?")


def parse_count(text: str) -> tuple[int | None, str | None]:
    """A non-negative integer count ('300', '300.0', '1,200'), at most MAX_COUNT. Empty → (None, None)."""
    t = text.strip().replace(",", "").replace("，", "")
    if not t:
        return None, None
    m = _COUNT.fullmatch(t)
    if m is None:
        return None, "应为整数（只能填数字）"
    sign, digits = m.group(1), m.group(2).lstrip("0") or "0"
    # Length first: int() of thousands of digits is refused (ValueError) or slow, and float() overflows.
    v = int(digits) if len(digits) <= len(str(MAX_COUNT)) else MAX_COUNT + 1
    if sign and v:
        return None, "不能为负数"
    if v > MAX_COUNT:
        return None, f"数值过大（最多 {MAX_COUNT:,}）：请检查是否多填了数字，或填到了别的列"
    return v, None


_PHONE = re.compile(r"^1[3-9]\d{9}$")


def parse_phone(text: str) -> tuple[str | None, str | None]:
    t = re.sub(r"[\s\-]", "", text)
    if t.startswith("+86"):
        t = t[3:]
    if not t:
        return None, None
    if not _PHONE.match(t):
        return None, "手机号应为 11 位数字，以 1 开头"
    return t, None


_TAG_SPLIT = re.compile(r"[、,;，；]+")


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in _TAG_SPLIT.split(text) if t.strip()]


def parse_enum(text: str, allowed: tuple[str, ...]) -> tuple[str | None, str | None]:
    t = text.strip()
    if not t:
        return None, None
    if t in allowed:
        return t, None
    return None, f"应为以下之一：{'、'.join(allowed)}"
