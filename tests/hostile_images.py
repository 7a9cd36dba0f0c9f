"""Image files an attacker (or an unlucky client) sends, written byte by byte."""

from __future__ import annotations

import struct
import zlib

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _header(width: int, height: int) -> bytes:
    """An 8-bit grayscale IHDR chunk."""
    return _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))


def declared_png(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header declares ``width`` x ``height`` pixels; its
    pixel data is one compressed empty row, so only the header is honest."""
    return (
        _SIGNATURE
        + _header(width, height)
        + _chunk(b"IDAT", zlib.compress(b"\0\0"))
        + _chunk(b"IEND", b"")
    )


def blank_png(width: int, height: int) -> bytes:
    """A real, valid black PNG of ``width`` x ``height`` pixels, compressed row by row (a
    13000 x 13000 one is about 160 KB here and 169 MB once decoded)."""
    compressor = zlib.compressobj(9)
    row = b"\0" * (width + 1)  # filter byte 0, then the pixels
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return _SIGNATURE + _header(width, height) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")
