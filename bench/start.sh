#!/bin/sh
# Times starting /bin/true in a prepared container, as an unprivileged user, against bare
# `true`, `unshare -Urm`, bubblewrap and Charliecloud's ch-run on the same busybox root
# filesystem, in one hyperfine run; writes its section of bench/RESULTS.md. Run as root on Debian 12.
# Settings: BURROW_BENCH_USER (default burrowbench, created when missing), BURROW_BENCH_RUNS
# (default 300).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
user=${BURROW_BENCH_USER:-burrowbench}
runs=${BURROW_BENCH_RUNS:-300}
stage=/var/tmp/burrow-bench

[ "$(id -u)" = 0 ] || { echo "bench/start.sh: run as root (it installs packages and creates a user)" >&2; exit 1; }
scripts/install-deps bench
[ -e build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$user"
rm -rf "$stage"
mkdir -p "$stage/bin"
install -m 0755 build/burrow "$stage/bin/burrow"
scripts/busybox-rootfs "$stage/rootfs"
chown "$user:" "$stage"

as_user() {
	setpriv --reuid="$user" --regid="$user" --init-groups --inh-caps=-all \
		env -i HOME="$(getent passwd "$user" | cut -d: -f6)" USER="$user" LOGNAME="$user" \
		PATH="$stage/bin:/usr/bin:/bin" LANG=C.UTF-8 BURROW_DATA_PATH="$stage/data" \
		sh -c 'cd "$0" && exec "$@"' "$stage" "$@"
}

as_user burrow create --name bench "$stage/rootfs" 2>/dev/null
as_user hyperfine -N --warmup 30 --runs "$runs" --export-json "$stage/start.json" \
	-n 'true (no container)' 'true' \
	-n 'unshare -Urm' 'unshare -Urm true' \
	-n 'burrow start' 'burrow start bench true' \
	-n 'bwrap' "bwrap --unshare-user --bind $stage/rootfs / --proc /proc --dev /dev true" \
	-n 'ch-run' "ch-run $stage/rootfs -- true"

python3 - "$stage/start.json" "$root/bench/RESULTS.md" "$runs" "$root/bench/lib" <<'PY'
import json, os, platform, statistics, sys, datetime
sys.path.insert(0, sys.argv[4])
from results import write_section
data = json.load(open(sys.argv[1]))["results"]
med = {r["command"]: statistics.median(r["times"]) * 1000 for r in data}
unshare = med["unshare -Urm"]
lines = [
    "# Start benchmark",
    "",
    "Starting `/bin/true` in a prepared container (busybox root filesystem made by",
    "`scripts/busybox-rootfs`), as an unprivileged user, all in one hyperfine run.",
    "",
    "Produced by (as root, Debian 12):",
    "",
    "    bench/start.sh",
    "",
    "which runs, as the unprivileged user:",
    "",
    "    hyperfine -N --warmup 30 --runs %s 'true' 'unshare -Urm true' 'burrow start bench true' \\" % sys.argv[3],
    "        'bwrap --unshare-user --bind ROOTFS / --proc /proc --dev /dev true' 'ch-run ROOTFS -- true'",
    "",
    "Machine: %s, kernel %s, %d cores; %s." % (platform.machine(), platform.release(),
        os.cpu_count(), datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
    "",
    "| command | median (ms) | × `unshare -Urm` |",
    "|---|---:|---:|",
]
for r in data:
    m = med[r["command"]]
    lines.append("| %s | %.2f | %.2f |" % (r["command"], m, m / unshare))
lines += ["", "Target: `burrow start` median ≤ 1.5× `unshare -Urm true` and below `ch-run`."]
b = med["burrow start"]
lines.append("Here: burrow is %.2f× unshare (%s) and %s ch-run." % (b / unshare,
    "met" if b <= 1.5 * unshare else "not met", "below" if b < med["ch-run"] else "not below"))
lines += ["",
    "Why the two differ: `ch-run` and `unshare` set up and exec in the same process; burrow forks",
    "once and stays as the program's parent (to forward signals, pass the exit status through and,",
    "later, serve FUSE), so it also pays one fork and one wait. Its binary links only libc (libarchive",
    "is linked statically) so that starting it costs about what starting `unshare` does."]
print(write_section(sys.argv[2], "bench/start.sh", lines))
PY
