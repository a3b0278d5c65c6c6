#!/bin/sh
# Times image files (.sqsh, served by burrow's own FUSE server) as an unprivileged user, peers
# side by side in one hyperfine run each: (1) starting `true` from a pulled image, a created
# container and a .sqsh against ch-run on a directory and on a squashfs file and rootless
# podman; (2) N starts at once, the same way; (3) `burrow import` of a big image against
# mksquashfs of its unpacked tree (zstd level 15, 128 KiB blocks, as many threads); (4) 8
# readers and 1 reader hashing every file of the big image through the FUSE server against
# the unpacked tree. Writes the "Image file benchmark" section of bench/RESULTS.md and keeps
# the rest. Run as root on Debian 12.
#
# The images come from a local registry (tests/lab/registry.sh) as in bench/pull.sh: "small"
# is scripts/busybox-rootfs as one layer, "big" the same plus three layers of about
# BURROW_BENCH_SIZE MiB of files (bench/lib/mkimportimage.py), built once with umoci and
# cached in BURROW_BENCH_IMAGES (default /var/cache/burrow-bench). The rest lives in
# BURROW_BENCH_WORK (default /var/tmp/burrow-bench-image-file), emptied first; at the end
# only its results/ stays. /dev/fuse is made 0666 for the run (rootless FUSE needs it) and
# its mode put back at the end; tests/cli/start_file.bats changes that mode too, so do not
# run the two at once (a .sqsh start that fell back to unpacking fails the run).
#
# A default run takes roughly 20 to 30 minutes on 2 cores: most of it the eight imports of
# the 1 GiB image at zstd level 15 (2 probes, 2 x 3 timed runs) and 220 starts of podman at
# about a second each. BURROW_BENCH_QUICK=1 BURROW_BENCH_SIZE=16 runs in about 2 minutes.
#
# Settings:
#   BURROW_BENCH_USER         default burrowbench, created when missing (podman needs
#                             subordinate ids; without them its rows are left out)
#   BURROW_BENCH_QUICK=1      a smoke test: few runs, a 64 MiB image
#   BURROW_BENCH_SIZE         MiB of file data in the big image (default 1024)
#   BURROW_BENCH_RUNS         timed runs of a single start (default 200)
#   BURROW_BENCH_PAR          starts at once in (2) (default 32)
#   BURROW_BENCH_PAR_RUNS     timed runs of (2) (default 20)
#   BURROW_BENCH_IMPORT_RUNS  timed runs of (3) (default 3)
#   BURROW_BENCH_READERS      parallel readers in (4) (default 8)
#   BURROW_BENCH_READ_RUNS    timed runs of (4) (default 5)
#   BURROW_BENCH_WORK, BURROW_BENCH_IMAGES
#   BURROW_BENCH_NO_RESULTS=1 measure, but leave RESULTS.md alone
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
user=${BURROW_BENCH_USER:-burrowbench}
quick=${BURROW_BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
	d_size=64 d_runs=5 d_warmup=1 d_par_runs=2 d_import_runs=1 d_read_runs=1
else
	d_size=1024 d_runs=200 d_warmup=20 d_par_runs=20 d_import_runs=3 d_read_runs=5
fi
size=${BURROW_BENCH_SIZE:-$d_size}
runs=${BURROW_BENCH_RUNS:-$d_runs}
warmup=$d_warmup
par=${BURROW_BENCH_PAR:-32}
par_runs=${BURROW_BENCH_PAR_RUNS:-$d_par_runs}
import_runs=${BURROW_BENCH_IMPORT_RUNS:-$d_import_runs}
readers=${BURROW_BENCH_READERS:-8}
read_runs=${BURROW_BENCH_READ_RUNS:-$d_read_runs}
work=${BURROW_BENCH_WORK:-/var/tmp/burrow-bench-image-file}
images=${BURROW_BENCH_IMAGES:-/var/cache/burrow-bench}
image_version=1 # bump when the way the images are assembled below changes
export LC_ALL=C TZ=UTC
umask 022

die() {
	echo "bench/image-file.sh: $*" >&2
	exit 1
}
log() {
	echo "[image-file.sh $(date +%T)] $*" >&2
}

[ "$(id -u)" = 0 ] || die "run as root (it installs packages, may create a user, starts a registry and sets /dev/fuse's mode)"
case $work in /*) ;; *) die "BURROW_BENCH_WORK must be absolute" ;; esac
for n in "$size" "$runs" "$par" "$par_runs" "$import_runs" "$readers" "$read_runs"; do
	case $n in '' | *[!0-9]* | 0) die "the BURROW_BENCH_* counts must be positive integers" ;; esac
done
[ "$size" -ge 4 ] || die "BURROW_BENCH_SIZE must be at least 4 (MiB)"
scripts/install-deps bench
[ -e build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$user"
threads=$(nproc)

# ---------------------------------------------------------------- the images, built once

key=$({
	echo "$image_version $size"
	cat bench/lib/mkimportimage.py bench/lib/benchtext.py scripts/busybox-rootfs /bin/busybox
	umoci --version
	/usr/bin/python3 --version
} | sha256sum | cut -c1-16)
cache=$images/image-file-$size-$key
build_images() {
	tmp=$cache.new
	rm -rf "$tmp"
	mkdir -p "$tmp/layers"
	log "building the bench images in $cache (once)"
	scripts/busybox-rootfs "$tmp/rootfs"
	tar -C "$tmp/rootfs" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1700000000 \
		-cf "$tmp/layers/layer-base.tar" .
	rm -rf "$tmp/rootfs"
	/usr/bin/python3 bench/lib/mkimportimage.py "$tmp/layers" "$size" >"$tmp/layers.txt"
	layout=$tmp/oci created=2023-11-14T22:13:20Z
	umoci init --layout "$layout"
	umoci new --image "$layout:small"
	umoci config --image "$layout:small" --created "$created" --no-history \
		--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		--config.cmd /bin/sh
	umoci raw add-layer --image "$layout:small" --history.created "$created" \
		--history.created_by "scripts/busybox-rootfs" "$tmp/layers/layer-base.tar"
	umoci tag --image "$layout:small" big
	while IFS="$(printf '\t')" read -r file entries bytes what; do
		umoci raw add-layer --image "$layout:big" --history.created "$created" \
			--history.created_by "mkimportimage.py: $what ($entries entries, $bytes bytes)" "$file"
	done <"$tmp/layers.txt"
	rm -rf "$tmp/layers"
	umoci gc --layout "$layout"
	chmod -R a+rX "$tmp"
	rm -rf "$cache"
	mv "$tmp" "$cache"
}
mkdir -p "$images"
(
	flock 9
	[ -e "$cache/oci/index.json" ] || build_images
) 9>"$images/.lock.image-file"

# ---------------------------------------------------------------- the work dir

home=$work/home
out=$work/out
run_dir=$work/run
results=$work/results
fuse_mode=
teardown() {
	if [ -s "$run_dir/libpod/tmp/pause.pid" ]; then
		kill "$(cat "$run_dir/libpod/tmp/pause.pid")" 2>/dev/null || true
		rm -f "$run_dir/libpod/tmp/pause.pid"
	fi
	tests/lab/registry.sh stop "$work/registry" >/dev/null 2>&1 || true
	rm -rf "$out" "$home" "$run_dir" "$work/registry" "$work/cache" "$work/data" "${work:?}/bin" "$work/probe.log"
}
cleanup() {
	set +e
	[ -z "$fuse_mode" ] || chmod "$fuse_mode" /dev/fuse
	teardown
}
if [ -d "$work" ]; then
	teardown
	rm -rf "$work"
fi
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$work/bin" "$work/registry" "$home/.config/containers" "$out" "$run_dir" "$results"
install -m 0755 build/burrow "$work/bin/burrow"

# N copies of a command at once; fails when any of them fails.
cat >"$work/bin/par" <<'EOF'
#!/bin/sh
n=$1
shift
pids= i=0
while [ "$i" -lt "$n" ]; do
	"$@" &
	pids="$pids $!"
	i=$((i + 1))
done
rc=0
for pid in $pids; do
	wait "$pid" || rc=1
done
exit "$rc"
EOF
# Hashes every file under DIR with P readers, all with the image's busybox (the host's
# /bin/busybox is the same binary), so both sides run the same code.
cat >"$work/bin/readall" <<'EOF'
#!/bin/sh
set -eu
cd "$1"
busybox find . -type f | busybox xargs -P "$2" -n 50 busybox sha256sum >/dev/null
EOF
chmod 0755 "$work/bin/par" "$work/bin/readall"

# Rootless podman: its own storage in the work dir, events to a file. (Not cgroups =
# "disabled" as in bench/pull.sh: Debian's podman runs containers with runc, which refuses it.)
cat >"$home/.config/containers/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$out/podman/events.log"
EOF
cat >"$home/.config/containers/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$out/podman/storage"
runroot = "$out/podman/run"
EOF
chown -R "$user:" "$work"
chmod 0700 "$run_dir"

# shellcheck disable=SC2016 # expanded by the user's shell
as_user() {
	setpriv --reuid="$user" --regid="$user" --init-groups --inh-caps=-all \
		env -i HOME="$home" USER="$user" LOGNAME="$user" PATH="$work/bin:/usr/bin:/bin" \
		LANG=C.UTF-8 XDG_RUNTIME_DIR="$run_dir" BURROW_DATA_PATH="$work/data" \
		BURROW_CACHE_PATH="$work/cache" sh -c 'cd "$0" && exec "$@"' "$work" "$@"
}

fuse_mode=$(stat -c %a /dev/fuse)
chmod 0666 /dev/fuse

# ---------------------------------------------------------------- registry, pulls, files

log "starting the registry"
port=$(tests/lab/registry.sh start "$work/registry")
registry=127.0.0.1:$port
small=$registry/bench/small:latest
big=$registry/bench/big:latest
for tag in small big; do
	skopeo copy --quiet --dest-tls-verify=false --format v2s2 "oci:$cache/oci:$tag" \
		"docker://$registry/bench/$tag:latest"
done

log "pulling, importing and unpacking (untimed)"
as_user burrow pull -q "$small" >/dev/null
as_user burrow pull -q "$big" >/dev/null
as_user burrow create --name small "$small" >/dev/null
as_user burrow import -o "$out/small.sqsh" "$small" >/dev/null
as_user cp "$out/small.sqsh" "$out/small.sqfs"
as_user unsquashfs -q -no-xattrs -d "$out/small-tree" "$out/small.sqsh" >/dev/null
as_user burrow import -o "$out/big.sqsh" "$big" >/dev/null
as_user unsquashfs -q -no-xattrs -d "$out/big-tree" "$out/big.sqsh" >/dev/null
# The .sqsh rows are meant to go through the FUSE server, not the unpacked fallback.
as_user burrow start "$out/small.sqsh" true 2>"$work/probe.log" ||
	die "burrow start $out/small.sqsh true failed: $(cat "$work/probe.log")"
if grep -q 'FUSE is unusable' "$work/probe.log" || [ -e "$work/cache/imagefiles" ]; then
	die "burrow does not serve image files over FUSE here: $(cat "$work/probe.log")"
fi
big_files=$(find "$out/big-tree/data" -type f | wc -l)
big_bytes=$(du -sb --apparent-size "$out/big-tree/data" | cut -f1)

# A row whose command fails once here is left out, with the reason, in notes.txt.
: >"$results/notes.txt"
# probe NAME COMMAND: runs COMMAND (words, no shell) as the user; 0 when it worked.
probe() {
	name=$1
	shift
	if as_user "$@" >"$work/probe.log" 2>&1; then
		return 0
	fi
	printf '%s\t%s\n' "$name" "$(tail -n 1 "$work/probe.log")" >>"$results/notes.txt"
	log "left out: $name: $(tail -n 1 "$work/probe.log")"
	return 1
}

podman_ok=0
if ! grep -q "^$user:" /etc/subuid || ! grep -q "^$user:" /etc/subgid; then
	printf '%s\t%s\n' 'podman run' "$user has no subordinate ids (/etc/subuid, /etc/subgid)" >>"$results/notes.txt"
elif probe 'podman run' podman pull -q --tls-verify=false "$small" &&
	probe 'podman run' podman run --rm --network host "$small" true; then
	podman_ok=1
fi

# The hyperfine arguments of one table, built up in "$@" and recorded in TABLE.cmds with the
# work dir and the registry as placeholders.
# row TABLE NAME COMMAND: adds the row when COMMAND (run through sh -c) works once.
row() {
	if probe "$2" sh -c "$3"; then
		printf '%s\t%s\n' "$2" "$3" >>"$results/$1.cmds"
	fi
}
# timed TABLE HYPERFINE-OPTIONS...: runs hyperfine over TABLE's rows.
timed() {
	table=$1
	shift
	set -- "$@" --export-json "$results/$table.json"
	while IFS="$(printf '\t')" read -r name cmd; do
		set -- "$@" -n "$name" "$cmd"
	done <"$results/$table.cmds"
	# A start of ch-run on a squashfs file once failed here without a trace in hundreds of
	# runs: one retry of the table before giving up.
	as_user hyperfine "$@" || {
		log "hyperfine failed over $table; once more"
		as_user hyperfine "$@"
	}
	sed -i -e "s|$out|OUT|g; s|$work/bin/|WORK/bin/|g; s|$registry|REGISTRY|g" "$results/$table.cmds"
}

# ---------------------------------------------------------------- 1. one start

log "1. starting true: $runs runs"
: >"$results/start.cmds"
row start 'burrow start IMAGE' "burrow start $small true"
row start 'burrow start CONTAINER' "burrow start small true"
row start 'burrow start FILE.sqsh' "burrow start $out/small.sqsh true"
row start 'ch-run DIR' "ch-run $out/small-tree -- true"
row start 'ch-run FILE.sqfs' "ch-run $out/small.sqfs -- true"
[ "$podman_ok" = 0 ] || row start 'podman run' "podman run --rm --network host $small true"
timed start -N --warmup "$warmup" --runs "$runs"

# ---------------------------------------------------------------- 2. many starts at once

log "2. $par starts at once: $par_runs runs"
: >"$results/par.cmds"
row par "burrow start IMAGE ×$par" "par $par burrow start $small true"
row par "burrow start CONTAINER ×$par" "par $par burrow start small true"
row par "burrow start FILE.sqsh ×$par" "par $par burrow start $out/small.sqsh true"
row par "ch-run DIR ×$par" "par $par ch-run $out/small-tree -- true"
row par "ch-run FILE.sqfs ×$par" "par $par ch-run $out/small.sqfs -- true"
timed par -N --warmup 1 --runs "$par_runs"

# ---------------------------------------------------------------- 3. import

log "3. import of the big image: $import_runs runs"
: >"$results/import.cmds"
row import 'burrow import' "burrow import -f -o $out/import.sqsh $big >/dev/null"
row import 'mksquashfs + sync' "mksquashfs $out/big-tree $out/mksquashfs.sqsh -noappend -quiet -no-progress -no-xattrs -comp zstd -Xcompression-level 15 -b 131072 -processors $threads && sync $out/mksquashfs.sqsh"
# The sizes of what the probes wrote: each timed run's prepare removes both.
import_size=$(stat -c %s "$out/import.sqsh" 2>/dev/null || echo 0)
mksquashfs_size=$(stat -c %s "$out/mksquashfs.sqsh" 2>/dev/null || echo 0)
timed import --prepare "rm -f $out/import.sqsh $out/mksquashfs.sqsh" --runs "$import_runs"

# ---------------------------------------------------------------- 4. parallel readers

log "4. $readers readers and 1 reader over the big image: $read_runs runs"
: >"$results/read.cmds"
row read "FUSE (burrow start FILE.sqsh), $readers readers" "burrow start $out/big.sqsh $work/bin/readall /data $readers"
row read "FUSE (burrow start FILE.sqsh), 1 reader" "burrow start $out/big.sqsh $work/bin/readall /data 1"
row read "directory, $readers readers" "$work/bin/readall $out/big-tree/data $readers"
row read "directory, 1 reader" "$work/bin/readall $out/big-tree/data 1"
timed read -N --warmup 1 --runs "$read_runs"

# ---------------------------------------------------------------- the record

[ ! -e "$work/cache/imagefiles" ] || die "burrow unpacked an image file instead of serving it over FUSE"

[ "${BURROW_BENCH_NO_RESULTS:-}" = 1 ] && exit 0
{
	printf 'invocation='
	env | sort | grep '^BURROW_BENCH_' | while IFS= read -r setting; do
		case ${setting#*=} in
		*[!A-Za-z0-9_./:=-]*) printf "%s='%s' " "${setting%%=*}" "${setting#*=}" ;;
		*) printf '%s ' "$setting" ;;
		esac
	done
	echo bench/image-file.sh
	echo "user=$user"
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "threads=$threads"
	echo "size=$size"
	echo "runs=$runs"
	echo "warmup=$warmup"
	echo "par=$par"
	echo "par_runs=$par_runs"
	echo "import_runs=$import_runs"
	echo "readers=$readers"
	echo "read_runs=$read_runs"
	echo "big_files=$big_files"
	echo "big_bytes=$big_bytes"
	echo "sizes=$import_size $mksquashfs_size"
	echo "fs=$(findmnt -no FSTYPE -T "$work") ($(findmnt -no SOURCE -T "$work"))"
	echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "burrow=build/ of $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src meson.build || echo ' with uncommitted changes')"
	echo "versions=charliecloud $(dpkg-query -W -f='${Version}' charliecloud-runtime), squashfuse $(dpkg-query -W -f='${Version}' squashfuse), squashfs-tools $(dpkg-query -W -f='${Version}' squashfs-tools), podman $(dpkg-query -W -f='${Version}' podman), hyperfine $(dpkg-query -W -f='${Version}' hyperfine)"
} >"$results/meta.txt"
/usr/bin/python3 bench/lib/image-file-report.py "$results" bench/RESULTS.md
