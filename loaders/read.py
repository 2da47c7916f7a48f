"""Read ledgers (a folder of CSV/xlsx files or one workbook of sheets) into streams of raw rows.

This layer only reads: it finds the ledgers, decodes CSV (UTF-8 or GBK/GB18030), streams xlsx sheets,
maps the user's headers to canonical column keys and hands out trimmed cell text with the row number
the user sees in the spreadsheet. Whether a value is *valid* (IDs, dates, references) is decided by
`orggraph.loaders.ledgers` on top of this. Problems are never raised: they come back as `LedgerIssue`s.

Choices worth knowing (each is documented where it is made):

- Row numbers are spreadsheet rows: the header is row 1, and a CSV record whose quoted cell spans
  several lines still counts as one row (that is what a spreadsheet shows), so a row number is the
  record count, not the physical line count. Fully empty rows are skipped but keep their number.
- A header-only ledger is a warning, not an error: an empty 联户 ledger is a legitimate state.
- Codes, IDs, dates and counts are NFKC-normalised (full-width ``１２３`` becomes ``123``); names and
  other free text are not, because NFKC rewrites CJK compatibility ideographs that occur in names.
- A cell with a reading problem (formula, number that lost digits, undecodable bytes) is still handed
  out with a best-effort text, and its problem is reported; as any error stops the import, a validator
  may report a second problem for the same cell, which is harmless.
- Problems found while streaming rows go to the ``issues`` list passed to `LedgerSource.rows`
  (or, without one, to ``LedgerSource.issues``, which then holds the problems of the latest pass).

Why this module stays whole (about 800 lines): discovery, CSV sniffing and decoding, xlsx streaming and header
mapping are one pipeline sharing the private `_Reader` protocol, `_Unreadable` and the issue reporting; split,
each part would import the others' private names. The column specification it reads by lives in
`orggraph.loaders.columns`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import json
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from orggraph.loaders.columns import (
    _ALLOWED_NAMES,
    _BLANKS,
    KINDS,
    LEDGERS,
    ColumnSpec,
    LedgerSpec,
    _clean_header,
    _match_key,
    ledger_for_name,
)

__all__ = [
    "ColumnSpec",
    "LedgerSpec",
    "LEDGERS",
    "KINDS",
    "LedgerIssue",
    "LedgerSource",
    "discover",
    "ledger_for_name",
    "MAX_CSV_BYTES",
    "MAX_XLSX_BYTES",
    "MAX_CELL_CHARS",
    "EXAMPLE_MARK",
    "TEMPLATE_SHEETS",
]

MAX_CSV_BYTES = 2 * 1024**3
MAX_XLSX_BYTES = 200 * 1024**2
MAX_CELL_CHARS = 4000
# A template's example row starts its first column with this mark: the loader skips such a row (with a
# warning), so a filled-in template loads as it is, example row and all (docs/ledgers.md).
EXAMPLE_MARK = "【示例】"
# Sheets a template adds beside the ledgers: read by people, never as ledgers.
TEMPLATE_SHEETS = ("填表说明", "编码表")
# Encoding is decided from this much of the file; the rest is decoded as it streams.
SNIFF_BYTES = 64 * 1024
# A CSV line longer than this is not a ledger row (no newline in a binary file, or a runaway quote);
# the bound keeps memory flat however the file is broken.
_MAX_LINE_CHARS = 1_000_000

# ------------------------------------------------------------------------------------------ text helpers
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")


def _clean(text: str, column: ColumnSpec | None) -> tuple[str, str | None]:
    """Trim, normalise code-like columns, and find problems any reader can have in a cell."""
    t = text.strip(_BLANKS)
    if not t:
        return "", None
    if column is not None and column.kind != "text" and not t.isascii():
        t = unicodedata.normalize("NFKC", t).strip(_BLANKS)
    if len(t) > MAX_CELL_CHARS:
        return t, f"内容过长（{len(t)} 字，上限 {MAX_CELL_CHARS} 字），请检查是否串列或引号未闭合"
    if column is not None and column.kind in ("id", "code") and _SCIENTIFIC.match(t):
        return t, f"{column.zh}被表格软件改成了科学计数法，已丢失精度，请将该列设为文本后重新录入"
    return t, None


# ------------------------------------------------------------------------------------------ issues
@dataclass(frozen=True)
class LedgerIssue:
    """One problem in the user's ledgers, shown to the user in Chinese."""

    file: str  # as the user knows it: '人员.csv' or '台账.xlsx[人员]'
    row: int | None  # spreadsheet row (header = 1)
    column: str | None  # the header as the user wrote it
    value: str | None
    reason: str  # what is wrong and what to do
    level: str = "error"  # "error" or "warning"

    def __post_init__(self) -> None:
        if self.level not in ("error", "warning"):
            raise ValueError(f"level must be 'error' or 'warning', not {self.level!r}")

    def format(self) -> str:
        """One line: '人员.csv 第12行 [身份证号] 值「…」：原因'."""
        parts = [self.file]
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"[{self.column}]")
        if self.value is not None:
            v = self.value.replace("\r", "").replace("\n", "⏎")
            parts.append(f"值「{v if len(v) <= 60 else v[:60] + '…'}」")
        prefix = "警告：" if self.level == "warning" else ""
        return f"{prefix}{' '.join(parts)}：{self.reason}"


def _size(n: int) -> str:
    return f"{n / 1024**3:.1f} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"


class _Unreadable(Exception):
    """The rest of a file cannot be read; `row` is where reading stopped (None: the whole file)."""

    def __init__(self, row: int | None, reason: str) -> None:
        super().__init__(reason)
        self.row, self.reason = row, reason
        self.peeked: tuple[list[list[str]], bool] = ([], False)  # what _peek read before it failed


class _Reader(Protocol):
    def records(self) -> Iterator[tuple[int, Sequence[Any]]]:
        """(spreadsheet row, raw cells) for every row, header included; raises _Unreadable."""
        ...

    def convert(self, raw: Any, column: ColumnSpec | None) -> tuple[str, str | None]:
        """A raw cell as text, and the reason it is unusable (or None)."""
        ...


# ------------------------------------------------------------------------------------------ CSV
_ENCODING_ZH = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "gb18030": "GBK/GB18030"}
_UNDECODABLE = "无法识别文件编码，请用表格软件打开后另存为 UTF-8 或 GBK 的 CSV 文件"


def _decode_sample(head: bytes, encoding: str, final: bool) -> tuple[str, int]:
    """The sample decoded with U+FFFD for bad bytes, and how many bad bytes there were.

    The incremental decoder keeps a multibyte character cut at the sample's end for later instead of
    calling it an error.
    """
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=final)
    return text, text.count("\ufffd")


def _sniff_csv(path: Path) -> tuple[str, str] | str:
    """(encoding, delimiter) from the first SNIFF_BYTES of the file, or why it cannot be read as CSV."""
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if not head:
        return "文件为空，请填写表头和数据，或删除该文件"
    if head.startswith(b"PK\x03\x04"):
        return "这是一个 xlsx 文件，却以 .csv 结尾：请把扩展名改为 .xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "这是旧版 .xls 或加了密码的 Excel 文件，不是 CSV：请另存为 .xlsx 或 UTF-8 的 CSV"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "文件是 UTF-16 编码（“Unicode 文本”），" + _UNDECODABLE
    if b"\x00" in head:
        return "文件含有二进制内容，不是文本，" + _UNDECODABLE
    final = len(head) < SNIFF_BYTES
    if head.startswith(codecs.BOM_UTF8):
        encoding, text = "utf-8-sig", _decode_sample(head, "utf-8-sig", final)[0]
    else:
        text, bad = _decode_sample(head, "utf-8", final)
        # A UTF-8 file with a stray bad byte is still UTF-8 (the row is reported when read); GBK read as
        # UTF-8 fails on about every other character, so real non-ASCII text outweighing the bad bytes
        # twenty to one tells them apart.
        non_ascii = sum(1 for ch in text if ord(ch) > 127) - bad
        if bad == 0 or non_ascii >= 20 * bad:
            encoding = "utf-8"
        else:
            text, bad = _decode_sample(head, "gb18030", final)
            non_ascii = sum(1 for ch in text if ord(ch) > 127) - bad
            if bad and non_ascii < 20 * bad:
                return _UNDECODABLE
            encoding = "gb18030"
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n")
    if controls > len(text) // 100:
        return "文件含有大量控制字符，不像是表格文本，" + _UNDECODABLE
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count)
    return encoding, delimiter if first_line.count(delimiter) else ","


@dataclass(frozen=True)
class _CsvReader:
    path: Path
    encoding: str
    delimiter: str

    def records(self) -> Iterator[tuple[int, Sequence[Any]]]:
        n = 0
        try:
            # errors="replace": a bad byte later in the file becomes U+FFFD in its cell and is reported
            # with its row (see convert) instead of stopping the whole read.
            with open(self.path, encoding=self.encoding, errors="replace", newline="") as f:
                reader = csv.reader(self._lines(f, lambda: n + 1), delimiter=self.delimiter)
                for record in reader:
                    n += 1
                    yield n, record
        except csv.Error as e:
            raise _Unreadable(
                n + 1, f"CSV 格式错误（{e}），多半是引号未闭合：请用表格软件打开检查后重新保存"
            ) from None
        except OSError as e:
            raise _Unreadable(n + 1 if n else None, f"无法读取文件：{e.strerror or e}") from None

    @staticmethod
    def _lines(f: Any, row: Callable[[], int]) -> Iterator[str]:
        while line := f.readline(_MAX_LINE_CHARS + 1):
            if len(line) > _MAX_LINE_CHARS:
                raise _Unreadable(
                    row(), "这一行过长（超过一百万字），文件可能不是 CSV 或引号未闭合：请检查后重新保存"
                )
            yield line

    def convert(self, raw: Any, column: ColumnSpec | None) -> tuple[str, str | None]:
        if raw is None:
            return "", None
        if "\ufffd" in raw:
            return raw, (
                f"含有不能按 {_ENCODING_ZH[self.encoding]} 解码的字节（显示为 �），可能混入了其他编码的文字："
                "请改正该单元格，或把整个文件另存为 UTF-8 的 CSV"
            )
        return raw, None


# ------------------------------------------------------------------------------------------ xlsx
def _load_workbook(path: Path) -> Any:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation, styles); they do not matter here.
            warnings.simplefilter("ignore")
            return load_workbook(path, read_only=True, data_only=False)
    except Exception:  # openpyxl raises a dozen types (BadZipFile, KeyError, ParseError, ...) on bad input
        raise _Unreadable(
            None,
            "不是有效的 xlsx 文件（可能已损坏、设置了密码，或是改了扩展名的其他格式）："
            "请用表格软件打开后另存为 .xlsx，或另存为 UTF-8 的 CSV",
        ) from None


def _number_text(v: int | float) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # 123.0 → '123'
    return str(v) if isinstance(v, int) else repr(v)


# <mergeCell ref="A2:A5"/>, possibly with a namespace prefix; '<' is escaped inside cell text, so a
# match is always markup.
_MERGE_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?mergeCells[\s>/]")
_MERGE_CELL = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?\bref=\"([A-Za-z]{1,3}\d+(?::[A-Za-z]{1,3}\d+)?)\""
)


def _merged_ranges(path: Path, member: str) -> list[str]:
    """Merged ranges of one sheet, found by streaming its XML.

    read-only worksheets do not expose merged cells, and a full load would hold the sheet in memory;
    <mergeCells> comes after <sheetData>, so this decompresses the part once and keeps only the tail.
    A byte scan rather than iterparse: iterparse would build and discard an element per cell.
    """
    tail, found = b"", None
    with zipfile.ZipFile(path) as z, z.open(member) as f:
        while chunk := f.read(1 << 20):
            if found is not None:
                found.append(chunk)
                continue
            buf = tail + chunk
            m = _MERGE_START.search(buf)
            if m:
                found = [buf[m.start() :]]
            else:
                tail = buf[-64:]
    if found is None:
        return []
    return [m.group(1).decode("ascii").upper() for m in _MERGE_CELL.finditer(b"".join(found))]


def _column_index(ref: str) -> tuple[int, int]:
    """'B12' → (row 12, 0-based column 1)."""
    m = re.match(r"([A-Z]+)(\d+)", ref)
    assert m is not None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col - 1


@dataclass(frozen=True)
class _XlsxReader:
    path: Path
    sheet: str
    # The read-only workbook discovery opened, shared by the file's sheets and kept open: opening costs a
    # full parse of every sheet when a file lacks <dimension> (write-only generators omit it), while each
    # pass over a sheet re-reads only that sheet's part of the archive.
    workbook: Any = field(compare=False, repr=False)

    def records(self) -> Iterator[tuple[int, Sequence[Any]]]:
        n = 0
        try:
            ws = self.workbook[self.sheet]
            # Some generators write a wrong <dimension>; read-only mode would stop there.
            ws.reset_dimensions()
            for n, row in enumerate(ws.iter_rows(), start=1):  # n is read after the loop too
                yield n, row
        except Exception:  # a corrupt sheet part surfaces as any parser error, mid-stream
            raise _Unreadable(n + 1, "工作表内容损坏，无法继续读取：请用表格软件打开后重新保存") from None

    def convert(self, raw: Any, column: ColumnSpec | None) -> tuple[str, str | None]:
        v = getattr(raw, "value", None)  # a ReadOnlyCell, an EmptyCell, or None past the row's end
        if v is None:
            return "", None
        kind = getattr(raw, "data_type", "n")
        if kind == "f":
            return str(getattr(v, "text", v)), "单元格含公式，请粘贴为数值（复制后“选择性粘贴 → 数值”）"
        if kind == "e":
            return str(v), f"单元格是错误值 {v}，请改为正确的内容"
        if isinstance(v, bool):
            return ("TRUE" if v else "FALSE"), None
        if isinstance(v, _dt.datetime | _dt.date):
            text = (v.date() if isinstance(v, _dt.datetime) else v).isoformat()
            if column is not None and column.kind != "date":
                return text, (
                    f"被表格软件识别成了日期 {text}（原文可能是「1-2」这样的编号）："
                    "请将该列设为文本后重新录入"
                )
            return text, None
        if isinstance(v, _dt.time | _dt.timedelta):
            return str(v), "单元格是时间而不是日期或文字，请改正"
        if isinstance(v, int | float):
            text = _number_text(v)
            if column is not None and (column.kind == "id" or (column.kind == "code" and abs(v) >= 1e15)):
                # Spreadsheets keep 15 significant digits: an 18-digit ID stored as a number is already
                # wrong in the file, so the text cannot be trusted.
                return text, f"{column.zh}被存为数字，已丢失精度，请将该列设为文本后重新录入"
            return text, None
        return str(v), None


# ------------------------------------------------------------------------------------------ sources
@dataclass
class LedgerSource:
    """One ledger found by `discover`: its canonical name, where it is, and a re-iterable row stream."""

    ledger: str  # canonical English ledger name
    file: str  # display name: '人员.csv' or '台账.xlsx[人员]'
    columns: list[str]  # canonical keys of the columns present, in LEDGERS order
    headers: dict[str, str] = field(default_factory=dict)  # key -> header as the user wrote it
    issues: list[LedgerIssue] = field(default_factory=list)  # latest rows() pass without a list of its own
    _reader: _Reader | None = field(default=None, repr=False)
    _positions: dict[str, int] = field(default_factory=dict, repr=False)

    def header(self, key: str) -> str:
        """The header the user wrote for `key`, or the template header when the column is absent."""
        return self.headers.get(key) or LEDGERS[self.ledger].column(key).zh

    def rows(self, issues: list[LedgerIssue] | None = None) -> Iterator[tuple[int, dict[str, str]]]:
        """(spreadsheet row, {key: text}) for every non-empty data row, reading the file anew each call.

        Every key of the ledger is present; a column the file lacks reads as ''. Problems met while
        streaming (undecodable bytes, formulas, numbers that lost digits, an unreadable rest of the file)
        are appended to `issues`, or to `self.issues` (reset at the start of the pass) when none is given.
        """
        if self._reader is None:
            raise RuntimeError("LedgerSource has no reader: create it with discover()")
        sink = self.issues if issues is None else issues
        if issues is None:
            self.issues.clear()
        spec = LEDGERS[self.ledger]
        plan = [(k, self._positions[k], spec.column(k)) for k in self.columns]
        first_key = min(plan, key=lambda p: p[1])[0] if plan else None  # where an example row is marked
        blank = dict.fromkeys(spec.keys, "")
        reader = self._reader
        try:
            for n, raw in reader.records():
                if n == 1:
                    continue
                cells = dict(blank)
                found: list[LedgerIssue] = []
                for key, pos, col in plan:
                    text, why = reader.convert(raw[pos] if pos < len(raw) else None, col)
                    text, why2 = _clean(text, col)
                    cells[key] = text
                    if why or why2:
                        found.append(LedgerIssue(self.file, n, self.headers[key], text, why or why2 or ""))
                if not any(cells.values()):
                    continue  # an empty row, or content only in ignored columns
                if first_key is not None and cells[first_key].startswith(EXAMPLE_MARK):
                    sink.append(
                        LedgerIssue(
                            self.file,
                            n,
                            None,
                            None,
                            f"模板的示例行（以{EXAMPLE_MARK}开头），已跳过、不导入",
                            "warning",
                        )
                    )
                    continue
                sink.extend(found)
                yield n, cells
        except _Unreadable as e:
            sink.append(LedgerIssue(self.file, e.row, None, None, e.reason))


# ------------------------------------------------------------------------------------------ mapping file
UserAliases = dict[str, dict[str, str | None]]  # ledger -> normalised header -> key (None: ignore)


def _load_mapping(path: Path, issues: list[LedgerIssue]) -> UserAliases:
    """Read a mapping file: JSON {"人员": {"证件号": "身份证号"}, "*": {"备注": null}}.

    Keys are ledger names (Chinese or English) or "*" for every ledger; inside, the user's header maps
    to a known header, an alias or a canonical key, or to null to ignore that column without a warning.
    """
    name = path.name

    def bad(reason: str) -> UserAliases:
        issues.append(LedgerIssue(name, None, None, None, reason))
        return {}

    try:
        data = path.read_bytes()
    except OSError as e:
        return bad(f"无法读取列名映射文件：{e.strerror or e}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        return bad(f"列名映射文件不是有效的 JSON（第{e.lineno}行第{e.colno}列：{e.msg}），请改正")
    example = '例如 {"人员": {"证件号": "身份证号"}, "*": {"备注": null}}'
    if not isinstance(doc, dict):
        return bad("列名映射文件应为一个 JSON 对象，" + example)
    per_ledger: UserAliases = {s: {} for s in LEDGERS}
    star: dict[str, str | None] = {}  # their header -> target, for every ledger
    for ledger_name, entries in doc.items():
        ledger = "*" if ledger_name == "*" else ledger_for_name(str(ledger_name))
        if ledger is None:
            bad(f"列名映射中的台账名称「{ledger_name}」未知，可用的名称：{_ALLOWED_NAMES}，或 * 表示所有台账")
            continue
        if not isinstance(entries, dict) or not all(isinstance(v, str | None) for v in entries.values()):
            bad(f'列名映射「{ledger_name}」应为 {{"你的列名": "台账列名"}}，' + example)
            continue
        for theirs, target in entries.items():
            if ledger == "*":
                star[theirs] = target
                continue
            spec = LEDGERS[ledger]
            key = spec.lookup.get(_match_key(target)) if target else None
            if target and key is None:
                bad(
                    f"列名映射「{ledger_name}」中「{theirs}」→「{target}」：{spec.zh}台账没有这一列，"
                    f"可用的列：{'、'.join(c.zh for c in spec.columns)}"
                )
                continue
            per_ledger[ledger][_match_key(theirs)] = key
    for theirs, target in star.items():
        hits = 0
        for spec in LEDGERS.values():
            key = spec.lookup.get(_match_key(target)) if target else None
            if target and key is None:
                continue
            hits += 1
            per_ledger[spec.name].setdefault(_match_key(theirs), key)  # a ledger's own entry wins
        if not hits:
            bad(f"列名映射「*」中「{theirs}」→「{target}」：没有任何台账有这一列")
    return per_ledger


# ------------------------------------------------------------------------------------------ headers
@dataclass
class _Header:
    positions: dict[str, int] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)  # (header, first header, key)


def _resolve_header(spec: LedgerSpec, cells: Sequence[str], user: dict[str, str | None]) -> _Header:
    h = _Header()
    for pos, raw in enumerate(cells):
        text = _clean_header(raw)
        if not text:
            continue  # trailing empty columns are common in exported CSV
        m = _match_key(text)
        if m in user:
            key = user[m]
            if key is None:
                continue  # the user asked to ignore this column
        elif m in spec.lookup:
            key = spec.lookup[m]
        else:
            h.unknown.append(text)
            continue
        if key in h.positions:
            h.duplicates.append((text, h.written[key], key))
            continue
        h.positions[key], h.written[key] = pos, text
    return h


# ------------------------------------------------------------------------------------------ discovery
_SPREADSHEET_SUFFIXES = (".xls", ".xlsb", ".xlsm", ".et", ".ods", ".numbers", ".wps")


def _peek(reader: _Reader) -> tuple[list[list[str]], bool]:
    """The first rows as text (header and a few after it), and whether any data row is non-empty."""
    first: list[list[str]] = []
    has_data = False
    try:
        for n, raw in reader.records():  # numbered 1, 2, 3, ... without gaps
            texts = [_clean(reader.convert(c, None)[0], None)[0] for c in raw]
            if n <= 6:
                first.append(texts)
            if n >= 2 and any(texts):
                has_data = True
            if has_data and n >= 6:
                break
    except _Unreadable as e:
        e.peeked = (first, has_data)
        raise
    return first, has_data


def _open_source(
    ledger: str, file: str, reader: _Reader, user: UserAliases, issues: list[LedgerIssue]
) -> LedgerSource | None:
    spec = LEDGERS[ledger]

    def err(reason: str, row: int | None = 1, column: str | None = None, value: str | None = None) -> None:
        issues.append(LedgerIssue(file, row, column, value, reason))

    try:
        first, has_data = _peek(reader)
    except _Unreadable as e:
        if e.row is None or e.row <= 1:
            err(e.reason, e.row)
            return None
        # The header was read: the broken row is reported, with its number, when the rows are read.
        first, has_data = e.peeked
    if not has_data and not any(any(r) for r in first):
        what = "文件" if file.endswith(".csv") else "工作表"
        err(f"{what}为空，请填写表头和数据，或删除该{what}", None)
        return None
    if not any(first[0]):
        err("第1行（表头）为空：第1行必须是表头，请删除表头上方的空行")
        return None
    user_map = user.get(ledger, {})
    head = _resolve_header(spec, first[0], user_map)
    if not head.positions:
        later = next(
            (
                i + 1
                for i, r in enumerate(first[1:], start=1)
                if len(_resolve_header(spec, r, user_map).positions) >= 2
            ),
            None,
        )
        hint = (
            f"表头似乎在第{later}行：请删除它上方的标题行，让表头在第1行"
            if later
            else "请检查第1行是否为表头"
        )
        err(
            f"第1行没有可识别的{spec.zh}台账列名，{hint}。本台账的列：{'、'.join(c.zh for c in spec.columns)}"
        )
        return None
    ok = True
    for text, earlier, key in head.duplicates:
        ok = False
        err(f"与列「{earlier}」重复（都表示「{spec.column(key).zh}」），请删除或改名其中一列", column=text)
    for col in spec.columns:
        if col.required and col.key not in head.positions:
            ok = False
            also = f"（也可写作：{'、'.join(col.aliases)}）" if col.aliases else ""
            err(f"缺少必填列「{col.zh}」{also}，请在第1行表头中补上", column=col.zh)
    if head.unknown:
        issues.append(
            LedgerIssue(
                file,
                1,
                None,
                None,
                f"忽略未知列：{'、'.join(head.unknown)}（如果它们就是台账中的列，请改成标准列名，或写进列名映射文件）",
                "warning",
            )
        )
    if not ok:
        return None
    if not has_data:
        issues.append(LedgerIssue(file, None, None, None, "只有表头，没有数据", "warning"))
    columns = [k for k in spec.keys if k in head.positions]
    return LedgerSource(ledger, file, columns, dict(head.written), _reader=reader, _positions=head.positions)


@dataclass
class _Discovery:
    user: UserAliases
    max_csv_bytes: int
    max_xlsx_bytes: int
    issues: list[LedgerIssue] = field(default_factory=list)
    sources: dict[str, LedgerSource] = field(default_factory=dict)

    def error(self, file: str, reason: str, level: str = "error") -> None:
        self.issues.append(LedgerIssue(file, None, None, None, reason, level))

    def add(self, source: LedgerSource | None) -> None:
        if source is None:
            return
        first = self.sources.get(source.ledger)
        if first is not None:
            # Keep the first so later references still resolve; the error stops the import anyway.
            self.error(
                source.file,
                f"{LEDGERS[source.ledger].zh}台账出现了两次（{first.file} 和 {source.file}），请只保留一个",
            )
            return
        self.sources[source.ledger] = source

    def too_big(self, path: Path, limit: int, advice: str) -> bool:
        size = path.stat().st_size
        if size > limit:
            self.error(path.name, f"文件过大（{_size(size)}，上限 {_size(limit)}），{advice}")
            return True
        return False

    def csv_file(self, path: Path, ledger: str) -> None:
        if self.too_big(path, self.max_csv_bytes, "请拆分成几个较小的文件分批导入"):
            return
        sniffed = _sniff_csv(path)
        if isinstance(sniffed, str):
            self.error(path.name, sniffed)
            return
        reader = _CsvReader(path, *sniffed)
        self.add(_open_source(ledger, path.name, reader, self.user, self.issues))

    def xlsx_file(self, path: Path) -> None:
        if self.too_big(path, self.max_xlsx_bytes, "请拆分或改用 CSV"):
            return
        if path.stat().st_size == 0:
            self.error(path.name, "文件为空，请填写表头和数据，或删除该文件")
            return
        try:
            wb = _load_workbook(path)
        except _Unreadable as e:
            self.error(path.name, e.reason)
            return
        try:
            self._workbook(path, wb)
        finally:
            if not any(
                isinstance(s._reader, _XlsxReader) and s._reader.workbook is wb for s in self.sources.values()
            ):
                wb.close()  # no source reads from it

    def _workbook(self, path: Path, wb: Any) -> None:
        sheets = [ws.title for ws in wb.worksheets]  # chart sheets are not worksheets
        own = ledger_for_name(path.stem)
        if own is not None:
            # One ledger per file: its sheet is the one named after it, else the first one.
            sheet = next((s for s in sheets if ledger_for_name(s) == own), sheets[0] if sheets else None)
            if sheet is None:
                self.error(path.name, "工作簿中没有工作表，请填写表头和数据")
                return
            others = [
                s for s in sheets if s != sheet and s not in TEMPLATE_SHEETS and self._has_content(wb, s)
            ]
            if others:
                self.error(
                    path.name,
                    f"只读取了工作表「{sheet}」，忽略了其他工作表：{'、'.join(others)}"
                    "（如要一个工作簿导入多个台账，请把文件改名，例如 台账.xlsx）",
                    "warning",
                )
            file = path.name if len(sheets) == 1 else f"{path.name}[{sheet}]"
            self._sheet(path, wb, own, sheet, file)
            return
        known = [(s, ledger_for_name(s)) for s in sheets]
        if not any(ledger for _, ledger in known):
            self.error(
                path.name,
                f"未知台账名称：文件名「{path.stem}」和其中的工作表名（{'、'.join(sheets) or '无'}）"
                "都不是台账名称。"
                f"文件名或工作表名应为以下之一：{_ALLOWED_NAMES}",
            )
            return
        for sheet, ledger in known:
            file = f"{path.name}[{sheet}]"
            if ledger is not None:
                self._sheet(path, wb, ledger, sheet, file)
            elif sheet in TEMPLATE_SHEETS:
                continue  # a template's instructions and code lists
            elif self._has_content(wb, sheet):
                self.error(file, f"未知台账名称「{sheet}」：工作表名应为以下之一：{_ALLOWED_NAMES}")
            # an empty, unnamed sheet (Excel's default Sheet2, Sheet3) is not a ledger: skipped

    @staticmethod
    def _has_content(wb: Any, sheet: str) -> bool:
        try:
            for n, row in enumerate(wb[sheet].iter_rows(values_only=True), start=1):
                if any(v not in (None, "") for v in row):
                    return True
                if n >= 5:
                    break
        except Exception:  # a broken extra sheet is reported only if it is read as a ledger
            return True
        return False

    def _sheet(self, path: Path, wb: Any, ledger: str, sheet: str, file: str) -> None:
        source = _open_source(ledger, file, _XlsxReader(path, sheet, wb), self.user, self.issues)
        if source is None:
            return
        try:
            merged = _merged_ranges(path, wb[sheet]._worksheet_path)
        except (OSError, KeyError, zipfile.BadZipFile, AttributeError):
            merged = []  # the sheet was readable; a missing merge list is no reason to fail
        by_pos = {pos: source.headers[k] for k, pos in source._positions.items()}
        for ref in merged:
            row, col = _column_index(ref)
            self.issues.append(
                LedgerIssue(file, row, by_pos.get(col), None, f"合并单元格 {ref}，请取消合并并填满每一格")
            )
        self.add(source)

    def file(self, path: Path, explicit: bool) -> None:
        try:
            self._file(path, explicit)
        except OSError as e:  # unreadable (permissions, vanished): the user can fix it, so report it
            self.error(path.name, f"无法读取文件：{e.strerror or e}")

    def _file(self, path: Path, explicit: bool) -> None:
        name = path.name
        if name.startswith((".", "~$")):
            return  # hidden files and the lock files Excel/WPS keep next to an open workbook
        if path.is_dir():
            self.error(name, "忽略子文件夹（只读取所选文件夹中的文件）", "warning")
            return
        suffix = path.suffix.lower()
        if suffix == ".csv":
            ledger = ledger_for_name(path.stem)
            if ledger is None:
                self.error(name, f"未知台账名称「{path.stem}」：文件名应为以下之一：{_ALLOWED_NAMES}")
            else:
                self.csv_file(path, ledger)
        elif suffix == ".xlsx":
            self.xlsx_file(path)
        elif suffix in _SPREADSHEET_SUFFIXES:
            self.error(name, f"不支持 {suffix} 格式：请用表格软件另存为 .xlsx，或 UTF-8 的 CSV")
        elif explicit:
            self.error(name, "只能导入 .csv 或 .xlsx 文件，或包含它们的文件夹")
        else:
            self.error(name, "忽略：不是 .csv 或 .xlsx 文件", "warning")


def discover(
    path: Path,
    *,
    mapping_file: Path | None = None,
    max_csv_bytes: int = MAX_CSV_BYTES,
    max_xlsx_bytes: int = MAX_XLSX_BYTES,
) -> tuple[list[LedgerSource], list[LedgerIssue]]:
    """Find the ledgers in a folder, a workbook or a single ledger file, and read their headers.

    Returns the usable sources (in LEDGERS order, at most one per ledger) and every problem found so far.
    A file whose header cannot be used (missing required column, duplicate column) yields no source.
    Rows are read later, by `LedgerSource.rows`.
    """
    path = Path(path)
    d = _Discovery({}, max_csv_bytes, max_xlsx_bytes)
    if mapping_file is not None:
        d.user = _load_mapping(Path(mapping_file), d.issues)
    if not path.exists():
        d.error(str(path), "找不到该文件或文件夹，请检查路径")
        return [], d.issues
    if path.is_dir():
        for child in sorted(path.iterdir()):
            d.file(child, explicit=False)
        if not d.sources and not any(i.level == "error" for i in d.issues):
            d.error(
                path.name or str(path),
                "文件夹中没有台账文件：应为以台账名称命名的 .csv 或 .xlsx，如 人员.csv。"
                f"可用的名称：{_ALLOWED_NAMES}",
            )
    else:
        d.file(path, explicit=True)
    return [d.sources[k] for k in LEDGERS if k in d.sources], d.issues
