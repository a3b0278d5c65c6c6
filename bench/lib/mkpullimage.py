#!/usr/bin/python3
"""Writes the eight layer tars of bench/pull.sh's image, deterministically (same bytes on
every machine with this script and Python 3.9 or later).

usage: mkpullimage.py OUTDIR BUSYBOX

Writes OUTDIR/layer1.tar ... OUTDIR/layer8.tar (pax, sorted names, owners 0 unless noted,
mtime fixed) and prints one line per layer: "FILE<TAB>ENTRIES<TAB>BYTES<TAB>WHAT". About
1 GB of file data and 90,000 entries in all:

  1 base      a Debian-like system: merged-/usr symlinks, BUSYBOX (a static busybox) as
              /usr/bin/busybox with sh, true, ls, cat and env linked to it (so the image runs
              /bin/sh), ~450 packages with executables,
              shared libraries (+ symlinks), docs, man pages, data files, dpkg lists; a
              setuid file, a hard link, a few files owned by other ids, 0555 and 1777 dirs
  2 site      a Python environment: ~28,000 .py / .pyc files in 1,200 directories
  3 models    two 128 MiB files of random bytes
  4 shards    256 files of 512 KiB random bytes
  5 corpus    16 files of 8 MiB text
  6 tiny      20,000 files of 0-256 bytes in a deep tree, 2,000 symlinks, 1,000 hard links
  7 update    a 128 MiB random file and 1,000 files that replace files of layer 2
  8 cleanup   whiteouts (a directory of layer 2, files of layer 1), an opaque directory,
              a few new config files

Random bytes come from random.Random seeded with fixed strings; text is cut from a
generated word corpus and compresses about like source code (gzip ~3x); "binaries" mix
random, text and zero-filled blocks (gzip ~2x).
"""
import io
import os
import random
import sys
import tarfile

from benchtext import Corpus

EPOCH = 1700000000
MIB = 1 << 20


# ---------------------------------------------------------------- content

CORPUS = Corpus("burrow-bench-pull:corpus", 8 * MIB,
                lambda rng: max(1, min(16, int(rng.lognormvariate(1.6, 0.45)))),
                lambda rng: min(5, int(rng.expovariate(0.9))))
text = CORPUS.text


def binary(rng, n):
    """Like an executable: a mix of random, text and mostly-zero 4 KiB blocks."""
    out = bytearray()
    while len(out) < n:
        r = rng.random()
        if r < 0.3:
            out += rng.randbytes(4096)
        elif r < 0.7:
            out += text(rng, 4096)
        else:
            out += rng.randbytes(256) + bytes(3840)
    return bytes(out[:n])


class RandomStream(io.RawIOBase):
    """size random bytes from seed, made in 1 MiB pieces (the same bytes however read)."""

    def __init__(self, seed, size):
        self.rng = random.Random(seed)
        self.left = size
        self.buf = b""

    def readable(self):
        return True

    def read(self, n=-1):
        if n is None or n < 0:
            n = self.left + len(self.buf)
        while len(self.buf) < n and self.left > 0:
            take = min(MIB, self.left)
            self.buf += self.rng.randbytes(take)
            self.left -= take
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def lognorm_size(rng, median, sigma, lo, hi):
    return max(lo, min(hi, int(rng.lognormvariate(0, sigma) * median)))


# ---------------------------------------------------------------- layers

class Layer:
    """Entries by path; parents are added as 0755 directories when written."""

    def __init__(self, name):
        self.name = name
        self.entries = {}

    def dir(self, path, mode=0o755, uid=0, gid=0):
        self.entries[path] = ("dir", mode, uid, gid, None)

    def file(self, path, data, mode=0o644, uid=0, gid=0):
        """data: bytes, or (seed, size) for a random stream."""
        self.entries[path] = ("file", mode, uid, gid, data)

    def symlink(self, path, target):
        self.entries[path] = ("sym", 0o777, 0, 0, target)

    def hardlink(self, path, target):
        self.entries[path] = ("link", 0o644, 0, 0, target)

    def write(self, out):
        paths = set(self.entries)
        for p in list(paths):
            parent = os.path.dirname(p)
            while parent and parent not in self.entries:
                self.dir(parent)
                parent = os.path.dirname(parent)
        n = size = 0
        written = set()
        with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
            for path in sorted(self.entries):
                kind, mode, uid, gid, data = self.entries[path]
                # A hard link names a file written before it.
                assert kind != "link" or data in written, (path, data)
                written.add(path)
                info = tarfile.TarInfo(path)
                info.mode, info.uid, info.gid, info.mtime = mode, uid, gid, EPOCH
                info.uname = info.gname = ""
                stream = None
                if kind == "dir":
                    info.type = tarfile.DIRTYPE
                elif kind == "sym":
                    info.type, info.linkname = tarfile.SYMTYPE, data
                elif kind == "link":
                    info.type, info.linkname = tarfile.LNKTYPE, data
                elif isinstance(data, tuple):
                    info.size = data[1]
                    stream = RandomStream(*data)
                else:
                    info.size = len(data)
                    stream = io.BytesIO(data)
                tar.addfile(info, stream)
                n += 1
                size += info.size
        return n, size


def layer_base(busybox):
    rng = random.Random("burrow-bench-pull:base")
    L = Layer("base")
    for d in ("bin", "lib", "lib64", "sbin"):
        L.symlink(d, "usr/" + d)
    for d in ("usr/bin", "usr/sbin", "usr/lib/x86_64-linux-gnu", "usr/lib64", "usr/share/doc",
              "usr/share/man/man1", "usr/local/bin", "etc", "home", "media", "mnt", "opt", "run",
              "srv", "var/lib/dpkg/info", "var/log", "var/cache", "dev"):
        L.dir(d)
    L.dir("tmp", 0o1777)
    L.dir("var/tmp", 0o1777)
    L.dir("root", 0o700)
    L.dir("proc", 0o555)
    L.dir("sys", 0o555)
    L.dir("var/cache/man", 0o755, uid=6, gid=12)
    L.dir("var/mail", 0o2775, gid=8)
    L.dir("var/spool/cron/crontabs", 0o1730, gid=101)
    L.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nman:x:6:12:man:/var/cache/man:/usr/sbin/nologin\n"
           b"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
    L.file("etc/group", b"root:x:0:\nmail:x:8:\nman:x:12:\ncrontab:x:101:\nnogroup:x:65534:\n")
    L.file("etc/shadow", b"root:*:19000:0:99999:7:::\n", 0o640, gid=42)
    L.file("etc/os-release", b'PRETTY_NAME="burrow bench base"\nID=debian\nVERSION_ID="12"\n')
    with open(busybox, "rb") as f:
        L.file("usr/bin/busybox", f.read(), 0o755)
    for applet in ("sh", "true", "ls", "cat", "env"):
        L.symlink("usr/bin/" + applet, "busybox")
    L.file("usr/bin/su", binary(rng, 72 * 1024), 0o4755)
    L.file("usr/bin/perl", binary(rng, 3 * MIB + 12345), 0o755)
    L.hardlink("usr/bin/perl5.36.0", "usr/bin/perl")
    L.file("var/log/lastlog", bytes(4096), 0o664, gid=43)
    for p in range(450):
        pkg = "pkg%03d" % p
        listing = []

        def add(path, data, mode=0o644):
            L.file(path, data, mode)
            listing.append("/" + path)

        for i in range(rng.randint(0, 4)):
            d = "usr/sbin" if rng.random() < 0.2 else "usr/bin"
            add("%s/%s-%d" % (d, pkg, i), binary(rng, lognorm_size(rng, 40000, 1.1, 2000, 4 * MIB)), 0o755)
        for i in range(rng.randint(0, 3)):
            so = "usr/lib/x86_64-linux-gnu/lib%s-%d.so.1.%d.0" % (pkg, i, p % 7)
            add(so, binary(rng, lognorm_size(rng, 90000, 1.2, 4000, 8 * MIB)))
            L.symlink(so.rsplit(".", 2)[0], os.path.basename(so))
        doc = "usr/share/doc/" + pkg
        add(doc + "/copyright", text(rng, lognorm_size(rng, 4000, 0.6, 300, 60000)))
        add(doc + "/changelog.Debian.gz", rng.randbytes(lognorm_size(rng, 2000, 0.8, 200, 40000)))
        for i in range(rng.randint(0, 3)):
            add("usr/share/man/man1/%s-%d.1.gz" % (pkg, i), rng.randbytes(lognorm_size(rng, 1500, 0.7, 200, 20000)))
        n_data = int(rng.expovariate(1 / 30))
        for i in range(min(n_data, 400)):
            add("usr/share/%s/%s/d%03d.%s" % (pkg, "abcdefgh"[i % 8], i, rng.choice(["txt", "xml", "json", "conf", "py"])),
                text(rng, lognorm_size(rng, 1500, 1.0, 0, 256000)))
        if rng.random() < 0.3:
            for i in range(rng.randint(5, 60)):
                add("usr/lib/python3/dist-packages/%s/m%02d.py" % (pkg.replace("-", "_"), i),
                    text(rng, lognorm_size(rng, 3000, 0.9, 0, 120000)))
        lst = ("\n".join(sorted(listing)) + "\n").encode()
        L.file("var/lib/dpkg/info/%s.list" % pkg, lst)
        L.file("var/lib/dpkg/info/%s.md5sums" % pkg, rng.randbytes(len(lst) // 2).hex().encode())
    return L


def layer_site():
    rng = random.Random("burrow-bench-pull:site")
    L = Layer("site")
    base = "usr/local/lib/python3.11/site-packages"
    for i in range(28000):
        d = "%s/p%03d/sub%d" % (base, i % 400, (i // 400) % 3)
        if rng.random() < 0.7:
            L.file("%s/m%05d.py" % (d, i), text(rng, lognorm_size(rng, 2500, 1.0, 0, 200000)))
        else:
            L.file("%s/__pycache__/m%05d.cpython-311.pyc" % (d, i), binary(rng, lognorm_size(rng, 3000, 1.0, 100, 200000)))
    return L


def layer_models():
    L = Layer("models")
    for i in range(2):
        L.file("opt/models/weights-%d.bin" % i, ("burrow-bench-pull:weights-%d" % i, 128 * MIB))
    return L


def layer_shards():
    L = Layer("shards")
    for i in range(256):
        L.file("opt/data/shard-%03d.bin" % i, ("burrow-bench-pull:shard-%d" % i, 512 * 1024))
    return L


def layer_corpus():
    rng = random.Random("burrow-bench-pull:corpus-files")
    L = Layer("corpus")
    for i in range(16):
        L.file("opt/corpus/part-%02d.txt" % i, text(rng, 8 * MIB))
    return L


def layer_tiny():
    rng = random.Random("burrow-bench-pull:tiny")
    L = Layer("tiny")
    files = []
    for i in range(20000):
        path = "opt/tiny/a%02d/b%02d/c%d/t%05d" % (i % 50, (i // 50) % 20, i % 3, i)
        L.file(path, text(rng, rng.randrange(257)))
        files.append(path)
    for i in range(2000):
        L.symlink("opt/tiny/links/s%04d" % i, "../a%02d/b%02d" % (i % 50, i % 20))
    for i in range(1000):
        L.hardlink("opt/tiny/links/h%04d" % i, files[i * 7])
    return L


def layer_update(site):
    rng = random.Random("burrow-bench-pull:update")
    L = Layer("update")
    L.file("opt/models/weights-2.bin", ("burrow-bench-pull:weights-2", 128 * MIB))
    replaced = sorted(p for p, e in site.entries.items() if e[0] == "file")[::28][:1000]
    for p in replaced:
        L.file(p, text(rng, lognorm_size(rng, 3000, 0.8, 0, 100000)))
    return L


def layer_cleanup(base):
    rng = random.Random("burrow-bench-pull:cleanup")
    L = Layer("cleanup")
    L.file("usr/local/lib/python3.11/site-packages/.wh.p399", b"")
    docs = sorted(p for p in base.entries if p.startswith("usr/share/doc/") and p.endswith("/copyright"))
    for p in docs[::10]:
        L.file(os.path.dirname(p) + "/.wh.copyright", b"")
    L.file("usr/share/man/man1/.wh..wh..opq", b"")
    L.file("usr/share/man/man1/burrow-bench.1.gz", rng.randbytes(900))
    for i in range(40):
        L.file("etc/bench/conf.d/%02d.conf" % i, text(rng, rng.randrange(100, 3000)))
    L.file("usr/local/bin/bench-entry", b"#!/bin/sh\nexec \"$@\"\n", 0o755)
    return L


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: mkpullimage.py OUTDIR BUSYBOX")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    base, site = layer_base(sys.argv[2]), layer_site()
    layers = [base, site, layer_models(), layer_shards(), layer_corpus(), layer_tiny(),
              layer_update(site), layer_cleanup(base)]
    for i, layer in enumerate(layers, 1):
        path = os.path.join(out, "layer%d.tar" % i)
        n, size = layer.write(path)
        print("%s\t%d\t%d\t%s" % (path, n, size, layer.name), flush=True)


if __name__ == "__main__":
    main()
