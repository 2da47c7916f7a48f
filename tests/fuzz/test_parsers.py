"""Property-based tests of the ledger parsers and validators on hostile input: they never raise, they always
answer with a value or a Chinese reason, and what they accept is what they claim to accept.

`orggraph.loaders.values` (cells), `orggraph.loaders.idcodes` (IDs and credit codes) and
`orggraph.loaders.read` (whole files: random bytes, random CSV text, random headers, random xlsx bytes).
Bugs found here are pinned as strict xfails in tests/faults/test_reported.py until fixed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from orggraph.loaders.idcodes import mask_id, mask_phone, pid_of, validate_credit_code, validate_resident_id
from orggraph.loaders.read import MAX_CELL_CHARS, LedgerIssue, discover
from orggraph.loaders.values import MAX_COUNT, parse_count, parse_date, parse_enum, parse_phone, split_tags

_HAN = re.compile(r"[\u4e00-\u9fff]")
_SEPARATORS = "、,;，；"

# Text a ledger cell can hold: anything, biased towards what breaks parsers (digits of every script,
# separators, blanks, quotes, control characters, Chinese).
_tricky = (
    st.sampled_from(list("0123456789-/.年月日,，、;；：:\"'`\\\n\r\t\u3000\u00a0\u200b\ufeff+eE١٢٣𝟗１２"))
    | st.characters()
)
cell_text = st.text(_tricky, max_size=40) | st.text(max_size=200)


def _is_reason(why: object) -> bool:
    return isinstance(why, str) and bool(_HAN.search(why))


# ------------------------------------------------------------------------------------------- values
@given(cell_text)
@example("2023-02-29")
@example("2023年5月1日 00:00:00")
@example("0000-00-00")
def test_parse_date_answers_a_date_or_a_reason(text: str) -> None:
    value, why = parse_date(text)
    if not text.strip():
        assert (value, why) == (None, None)
        return
    assert (value is None) != (why is None)
    if value is not None:
        assert dt.date.fromisoformat(value).isoformat() == value
        assert parse_date(value) == (value, None)  # what it returns it accepts again, unchanged
    else:
        assert _is_reason(why)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)), st.sampled_from(range(4)))
def test_parse_date_reads_every_documented_form(d: dt.date, form: int) -> None:
    text = (
        f"{d.isoformat()}",
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year}年{d.month}月{d.day}日",
        f" {d.isoformat()}　",
    )[form]
    assert parse_date(text) == (d.isoformat(), None)


@given(cell_text)
@example("-1")
@example("1,200")
@example("300.0")
@example("1" * 400 + ".0")  # was OverflowError (float)
@example("9" * 4400)  # was ValueError (Python's 4300-digit limit for int())
@example("-" + "9" * 4400)
@example("٩" * 5000)
def test_parse_count_answers_a_non_negative_int_or_a_reason(text: str) -> None:
    value, why = parse_count(text)
    if not text.strip().replace(",", "").replace("，", ""):
        assert (value, why) == (None, None)
        return
    assert (value is None) != (why is None)
    if value is not None:
        assert isinstance(value, int) and 0 <= value <= MAX_COUNT
    else:
        assert _is_reason(why)


@given(st.integers(min_value=0, max_value=10**12))
def test_parse_count_reads_plain_counts(n: int) -> None:
    assert parse_count(str(n)) == (n, None)
    assert parse_count(f"{n:,}") == (n, None)


def test_parse_count_limit() -> None:
    """At most MAX_COUNT (15 digits: what a spreadsheet keeps exactly), far inside the stores' 64-bit
    integers."""
    assert MAX_COUNT < 2**53 <= 2**63 - 1
    assert parse_count(str(MAX_COUNT)) == (MAX_COUNT, None)
    assert parse_count(f"{MAX_COUNT:,}.00") == (MAX_COUNT, None)
    assert parse_count("0" * 5000 + "42") == (42, None)  # leading zeros are not digits of the value
    assert parse_count("-0") == (0, None)
    for text in (str(MAX_COUNT + 1), str(2**63 - 1), str(2**63), str(10**20), "1" * 400 + ".0", "9" * 4400):
        value, why = parse_count(text)
        assert value is None and why is not None and why.startswith("数值过大"), (text[:30], why)
        assert f"{MAX_COUNT:,}" in why  # says what the limit is
    assert parse_count("-" + "9" * 4400) == (None, "不能为负数")


@given(st.integers(min_value=MAX_COUNT + 1, max_value=10**40), st.sampled_from(["", ".0", ".000"]))
def test_parse_count_refuses_every_count_past_the_limit(n: int, tail: str) -> None:
    value, why = parse_count(f"{n:,}{tail}" if n % 2 else f"{n}{tail}")
    assert value is None and _is_reason(why) and "数值过大" in why


@given(cell_text)
@example("+86 138-0000-0000")
def test_parse_phone_answers_eleven_ascii_digits_or_a_reason(text: str) -> None:
    value, why = parse_phone(text)
    assert value is None or why is None
    if value is not None:
        assert re.fullmatch(r"1[3-9][0-9]{9}", value), value
    elif why is not None:
        assert _is_reason(why)


@given(cell_text)
def test_split_tags_gives_clean_non_empty_tags(text: str) -> None:
    tags = split_tags(text)
    for t in tags:
        assert t and t == t.strip() and not any(s in t for s in _SEPARATORS)
        # ';' can never reach the store inside a tag: the neo4j-admin export relies on it (array delimiter).
        assert ";" not in t


@given(cell_text, st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=5))
def test_parse_enum_accepts_only_allowed_values(text: str, allowed: list[str]) -> None:
    value, why = parse_enum(text, tuple(allowed))
    if value is not None:
        assert value in allowed and why is None
    elif text.strip():
        assert _is_reason(why)


# ------------------------------------------------------------------------------------------ idcodes
@given(cell_text | st.text(st.sampled_from("0123456789Xx"), min_size=17, max_size=19))
@example("11010519491231002x")
@example("1101051949123100２X")
@example("ß" * 18)
def test_validate_resident_id_never_raises(text: str) -> None:
    why = validate_resident_id(text)
    assert why is None or _is_reason(why)
    if why is None:
        v = text.upper()
        assert len(v) == 18 and v[:17].isascii() and v[:17].isdigit() and v[17] in "0123456789X"
        masked = mask_id(v)
        assert masked[:4] == v[:4] and masked[-4:] == v[-4:] and set(masked[4:-4]) == {"*"}
        assert re.fullmatch(r"[0-9a-f]{20}", pid_of(v, b"k")) and pid_of(v.lower(), b"k") == pid_of(v, b"k")


@given(cell_text | st.text(st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUWXYIOZSV"), min_size=17, max_size=19))
def test_validate_credit_code_never_raises(text: str) -> None:
    why = validate_credit_code(text)
    assert why is None or _is_reason(why)
    if why is None:
        assert len(text.upper()) == 18


@given(cell_text)
def test_masks_never_reveal_the_middle(text: str) -> None:
    for masked, _keep in ((mask_id(text), 4), (mask_phone(text), 0)):
        assert len(masked) == len(text)
    if len(text) > 8:
        assert mask_id(text)[4:-4] == "*" * (len(text) - 8)
    else:
        assert mask_id(text) == "*" * len(text)


# --------------------------------------------------------------------------------------------- read
def _read_everything(folder: Path) -> list[LedgerIssue]:
    """discover + every row of every source, as the importer does; returns all issues."""
    sources, issues = discover(folder)
    issues = list(issues)
    for s in sources:
        for n, cells in s.rows(issues):
            assert isinstance(n, int) and n >= 2
            assert set(cells) >= set(s.columns)
            for v in cells.values():
                assert isinstance(v, str)
    for i in issues:
        assert _is_reason(i.reason), i
        i.format()  # formatting never fails either
    return issues


_settings = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_settings
@given(
    st.binary(max_size=3000), st.sampled_from(["人员.csv", "网格.csv", "台账.xlsx", "人员.xlsx", "units.csv"])
)
def test_random_bytes_as_a_ledger_file(tmp_path_factory: object, data: bytes, name: str) -> None:
    folder = tmp_path_factory.mktemp("bytes")  # type: ignore[attr-defined]
    (folder / name).write_bytes(data)
    _read_everything(folder)


@_settings
@given(
    st.lists(st.lists(cell_text, min_size=0, max_size=8), min_size=0, max_size=12),
    st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_random_csv_under_a_real_header(
    tmp_path_factory: object, rows: list[list[str]], encoding: str
) -> None:
    folder = tmp_path_factory.mktemp("csv")  # type: ignore[attr-defined]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["身份证号", "姓名", "性别", "手机号", "政治面貌", "党组织编码", "标签"])
    w.writerows(rows)
    (folder / "人员.csv").write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    _read_everything(folder)


@_settings
@given(st.lists(cell_text, min_size=1, max_size=12), st.lists(st.lists(cell_text, max_size=12), max_size=4))
def test_random_headers(tmp_path_factory: object, header: list[str], rows: list[list[str]]) -> None:
    folder = tmp_path_factory.mktemp("hdr")  # type: ignore[attr-defined]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    # st.characters() draws lone surrogates too: written as such, they are bytes that are not UTF-8 at all.
    (folder / "网格.csv").write_bytes(buf.getvalue().encode("utf-8", errors="surrogatepass"))
    _read_everything(folder)


def test_very_long_cell_is_refused_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "人员.csv").write_text(
        "身份证号,姓名\n11010519491231002X," + "长" * (MAX_CELL_CHARS + 1) + "\n", encoding="utf-8"
    )
    issues = _read_everything(tmp_path)
    long = [i for i in issues if i.level == "error" and "过长" in i.reason]
    assert long and long[0].row == 2 and long[0].column == "姓名"


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    (tmp_path / "人员.csv").write_text("身份证号,姓名\n11010519491231002X,张三\n", encoding="utf-8")
    sources, issues = discover(tmp_path, max_csv_bytes=10)
    assert not sources and any("文件过大" in i.reason for i in issues)


def test_line_without_end_is_refused(tmp_path: Path) -> None:
    (tmp_path / "人员.csv").write_text(
        '身份证号,姓名\n11010519491231002X,"' + "x" * 1_100_000, encoding="utf-8"
    )
    issues = _read_everything(tmp_path)
    assert any(i.level == "error" and ("过长" in i.reason or "引号" in i.reason) for i in issues)
