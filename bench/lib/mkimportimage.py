#!/usr/bin/python3
"""Writes the data layer tars of bench/image-file.sh's big image, of about SIZE MiB of file
data, deterministically (same bytes for the same SIZE and Python 3.9 or later).

usage: mkimportimage.py OUTDIR SIZE_MIB

Writes OUTDIR/layer-small.tar, layer-large.tar and layer-text.tar (pax, sorted names, owners
0, mtime fixed) under /data, and prints one line per layer: "FILE<TAB>ENTRIES<TAB>BYTES<TAB>WHAT":

  small   a quarter of SIZE in files of 0-32 KiB of text in directories of 100 (the many
          small files of a Python or Spack tree)
  large   45% of SIZE in files of 1-64 MiB of random bytes (weights, already compressed data)
  text    30% of SIZE in files of 4 MiB of text (compresses about like source code)

The base layer (busybox) is not made here: bench/image-file.sh tars scripts/busybox-rootfs.
"""
import io
import os
import random
import sys
import tarfile

from benchtext import Corpus

EPOCH = 1700000000
KIB = 1 << 10
MIB = 1 << 20


CORPUS = Corpus("burrow-bench-image-file:corpus", 4 * MIB, lambda rng: rng.randint(1, 12),
                lambda rng: rng.randint(0, 4))
text = CORPUS.text


class Layer:
    def __init__(self, path):
        self.tar = tarfile.open(path, "w", format=tarfile.PAX_FORMAT)
        self.entries = 0
        self.bytes = 0
        self.dirs = set()

    def _info(self, name, kind, mode):
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.mtime = kind, mode, EPOCH
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    def _parents(self, path):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.dirs:
                self.dirs.add(d)
                self.tar.addfile(self._info(d, tarfile.DIRTYPE, 0o755))
                self.entries += 1

    def file(self, path, data):
        self._parents(path)
        info = self._info(path, tarfile.REGTYPE, 0o644)
        info.size = len(data)
        self.tar.addfile(info, io.BytesIO(data))
        self.entries += 1
        self.bytes += len(data)

    def close(self):
        self.tar.close()


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: mkimportimage.py OUTDIR SIZE_MIB")
    out, size = sys.argv[1], int(sys.argv[2]) * MIB
    if size < 4 * MIB:
        sys.exit("mkimportimage.py: SIZE_MIB must be at least 4")
    layers = []

    path = os.path.join(out, "layer-small.tar")
    L, rng, left, i = Layer(path), random.Random("burrow-bench-image-file:small"), size // 4, 0
    while left > 0:
        n = min(left, rng.randrange(32 * KIB + 1))
        L.file("data/small/d%04d/f%05d.py" % (i // 100, i), text(rng, n))
        left -= n
        i += 1
    L.close()
    layers.append((path, L, "small files"))

    path = os.path.join(out, "layer-large.tar")
    L, rng, left, i = Layer(path), random.Random("burrow-bench-image-file:large"), size * 45 // 100, 0
    while left > 0:
        n = min(left, rng.randint(1, 64) * MIB)
        L.file("data/large/blob-%03d.bin" % i, rng.randbytes(n))
        left -= n
        i += 1
    L.close()
    layers.append((path, L, "large random files"))

    path = os.path.join(out, "layer-text.tar")
    L, rng, left, i = Layer(path), random.Random("burrow-bench-image-file:text"), size * 30 // 100, 0
    while left > 0:
        n = min(left, 4 * MIB)
        L.file("data/text/part-%03d.txt" % i, text(rng, n))
        left -= n
        i += 1
    L.close()
    layers.append((path, L, "text files"))

    for path, layer, what in layers:
        print("%s\t%d\t%d\t%s" % (path, layer.entries, layer.bytes, what))


if __name__ == "__main__":
    main()
