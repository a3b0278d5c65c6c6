#!/usr/bin/python3
"""Turns bench/image-file.sh's results (hyperfine JSON, the commands, meta.txt, notes.txt)
into its section of bench/RESULTS.md.

usage: image-file-report.py RESULTS_DIR RESULTS_MD
"""
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from results import write_section  # noqa: E402


def load(results, table):
    path = os.path.join(results, table + ".json")
    if not os.path.exists(path):
        return {}, []
    data = json.load(open(path))["results"]
    cmds = []
    for line in open(os.path.join(results, table + ".cmds")):
        name, _, cmd = line.rstrip("\n").partition("\t")
        cmds.append((name, cmd))
    names = [n for n, _ in cmds]
    # hyperfine's "command" is the -n name
    return {r["command"]: r for r in data if r["command"] in names}, cmds


def median(r):
    return statistics.median(r["times"])


def verdict(ok):
    return "**met**" if ok else "**not met**"


def main():
    results, md = sys.argv[1], sys.argv[2]
    meta = {}
    for line in open(os.path.join(results, "meta.txt")):
        k, _, v = line.rstrip("\n").partition("=")
        meta[k] = v
    notes = [l.rstrip("\n").split("\t", 1) for l in open(os.path.join(results, "notes.txt")) if l.strip()]
    par, readers = meta["par"], meta["readers"]
    import_size, mksquashfs_size = (int(x) for x in meta["sizes"].split())

    lines = [
        "# Image file benchmark",
        "",
        "Image files (`.sqsh`) served by burrow's own FUSE server, as an unprivileged user, each",
        "table one hyperfine run with the peers side by side. \"small\" is `scripts/busybox-rootfs`",
        "as one layer; \"big\" is that plus three layers from `bench/lib/mkimportimage.py`",
        "(%s files, %.0f MiB under `/data`)." % (format(int(meta["big_files"]), ","), int(meta["big_bytes"]) / (1 << 20)),
        "Both come from Debian's docker-registry on 127.0.0.1 and were pulled, imported (`burrow",
        "import`) and unpacked (`unsquashfs -no-xattrs`, the trees ch-run and mksquashfs use) before",
        "anything was timed.",
        "",
        "Produced by (as root, Debian 12):",
        "",
        "    " + meta["invocation"],
        "",
        "- Machine: %s, kernel %s, %d cores (%s threads for import and mksquashfs); %s; as user `%s`."
        % (os.uname().machine, os.uname().release, os.cpu_count(), meta["threads"], meta["date"], meta["user"]),
        "- Work dir on %s; load average at the end: %s (the machine may be shared)." % (meta["fs"], meta["load"]),
        "- burrow: %s; %s." % (meta["burrow"], meta["versions"]),
        "- Settings: %s." % ", ".join("%s %s" % (k, meta[k]) for k in (
            "size", "runs", "warmup", "par", "par_runs", "import_runs", "readers", "read_runs")),
        "",
        "What ran, as the user (OUT is the work dir's output directory, REGISTRY the local",
        "registry; `par N CMD` starts N copies at once and waits for all, failing if any fails;",
        "`WORK/bin/readall DIR P` is `cd DIR && busybox find . -type f | busybox xargs -P P -n 50 busybox",
        "sha256sum`, with the image's busybox, which is the host's):",
        "",
    ]
    tables = {}
    for table in ("start", "par", "import", "read"):
        tables[table] = load(results, table)
        for name, cmd in tables[table][1]:
            lines.append("- %s: `%s`" % (name.replace("|", "\\|"), cmd))
    lines += ["", "hyperfine options: (1) `-N --warmup %s --runs %s`; (2) `-N --warmup 1 --runs %s`; (3) `--runs %s"
              % (meta["warmup"], meta["runs"], meta["par_runs"], meta["import_runs"]),
              "--prepare 'rm -f OUT/import.sqsh OUT/mksquashfs.sqsh'` (through a shell); (4) `-N --warmup 1 --runs %s`."
              % meta["read_runs"], ""]
    if notes:
        lines.append("Left out (the command failed once when probed here; its last line of output):")
        lines.append("")
        for name, why in notes:
            lines.append("- %s: %s" % (name, why))
        lines.append("")

    # 1. one start
    rows, cmds = tables["start"]
    lines += ["## 1. Starting `true`", "", "| command | median (ms) | min–max (ms) |", "|---|---:|---:|"]
    for name, _ in cmds:
        r = rows[name]
        lines.append("| %s | %.2f | %.2f–%.2f |" % (name, median(r) * 1e3, r["min"] * 1e3, r["max"] * 1e3))
    lines.append("")
    if "burrow start FILE.sqsh" in rows:
        m = median(rows["burrow start FILE.sqsh"]) * 1e3
        lines.append("Target: `burrow start FILE.sqsh true` median ≤ 10 ms: %.2f ms, %s." % (m, verdict(m <= 10)))
        lines.append("")

    # 2. many at once
    rows, cmds = tables["par"]
    lines += ["## 2. %s starts at once" % par, "",
              "| command | median (ms) | min–max (ms) | per start (ms) |", "|---|---:|---:|---:|"]
    for name, _ in cmds:
        r = rows[name]
        lines.append("| %s | %.1f | %.1f–%.1f | %.2f |" % (name, median(r) * 1e3, r["min"] * 1e3, r["max"] * 1e3,
                                                         median(r) * 1e3 / int(par)))
    lines.append("")
    ours = rows.get("burrow start FILE.sqsh ×%s" % par)
    peers = [n for n in ("ch-run FILE.sqfs ×%s" % par, "ch-run DIR ×%s" % par) if n in rows]
    if ours and peers:
        lines.append("Target: no slower than ch-run. " + "; ".join(
            "FILE.sqsh against %s: %.2f× (%s)" % (p, median(ours) / median(rows[p]),
                                                 verdict(median(ours) <= median(rows[p])))
            for p in peers) + ".")
        lines.append("")

    # 3. import
    rows, cmds = tables["import"]
    mib = int(meta["big_bytes"]) / (1 << 20)
    lines += ["## 3. The big image to a .sqsh", "",
              "| command | median (s) | min–max (s) | MiB/s of file data | output (MiB) |", "|---|---:|---:|---:|---:|"]
    sizes = {"burrow import": import_size, "mksquashfs + sync": mksquashfs_size}
    for name, _ in cmds:
        r = rows[name]
        lines.append("| %s | %.2f | %.2f–%.2f | %.0f | %.1f |" % (name, median(r), r["min"], r["max"],
                                                                mib / median(r), sizes.get(name, 0) / (1 << 20)))
    lines.append("")
    if "burrow import" in rows and "mksquashfs + sync" in rows:
        a, b = median(rows["burrow import"]), median(rows["mksquashfs + sync"])
        lines.append("Target: `burrow import` (merging the store's layer dirs, writing, fsync) faster than")
        lines.append("mksquashfs of the unpacked tree alone (same codec, level, block size and threads; its")
        lines.append("output synced too): %.2f s against %.2f s, %.2f×, %s." % (a, b, a / b, verdict(a < b)))
        lines.append("")

    # 4. readers
    rows, cmds = tables["read"]
    lines += ["## 4. Hashing every file of the big image", "",
              "| command | median (s) | min–max (s) | MiB/s |", "|---|---:|---:|---:|"]
    for name, _ in cmds:
        r = rows[name]
        lines.append("| %s | %.2f | %.2f–%.2f | %.0f |" % (name, median(r), r["min"], r["max"], mib / median(r)))
    lines.append("")
    fuse_n = rows.get("FUSE (burrow start FILE.sqsh), %s readers" % readers)
    fuse_1 = rows.get("FUSE (burrow start FILE.sqsh), 1 reader")
    dir_n = rows.get("directory, %s readers" % readers)
    dir_1 = rows.get("directory, 1 reader")
    if fuse_n and fuse_1 and dir_n and dir_1:
        lines.append("Scaling from 1 to %s readers: %.2f× through FUSE, %.2f× on the directory (at most %d× on"
                     % (readers, median(fuse_1) / median(fuse_n), median(dir_1) / median(dir_n), os.cpu_count()))
        lines.append("%d cores). %s readers through FUSE take %.2f× the directory's time; 1 reader %.2f×."
                     % (os.cpu_count(), readers, median(fuse_n) / median(dir_n), median(fuse_1) / median(dir_1)))
        lines.append("Every run starts a new mount, so the FUSE side reads and decompresses the file each time")
        lines.append("(the .sqsh itself is in the page cache, as the directory's files are).")
        lines.append("")
    print(write_section(md, "bench/image-file.sh", lines))


if __name__ == "__main__":
    main()
