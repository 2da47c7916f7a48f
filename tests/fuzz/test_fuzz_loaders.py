"""A bounded fuzz run of the loaders on mutated ledgers: no crash, no traceback, no partial write.

A small valid ledger folder (all eleven ledgers) is mutated with a fixed seed — bytes flipped, inserted or
cut, cells replaced by hostile values, headers renamed, duplicated or dropped, files re-encoded, renamed,
deleted or turned into xlsx — and imported, alternately into a store holding the original ledgers and into
an empty one. Every import must end in an ImportReport (any exception fails the run). A report with errors
must leave the store exactly as it was; a clean one must not double anything and must be idempotent.
"""

from __future__ import annotations

import csv
import io
import os
import random
import subprocess
import sys
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from faults.content import TEST_PID_KEY, snapshot, write_ledgers
from faults.ledgers import copy_folder, small_ledgers
from orggraph.graph.backup import backup, restore
from orggraph.graph.falkor import FalkorStore
from orggraph.loaders.importer import import_ledgers

SEED = 2026
ITERATIONS = 200

HOSTILE_CELLS = [
    "", " ", "\u3000", "\ufeff", "\x00", "\x1f", "\r", "\n", '"', "'", "`", "\\", "\\'", "${x}", "$rows",
    '"}) DETACH DELETE n //', "') DETACH DELETE n //", "x` DETACH DELETE n //", "1; MATCH (n) DETACH DELETE n",
    "=1+1", "=HYPERLINK(\"http://x\")", "-1", "0", "1.5", "1e10", "NaN", "inf", "99999999999999999999",
    "１２３", "٣", "2023-02-30", "2023/13/1", "9999-12-31", "0001-01-01", "2023年5月1日", "2023-05-01 00:00:00",
    "中共党员", "群众", "党员", "单位", "楼栋长", "专职网格员", "区委区政府班子", "居民网格", "专属网格",
    "G1", "G2", "C1", "B1", "P0", "P1", "P2", "520603001", "11010519491231002X", "11010519491231002x",
    "11010519491231002", "91350100M000100Y43", "91350100M000100Y44", "𠀀𪚥", "A" * 300, "长" * 4001,
    "、,;，；", "志愿者;;、、", "\t13800000000\t", "+8613800000000",
]  # fmt: skip
HOSTILE_HEADERS = [
    "身份证号' OR 1=1", "身份证号*", "*身份证号", "　身份证号　", "身份证号码", "公民身份号码", "证件号码", "ＩＤ",
    "姓 名", "网格编码", "网格编号", "id_number", "ID_NUMBER", "`name`", '"姓名"', "name}) DETACH DELETE n //", "",
    "区县", "区", "户数", "人口", "开始日期", "结束日期", "未知列",
]  # fmt: skip


# ----------------------------------------------------------------------------------------- mutations
def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file())


def _rows(path: Path) -> list[list[str]] | None:
    try:
        return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error):
        return None


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def flip_bytes(rng: random.Random, folder: Path) -> str:
    p = rng.choice(_files(folder))
    data = bytearray(p.read_bytes())
    for _ in range(rng.randint(1, 6)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    p.write_bytes(bytes(data))
    return f"flip bytes in {p.name}"


def insert_bytes(rng: random.Random, folder: Path) -> str:
    p = rng.choice(_files(folder))
    data = p.read_bytes()
    at = rng.randint(0, len(data))
    junk = rng.choice(
        [b"\x00", b"\r", b'"', b"\xff\xfe", b"\xe4\xb8", b",,,,", b"\n\n", os.urandom(rng.randint(1, 20))]
    )
    p.write_bytes(data[:at] + junk + data[at:])
    return f"insert {junk!r} into {p.name}@{at}"


def truncate(rng: random.Random, folder: Path) -> str:
    p = rng.choice(_files(folder))
    data = p.read_bytes()
    at = rng.randint(0, len(data))
    p.write_bytes(data[:at])
    return f"truncate {p.name} at {at}"


def cell(rng: random.Random, folder: Path) -> str:
    p = rng.choice(_files(folder))
    rows = _rows(p)
    if not rows or len(rows) < 2:
        return "cell: nothing"
    r = rng.randrange(1, len(rows))
    if not rows[r]:
        return "cell: empty row"
    c = rng.randrange(len(rows[r]))
    value = (
        rng.choice(HOSTILE_CELLS)
        if rng.random() < 0.8
        else "".join(chr(rng.randrange(1, 0x3000)) for _ in range(5))
    )
    rows[r][c] = value
    _write_rows(p, rows)
    return f"cell {p.name}[{r}][{rows[0][c] if c < len(rows[0]) else c}] = {value[:30]!r}"


def header(rng: random.Random, folder: Path) -> str:
    p = rng.choice(_files(folder))
    rows = _rows(p)
    if not rows or not rows[0]:
        return "header: nothing"
    c = rng.randrange(len(rows[0]))
    how = rng.choice(["rename", "drop", "duplicate", "swap"])
    old = rows[0][c]
    if how == "rename":
        rows[0][c] = rng.choice(HOSTILE_HEADERS)
    elif how == "drop":
        for row in rows:
            if c < len(row):
                del row[c]
    elif how == "duplicate":
        for row in rows:
            if c < len(row):
                row.append(row[c])
    else:
        d = rng.randrange(len(rows[0]))
        rows[0][c], rows[0][d] = rows[0][d], rows[0][c]
    _write_rows(p, rows)
    return f"header {how} {p.name}:{old!r} → {rows[0][c] if c < len(rows[0]) else ''!r}"


def encoding(rng: random.Random, folder: Path) -> str:
    p = rng.choice(_files(folder))
    text = p.read_bytes().decode("utf-8-sig", errors="replace")
    enc = rng.choice(["gb18030", "utf-16", "utf-8-sig", "big5", "shift_jis", "latin-1", "utf-32"])
    p.write_bytes(text.encode(enc, errors="replace"))
    return f"re-encode {p.name} as {enc}"


def rows_shuffle(rng: random.Random, folder: Path) -> str:
    p = rng.choice(_files(folder))
    rows = _rows(p)
    if not rows or len(rows) < 2:
        return "rows: nothing"
    how = rng.choice(["duplicate", "delete", "blank", "reverse", "header twice"])
    body = rows[1:]
    if how == "duplicate":
        body.append(rng.choice(body))
    elif how == "delete":
        body.pop(rng.randrange(len(body)))
    elif how == "blank":
        body.insert(rng.randrange(len(body) + 1), [])
    elif how == "reverse":
        body.reverse()
    else:
        body.insert(0, rows[0])
    _write_rows(p, [rows[0], *body])
    return f"rows {how} in {p.name}"


def files(rng: random.Random, folder: Path) -> str:
    p = rng.choice(_files(folder))
    how = rng.choice(["delete", "unknown name", "xlsx suffix", "empty", "english name", "subfolder"])
    if how == "delete":
        p.unlink()
    elif how == "unknown name":
        p.rename(p.with_name("网格台账2.csv"))
    elif how == "xlsx suffix":
        p.rename(p.with_suffix(".xlsx"))
    elif how == "empty":
        p.write_bytes(b"")
    elif how == "english name":
        english = {"网格": "grids", "人员": "People", "单位": "units台账"}.get(p.stem, "party_orgs")
        p.rename(p.with_name(f"{english}.csv"))
    else:
        (folder / "人员").mkdir(exist_ok=True)
    return f"file {how}: {p.name}"


def to_xlsx(rng: random.Random, folder: Path) -> str:
    from openpyxl import Workbook

    p = rng.choice([f for f in _files(folder) if f.suffix == ".csv"] or _files(folder))
    rows = _rows(p)
    if rows is None:
        return "xlsx: unreadable"
    wb = Workbook()
    ws = wb.active
    ws.title = p.stem
    for row in rows:
        ws.append([int(v) if v.isdigit() and len(v) > 15 and rng.random() < 0.5 else v for v in row])
    trick = rng.choice(["formula", "merge", "date", "none"])
    if len(rows) > 2 and rows[1]:
        if trick == "formula":
            ws.cell(row=2, column=1, value="=A3")
        elif trick == "merge":
            ws.merge_cells(start_row=2, start_column=1, end_row=3, end_column=1)
        elif trick == "date":
            import datetime as dt

            ws.cell(row=2, column=1, value=dt.datetime(2023, 5, 1))
    wb.save(p.with_suffix(".xlsx"))
    p.unlink()
    return f"xlsx {p.name} ({trick})"


MUTATIONS: list[Callable[[random.Random, Path], str]] = [
    flip_bytes, insert_bytes, truncate, cell, cell, cell, header, header, encoding, rows_shuffle, files, to_xlsx,
]  # fmt: skip


# ------------------------------------------------------------------------------------------------ run
@pytest.fixture
def base(tmp_path: Path) -> Path:
    return write_ledgers(tmp_path / "base", small_ledgers())


def test_mutated_ledgers_never_crash_and_never_half_load(
    base: Path, falkor_data_dir: Path, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    loaded = FalkorStore.embedded(falkor_data_dir, f"t_{uuid.uuid4().hex[:12]}")
    empty = FalkorStore.embedded(falkor_data_dir, f"t_{uuid.uuid4().hex[:12]}")
    failures: list[str] = []
    outcomes = {"ok": 0, "errors": 0}
    try:
        loaded.ensure_schema()
        assert import_ledgers(base, loaded, pid_key=TEST_PID_KEY).ok
        backup(loaded, tmp_path / "baseline")
        baseline = snapshot(loaded)
        empty.ensure_schema()
        for i in range(ITERATIONS):
            store = loaded if i % 2 == 0 else empty
            before = baseline if store is loaded else snapshot(empty)
            folder = copy_folder(base, tmp_path / "mutated")
            done = [rng.choice(MUTATIONS)(rng, folder) for _ in range(rng.randint(1, 3))]
            where = f"#{i} ({'loaded' if store is loaded else 'empty'} store): " + "; ".join(done)
            try:
                report = import_ledgers(folder, store, pid_key=TEST_PID_KEY)
            except Exception:  # the point: nothing may escape as an exception
                failures.append(f"{where}\n{traceback.format_exc(limit=4)}")
                _reset(store, loaded, tmp_path)
                continue
            after = snapshot(store)
            if not report.ok:
                outcomes["errors"] += 1
                if after != before:
                    failures.append(
                        f"{where}: report has errors but the store changed:\n{before.diff(after)}"
                    )
                    _reset(store, loaded, tmp_path)
                continue
            outcomes["ok"] += 1
            doubled = after.doubled_relationships()
            if doubled:
                failures.append(f"{where}: doubled relationships {list(doubled)[:3]}")
            again = import_ledgers(folder, store, pid_key=TEST_PID_KEY)
            if not again.ok or snapshot(store) != after:
                failures.append(f"{where}: re-import is not idempotent")
            _reset(store, loaded, tmp_path)
    finally:
        for s in (loaded, empty):
            s.clear()
            s.close()
    print(f"fuzz outcomes: {outcomes}")
    assert not failures, f"{len(failures)} of {ITERATIONS} mutated imports failed:\n\n" + "\n\n".join(
        failures[:10]
    )
    # The run exercised both paths (a fuzz that only ever errors out tests little).
    assert outcomes["ok"] >= 10 and outcomes["errors"] >= 50, outcomes


def _reset(store: FalkorStore, loaded: FalkorStore, tmp_path: Path) -> None:
    if store is loaded:
        restore(loaded, tmp_path / "baseline")
    else:
        store.clear()
        store.ensure_schema()


def test_cli_never_prints_a_traceback_on_mutated_ledgers(base: Path, tmp_path: Path) -> None:
    """The same mutations through `orggraph load` (a few: each is a process): exit 0 or 2, never a
    traceback."""
    rng = random.Random(SEED + 1)
    env = {
        **os.environ,
        "ORGGRAPH_DATA_DIR": str(tmp_path / "data"),
        "ORGGRAPH_PID_KEY": TEST_PID_KEY.decode(),
    }
    with FalkorStore.embedded(tmp_path / "data", "orggraph") as s:
        # see tests/faults/test_reported.py: a load into a never-written graph fails otherwise
        s.ensure_schema()
    for i in range(6):
        folder = copy_folder(base, tmp_path / f"m{i}")
        done = [rng.choice(MUTATIONS)(rng, folder) for _ in range(2)]
        r = subprocess.run(
            [sys.executable, "-m", "orggraph", "load", str(folder), "--dry-run"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert "Traceback" not in r.stderr, f"{done}\n{r.stderr}"
        assert r.returncode in (0, 2), f"{done}: exit {r.returncode}\n{r.stderr}"
        if r.returncode == 2:
            assert "错误" in r.stderr
