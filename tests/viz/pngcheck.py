"""Just enough PNG decoding (8-bit RGB/RGBA, non-interlaced: what Chromium writes) to tell a drawing from a
blank."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass


@dataclass
class Ink:
    width: int
    height: int
    colours: int  # distinct colours
    inked: float  # share of pixels that are not (near) white


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def decode(png: bytes) -> tuple[int, int, int, list[bytearray]]:
    """(width, height, bytes per pixel, rows) of an 8-bit truecolour PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    width = height = bpp = 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        data = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data)
            assert depth == 8 and colour in (2, 6) and interlace == 0, "unsupported PNG"
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytearray] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = prev[i]
            if f == 1:
                line[i] = (line[i] + left) & 0xFF
            elif f == 2:
                line[i] = (line[i] + up) & 0xFF
            elif f == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif f == 4:
                upleft = prev[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + _paeth(left, up, upleft)) & 0xFF
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def ink(png: bytes, step: int = 2) -> Ink:
    """Distinct colours and the share of non-white pixels, sampling every `step`-th pixel each way."""
    width, height, bpp, rows = decode(png)
    colours: set[tuple[int, ...]] = set()
    inked = total = 0
    for y in range(0, height, step):
        row = rows[y]
        for x in range(0, width, step):
            px = tuple(row[x * bpp : x * bpp + 3])
            colours.add(px)
            total += 1
            if min(px) < 235:
                inked += 1
    return Ink(width, height, len(colours), inked / total if total else 0.0)
