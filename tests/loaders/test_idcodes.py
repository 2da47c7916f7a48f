"""Tests of resident ID and credit code check characters against independent computations and known codes."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from orggraph.loaders.idcodes import (
    CREDIT_CHARSET,
    credit_check_char,
    id_birth_date,
    id_birth_year,
    id_check_char,
    id_gender,
    mask_id,
    mask_phone,
    normalize_resident_id,
    orgcode_check_char,
    pid_of,
    validate_credit_code,
    validate_resident_id,
)

TODAY = date(2026, 1, 1)


def iso7064_mod11_2(digits: str) -> str:
    """ISO 7064 MOD 11-2 in its recursive form (not the weight table the module uses)."""
    p = 0
    for d in digits:
        p = ((p + int(d)) * 2) % 11
    r = (12 - p) % 11
    return "X" if r == 10 else str(r)


def gb32100(first17: str) -> str:
    """GB 32100-2015 written out from the standard's definitions: weight of position i is 3**(i-1) mod 31."""
    values = {c: i for i, c in enumerate("0123456789ABCDEFGHJKLMNPQRTUWXY")}
    total = sum(values[c] * pow(3, i, 31) for i, c in enumerate(first17))
    return "0123456789ABCDEFGHJKLMNPQRTUWXY"[(31 - total % 31) % 31]


# ---- resident IDs -------------------------------------------------------------------------------


def test_known_sample_id_is_valid() -> None:
    assert validate_resident_id("11010519491231002X", today=TODAY) is None
    assert id_check_char("11010519491231002") == iso7064_mod11_2("11010519491231002") == "X"


def test_lower_case_x_is_accepted_and_normalised() -> None:
    assert validate_resident_id("11010519491231002x", today=TODAY) is None
    assert normalize_resident_id(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "reason_part"),
    [
        ("1101051949123100", "18 位"),
        ("11010519491231002X1", "18 位"),
        ("1101051949123100AX", "前 17 位"),
        ("１1010519491231002X", "前 17 位"),  # a full-width digit
        ("11010519491231002Y", "最后一位"),
        ("110105194902300020", "不是有效日期"),  # 30 February
        ("110105203001010020", "晚于今天"),
        ("110105189912310020", "早于 1900"),
        ("110105194912310021", "应为 X，实为 1"),
    ],
)
def test_invalid_ids_give_a_reason(value: str, reason_part: str) -> None:
    reason = validate_resident_id(value, today=TODAY)
    assert reason is not None and reason_part in reason


def test_future_is_relative_to_today_by_default() -> None:
    body = "520603" + "20991231" + "001"
    assert "晚于今天" in (validate_resident_id(body + id_check_char(body)) or "")


def test_birth_year_gender_and_date() -> None:
    assert id_birth_year("11010519491231002X") == 1949
    assert id_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert id_gender("11010519491231002X") == "女"  # sequence code 002 is even
    assert id_gender("11010519491231001X") == "男"


def test_masks() -> None:
    assert mask_id("52060319900101123X") == "5206**********123X"
    assert len(mask_id("52060319900101123X")) == 18
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("12345") == "*****"


def test_pid_is_keyed_hmac_of_the_upper_case_id() -> None:
    key = b"k"
    expected = hmac.new(key, b"11010519491231002X", hashlib.sha256).hexdigest()[:20]
    assert pid_of("11010519491231002x", key) == expected
    assert len(expected) == 20
    assert pid_of("11010519491231002X", b"other") != expected


ids17 = st.builds(
    lambda region, born, seq: f"{region:06d}{born:%Y%m%d}{seq:03d}",
    st.integers(110000, 659999),
    st.dates(date(1900, 1, 1), TODAY),
    st.integers(0, 999),
)


@given(ids17)
def test_generated_ids_validate(first17: str) -> None:
    assert id_check_char(first17) == iso7064_mod11_2(first17)
    assert validate_resident_id(first17 + id_check_char(first17), today=TODAY) is None


@given(ids17, st.sampled_from("0123456789X"))
def test_any_other_check_char_is_rejected(first17: str, other: str) -> None:
    good = id_check_char(first17)
    reason = validate_resident_id(first17 + other, today=TODAY)
    if other == good:
        assert reason is None
    else:
        assert reason == f"校验位错误：应为 {good}，实为 {other}"


# ---- unified social credit codes ----------------------------------------------------------------

# Published codes of well-known companies (business licences), plus the textbook example.
KNOWN_CREDIT_CODES = [
    "91350100M000100Y43",
    "9144030071526726XG",
    "914403001922038216",
    "91330100799655058B",
    "91110000100005220B",
]


@pytest.mark.parametrize("code", KNOWN_CREDIT_CODES)
def test_known_credit_codes_are_valid(code: str) -> None:
    assert validate_credit_code(code) is None
    assert validate_credit_code(code.lower()) is None
    assert credit_check_char(code[:17]) == gb32100(code[:17]) == code[17]
    # their organization-code part carries its own GB 11714 check character
    assert orgcode_check_char(code[8:16]) == code[16]


@pytest.mark.parametrize(
    ("value", "reason_part"),
    [
        ("91350100M000100Y4", "18 位"),
        ("91350100M000100I43", "'I'"),
        ("91350100M000100O43", "'O'"),
        ("91350100M000100Y4-", "'-'"),
        ("91350100M000100Y44", "应为 3，实为 4"),
    ],
)
def test_invalid_credit_codes_give_a_reason(value: str, reason_part: str) -> None:
    reason = validate_credit_code(value)
    assert reason is not None and reason_part in reason


def test_credit_check_char_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        credit_check_char("91350100M000100S4")
    with pytest.raises(ValueError):
        credit_check_char("123")


credit17 = st.text(alphabet=CREDIT_CHARSET, min_size=17, max_size=17)


@given(credit17)
def test_generated_credit_codes_validate(first17: str) -> None:
    assert credit_check_char(first17) == gb32100(first17)
    assert validate_credit_code(first17 + credit_check_char(first17)) is None


@given(credit17, st.sampled_from(CREDIT_CHARSET))
def test_any_other_credit_check_char_is_rejected(first17: str, other: str) -> None:
    good = credit_check_char(first17)
    reason = validate_credit_code(first17 + other)
    assert (reason is None) == (other == good)
