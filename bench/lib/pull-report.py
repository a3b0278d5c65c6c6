#!/usr/bin/python3
"""Writes the "Pull benchmark" section of bench/RESULTS.md from what bench/pull.sh measured.

usage: pull-report.py RESULTS_DIR RESULTS_MD

RESULTS_DIR holds meta.txt (KEY=VALUE lines), commands.tsv (name, prepare, command),
pull.json and cached.json (hyperfine --export-json), rss.tsv (name, peak KiB, seconds) and,
when perf ran, perf-self.txt and perf-children.txt. The section runs from its marker line to
the next one (or the end); the rest of RESULTS_MD is kept, and the section is appended when
the file has none.
"""
import datetime
import json
import os
import platform
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from results import write_section  # noqa: E402


TARGET_PEER_FACTOR = 3.0
TARGET_FLOOR_FACTOR = 1.5
TARGET_RSS_MB = 64
TARGET_CACHED_MS = 100

PEERS = ("podman pull", "skopeo copy + umoci unpack", "ch-image pull (https)",
         "ch-image --no-cache pull (https)")
FLOORS = ("curl | tar -x, parallel", "curl | tar -x, serial")


def load(results):
    meta = {}
    for line in open(os.path.join(results, "meta.txt")):
        key, _, value = line.rstrip("\n").partition("=")
        meta[key] = value
    commands = [line.rstrip("\n").split("\t") for line in open(os.path.join(results, "commands.tsv"))]
    rss = {}
    for line in open(os.path.join(results, "rss.tsv")):
        name, rest = line.rstrip("\n").split("\t")
        kib, secs = rest.split()
        rss[name] = (int(kib), float(secs))
    pull = json.load(open(os.path.join(results, "pull.json")))["results"]
    cached = []
    for name in ("cached.json", "cached-ch.json"):
        path = os.path.join(results, name)
        if os.path.exists(path):
            cached += json.load(open(path))["results"]
    return meta, commands, rss, pull, cached


def perf_summary(results):
    """(share of samples, what) rows from perf's reports, or [] when perf did not run."""
    self_path = os.path.join(results, "perf-self.txt")
    children_path = os.path.join(results, "perf-children.txt")
    if not os.path.exists(self_path):
        return []
    groups = {"gzip decompression (zlib inflate)": 0.0, "SHA-256 (blob and diff_id)": 0.0,
              "kernel": 0.0, "libc": 0.0, "rest of burrow and libarchive": 0.0, "other": 0.0}
    for line in open(self_path):
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(\S+)", line)
        if not m:
            continue
        share, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4)
        if kind == "k":
            groups["kernel"] += share
        elif sym.startswith("inflate") or sym in ("adler32", "crc32_z", "updatewindow"):
            groups["gzip decompression (zlib inflate)"] += share
        elif "sha256" in sym:
            groups["SHA-256 (blob and diff_id)"] += share
        elif dso.startswith("libc"):
            groups["libc"] += share
        elif dso == "burrow":
            groups["rest of burrow and libarchive"] += share
        else:
            groups["other"] += share
    rows = [(v, k) for k, v in groups.items() if v >= 0.5]
    calls = []
    for line in open(children_path):
        m = re.match(r"\s*([\d.]+)%\s+[\d.]+%\s+\[k\]\s+(?:__x64_sys_|__do_sys_)(\w+)", line)
        if m and float(m.group(1)) >= 0.5:
            calls.append((float(m.group(1)), m.group(2)))
    return sorted(rows, reverse=True), sorted(calls, reverse=True)


def main():
    results, md = sys.argv[1], sys.argv[2]
    meta, commands, rss, pull, cached = load(results)
    by = {r["command"]: r for r in pull}
    med = {name: statistics.median(r["times"]) for name, r in by.items()}
    burrow = med["burrow pull"]
    peers = {n: med[n] for n in PEERS if n in med}
    fastest_peer = min(peers, key=peers.get)
    floor_name = min((n for n in FLOORS if n in med), key=med.get)
    cmed = {r["command"]: statistics.median(r["times"]) * 1000 for r in cached}
    by_cached = {r["command"]: r for r in cached}
    layers_entries, layers_bytes = meta["layers"].split()
    n_layers, compressed = meta["manifest"].split()
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    out = ["# Pull benchmark", "",
           "Time from nothing to a runnable container: an image of %d gzip layers (%.2f GB of files,"
           % (int(n_layers), int(layers_bytes) / 1e9),
           "%s entries, %.0f MB compressed) pulled from Debian's docker-registry on 127.0.0.1 by an"
           % (format(int(layers_entries), ","), int(compressed) / 1e6),
           "unprivileged user, every tool in one hyperfine run. The image (`bench/lib/mkpullimage.py`,",
           "deterministic) mixes a Debian-like base and a Python tree (tens of thousands of small",
           "files), 640 MiB of random bytes in files of 512 KiB to 128 MiB, 128 MiB of text, 20,000",
           "tiny files with symlinks and hard links, files a later layer replaces, whiteouts and an",
           "opaque directory.",
           "",
           "Produced by (as root, Debian 12):", "",
           "    " + meta["invocation"], "",
           "- Machine: %s, kernel %s, %d cores, %.0f GiB; %s; as user `%s`."
           % (platform.machine(), platform.release(), os.cpu_count(), mem_gib, when, meta["user"]),
           "- The tools write to %s. The registry's blobs are in the page cache." % meta["fs_note"],
           "- Load average before and after the timed run: %s / %s (the machine is shared: see"
           % (meta["load_before"], meta["load_after"]),
           "  min–max)."
           , "- burrow: %s; %s; rootless podman's storage driver: %s."
           % (meta["burrow"], meta["versions"], meta["podman_driver"]),
           "",
           "What ran, as the user: `hyperfine --runs %s`, each command with its own `--prepare` that"
           % meta["runs"],
           "empties that tool's output (`wipe`: `find | chmod u+rwx` and `rm -rf`; for podman `podman",
           "system reset --force`) and then runs `sync`. REGISTRY serves plain http, TLS_REGISTRY the",
           "same storage over https; OUT is the output filesystem.", ""]
    for name, prepare, command in commands:
        out.append("- %s: `%s`" % (name, command))
    out += ["",
            "| command | median (s) | min–max (s) | CPU user+sys (s) | peak RSS (MiB) | × burrow pull |",
            "|---|---:|---:|---:|---:|---:|"]
    for name, _, _ in commands:
        r = by[name]
        cpu = r["user"] + r["system"]
        peak = rss.get(name, (0, 0))[0] / 1024
        out.append("| %s | %.2f | %.2f–%.2f | %.1f | %.0f | %.2f |" % (
            name.replace("|", "\\|"), med[name], min(r["times"]), max(r["times"]), cpu, peak,
            med[name] / burrow))
    out += ["", "Re-pull with everything already in the store (`hyperfine -N --warmup 3 --runs %s`, ch-image"
            % meta["cached_runs"],
            "`--runs 3`; each still fetches the manifest from the registry), a container from the",
            "pulled image (`burrow create -f --name bench REF`, which shares the store's layers), and",
            "a bare `curl` of the manifest for scale:", "",
            "| command | median (ms) | min–max (ms) |", "|---|---:|---:|"]
    for r in cached:
        out.append("| %s | %.1f | %.1f–%.1f |" % (r["command"], cmed[r["command"]],
                                                  min(r["times"]) * 1000, max(r["times"]) * 1000))

    def verdict(ok):
        return "**met**" if ok else "**not met**"

    # Each peer against burrow over the same transport (ch-image speaks https only).
    def own(name):
        return med["burrow pull (https)"] if "(https)" in name else burrow

    ratios = {n: peers[n] / own(n) for n in peers}
    closest = min(ratios, key=ratios.get)
    floor_ratio = burrow / med[floor_name]
    peak_mb = rss["burrow pull"][0] * 1024 / 1e6
    peak_https_mb = rss["burrow pull (https)"][0] * 1024 / 1e6
    repull = cmed["burrow pull"]
    need = TARGET_PEER_FACTOR / ratios[closest]
    out += ["", "## Targets", "",
            "- At least %.0f× faster than the fastest peer, each peer against burrow over the same"
            % TARGET_PEER_FACTOR,
            "  transport: " + ", ".join("%s %.2f×" % (n, ratios[n]) for n in sorted(ratios, key=ratios.get)) + ".",
            "  The closest, %s (%.2f s against %.2f s): %s%s." % (
                closest, peers[closest], own(closest), verdict(ratios[closest] >= TARGET_PEER_FACTOR),
                "" if ratios[closest] >= TARGET_PEER_FACTOR else
                "; burrow would need %.2f s, %.0f%% less" % (peers[closest] / TARGET_PEER_FACTOR,
                                                           100 * (1 - 1 / need))),
            "  (Fastest peer in absolute terms: %s, %.2f s, %.2f× burrow pull over http.)"
            % (fastest_peer, peers[fastest_peer], peers[fastest_peer] / burrow),
            "- At most %.1f× the naive floor (the faster one, %s, %.2f s): %.2f×: %s."
            % (TARGET_FLOOR_FACTOR, floor_name, med[floor_name], floor_ratio,
               verdict(floor_ratio <= TARGET_FLOOR_FACTOR)),
            "- Peak RSS at most %d MB: %.1f MB over http, %.1f MB over https: %s." % (
                TARGET_RSS_MB, peak_mb, peak_https_mb, verdict(max(peak_mb, peak_https_mb) <= TARGET_RSS_MB)),
            "- Re-pull with everything cached at most %d ms: %.1f ms median (fastest %.1f ms; a bare"
            % (TARGET_CACHED_MS, repull, min(by_cached["burrow pull"]["times"]) * 1000),
            "  curl of the manifest: %.1f ms): %s." % (
                cmed.get("curl of the manifest", float("nan")), verdict(repull <= TARGET_CACHED_MS))]

    profile = perf_summary(results)
    if profile:
        groups, calls = profile
        out += ["", "## Where burrow pull's time goes", "",
                "One more `burrow pull` under `perf record -g -F 999` (CPU samples of all its threads,",
                "user and kernel):", ""]
        out += ["- %s: %.0f%%" % (what, share) for share, what in groups]
        if calls:
            out += ["", "Kernel time by system call (share of all samples, callees included): " +
                    ", ".join("%s %.0f%%" % (name, share) for share, name in calls[:10]) + "."]
    out += ["", "## Notes", "",
            "- What each tool leaves: burrow keeps every compressed blob (fsynced, in an OCI layout)",
            "  and each layer unpacked in a directory of its own (the container's overlay lowers, so",
            "  nothing is merged); podman keeps the unpacked layers only; skopeo + umoci keep the",
            "  blobs and one merged bundle; ch-image keeps the downloaded blobs and one merged tree,",
            "  and with its build cache (on by default when git is installed) also commits that tree",
            "  to git (`--no-cache` skips that). Only burrow and the naive floor unpack layers in",
            "  parallel; podman pulls blobs in parallel but applies layers in order.",
            "- The naive floor verifies no digest, applies no whiteouts and keeps no blob; it runs",
            "  gzip(1), whose inflate is slower than zlib's, so burrow can undercut it: it is a",
            "  floor for a naive tool, not a lower bound. Serial: one layer after the other.",
            "- ch-image 0.31 speaks https only, so compare it with `burrow pull (https)`; the others",
            "  pull over plain http. Over https the registry encrypts on the same two cores, so both",
            "  pay for the server's TLS as well as their own.",
            "- Peak RSS is GNU time's maximum resident set size: the largest single process of the",
            "  command (for skopeo + umoci and the floor's pipelines, the largest of them, not the sum).",
            "  The registries' memory is not counted.",
            "- The work dir's own filesystem on these machines is ext4 without a journal, where",
            "  allocating inodes right after deleting many (each run's prepare wipes the last one's",
            "  ~90,000) scans the recently deleted ones: timings there grow several-fold and",
            "  erratically, for every tool. Hence the fresh journaled ext4 (BURROW_BENCH_FS)."]
    section = write_section(md, "bench/pull.sh", out)
    print(section)


if __name__ == "__main__":
    main()
