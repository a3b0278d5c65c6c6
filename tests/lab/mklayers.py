#!/usr/bin/python3
"""Writes the lab's hand-made layers and the images around them into an OCI layout that
tests/lab/images.sh started with umoci; not the ordinary images (images.sh makes those).

usage: mklayers.py LAYOUT BUSYBOX_TAR

LAYOUT must already hold the image "busybox" (its first layer is BUSYBOX_TAR, gzip'd).
Added, each under its ref name in LAYOUT/index.json:
  zstd          busybox and a marker file /zstd-marker, both layers tar+zstd (runnable)
  multiarch     an image index: arm64, arm/v7, amd64 (busybox plus /arch holding "amd64"),
                and an unknown/unknown attestation manifest, in that order
  badblob       one layer holding /badblob; LAYOUT/../badblob.evil is a blob of the same size,
                also a valid gzip'd tar, that images.sh writes over the pushed one
  hostile-NAME  one gzip layer each, every one an attack on the unpacker (HOSTILE below)
Hostile layers aim at two host paths: files named /tmp/burrow-escaped-* must never appear,
and /tmp/burrow-lab-victim (a file the test makes, owned by the test user) must keep its
content. Everything is deterministic: fixed mtimes, gzip mtime 0, sorted JSON.
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import zlib

EPOCH = 1700000000
CREATED = "2023-11-14T22:13:20Z"
CLIMB = "../" * 16
VICTIM = "tmp/burrow-lab-victim"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"


# ---------------------------------------------------------------- tar entries

def entry(tar, name, kind=tarfile.REGTYPE, data=b"", mode=None, link="", dev=(0, 0)):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode if mode is not None else 0o777 if kind == tarfile.SYMTYPE else 0o644
    info.mtime = EPOCH
    info.linkname = link
    info.devmajor, info.devminor = dev
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def tar_of(build, fmt=tarfile.GNU_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        build(tar)
    return buf.getvalue()


def escaped(name):
    return b"escaped: " + name.encode() + b"\n"


def hostile_dotdot(t):
    entry(t, "ok.txt", data=b"ok\n")
    entry(t, CLIMB + "tmp/burrow-escaped-dotdot", data=escaped("dotdot"))


def hostile_absolute(t):
    entry(t, "ok.txt", data=b"ok\n")
    entry(t, "/tmp/burrow-escaped-absolute", data=escaped("absolute"))


def hostile_symlink(t):
    # A link to a host directory, then a file through it.
    entry(t, "evil", tarfile.SYMTYPE, link="/tmp")
    entry(t, "evil/burrow-escaped-symlink", data=escaped("symlink"))


def hostile_symlink_parent(t):
    # A parent directory of the entry is a link that climbs out.
    entry(t, "a", tarfile.DIRTYPE, mode=0o755)
    entry(t, "a/b", tarfile.SYMTYPE, link=CLIMB + "tmp")
    entry(t, "a/b/burrow-escaped-symlink-parent", data=escaped("symlink-parent"))


def hostile_symlink_overwrite(t):
    # A link to a host file, then a regular file of the same name: the link is replaced.
    entry(t, "victim", tarfile.SYMTYPE, link="/" + VICTIM)
    entry(t, "victim", data=b"overwritten through a symlink\n")


def hostile_hardlink(t):
    # A hard link to a host file the user owns, then a regular file of the same name.
    entry(t, "ok.txt", data=b"ok\n")
    entry(t, "victim", tarfile.LNKTYPE, link="/" + VICTIM)
    entry(t, "victim", data=b"overwritten through a hard link\n")


def hostile_hardlink_dotdot(t):
    entry(t, "ok.txt", data=b"ok\n")
    entry(t, "victim", tarfile.LNKTYPE, link=CLIMB + VICTIM)
    entry(t, "victim", data=b"overwritten through a hard link\n")


def hostile_whiteout_dotdot(t):
    # ".wh.." whites out "..": the parent of the root.
    entry(t, "ok.txt", data=b"ok\n")
    entry(t, "dir", tarfile.DIRTYPE, mode=0o755)
    entry(t, ".wh..")
    entry(t, "dir/.wh..")


def hostile_whiteout_escape(t):
    # A whiteout whose path climbs out, naming the victim.
    entry(t, "ok.txt", data=b"ok\n")
    entry(t, CLIMB + "tmp/.wh.burrow-lab-victim")


def hostile_whiteout_symlink(t):
    # A whiteout under a link to a host directory.
    entry(t, "evil", tarfile.SYMTYPE, link="/tmp")
    entry(t, "evil/.wh.burrow-lab-victim")


def hostile_device(t):
    entry(t, "dev", tarfile.DIRTYPE, mode=0o755)
    entry(t, "dev/null", tarfile.CHRTYPE, mode=0o666, dev=(1, 3))
    entry(t, "dev/mem", tarfile.CHRTYPE, mode=0o640, dev=(1, 1))
    entry(t, "dev/sda", tarfile.BLKTYPE, mode=0o660, dev=(8, 0))
    entry(t, "after-devices", data=b"after\n")


def hostile_setuid(t):
    entry(t, "bin", tarfile.DIRTYPE, mode=0o755)
    entry(t, "bin/suid", data=b"#!/bin/sh\necho suid\n", mode=0o4755)
    entry(t, "bin/sgid", data=b"#!/bin/sh\necho sgid\n", mode=0o2755)
    entry(t, "sgid-dir", tarfile.DIRTYPE, mode=0o2775)


def hostile_longpath(t):
    # 5029 bytes: longer than PATH_MAX, carried in a pax header.
    entry(t, "/".join(["d" * 200] * 25) + "/file", data=b"long\n")


def hostile_longname(t):
    # One component of 300 bytes: longer than NAME_MAX.
    entry(t, "n" * 300, data=b"long name\n")


HOSTILE = {
    "dotdot": hostile_dotdot,
    "absolute": hostile_absolute,
    "symlink": hostile_symlink,
    "symlink-parent": hostile_symlink_parent,
    "symlink-overwrite": hostile_symlink_overwrite,
    "hardlink": hostile_hardlink,
    "hardlink-dotdot": hostile_hardlink_dotdot,
    "whiteout-dotdot": hostile_whiteout_dotdot,
    "whiteout-escape": hostile_whiteout_escape,
    "whiteout-symlink": hostile_whiteout_symlink,
    "device": hostile_device,
    "setuid": hostile_setuid,
    "longpath": hostile_longpath,
    "longname": hostile_longname,
}


def flood_layer(files=200000, per_dir=1000):
    """(gzip blob, diff_id) of a tar of FILES empty files in FILES/PER_DIR directories.
    Headers are patched from one template: tarfile would take seconds for this many."""
    template = tarfile.TarInfo("x")
    template.mtime = EPOCH
    template.mode = 0o644
    base = bytearray(template.tobuf(format=tarfile.USTAR_FORMAT))
    base[0:100] = bytes(100)
    base[148:156] = b" " * 8
    base_sum = sum(base)
    dir_info = tarfile.TarInfo("flood/d000")
    dir_info.type, dir_info.mode, dir_info.mtime = tarfile.DIRTYPE, 0o755, EPOCH
    out = []
    for i in range(files):
        if i % per_dir == 0:
            dir_info.name = "flood/d%03d" % (i // per_dir)
            out.append(dir_info.tobuf(format=tarfile.USTAR_FORMAT))
        name = b"flood/d%03d/f%06d" % (i // per_dir, i)
        header = bytearray(base)
        header[0:len(name)] = name
        header[148:156] = b"%06o\0 " % (base_sum + sum(name))
        out.append(bytes(header))
    out.append(bytes(1024))
    raw = b"".join(out)
    return gzip.compress(raw, compresslevel=6, mtime=0), "sha256:" + hashlib.sha256(raw).hexdigest()


def bomb_layer(size=1 << 30):
    """(gzip blob, diff_id) of a tar holding SIZE bytes of zeros: about 1 MB per GiB."""
    info = tarfile.TarInfo("zeros")
    info.size, info.mtime, info.mode = size, EPOCH, 0o644
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    digest = hashlib.sha256(header)
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip wrapper, mtime 0
    parts = [comp.compress(header)]
    chunk = bytes(1 << 20)
    left = size + (-size % 512) + 1024
    while left:
        piece = chunk[:min(left, len(chunk))]
        digest.update(piece)
        parts.append(comp.compress(piece))
        left -= len(piece)
    parts.append(comp.flush())
    return b"".join(parts), "sha256:" + digest.hexdigest()


# ---------------------------------------------------------------- the layout

class Layout:
    def __init__(self, path):
        self.path = path
        with open(os.path.join(path, "index.json")) as f:
            self.index = json.load(f)

    def put(self, data, media_type):
        digest = hashlib.sha256(data).hexdigest()
        path = os.path.join(self.path, "blobs", "sha256", digest)
        if not os.path.exists(path):
            with open(path + ".new", "wb") as f:
                f.write(data)
            os.rename(path + ".new", path)
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

    def put_json(self, value, media_type):
        return self.put(json.dumps(value, sort_keys=True, separators=(",", ":")).encode(), media_type)

    def get_json(self, descriptor):
        with open(os.path.join(self.path, "blobs", "sha256", descriptor["digest"].split(":")[1])) as f:
            return json.load(f)

    def ref(self, name):
        for d in self.index["manifests"]:
            if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == name:
                return d
        sys.exit("mklayers.py: no image %r in %s" % (name, self.path))

    def tag(self, descriptor, name):
        self.index["manifests"] = [
            d for d in self.index["manifests"]
            if d.get("annotations", {}).get("org.opencontainers.image.ref.name") != name]
        self.index["manifests"].append(dict(descriptor, annotations={
            "org.opencontainers.image.ref.name": name}))

    def save(self):
        with open(os.path.join(self.path, "index.json.new"), "w") as f:
            json.dump(self.index, f, separators=(",", ":"))
        os.rename(os.path.join(self.path, "index.json.new"), os.path.join(self.path, "index.json"))

    def image(self, layers, diff_ids, arch="amd64", variant=None, cmd=("/bin/sh",), comment=""):
        """An image manifest over LAYERS (descriptors) with a minimal config; its descriptor."""
        config = {"created": CREATED, "architecture": arch, "os": "linux",
                  "config": {"Env": [PATH_ENV], "Cmd": list(cmd)},
                  "rootfs": {"type": "layers", "diff_ids": diff_ids},
                  "history": [{"created": CREATED, "created_by": "mklayers.py: " + comment}
                              for _ in layers]}
        if variant:
            config["variant"] = variant
        manifest = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
                    "config": self.put_json(config, MT_CONFIG), "layers": layers}
        return self.put_json(manifest, MT_MANIFEST)


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c", "--no-check"], input=data,
                          stdout=subprocess.PIPE, check=True).stdout


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def marker(name, text, fmt=tarfile.GNU_FORMAT):
    return tar_of(lambda t: entry(t, name, data=text.encode()), fmt)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: mklayers.py LAYOUT BUSYBOX_TAR")
    layout = Layout(sys.argv[1])
    with open(sys.argv[2], "rb") as f:
        busybox_tar = f.read()
    busybox = layout.get_json(layout.ref("busybox"))
    busybox_layer = busybox["layers"][0]
    busybox_diff = layout.get_json(busybox["config"])["rootfs"]["diff_ids"][0]
    if busybox_diff != sha(busybox_tar):
        sys.exit("mklayers.py: %s is not the busybox image's first layer" % sys.argv[2])

    zmark = marker("zstd-marker", "zstd\n")
    layout.tag(layout.image([layout.put(zstd(busybox_tar), MT_ZSTD), layout.put(zstd(zmark), MT_ZSTD)],
                            [busybox_diff, sha(zmark)], comment="zstd layers"), "zstd")

    entries = []
    for arch, variant in (("arm64", None), ("arm", "v7")):
        tar = marker("arch", arch + (variant or "") + "\n")
        desc = layout.image([layout.put(gz(tar), MT_GZIP)], [sha(tar)], arch=arch, variant=variant,
                            cmd=("/arch",), comment="marker for " + arch)
        platform = {"architecture": arch, "os": "linux"}
        if variant:
            platform["variant"] = variant
        entries.append(dict(desc, platform=platform))
    tar = marker("arch", "amd64\n")
    amd64 = layout.image([busybox_layer, layout.put(gz(tar), MT_GZIP)], [busybox_diff, sha(tar)],
                         comment="busybox and /arch")
    entries.append(dict(amd64, platform={"architecture": "amd64", "os": "linux"}))
    # What BuildKit adds next to each image: a manifest for unknown/unknown that must be skipped.
    statement = layout.put_json({"_type": "https://in-toto.io/Statement/v0.1", "subject": []},
                                "application/vnd.in-toto+json")
    attestation = layout.put_json({"schemaVersion": 2, "mediaType": MT_MANIFEST,
                                   "config": layout.put_json({"architecture": "unknown", "os": "unknown",
                                                              "config": {}, "rootfs": {"type": "layers",
                                                              "diff_ids": [statement["digest"]]}},
                                                             MT_CONFIG),
                                   "layers": [statement]}, MT_MANIFEST)
    entries.append(dict(attestation, platform={"architecture": "unknown", "os": "unknown"},
                        annotations={"vnd.docker.reference.type": "attestation-manifest",
                                     "vnd.docker.reference.digest": amd64["digest"]}))
    layout.tag(layout.put_json({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": entries},
                               MT_INDEX), "multiarch")

    # Stored gzip (level 0): the good and the evil blob have the same size and both unpack.
    good, evil = (marker("badblob", c * 4096, tarfile.USTAR_FORMAT) for c in "ge")
    good_gz, evil_gz = (gzip.compress(t, compresslevel=0, mtime=0) for t in (good, evil))
    assert len(good_gz) == len(evil_gz)
    layout.tag(layout.image([layout.put(good_gz, MT_GZIP)], [sha(good)], comment="badblob"), "badblob")
    with open(os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), "badblob.evil"), "wb") as f:
        f.write(evil_gz)

    for name, build in HOSTILE.items():
        fmt = tarfile.PAX_FORMAT if name == "longpath" else tarfile.GNU_FORMAT
        tar = tar_of(build, fmt)
        layout.tag(layout.image([layout.put(gz(tar), MT_GZIP)], [sha(tar)], comment=name),
                   "hostile-" + name)
    for name, (blob, diff_id) in (("flood", flood_layer()), ("bomb", bomb_layer())):
        layout.tag(layout.image([layout.put(blob, MT_GZIP)], [diff_id], comment=name), "hostile-" + name)
    layout.save()


if __name__ == "__main__":
    main()
