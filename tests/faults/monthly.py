"""A month's edit of small_ledgers() for the incremental-load tests: 5 phones edited, the 3 contact points
ended on 2026-11-30, 2 residents moved to other existing households."""

from __future__ import annotations

import copy

from faults.ledgers import Ledgers, small_ledgers

PHONE, CONTACT_END, HOUSEHOLD, BUILDING = "手机号", "结束日期", "户号", "居住楼栋编码"


def base_ledgers() -> Ledgers:
    """small_ledgers() with a phone for everyone (so that five can be edited)."""
    led = small_ledgers()
    for i, row in enumerate(led["人员"]):
        row[PHONE] = f"1390000{i:04d}"
    return led


def edited(led: Ledgers) -> Ledgers:
    """Five phones edited, the three contact points ended, two residents moved to other existing
    households."""
    new = copy.deepcopy(led)
    people = new["人员"]
    for i in (0, 2, 4, 6, 8):
        people[i][PHONE] = f"1370000{i:04d}"
    for row in new["联系点"]:
        row[CONTACT_END] = "2026-11-30"
    people[1][BUILDING], people[1][HOUSEHOLD] = "B2", "201"  # was B1-102
    people[3][BUILDING], people[3][HOUSEHOLD] = "B1", "101"  # was B3-301
    return new
