"""Headless Chromium for the page tests: the module-scoped `browser` fixture (a pytest plugin, loaded by
tests/conftest.py's `pytest_plugins`, so every test module gets it without importing it)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = ("127.0.0.1", "localhost")


def unavailable(reason: str) -> None:
    """Skip (locally) or fail (under CI=true) a test that needs the browser."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI 上必须能运行浏览器测试：{reason}")
    pytest.skip(reason)


def chromium() -> str:
    path = os.environ.get("ORGGRAPH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        unavailable("找不到 Chromium（Debian 的 chromium 包；./dev test 会安装）")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("未安装 playwright（pip 包）")
    path = chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()
