#!/usr/bin/env bats
# burrow list and burrow remove, including containers holding files of subordinate ids.
# Not create's own errors (create.bats).
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
bats_require_minimum_version 1.5.0

setup() { burrow_setup; }
teardown() { burrow_teardown; }

@test "list prints nothing when there is no container" {
	run --separate-stderr as_user burrow list
	[ "$status" -eq 0 ]
	same "$output" ""
	same "$stderr" ""
}

@test "list prints container names sorted, one per line" {
	for name in zeta alpha mid; do
		as_user burrow create --name "$name" "$BUSYBOX_TAR"
	done
	run as_user burrow list
	[ "$status" -eq 0 ]
	same "$output" "$(printf 'alpha\nmid\nzeta')"
}

@test "remove deletes a container and its files" {
	as_user burrow create --name c "$BUSYBOX_TAR"
	as_user burrow create --name kept "$BUSYBOX_TAR"
	run --separate-stderr as_user burrow remove c
	[ "$status" -eq 0 ]
	same "$output" ""
	same "$stderr" ""
	[ ! -e "$BURROW_DATA_PATH/containers/c" ]
	run as_user burrow list
	same "$output" kept
}

@test "remove takes several names" {
	for name in a b c; do
		as_user burrow create --name "$name" "$BUSYBOX_TAR"
	done
	run as_user burrow remove a c
	[ "$status" -eq 0 ]
	run as_user burrow list
	same "$output" b
}

@test "remove of an unknown container fails naming it" {
	run --separate-stderr as_user burrow remove no-such-container
	[ "$status" -ne 0 ]
	one_error_line no-such-container
}

@test "remove -f ignores unknown names and removes the others" {
	as_user burrow create --name c "$BUSYBOX_TAR"
	run --separate-stderr as_user burrow remove -f no-such-container c
	[ "$status" -eq 0 ]
	same "$stderr" ""
	run as_user burrow list
	same "$output" ""
}

@test "remove deletes a container whose files belong to subordinate ids" {
	subuid=$(user_subid_start /etc/subuid)
	as_user burrow create --name c "$BUSYBOX_TAR"
	run as_user burrow start --root --rw c sh -c 'mkdir -p /owned/sub && echo x > /owned/sub/file && chmod 0700 /owned/sub && chown -R 5:5 /owned'
	[ "$status" -eq 0 ]
	same "$(stat -c %u "$(rootfs_of c)/owned/sub")" "$((subuid + 4))"
	run --separate-stderr as_user burrow remove c
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	[ ! -e "$BURROW_DATA_PATH/containers/c" ]
	run as_user burrow list
	same "$output" ""
}

@test "remove deletes a container with read-only directories" {
	as_user burrow create --name c "$BUSYBOX_TAR"
	run as_user burrow start --rw c sh -c 'mkdir -p /locked/dir && touch /locked/dir/file && chmod 0500 /locked/dir /locked'
	[ "$status" -eq 0 ]
	run --separate-stderr as_user burrow remove c
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	[ ! -e "$BURROW_DATA_PATH/containers/c" ]
}
