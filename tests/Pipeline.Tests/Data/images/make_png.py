#!/usr/bin/env python3
"""Writes the synthetic PNG fixtures with the standard library only (an encoder independent of libvips).
Pixel formulas are repeated in tests/Pipeline.Tests/Imaging/Fixtures.cs; keep the two in step."""
import struct, zlib

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

def png(path, width, height, colour_type, depth, pixel):
    """pixel(x, y) -> tuple of samples; colour_type 0 gray, 2 RGB, 4 gray+alpha, 6 RGBA."""
    fmt = ">H" if depth == 16 else ">B"
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            for s in pixel(x, y):
                rows += struct.pack(fmt, s)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))

# 16-bit RGB: most values are not multiples of 257, so an 8-bit bottleneck anywhere would show.
png("rgb16-gradient.png", 64, 48, 2, 16, lambda x, y: (
    (x * 1031 + y * 17 + 5) % 65536, (y * 1297 + x * 3 + 11) % 65536, 65535 - (x * 701 + y * 409) % 65536))
png("gray8.png", 32, 24, 0, 8, lambda x, y: ((x * 7 + y * 13) % 256,))
png("graya16.png", 20, 10, 4, 16, lambda x, y: ((x * 3001 + y * 97) % 65536, (y * 6007 + x * 11 + 1) % 65536))
png("rgba8.png", 40, 30, 6, 8, lambda x, y: (x * 6, y * 8, 128, (x + y * 40) % 256))
png("tiny-1x1.png", 1, 1, 2, 8, lambda x, y: (10, 20, 30))
png("tiny-2x3.png", 2, 3, 2, 8, lambda x, y: (x * 100, y * 50, 7))

# A valid header claiming 100000×100000 RGB pixels with a one-row IDAT: the decoder must refuse it from the
# header alone, before libvips allocates or decodes anything.
ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
with open("huge-header.png", "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 301)) + chunk(b"IEND", b""))
