"""Check characters, validation, masking and keyed hashing of resident IDs and unified social credit codes."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import date
from operator import mul

__all__ = [
    "CREDIT_CHARSET",
    "CREDIT_WEIGHTS",
    "ID_WEIGHTS",
    "credit_check_char",
    "id_birth_date",
    "id_birth_year",
    "id_check_char",
    "id_gender",
    "mask_id",
    "mask_phone",
    "normalize_resident_id",
    "orgcode_check_char",
    "pid_of",
    "validate_credit_code",
    "validate_resident_id",
]

# GB 11643-1999 / ISO 7064 MOD 11-2: weight of position i (1-based, from the left) is 2**(18-i) mod 11.
ID_WEIGHTS: tuple[int, ...] = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = "10X98765432"  # indexed by the weighted sum mod 11
_ID_ZERO = ord("0") * sum(
    ID_WEIGHTS
)  # the weighted sum of the digits' codes, less this, is that of the digits

# GB 32100-2015: the 31 characters in value order; I, O, Z, S, V are left out to avoid misreading.
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_CHARSET)}

# GB 11714-1997 organization code (positions 9-17 of a credit code): weights of its first 8 characters.
_ORGCODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_EARLIEST_BIRTH = date(1900, 1, 1)  # older dates are typing errors in practice


def id_check_char(first17: str) -> str:
    """Check character of an 18-digit resident ID from its first 17 digits.

    >>> id_check_char("11010519491231002")
    'X'
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"need 17 digits, got {first17!r}")
    total = sum(map(mul, first17.encode(), ID_WEIGHTS)) - _ID_ZERO  # a city's worth of IDs: keep it cheap
    return _ID_CHECK[total % 11]


def normalize_resident_id(value: str) -> str:
    """The form IDs are compared and hashed in: no surrounding blanks, check letter in upper case."""
    return value.strip().upper()


_today_cache: tuple[float, date] = (0.0, date.min)


def _today() -> date:
    """date.today(), looked up at most once a minute (it is asked once per ID number: millions in a load)."""
    global _today_cache
    now = time.monotonic()
    if now - _today_cache[0] > 60:
        _today_cache = (now, date.today())
    return _today_cache[1]


def validate_resident_id(value: str, *, today: date | None = None) -> str | None:
    """None when `value` is a valid 18-character resident ID, else a short Chinese reason.

    A lower-case check letter `x` is accepted (callers store `normalize_resident_id(value)`).

    >>> validate_resident_id("11010519491231002X") is None
    True
    >>> validate_resident_id("110105194912310021")
    '校验位错误：应为 X，实为 1'
    """
    v = value.upper()
    if len(v) != 18:
        return f"身份证号应为 18 位，实为 {len(v)} 位"
    if not (v[:17].isascii() and v[:17].isdigit()):
        return "身份证号前 17 位应全为数字"
    if not (v[17].isdigit() or v[17] == "X"):
        return "身份证号最后一位应为数字或 X"
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return f"出生日期 {v[6:14]} 不是有效日期"
    if born > (today or _today()):
        return f"出生日期 {v[6:14]} 晚于今天"
    if born < _EARLIEST_BIRTH:
        return f"出生日期 {v[6:14]} 早于 1900 年"
    expected = id_check_char(v[:17])
    if v[17] != expected:
        return f"校验位错误：应为 {expected}，实为 {v[17]}"
    return None


def id_birth_date(id18: str) -> date:
    """Birth date encoded in positions 7-14 of a valid ID."""
    return date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))


def id_birth_year(id18: str) -> int:
    """Birth year encoded in positions 7-10 of a valid ID.

    >>> id_birth_year("11010519491231002X")
    1949
    """
    return int(id18[6:10])


def id_gender(id18: str) -> str:
    """'男' when the 17th character (sequence code) is odd, else '女'.

    >>> id_gender("11010519491231002X")
    '女'
    """
    return "男" if int(id18[16]) % 2 == 1 else "女"


def mask_id(id18: str) -> str:
    """First 4 and last 4 characters kept, the rest starred: `5206**********123X`.

    >>> mask_id("11010519491231002X")
    '1101**********002X'
    """
    if len(id18) <= 8:
        return "*" * len(id18)
    return id18[:4] + "*" * (len(id18) - 8) + id18[-4:]


def mask_phone(phone: str) -> str:
    """First 3 and last 4 digits kept: `138****1234`; too short to keep anything → all starred.

    >>> mask_phone("13812341234")
    '138****1234'
    """
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def credit_check_char(first17: str) -> str:
    """Check character of a unified social credit code (GB 32100-2015) from its first 17 characters.

    >>> credit_check_char("91350100M000100Y4")
    '3'
    """
    if len(first17) != 17:
        raise ValueError(f"need 17 characters, got {first17!r}")
    try:
        total = sum(_CREDIT_VALUE[c] * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=False))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not allowed in a credit code") from None
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str | None:
    """None when `value` (any case) is a valid unified social credit code, else a short Chinese reason.

    >>> validate_credit_code("91350100m000100y43") is None
    True
    """
    v = value.upper()
    if len(v) != 18:
        return f"统一社会信用代码应为 18 位，实为 {len(v)} 位"
    bad = [c for c in v if c not in _CREDIT_VALUE]
    if bad:
        return f"统一社会信用代码含不允许的字符 {bad[0]!r}（不使用 I、O、Z、S、V）"
    expected = credit_check_char(v[:17])
    if v[17] != expected:
        return f"校验位错误：应为 {expected}，实为 {v[17]}"
    return None


def orgcode_check_char(first8: str) -> str:
    """Check character of a GB 11714 organization code (positions 9-17 of a credit code) from its first 8.

    >>> orgcode_check_char("M000100Y")
    '4'
    """
    if len(first8) != 8:
        raise ValueError(f"need 8 characters, got {first8!r}")
    total = sum(int(c, 36) * w for c, w in zip(first8, _ORGCODE_WEIGHTS, strict=False))
    c9 = 11 - total % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


def pid_of(id18: str, key: bytes) -> str:
    """Person key stored in the graph instead of the ID: 20 hex characters of HMAC-SHA256(key, ID)."""
    return hmac.new(key, id18.upper().encode("utf-8"), hashlib.sha256).hexdigest()[:20]
