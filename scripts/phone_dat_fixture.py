#!/usr/bin/env python3
"""Cut a tiny phone.dat out of the real one, for crates/numbering/tests/fixtures.

usage: scripts/phone_dat_fixture.py PHONE_DAT OUT [PREFIX ...]

Keeps the given seven-digit prefixes (default: a few that the tests name)
with their records and card types, in phone.dat's own format: header `<4si`,
NUL-terminated `province|city|zip|area_code` records, `<iiB` index entries.
"""
import struct
import sys

DEFAULT = [1300000, 1349000, 1380013, 1521147, 1541183, 1620185, 1703000, 1920000, 1990011]


def main():
    src, out = sys.argv[1], sys.argv[2]
    wanted = [int(p) for p in sys.argv[3:]] or DEFAULT
    buf = open(src, "rb").read()
    version, first = struct.unpack("<4si", buf[:8])
    index = {}
    for at in range(first, len(buf), 9):
        prefix, offset, card = struct.unpack("<iiB", buf[at:at + 9])
        index[prefix] = (buf[offset:buf.index(b"\0", offset)], card)
    records, entries = [], []
    for prefix in sorted(wanted):
        record, card = index[prefix]
        if record not in records:
            records.append(record)
        entries.append((prefix, records.index(record), card))
    body = b"".join(r + b"\0" for r in records)
    offsets = []
    at = 8
    for r in records:
        offsets.append(at)
        at += len(r) + 1
    with open(out, "wb") as f:
        f.write(struct.pack("<4si", version, 8 + len(body)))
        f.write(body)
        for prefix, record, card in entries:
            f.write(struct.pack("<iiB", prefix, offsets[record], card))


if __name__ == "__main__":
    main()
