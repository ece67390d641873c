# SPDX-License-Identifier: MIT
"""A minimal writer of cpio "newc" archives (the format Linux unpacks as initramfs), enough
for a small extra layer appended to the cached initramfs: Linux unpacks concatenated
(separately compressed) archives in order, later files replacing earlier ones."""

import gzip

TRAILER = "TRAILER!!!"


def _pad4(n):
    return (4 - n % 4) % 4


def _entry(name, mode, data, ino):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = hdr + name_b + b"\0" * _pad4(len(hdr) + len(name_b))
    return out + data + b"\0" * _pad4(len(data))


def newc(files):
    """files: list of (path without leading '/', mode incl. type bits, bytes)."""
    out = b""
    for ino, (name, mode, data) in enumerate(files, start=1):
        out += _entry(name, mode, data, ino)
    return out + _entry(TRAILER, 0, b"", 0)


def gz_layer(files):
    """A gzip-compressed newc archive of `files` (deterministic: mtime 0)."""
    return gzip.compress(newc(files), mtime=0)


S_IFDIR = 0o040000
S_IFREG = 0o100000
