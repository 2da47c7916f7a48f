"""Draws viz/static/favicon.ico: a red rounded square with three linked white nodes (a PNG inside an ICO).

    python tools/make_favicon.py

Pure Python (no image library), so the icon can be redrawn anywhere; the output is deterministic.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

SIZE = 32
RED = (193, 18, 31, 255)
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)
NODES = [(16.0, 9.0), (8.5, 22.0), (23.5, 22.0)]
OUT = Path(__file__).resolve().parent.parent / "viz" / "static" / "favicon.ico"


def pixel(x: int, y: int) -> tuple[int, int, int, int]:
    cx, cy = x + 0.5, y + 0.5
    corner = 6
    dx = max(corner - cx, 0, cx - (SIZE - corner))
    dy = max(corner - cy, 0, cy - (SIZE - corner))
    if dx * dx + dy * dy > corner * corner:
        return CLEAR
    if any((cx - nx) ** 2 + (cy - ny) ** 2 <= 3.6**2 for nx, ny in NODES):
        return WHITE
    for (ax, ay), (bx, by) in [(NODES[0], NODES[1]), (NODES[0], NODES[2]), (NODES[1], NODES[2])]:
        vx, vy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((cx - ax) * vx + (cy - ay) * vy) / (vx * vx + vy * vy)))
        if math.hypot(cx - ax - t * vx, cy - ay - t * vy) <= 1.1:
            return WHITE
    return RED


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png() -> bytes:
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(SIZE)) for y in range(SIZE))
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


def ico() -> bytes:
    image = png()
    directory = struct.pack("<BBBBHHII", SIZE, SIZE, 0, 0, 1, 32, len(image), 6 + 16)
    return struct.pack("<HHH", 0, 1, 1) + directory + image


if __name__ == "__main__":
    OUT.write_bytes(ico())
    print(OUT)
