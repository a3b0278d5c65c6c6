#!/bin/bash
# Builds the lab's fixture images with umoci and mklayers.py (never with burrow), caches them,
# and pushes them with skopeo to a registry that tests/lab/registry.sh started; not a registry.
#
#   images.sh DIR PORT [NAME:TAG...]
#       DIR: the registry's directory; PORT: where it listens; NAME:TAG: push only these.
#       BURROW_LAB_CREDS=USER:PASSWORD pushes with credentials (an --htpasswd or --token
#       registry: alice:wonderland).
#
# Pushed to 127.0.0.1:PORT (DIR/images.txt lists them, one a line):
#   busybox:latest      scripts/busybox-rootfs as one gzip layer, Docker schema 2 manifest
#   busybox:oci         the same image with an OCI manifest
#   public/busybox:latest  busybox:oci again (a token registry lets anyone pull public/)
#   multi:latest        busybox + 2 layers: a deleted file, a deleted directory, an opaque
#                       directory, a directory replaced by a file and the reverse; config with
#                       Env, Entrypoint, Cmd and WorkingDir (see "multi" below)
#   hardlinks:latest    busybox + a layer with three hard links to one file and a symlink
#   zstd:latest         busybox and a marker, both layers tar+zstd
#   multiarch:latest    an OCI index: arm64, arm/v7, amd64, unknown/unknown (mklayers.py)
#   hostile/NAME:latest one hostile layer each (mklayers.py lists them)
#   badblob/test:latest its layer blob in DIR/storage no longer matches its digest
# The images are built once per version of this script, mklayers.py, scripts/busybox-rootfs
# and /bin/busybox, in BURROW_LAB_IMAGES (default /var/cache/burrow-tests/images).
set -eu
dir=${1:?usage: images.sh DIR PORT [NAME:TAG...]}
port=${2:?usage: images.sh DIR PORT [NAME:TAG...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=/usr/bin/python3
cache_root=${BURROW_LAB_IMAGES:-/var/cache/burrow-tests/images}
export LC_ALL=C TZ=UTC
umask 022

EPOCH=1700000000
CREATED=2023-11-14T22:13:20Z
PATH_ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() {
	echo "images.sh: $*" >&2
	exit 1
}

for tool in umoci skopeo zstd tar flock; do
	command -v "$tool" >/dev/null || die "$tool missing: scripts/install-deps test installs it"
done
[ -s "$dir/port" ] || die "$dir holds no registry: tests/lab/registry.sh start $dir first"

# A layer from the tree DIR: GNU tar, pax format, sorted, fixed owners and times. With
# "dot", names start with "./" (as `tar -C DIR .` writes them), else they do not.
mktar() {
	local tree=$1 out=$2 style=${3:-plain}
	# shellcheck disable=SC2054 # pax options are comma-separated
	local -a opts=(--format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime
		--sort=name --numeric-owner --owner=0 --group=0 --mtime="@$EPOCH")
	if [ "$style" = dot ]; then
		tar -C "$tree" "${opts[@]}" -cf "$out" .
	else
		(cd "$tree" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | sort | tar "${opts[@]}" -cf "$out" -T -)
	fi
}

new_image() {
	umoci new --image "$layout:$1"
	umoci config --image "$layout:$1" --created "$CREATED" --no-history --config.env "$PATH_ENV"
}

add_layer() {
	umoci raw add-layer --image "$layout:$1" --history.created "$CREATED" \
		--history.created_by "images.sh: $3" "$2"
}

build() {
	local work=$1
	layout=$work/oci
	rm -rf "$work"
	mkdir -p "$work"
	"$root/scripts/busybox-rootfs" "$work/rootfs" >/dev/null
	mktar "$work/rootfs" "$work/busybox.tar"
	umoci init --layout "$layout"

	new_image busybox
	add_layer busybox "$work/busybox.tar" "busybox-static rootfs"
	umoci config --image "$layout:busybox" --no-history --config.cmd /bin/sh

	# multi: what each layer does is spelled out for the tests that unpack it.
	local l2=$work/multi2 l3=$work/multi3
	mkdir -p "$l2/app" "$l2/data" "$l2/olddir/sub" "$l2/opaque/lowerdir" "$l2/etc" "$l2/dir2file/inner"
	# shellcheck disable=SC2016 # expanded by the container's shell
	printf '#!/bin/sh\necho "entry: GREETING=$GREETING pwd=$(pwd) args=$*"\n' >"$l2/app/entry.sh"
	chmod 0755 "$l2/app/entry.sh"
	echo keep >"$l2/data/keep"
	echo remove >"$l2/data/remove-me"
	echo a >"$l2/olddir/a"
	echo b >"$l2/olddir/sub/b"
	echo old1 >"$l2/opaque/old1"
	echo old2 >"$l2/opaque/lowerdir/old2"
	echo layer=2 >"$l2/etc/multi.conf"
	echo inner >"$l2/dir2file/inner/x"
	echo file >"$l2/file2dir"
	mkdir -p "$l3/data" "$l3/opaque" "$l3/etc" "$l3/file2dir"
	: >"$l3/data/.wh.remove-me"
	: >"$l3/.wh.olddir"
	: >"$l3/opaque/.wh..wh..opq"
	echo new >"$l3/opaque/new"
	echo layer=3 >"$l3/etc/multi.conf"
	echo now-a-file >"$l3/dir2file"
	echo inner >"$l3/file2dir/inner"
	mktar "$l2" "$work/multi2.tar"
	mktar "$l3" "$work/multi3.tar" dot
	new_image multi
	add_layer multi "$work/busybox.tar" "busybox-static rootfs"
	add_layer multi "$work/multi2.tar" "files to delete, hide and replace"
	add_layer multi "$work/multi3.tar" "whiteouts, an opaque directory, replacements"
	umoci config --image "$layout:multi" --no-history --config.env "GREETING=hello from multi" \
		--config.env "EMPTY=" --config.entrypoint /app/entry.sh --config.cmd default-arg \
		--config.workingdir /app

	local hl=$work/hardlinks
	mkdir -p "$hl/links/sub"
	echo "hardlinked content" >"$hl/links/target"
	ln "$hl/links/target" "$hl/links/second"
	ln "$hl/links/target" "$hl/links/sub/third"
	ln -s target "$hl/links/symlink"
	mktar "$hl" "$work/hardlinks.tar"
	new_image hardlinks
	add_layer hardlinks "$work/busybox.tar" "busybox-static rootfs"
	add_layer hardlinks "$work/hardlinks.tar" "three hard links to one file"
	umoci config --image "$layout:hardlinks" --no-history --config.cmd /bin/sh

	"$python" "$here/mklayers.py" "$layout" "$work/busybox.tar"
	umoci gc --layout "$layout"
	rm -rf "$work/rootfs" "$l2" "$l3" "$hl" "$work"/*.tar
	chmod -R a+rX "$work"
}

key=$(cat "$here/images.sh" "$here/mklayers.py" "$root/scripts/busybox-rootfs" /bin/busybox | sha256sum | cut -c1-16)
cache=$cache_root/$key
mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
flock 9
if [ ! -e "$cache/done" ]; then
	echo "images.sh: building the fixture images in $cache" >&2
	build "$cache.new"
	rm -rf "$cache"
	mv "$cache.new" "$cache"
	touch "$cache/done"
	find "$cache_root" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
fi
exec 9>&-
layout=$cache/oci

# "ref-in-layout destination [skopeo options]", one a line.
refs=$("$python" -c '
import json, sys
for d in json.load(open(sys.argv[1]))["manifests"]:
    print(d["annotations"]["org.opencontainers.image.ref.name"])' "$layout/index.json")
all=$(
	echo "busybox busybox:latest --format v2s2"
	echo "busybox busybox:oci"
	echo "busybox public/busybox:latest"
	echo "multi multi:latest"
	echo "hardlinks hardlinks:latest"
	echo "zstd zstd:latest"
	echo "multiarch multiarch:latest --all"
	echo "badblob badblob/test:latest"
	for ref in $refs; do
		case $ref in hostile-*) echo "$ref hostile/${ref#hostile-}:latest" ;; esac
	done
)
if [ $# -eq 0 ]; then
	echo "$all" >"$dir/images.new"
else
	for name; do
		grep " $name\( \|\$\)" <<<"$all" ||
			die "no fixture image $name; there are: $(cut -d' ' -f2 <<<"$all" | tr '\n' ' ')"
	done >"$dir/images.new"
fi

push_one() {
	local ref=$1 dest=$2
	shift 2
	skopeo copy --quiet --dest-tls-verify=false ${BURROW_LAB_CREDS:+--dest-creds "$BURROW_LAB_CREDS"} "$@" "oci:$layout:$ref" "docker://127.0.0.1:$port/$dest" ||
		{ echo "images.sh: pushing $ref to 127.0.0.1:$port/$dest failed" >&2 && return 1; }
}
export -f push_one
export layout port BURROW_LAB_CREDS
# Four at a time: each push mostly waits on small requests.
xargs -P 4 -L 1 bash -c 'push_one "$@"' push_one <"$dir/images.new" || die "pushing to 127.0.0.1:$port failed"
cut -d' ' -f2 "$dir/images.new" >"$dir/images.txt"
rm -f "$dir/images.new"
grep -qx badblob/test:latest "$dir/images.txt" || exit 0

# badblob: replace the pushed layer by a blob of the same size that is also a valid gzip'd
# tar, so only the digest check can tell.
hex=$("$python" -c '
import json, sys
layout = sys.argv[1]
def blob(digest): return json.load(open(layout + "/blobs/sha256/" + digest[7:]))
for d in json.load(open(layout + "/index.json"))["manifests"]:
    if d["annotations"]["org.opencontainers.image.ref.name"] == "badblob":
        print(blob(d["digest"])["layers"][0]["digest"][7:])' "$layout")
data=$dir/storage/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data
[ -f "$data" ] || die "badblob's layer is not at $data"
[ "$(stat -c %s "$data")" = "$(stat -c %s "$cache/badblob.evil")" ] || die "badblob.evil differs in size"
cat "$cache/badblob.evil" >"$data"
