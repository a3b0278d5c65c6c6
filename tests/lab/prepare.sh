#!/bin/sh
# Prepares the CLI tests (run as root): the unprivileged test user, with a supplementary
# group and a subordinate id range, and a stage directory that user can read holding the
# burrow binary and the fixtures.
#   prepare.sh BURROW_BINARY      stage at $BURROW_TEST_STAGE (default /var/tmp/burrow-tests)
# The Debian fixture is made (or reused from /var/cache/burrow-tests) unless
# BURROW_TEST_DEBIAN=no.
set -eu
binary=${1:?usage: prepare.sh BURROW_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
stage=${BURROW_TEST_STAGE:-/var/tmp/burrow-tests}
user=${TEST_USER:-burrowtest}
group=burrowgrp
[ "$(id -u)" = 0 ] || { echo "prepare.sh: run as root (it creates the test user)" >&2; exit 1; }

getent group "$group" >/dev/null || groupadd "$group"
if ! id "$user" >/dev/null 2>&1; then
	useradd --create-home --shell /bin/bash --comment "burrow test user" "$user"
fi
usermod -a -G "$group" "$user"
# One known range, whatever useradd chose.
for file in /etc/subuid /etc/subgid; do
	touch "$file"
	sed -i "/^$user:/d" "$file"
	echo "$user:200000:65536" >>"$file"
done

mkdir -p "$stage/bin" "$stage/tmp"
chmod 0755 "$stage" "$stage/bin" "$stage/tmp"
install -m 0755 "$binary" "$stage/bin/burrow"
if [ ! -x "$stage/busybox-rootfs/bin/busybox" ] || ! cmp -s /bin/busybox "$stage/busybox-rootfs/bin/busybox"; then
	"$here/../../scripts/busybox-rootfs" "$stage/busybox-rootfs"
	tar -C "$stage/busybox-rootfs" --numeric-owner -cf "$stage/busybox.tar.new" .
	chmod 0644 "$stage/busybox.tar.new"
	mv "$stage/busybox.tar.new" "$stage/busybox.tar"
fi
if [ "${BURROW_TEST_DEBIAN:-yes}" != no ]; then
	debian=$("$here/debian-rootfs.sh" /var/cache/burrow-tests/debian-minbase)
	ln -sfn "$debian" "$stage/debian-rootfs"
else
	rm -f "$stage/debian-rootfs"
fi
