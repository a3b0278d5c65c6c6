#!/bin/sh
# Makes a Debian 12 minbase root filesystem with debootstrap, once per machine: later calls
# reuse the cached tree.
#   debian-rootfs.sh DIR     (DIR is created when missing; prints DIR)
set -eu
dir=${1:?usage: debian-rootfs.sh DIR}
if [ -x "$dir/bin/sh" ] && [ -e "$dir/etc/debian_version" ]; then
	echo "$dir"
	exit 0
fi
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
tmp="$dir.new"
rm -rf "$tmp"
mkdir -p "$(dirname "$dir")"
if ! debootstrap --variant=minbase bookworm "$tmp" "$mirror" >"$tmp.log" 2>&1; then
	echo "debian-rootfs.sh: debootstrap failed (see $tmp.log)" >&2
	rm -rf "$tmp"
	exit 1
fi
rm -f "$tmp.log"
rm -rf "$dir"
mv "$tmp" "$dir"
echo "$dir"
