#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The guest userland layer: programs from guests/linux-userland/ added to a Debian
kernel suite's cached initramfs (see guests/linux-userland/README.md).

  userland-layer.py layer --out build/userland/layer.cpio.gz BIN...
      A gzip'd cpio "newc" archive holding every BIN as /usr/bin/<basename> (mode 0755)
      and /etc/fv-userland ("<name> <sha256>" per program). The file is rewritten only
      when its bytes change, so make rebuilds what depends on it only then.

  userland-layer.py compose --cache CACHE_SUITE_DIR --layer LAYER --out build/images/<suite>
      <out>/initramfs.cpio.gz = CACHE/initramfs.cpio.gz followed by LAYER (Linux unpacks
      concatenated compressed archives in order), <out>/Image -> CACHE/Image (symlink), and
      <out>/manifest.txt: the cache manifest's package/suite lines plus the sha256 of the
      Image, the base and the layered initramfs and every program in the layer.
      The test configurations are compiled with `dtc -i <out>`.
"""

import argparse
import hashlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from fvbench import cpio  # noqa: E402  (the newc writer shared with the benchmarks)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def write_if_changed(path, data):
    path = Path(path)
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def cmd_layer(args):
    progs = []
    for b in sorted(args.bins, key=lambda p: Path(p).name):
        data = Path(b).read_bytes()
        if data[:4] != b"\x7fELF":
            sys.exit(f"userland-layer: {b} is not an ELF executable")
        progs.append((Path(b).name, data))
    names = [n for n, _ in progs]
    if len(set(names)) != len(names):
        sys.exit("userland-layer: two programs share a name")
    listing = "".join(f"{n} {sha256(d)}\n" for n, d in progs).encode()
    # Directory entries first: the base archive has them, but a layer must not depend on
    # that (Linux creates a file only inside an existing directory).
    files = [("usr", cpio.S_IFDIR | 0o755, b""), ("usr/bin", cpio.S_IFDIR | 0o755, b""),
             ("etc", cpio.S_IFDIR | 0o755, b""),
             ("etc/fv-userland", cpio.S_IFREG | 0o644, listing)]
    files += [(f"usr/bin/{n}", cpio.S_IFREG | 0o755, d) for n, d in progs]
    changed = write_if_changed(args.out, cpio.gz_layer(files))
    # The program list beside the layer, for compose's manifest.
    write_if_changed(Path(args.out).with_name("layer.txt"),
                     "".join(f"{n} {sha256(d)} {len(d)}\n" for n, d in progs).encode())
    print(f"userland-layer: {args.out}: {len(progs)} program(s)"
          f"{'' if changed else ' (unchanged)'}: {' '.join(names) or '-'}")


def read_manifest(path):
    lines = Path(path).read_text().splitlines()
    if "complete" not in lines:
        sys.exit(f"userland-layer: {path} is incomplete (run `make images`)")
    return lines


def cmd_compose(args):
    cache = Path(args.cache).resolve()
    out = Path(args.out)
    mlines = read_manifest(cache / "manifest.txt")
    files = {ln.split()[3]: ln.split()[1] for ln in mlines if ln.startswith("file ")}
    base = (cache / "initramfs.cpio.gz").read_bytes()
    if sha256(base) != files.get("initramfs.cpio.gz"):
        sys.exit(f"userland-layer: {cache}/initramfs.cpio.gz does not match its manifest")
    if not (cache / "Image").is_file() or "Image" not in files:
        sys.exit(f"userland-layer: {cache}/Image missing")
    layer = Path(args.layer).read_bytes()
    layered = base + layer
    out.mkdir(parents=True, exist_ok=True)
    img = out / "Image"
    if img.is_symlink() or img.exists():
        img.unlink()
    img.symlink_to(cache / "Image")
    write_if_changed(out / "initramfs.cpio.gz", layered)
    os.utime(out / "initramfs.cpio.gz")  # make: this target is now up to date
    keep = [ln for ln in mlines if ln and not ln.startswith(("#", "file ", "complete"))]
    progs = Path(args.layer).with_name("layer.txt")
    text = ["# Ferrovisor test images: a kernel suite's cache + the guest userland layer",
            *keep,
            f"cache-dir {cache}",
            f"file {files['Image']} {(cache / 'Image').stat().st_size} Image",
            f"base-initramfs {files['initramfs.cpio.gz']} {len(base)}",
            f"layer {sha256(layer)} {len(layer)}"]
    if progs.is_file():
        text += [f"userland {ln}" for ln in progs.read_text().splitlines() if ln]
    text += [f"file {sha256(layered)} {len(layered)} initramfs.cpio.gz", "complete"]
    write_if_changed(out / "manifest.txt", ("\n".join(text) + "\n").encode())
    print(f"userland-layer: {out}: {cache.name} kernel + layer ({len(layer)} bytes)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("layer")
    p.add_argument("--out", required=True)
    p.add_argument("bins", nargs="*")
    p = sub.add_parser("compose")
    p.add_argument("--cache", required=True)
    p.add_argument("--layer", required=True)
    p.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.cmd == "layer":
        cmd_layer(args)
    else:
        cmd_compose(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
