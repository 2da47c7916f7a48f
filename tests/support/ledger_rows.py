"""Pieces of ledger rows the fixture cities share."""

from __future__ import annotations

# A 人员 row's optional cells, blank: a fixture city's people start from it (`{**PERSON_BLANKS, …}`).
PERSON_BLANKS: dict[str, str] = {
    "性别": "",
    "手机号": "",
    "政治面貌": "群众",
    "党组织编码": "",
    "工作单位编码": "",
    "居住楼栋编码": "",
    "户号": "",
    "标签": "",
}
