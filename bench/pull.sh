#!/bin/bash
# Times pulling a ~1 GB, 8-layer image from a local registry to a runnable container, as an
# unprivileged user: `burrow pull` against `podman pull`, `skopeo copy` + `umoci unpack
# --rootless`, `ch-image pull` and a naive `curl | gzip -dc | tar -x` floor, in one hyperfine
# run; then each one's peak RSS (GNU time) and re-pulls with everything cached. Writes the
# "Pull benchmark" section of bench/RESULTS.md and keeps the rest of the file. Run as root on
# Debian 12.
#
# The image (bench/lib/mkpullimage.py: many small files and large incompressible ones) is
# built once and cached in BURROW_BENCH_IMAGES (default /var/cache/burrow-bench). The rest
# lives in BURROW_BENCH_WORK (default /var/tmp/burrow-bench-pull), emptied first: the
# registry (tests/lab/registry.sh, plain http on 127.0.0.1), a second docker-registry serving
# the same storage over TLS with a CA made here (ch-image 0.31 speaks https only; it trusts
# the CA through REQUESTS_CA_BUNDLE, burrow's https row through
# /etc/burrow/certs.d/127.0.0.1:PORT/ca.crt, the one file made outside the work dir, removed
# at the end), the user's HOME with podman's and git's settings, and out/, where the tools
# write. At the end the registries stop, out/ and the registry's storage go, results/ stays.
#
# Settings:
#   BURROW_BENCH_USER        default burrowbench, created when missing; needs subordinate ids
#   BURROW_BENCH_RUNS        timed runs per command (default 3)
#   BURROW_BENCH_CACHED_RUNS re-pulls with everything cached (default 30)
#   BURROW_BENCH_FS          what out/ is: ext4 (default: a fresh ext4 with a journal on a
#                            loop device), tmpfs, or none (the work dir's own filesystem)
#   BURROW_BENCH_BIN         a burrow binary to time instead of building build/, and
#   BURROW_BENCH_BIN_NOTE    what it is, for the record (e.g. "release build of 4be6736")
#   BURROW_BENCH_WORK, BURROW_BENCH_IMAGES
#   BURROW_BENCH_NO_RESULTS=1  measure, but leave RESULTS.md alone
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
user=${BURROW_BENCH_USER:-burrowbench}
runs=${BURROW_BENCH_RUNS:-3}
cached_runs=${BURROW_BENCH_CACHED_RUNS:-30}
work=${BURROW_BENCH_WORK:-/var/tmp/burrow-bench-pull}
fs=${BURROW_BENCH_FS:-ext4}
images=${BURROW_BENCH_IMAGES:-/var/cache/burrow-bench}
image_version=1 # bump when the way the image is assembled below changes
repo=bench/big
tag=latest
export LC_ALL=C TZ=UTC
umask 022

die() {
	echo "bench/pull.sh: $*" >&2
	exit 1
}
log() {
	printf '[pull.sh %(%T)T] %s\n' -1 "$*" >&2
}

[ "$(id -u)" = 0 ] || die "run as root (it installs packages, may create a user and starts registries)"
case $work in /*) ;; *) die "BURROW_BENCH_WORK must be absolute" ;; esac
case $fs in ext4 | tmpfs | none) ;; *) die "BURROW_BENCH_FS is ext4, tmpfs or none" ;; esac
case $work in *:*) die "BURROW_BENCH_WORK must not hold ':' (skopeo and umoci split oci:DIR:TAG there)" ;; esac
scripts/install-deps bench
if [ -n "${BURROW_BENCH_BIN:-}" ]; then
	burrow_bin=$BURROW_BENCH_BIN
else
	[ -e build/build.ninja ] || meson setup build >/dev/null
	ninja -C build >/dev/null
	burrow_bin=build/burrow
fi
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$user"
if ! grep -q "^$user:" /etc/subuid || ! grep -q "^$user:" /etc/subgid; then
	die "$user has no subordinate ids in /etc/subuid and /etc/subgid (rootless podman needs them)"
fi

# ---------------------------------------------------------------- the image, built once

key=$({
	echo "$image_version"
	cat bench/lib/mkpullimage.py bench/lib/benchtext.py /bin/busybox
	umoci --version
	/usr/bin/python3 --version
} | sha256sum | cut -c1-16)
cache=$images/pull-$key
build_image() {
	local tmp=$cache.new
	rm -rf "$tmp"
	mkdir -p "$tmp/layers"
	log "building the bench image in $cache (once; a few minutes)"
	/usr/bin/python3 bench/lib/mkpullimage.py "$tmp/layers" /bin/busybox >"$tmp/layers.txt"
	local layout=$tmp/oci created=2023-11-14T22:13:20Z
	umoci init --layout "$layout"
	umoci new --image "$layout:big"
	umoci config --image "$layout:big" --created "$created" --no-history \
		--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		--config.cmd /bin/sh
	local file entries bytes what
	while IFS=$'\t' read -r file entries bytes what; do
		umoci raw add-layer --image "$layout:big" --history.created "$created" \
			--history.created_by "mkpullimage.py: $what ($entries entries, $bytes bytes)" "$file"
		rm -f "$file"
	done <"$tmp/layers.txt"
	umoci gc --layout "$layout"
	rmdir "$tmp/layers"
	chmod -R a+rX "$tmp"
	rm -rf "$cache"
	mv "$tmp" "$cache"
	find "$images" -mindepth 1 -maxdepth 1 -name 'pull-*' ! -name "pull-$key" -exec rm -rf {} +
}
mkdir -p "$images"
exec 9>"$images/.lock"
flock 9
[ -e "$cache/oci/index.json" ] || build_image
exec 9>&-

# ---------------------------------------------------------------- the work dir

home=$work/home
out=$work/out
run_dir=$work/run
tls=$work/tls
results=$work/results
certs_dir=
stop_tls() {
	local pid
	pid=$(cat "$tls/registry.pid" 2>/dev/null) || return 0
	rm -f "$tls/registry.pid"
	kill -TERM -- "-$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do
		kill -0 -- "-$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
}
# Stops what a run started and drops the tools' output; the results stay.
teardown() {
	if [ -s "$run_dir/libpod/tmp/pause.pid" ]; then
		kill "$(cat "$run_dir/libpod/tmp/pause.pid")" 2>/dev/null || true
		rm -f "$run_dir/libpod/tmp/pause.pid"
	fi
	tests/lab/registry.sh stop "$work/registry" || true
	stop_tls || true
	if mountpoint -q "$out"; then
		umount "$out" || umount -l "$out"
	fi
	rm -rf "$out" "$work/out.img"
}
cleanup() {
	set +e
	teardown
	rm -rf "$work/registry/storage"
	[ -z "$certs_dir" ] || rm -rf "$certs_dir"
	rmdir /etc/burrow/certs.d /etc/burrow 2>/dev/null
}
if [ -d "$work" ]; then
	teardown
	rm -rf "$work"
fi
trap cleanup EXIT
mkdir -p "$work/bin" "$work/registry" "$tls" "$home/.config/containers" "$out" "$run_dir" "$results"
# Where the tools write. Root filesystems without a journal (these machines' ext4) make ext4
# skip inodes deleted in the last minute when allocating, one lookup each: a pull right after
# the previous run's output was wiped then costs up to several times more, and erratically.
case $fs in
ext4)
	truncate -s 48G "$work/out.img"
	mkfs.ext4 -q -F "$work/out.img"
	mount -o loop "$work/out.img" "$out"
	fs_note="a fresh ext4 (with journal) on a loop device, file in $work"
	;;
tmpfs)
	mount -t tmpfs -o size=16g,mode=0755 burrow-bench "$out"
	fs_note="tmpfs"
	;;
none) fs_note="$(findmnt -no FSTYPE -T "$out") at $out ($(findmnt -no SOURCE -T "$out"))" ;;
esac
install -m 0755 "$burrow_bin" "$work/bin/burrow"
install -m 0755 bench/lib/naive-pull.sh "$work/bin/naive-pull"

# Empties the output of one tool (as the user). Trees the tools unpacked may hold
# directories without write permission; podman's hold files of subordinate ids.
cat >"$work/bin/wipe" <<'EOF'
#!/bin/sh
set -eu
for dir; do
	[ -e "$dir" ] || continue
	case $dir in
	*/podman) podman system reset --force >/dev/null ;;
	*) find "$dir" -type d ! -perm -u=rwx -exec chmod u+rwx {} + && rm -rf "$dir" ;;
	esac
done
# Nothing of the last run still being written back while the next one is timed.
sync
EOF
chmod 0755 "$work/bin/wipe"

# Rootless podman: its own storage in the work dir, overlay (native rootless overlayfs,
# kernel 5.11+) when it works, else vfs; no cgroups, events to a file.
cat >"$home/.config/containers/containers.conf" <<EOF
[containers]
cgroups = "disabled"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$out/podman/events.log"
EOF
podman_conf() {
	cat >"$home/.config/containers/storage.conf" <<-EOF
		[storage]
		driver = "$1"
		graphroot = "$out/podman/storage"
		runroot = "$out/podman/run"
	EOF
}
podman_conf overlay
# ch-image's build cache (on by default where git is) commits the pulled image with git.
printf '[user]\n\tname = burrow bench\n\temail = bench@localhost\n' >"$home/.gitconfig"
chown -R "$user:" "$home" "$out" "$run_dir" "$results"
chmod 0700 "$run_dir"

# shellcheck disable=SC2016 # expanded by the user's shell
as_user() {
	setpriv --reuid="$user" --regid="$user" --init-groups --inh-caps=-all \
		env -i HOME="$home" USER="$user" LOGNAME="$user" PATH="$work/bin:/usr/bin:/bin" \
		LANG=C.UTF-8 XDG_RUNTIME_DIR="$run_dir" BURROW_DATA_PATH="$out/burrow-data" \
		REQUESTS_CA_BUNDLE="$tls/ca.pem" \
		sh -c 'cd "$0" && exec "$@"' "$out" "$@"
}

# ---------------------------------------------------------------- registries

log "starting the registries"
port=$(tests/lab/registry.sh start "$work/registry")
registry=127.0.0.1:$port
skopeo copy --quiet --dest-tls-verify=false --format v2s2 "oci:$cache/oci:big" "docker://$registry/$repo:$tag"

# The same storage over TLS: a CA, a certificate for 127.0.0.1 signed by it, a second
# registry process reading the first one's storage.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=burrow-bench-ca -keyout "$tls/ca.key" -out "$tls/ca.pem" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
	-keyout "$tls/key.pem" -out "$tls/cert.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$tls/ext.cnf"
openssl x509 -req -in "$tls/cert.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
	-days 2 -extfile "$tls/ext.cnf" -out "$tls/cert.pem" 2>/dev/null
chmod a+r "$tls/ca.pem"
cat >"$tls/config.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $work/registry/storage
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:0
  secret: burrow-bench-secret
  tls:
    certificate: $tls/cert.pem
    key: $tls/key.pem
EOF
setsid timeout 7200 docker-registry serve "$tls/config.yml" </dev/null >"$tls/registry.log" 2>&1 &
echo $! >"$tls/registry.pid"
tls_port=
for _ in $(seq 200); do
	tls_port=$(sed -n 's/.*msg="listening on 127\.0\.0\.1:\([0-9]*\), tls".*/\1/p' "$tls/registry.log")
	[ -n "$tls_port" ] && break
	sleep 0.05
done
[ -n "$tls_port" ] || die "the TLS registry did not start: $(tail -n 5 "$tls/registry.log")"
tls_registry=127.0.0.1:$tls_port
curl -sf --cacert "$tls/ca.pem" -o /dev/null "https://$tls_registry/v2/" ||
	die "https://$tls_registry/v2/ does not answer"
# burrow trusts a registry's CA from /etc/burrow/certs.d/HOST:PORT/ca.crt.
certs_dir=/etc/burrow/certs.d/$tls_registry
[ ! -e "$certs_dir" ] || die "$certs_dir exists already"
mkdir -p "$certs_dir"
cp "$tls/ca.pem" "$certs_dir/ca.crt"
# Both registries serve the blobs from the page cache from the first run on.
cat "$work"/registry/storage/docker/registry/v2/blobs/sha256/*/*/data >/dev/null

manifest_info=$(skopeo inspect --tls-verify=false --raw "docker://$registry/$repo:$tag" | /usr/bin/python3 -c '
import json, sys
m = json.load(sys.stdin)
print(len(m["layers"]), sum(l["size"] for l in m["layers"]))')
log "image $registry/$repo:$tag (https: $tls_registry): $manifest_info (layers, compressed bytes)"

# Rootless overlay where the kernel allows it, else vfs.
if ! as_user podman pull -q --tls-verify=false "$registry/$repo:$tag" >/dev/null 2>"$work/podman-probe.log"; then
	log "podman with overlay failed ($(tail -n 1 "$work/podman-probe.log")); using vfs"
	as_user wipe "$out/podman" || true
	podman_conf vfs
	chown "$user:" "$home/.config/containers/storage.conf"
fi
podman_driver=$(as_user podman info --format '{{.Store.GraphDriverName}}')
as_user wipe "$out/podman"

# ---------------------------------------------------------------- the timed pulls

ref=$registry/$repo:$tag
tls_ref=$tls_registry/$repo:$tag
names=() prepares=() cmds=()
# bench NAME PREPARE COMMAND: both run as the user (hyperfine through sh -c).
bench() {
	names+=("$1") prepares+=("$2") cmds+=("$3")
}
bench 'burrow pull' "wipe $out/burrow" "env BURROW_CACHE_PATH=$out/burrow burrow pull -q $ref"
bench 'burrow pull (https)' "wipe $out/burrow-https" \
	"env BURROW_CACHE_PATH=$out/burrow-https burrow pull -q $tls_ref"
bench 'podman pull' "wipe $out/podman" "podman pull -q --tls-verify=false $ref"
bench 'skopeo copy + umoci unpack' "wipe $out/oci $out/bundle" \
	"skopeo copy -q --src-tls-verify=false docker://$ref oci:$out/oci:big && umoci unpack --rootless --image $out/oci:big $out/bundle"
bench 'ch-image pull (https)' "wipe $out/ch" "ch-image -s $out/ch pull $tls_ref"
bench 'ch-image --no-cache pull (https)' "wipe $out/ch-nc" "ch-image --no-cache -s $out/ch-nc pull $tls_ref"
bench 'curl | tar -x, parallel' "wipe $out/naive" "naive-pull parallel http://$registry $repo $tag $out/naive"
bench 'curl | tar -x, serial' "wipe $out/naive" "naive-pull serial http://$registry $repo $tag $out/naive"

args=()
for i in "${!names[@]}"; do
	args+=(-n "${names[$i]}" --prepare "${prepares[$i]}" "${cmds[$i]}")
done
# For the record: what ran, with the registries and the output dir as placeholders.
for i in "${!names[@]}"; do
	printf '%s\t%s\t%s\n' "${names[$i]}" "${prepares[$i]}" "${cmds[$i]}"
done | sed -e "s|$tls_registry|TLS_REGISTRY|g; s|$registry|REGISTRY|g; s|$out|OUT|g" >"$results/commands.tsv"
log "timing the pulls: ${#names[@]} commands, $runs runs each"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
as_user hyperfine --runs "$runs" --export-json "$results/pull.json" "${args[@]}"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# Peak RSS: one more run of each under GNU time, which reports the largest single process
# among the command's descendants (not their sum).
log "peak RSS"
: >"$results/rss.tsv"
for i in "${!names[@]}"; do
	as_user sh -c "${prepares[$i]}"
	as_user /usr/bin/time -f '%M %e' -o "$results/rss.one" sh -c "${cmds[$i]}" >/dev/null
	printf '%s\t%s\n' "${names[$i]}" "$(cat "$results/rss.one")" >>"$results/rss.tsv"
done

# Where burrow's time goes: one more pull under perf (when linux-perf is there), as a
# summary by function and by system call.
if command -v perf >/dev/null; then
	log "profiling burrow pull"
	as_user wipe "$out/burrow"
	perf record -q -o "$results/perf.data" -g -F 999 -- \
		setpriv --reuid="$user" --regid="$user" --init-groups --inh-caps=-all \
		env -i HOME="$home" PATH="$work/bin:/usr/bin:/bin" BURROW_CACHE_PATH="$out/burrow" \
		burrow pull -q "$ref" >/dev/null
	perf report -i "$results/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null >"$results/perf-self.txt"
	perf report -i "$results/perf.data" --children --sort sym --stdio -g none 2>/dev/null >"$results/perf-children.txt"
	rm -f "$results/perf.data"
fi

# Did every tool make the whole tree? (a file of the first layer, one of the seventh, and
# a directory the eighth whites out)
# shellcheck disable=SC2016 # run with sh -c, $1 the tree
check_tree='[ -x "$1/usr/bin/busybox" ] && [ "$(stat -c %s "$1/opt/models/weights-2.bin")" = 134217728 ] &&
	[ ! -e "$1/usr/local/lib/python3.11/site-packages/p399" ] && [ -e "$1/usr/local/lib/python3.11/site-packages/p398" ]'
as_user podman unshare sh -c "set -- \"\$(podman image mount $ref)\" && $check_tree" || die "podman: no complete tree"
as_user sh -c "$check_tree" check "$out/bundle/rootfs" || die "umoci: no complete tree in $out/bundle/rootfs"
for ch in ch ch-nc; do
	as_user sh -c "$check_tree" check "$(find "$out/$ch/img" -mindepth 1 -maxdepth 1 -type d | head -n 1)" ||
		die "ch-image: no complete tree in $out/$ch/img"
done
burrow_layers=$(find "$out/burrow/layers/sha256" "$out/burrow-https/layers/sha256" -mindepth 1 -maxdepth 1 -type d | wc -l)
[ "$burrow_layers" = 16 ] || die "burrow: $burrow_layers layer directories, not 2 x 8"

# Re-pull with everything cached (the last timed run left every store full).
# Also: a container from the pulled image (burrow create shares the store's layers), and a
# bare curl of the manifest, the least any re-pull does (start a process, load libcurl, one
# request). ch-image takes seconds, so fewer runs.
log "re-pull, cached"
as_user hyperfine -N --warmup 3 --runs "$cached_runs" --export-json "$results/cached.json" \
	-n 'burrow pull' "env BURROW_CACHE_PATH=$out/burrow burrow pull -q $ref" \
	-n 'burrow create (image in the store)' "env BURROW_CACHE_PATH=$out/burrow burrow create -f --name bench $ref" \
	-n 'podman pull' "podman pull -q --tls-verify=false $ref" \
	-n 'curl of the manifest' "curl -sf -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' http://$registry/v2/$repo/manifests/$tag"
as_user hyperfine -N --runs 3 --export-json "$results/cached-ch.json" \
	-n 'ch-image pull (https)' "ch-image -s $out/ch pull $tls_ref"

[ "${BURROW_BENCH_NO_RESULTS:-}" = 1 ] && exit 0
{
	printf 'invocation='
	for v in "${!BURROW_BENCH_@}"; do
		case ${!v} in *[!A-Za-z0-9_./:=-]*) printf "%s='%s' " "$v" "${!v}" ;; *) printf '%s=%s ' "$v" "${!v}" ;; esac
	done
	echo bench/pull.sh
	echo "runs=$runs"
	echo "cached_runs=$cached_runs"
	echo "user=$user"
	echo "fs=$fs"
	echo "fs_note=$fs_note"
	echo "podman_driver=$podman_driver"
	echo "manifest=$manifest_info"
	echo "layers=$(awk -F'\t' '{ n += $2; b += $3 } END { print n, b }' "$cache/layers.txt")"
	echo "load_before=$load_before"
	echo "load_after=$load_after"
	if [ -n "${BURROW_BENCH_BIN:-}" ]; then
		echo "burrow=$("$burrow_bin" --version), binary $BURROW_BENCH_BIN (sha256 $(sha256sum "$burrow_bin" | cut -c1-12))${BURROW_BENCH_BIN_NOTE:+, $BURROW_BENCH_BIN_NOTE}"
	else
		echo "burrow=build/ of $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src meson.build || echo ' with uncommitted changes')"
	fi
	echo "versions=podman $(dpkg-query -W -f='${Version}' podman), skopeo $(dpkg-query -W -f='${Version}' skopeo), umoci $(dpkg-query -W -f='${Version}' umoci), charliecloud $(dpkg-query -W -f='${Version}' charliecloud-builders), docker-registry $(dpkg-query -W -f='${Version}' docker-registry), hyperfine $(dpkg-query -W -f='${Version}' hyperfine)"
} >"$results/meta.txt"
/usr/bin/python3 bench/lib/pull-report.py "$results" bench/RESULTS.md
