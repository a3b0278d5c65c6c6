#!/usr/bin/env bats
# burrow create and start on a real distribution: a Debian minbase root filesystem.
# Skipped where the harness has no minbase tree; the busybox files cover the behaviours.
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
bats_require_minimum_version 1.5.0

# The minbase tree is made by root and holds files only root can read (etc/shadow, root/):
# like `docker export`, root packs it once into a tar that the user then creates from.
setup_file() {
	[ -n "${DEBIAN_ROOTFS:-}" ] || return 0
	DEBIAN_TAR_DIR=$(mktemp -d /tmp/burrow-debian-tar.XXXXXX)
	chmod 0755 "$DEBIAN_TAR_DIR"
	tar -C "$DEBIAN_ROOTFS" --numeric-owner -cf "$DEBIAN_TAR_DIR/debian.tar" .
	chmod 0644 "$DEBIAN_TAR_DIR/debian.tar"
	export DEBIAN_TAR_DIR
}

teardown_file() {
	[ -z "${DEBIAN_TAR_DIR:-}" ] || rm -rf "$DEBIAN_TAR_DIR"
}

setup() {
	burrow_setup
	require_debian
	as_user burrow create --name deb "$DEBIAN_TAR_DIR/debian.tar"
}
teardown() { burrow_teardown; }

@test "start runs a program of a Debian container" {
	run as_user burrow start deb cat /etc/debian_version
	[ "$status" -eq 0 ]
	same "$output" "$(cat "$DEBIAN_ROOTFS/etc/debian_version")"
}

@test "start --root --rw runs dpkg and apt-get in a Debian container" {
	run as_user burrow start --root --rw deb sh -c 'dpkg-query -W -f "\${Package}\n" dpkg; apt-get --version | head -n1'
	[ "$status" -eq 0 ]
	same "${lines[0]}" dpkg
	[[ "${lines[1]}" == "apt "* ]] || { echo "got: ${lines[1]}" >&2; false; }
}

@test "id in a Debian container names the user, merged with the image's passwd" {
	run as_user burrow start deb sh -c 'id -un; id -u; grep -c "^nobody:" /etc/passwd; grep -c "^_apt:" /etc/passwd; grep -c "^nogroup:" /etc/group'
	[ "$status" -eq 0 ]
	same "$output" "$(printf '%s\n%s\n1\n1\n1' "$TEST_USER" "$(user_uid)")"
}

@test "the user's passwd line in a Debian container keeps their shell when the image has it" {
	shell=$(user_shell)
	[ -e "$DEBIAN_ROOTFS$shell" ] || [ -L "$DEBIAN_ROOTFS$shell" ] || shell=/bin/sh
	run as_user burrow start deb getent passwd "$TEST_USER"
	[ "$status" -eq 0 ]
	same "$output" "$TEST_USER:x:$(user_uid):$(user_gid):$(user_gecos):$(user_home):$shell"
}
