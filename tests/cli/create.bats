#!/usr/bin/env bats
# burrow create: containers from a root filesystem directory or a tar file, its errors, and
# hostile archives. Not the unpacker's unit behaviour (tests/unit) nor starting containers.
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
bats_require_minimum_version 1.5.0

setup() { burrow_setup; }
teardown() { burrow_teardown; }

# Relative path, type, mode and link target of every entry under DIR, sorted.
tree_listing() {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %l\n' | LC_ALL=C sort)
}

# Fails, listing them, unless every entry of SOURCE is in ROOTFS with the same type, mode
# and link target (create may add empty mount points such as etc/hosts).
has_tree_of() {
	local missing
	missing=$(LC_ALL=C comm -23 <(tree_listing "$2") <(tree_listing "$1"))
	[ -z "$missing" ] && return 0
	printf 'missing or different in %s:\n%s\n' "$1" "$missing" >&2
	return 1
}

# Fails when a failed create left something behind: `burrow list` must be empty and the
# containers directory may hold nothing but hidden plain files (locks).
no_leftovers() {
	local entry
	run --separate-stderr as_user burrow list
	same "$output" ""
	[ -d "$BURROW_DATA_PATH/containers" ] || return 0
	for entry in "$BURROW_DATA_PATH"/containers/* "$BURROW_DATA_PATH"/containers/.*; do
		case "${entry##*/}" in . | .. | '*' | '.*') continue ;; esac
		if [[ "${entry##*/}" != .* ]] || [ -d "$entry" ]; then
			echo "left behind: $entry" >&2
			return 1
		fi
	done
}

# Copies the busybox root filesystem to DIR, owned by the test user.
user_copy_of_rootfs() {
	cp -a "$BUSYBOX_ROOTFS" "$1"
	chown -R -h "$TEST_USER:$(user_group)" "$1"
}

@test "create copies a directory into a container silently" {
	run --separate-stderr as_user burrow create --name c "$BUSYBOX_ROOTFS"
	[ "$status" -eq 0 ]
	same "$output" ""
	same "$stderr" ""
	has_tree_of "$(rootfs_of c)" "$BUSYBOX_ROOTFS"
}

@test "create leaves a source directory the user owns untouched" {
	user_copy_of_rootfs "$TEST_TMP/src"
	before=$(cd "$TEST_TMP/src" && find . -printf '%p %y %m %U %G %s %T@ %l\n' | LC_ALL=C sort)
	run as_user burrow create --name c "$TEST_TMP/src"
	[ "$status" -eq 0 ]
	same "$(cd "$TEST_TMP/src" && find . -printf '%p %y %m %U %G %s %T@ %l\n' | LC_ALL=C sort)" "$before"
	[ ! "$TEST_TMP/src/bin/busybox" -ef "$(rootfs_of c)/bin/busybox" ]
}

@test "create unpacks a tar file into a container" {
	run --separate-stderr as_user burrow create --name c "$BUSYBOX_TAR"
	[ "$status" -eq 0 ]
	same "$output" ""
	same "$stderr" ""
	has_tree_of "$(rootfs_of c)" "$BUSYBOX_ROOTFS"
}

@test "create names the container after its source without the tar suffix" {
	cp "$BUSYBOX_TAR" "$TEST_TMP/one.tar"
	gzip -c "$BUSYBOX_TAR" >"$TEST_TMP/two.tar.gz"
	gzip -c "$BUSYBOX_TAR" >"$TEST_TMP/three.tgz"
	zstd -q -c "$BUSYBOX_TAR" >"$TEST_TMP/four.tar.zst"
	xz -c "$BUSYBOX_TAR" >"$TEST_TMP/five.tar.xz"
	user_copy_of_rootfs "$TEST_TMP/six"
	chmod a+r "$TEST_TMP"/*.t*
	for source in one.tar two.tar.gz three.tgz four.tar.zst five.tar.xz six; do
		run --separate-stderr as_user burrow create "$TEST_TMP/$source"
		[ "$status" -eq 0 ] || { echo "create $source: $stderr" >&2; false; }
	done
	run as_user burrow list
	same "$output" "$(printf '%s\n' five four one six three two)"
	[ -x "$(rootfs_of four)/bin/busybox" ]
}

@test "create recognises a compressed tar by its content, not its name" {
	xz -c "$BUSYBOX_TAR" >"$TEST_TMP/image.tar"
	bzip2 -c "$BUSYBOX_TAR" >"$TEST_TMP/export"
	chmod a+r "$TEST_TMP/image.tar" "$TEST_TMP/export"
	run --separate-stderr as_user burrow create --name c "$TEST_TMP/image.tar"
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	run --separate-stderr as_user burrow create --name d "$TEST_TMP/export"
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	has_tree_of "$(rootfs_of c)" "$BUSYBOX_ROOTFS"
	has_tree_of "$(rootfs_of d)" "$BUSYBOX_ROOTFS"
}

@test "create from a tar skips device nodes, which a user cannot make, and goes on" {
	python3 "$BATS_TEST_DIRNAME/fixtures/hostile_tar.py" device "$TEST_TMP/devices.tar" dev/console
	chmod a+r "$TEST_TMP/devices.tar"
	run --separate-stderr as_user burrow create --name c "$TEST_TMP/devices.tar"
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	[ ! -c "$(rootfs_of c)/dev/console" ]
	same "$(cat "$(rootfs_of c)/ok.txt" "$(rootfs_of c)/after-device.txt")" "$(printf 'ok\nafter')"
}

@test "create fails when the name is taken and keeps the existing container" {
	as_user burrow create --name taken "$BUSYBOX_ROOTFS"
	as_user touch "$(rootfs_of taken)/marker"
	run --separate-stderr as_user burrow create --name taken "$BUSYBOX_TAR"
	[ "$status" -ne 0 ]
	one_error_line taken "already exists" -f
	[ -e "$(rootfs_of taken)/marker" ]
	run as_user burrow list
	same "$output" taken
}

@test "create -f replaces a container of the same name" {
	as_user burrow create --name taken "$BUSYBOX_ROOTFS"
	as_user touch "$(rootfs_of taken)/marker"
	run --separate-stderr as_user burrow create -f --name taken "$BUSYBOX_TAR"
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	[ ! -e "$(rootfs_of taken)/marker" ]
	has_tree_of "$(rootfs_of taken)" "$BUSYBOX_ROOTFS"
	run as_user burrow list
	same "$output" taken
}

@test "create fails naming a source that does not exist" {
	run --separate-stderr as_user burrow create --name c "$TEST_TMP/no-such-rootfs"
	[ "$status" -ne 0 ]
	one_error_line "$TEST_TMP/no-such-rootfs"
	no_leftovers
}

@test "create refuses a source that is neither a directory nor a tar archive" {
	as_user sh -c 'echo "just some text" > notes.txt'
	run --separate-stderr as_user burrow create --name c "$TEST_TMP/notes.txt"
	[ "$status" -ne 0 ]
	one_error_line "not a directory or tar archive"
	no_leftovers
}

@test "create from a truncated tar fails and leaves nothing behind" {
	size=$(stat -c %s "$BUSYBOX_TAR")
	head -c $((size / 2 + 100)) "$BUSYBOX_TAR" >"$TEST_TMP/cut.tar"
	chmod a+r "$TEST_TMP/cut.tar"
	run --separate-stderr as_user burrow create --name c "$TEST_TMP/cut.tar"
	[ "$status" -ne 0 ]
	one_error_line
	no_leftovers
}

@test "create fails naming a data path under /proc" {
	run --separate-stderr as_user env BURROW_DATA_PATH=/proc/burrow-data burrow create --name c "$BUSYBOX_ROOTFS"
	[ "$status" -ne 0 ]
	one_error_line /proc/burrow-data
}

@test "create fails naming a data path the user cannot write" {
	as_user mkdir "$TEST_TMP/ro-data"
	chmod 0555 "$TEST_TMP/ro-data"
	run --separate-stderr as_user env BURROW_DATA_PATH="$TEST_TMP/ro-data" burrow create --name c "$BUSYBOX_ROOTFS"
	[ "$status" -ne 0 ]
	one_error_line "$TEST_TMP/ro-data"
	same "$(ls -A "$TEST_TMP/ro-data")" ""
}

@test "create rejects container names that are not plain names" {
	for name in ../x 'a b' x/y; do
		run --separate-stderr as_user burrow create --name "$name" "$BUSYBOX_ROOTFS"
		[ "$status" -ne 0 ] || { echo "accepted name '$name'" >&2; false; }
		one_error_line "invalid container name"
	done
	no_leftovers
	[ ! -e "$BURROW_DATA_PATH/x" ]
	[ ! -e "$BURROW_DATA_PATH/containers/x" ]
}

# A hostile tar must not place anything outside the container, whether create fails or not.
create_from_hostile_tar() {
	as_user mkdir "$TEST_TMP/outside"
	as_user sh -c 'echo host > outside/host-file'
	python3 "$BATS_TEST_DIRNAME/fixtures/hostile_tar.py" "$1" "$TEST_TMP/hostile.tar" "$2"
	chmod a+r "$TEST_TMP/hostile.tar"
	run --separate-stderr as_user burrow create --name c "$TEST_TMP/hostile.tar"
}

@test "create from a tar with ../ in a name writes nothing outside the container" {
	create_from_hostile_tar dotdot "$TEST_TMP/outside/escaped"
	[ ! -e "$TEST_TMP/outside/escaped" ]
}

@test "create from a tar with an absolute name writes nothing outside the container" {
	create_from_hostile_tar absolute "$TEST_TMP/outside/escaped"
	[ ! -e "$TEST_TMP/outside/escaped" ]
}

@test "create from a tar does not follow a symlink to a host directory" {
	create_from_hostile_tar symlink-dir "$TEST_TMP/outside/escaped"
	[ ! -e "$TEST_TMP/outside/escaped" ]
}

@test "create from a tar does not follow a symlink climbing out with ../" {
	create_from_hostile_tar symlink-dotdot "$TEST_TMP/outside/escaped"
	[ ! -e "$TEST_TMP/outside/escaped" ]
}

@test "create from a tar does not overwrite a host file through a symlink" {
	create_from_hostile_tar symlink-file "$TEST_TMP/outside/host-file"
	same "$(cat "$TEST_TMP/outside/host-file")" host
}

@test "create from a tar does not hard-link or overwrite a host file" {
	create_from_hostile_tar hardlink "$TEST_TMP/outside/host-file"
	same "$(cat "$TEST_TMP/outside/host-file")" host
	same "$(stat -c %h "$TEST_TMP/outside/host-file")" 1
}
