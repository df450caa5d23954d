#!/usr/bin/env python3
"""Writes data/tz_countries.tsv: IANA time zone name -> ISO 3166 country.

    python3 scripts/gen-tz-countries.py [/usr/share/zoneinfo] > data/tz_countries.tsv

Source: the tz database (public domain) as installed by Debian's tzdata:
zone.tab gives each canonical zone its country; a name that is a link (say
Asia/Calcutta, which browsers still report, for Asia/Kolkata) is given the
country of the one canonical zone whose compiled file it is identical to, and
left out where that is not exactly one country. Zones of no country (Etc/UTC,
EST5EDT…) are left out: the device's time zone then says nothing.
"""

import hashlib
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/zoneinfo"


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


zones = {}
for line in open(os.path.join(root, "zone.tab"), encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    cc, _, name = line.split("\t")[:3]
    zones[name.strip()] = cc

by_digest = {}
for name, cc in zones.items():
    path = os.path.join(root, name)
    if os.path.isfile(path):
        by_digest.setdefault(digest(path), set()).add(cc)

out = dict(zones)
for dirpath, dirnames, filenames in os.walk(root):
    rel_dir = os.path.relpath(dirpath, root)
    if rel_dir.split(os.sep)[0] in ("posix", "right", "Etc", "SystemV"):
        continue
    for fn in filenames:
        name = os.path.normpath(os.path.join(rel_dir, fn))
        if name in out or "." in fn or name.startswith("."):
            continue
        path = os.path.join(dirpath, fn)
        with open(path, "rb") as f:
            if f.read(4) != b"TZif":
                continue
        ccs = by_digest.get(digest(path), set())
        if len(ccs) == 1:
            out[name] = next(iter(ccs))

print("# IANA time zone -> ISO 3166-1 country, from the tz database (public domain);")
print("# made by scripts/gen-tz-countries.py from Debian's tzdata. Links resolved.")
for name in sorted(out):
    print(f"{name}\t{out[name]}")
