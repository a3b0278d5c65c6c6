#!/usr/bin/env bats
# burrow start: what is mounted inside (/proc, /sys, /dev, /tmp, /etc files, home, the
# current directory, -m) and the working directory.
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
bats_require_minimum_version 1.5.0

setup() {
	burrow_setup
	as_user burrow create --name c "$BUSYBOX_ROOTFS"
}
teardown() {
	rm -f "/tmp/burrow-host-marker.$BATS_TEST_NUMBER.$$" "/tmp/burrow-inside-marker.$$"
	burrow_teardown
}

@test "/proc inside shows the host's processes" {
	run as_user burrow start c sh -c "test -d /proc/$$ && cat /proc/$$/comm"
	[ "$status" -eq 0 ]
	same "$output" "$(cat /proc/$$/comm)"
}

@test "/sys is mounted read-only" {
	run as_user burrow start c sh -c 'test -d /sys/kernel && awk "\$5 == \"/sys\" { print \$6 }" /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^ro(,|$) ]] || { echo "/sys options: $output" >&2; false; }
}

@test "/dev has the devices programs need" {
	run as_user burrow start c sh -c '
		for d in null zero full random urandom tty ptmx; do test -c /dev/$d || echo "no /dev/$d"; done
		for d in pts shm; do test -d /dev/$d || echo "no /dev/$d"; done
		echo x > /dev/null || echo "/dev/null not writable"
		head -c 4 /dev/zero | od -An -tx1 | tr -d " "
		head -c 4 /dev/urandom | wc -c | tr -d " "'
	[ "$status" -eq 0 ]
	same "$output" "$(printf '00000000\n4')"
}

@test "/tmp inside is private" {
	echo host >"/tmp/burrow-host-marker.$BATS_TEST_NUMBER.$$"
	run as_user burrow start c sh -c "test -e /tmp/burrow-host-marker.$BATS_TEST_NUMBER.$$ && echo host-tmp-visible; echo inside > /tmp/burrow-inside-marker.$$ && cat /tmp/burrow-inside-marker.$$"
	[ "$status" -eq 0 ]
	same "$output" inside
	[ ! -e "/tmp/burrow-inside-marker.$$" ]
}

@test "/etc/hosts and /etc/resolv.conf are the host's" {
	run as_user burrow start c cat /etc/hosts
	[ "$status" -eq 0 ]
	same "$output" "$(cat /etc/hosts)"
	run as_user burrow start c cat /etc/resolv.conf
	[ "$status" -eq 0 ]
	same "$output" "$(cat /etc/resolv.conf)"
}

@test "the user's home is mounted at the same path" {
	run as_user burrow start c stat -c '%d:%i' "$(user_home)"
	[ "$status" -eq 0 ]
	same "$output" "$(stat -c '%d:%i' "$(user_home)")"
}

@test "BURROW_MOUNT_HOME=no leaves the home out" {
	run as_user env BURROW_MOUNT_HOME=no burrow start c sh -c "test -e $(user_home) && echo present || echo absent"
	[ "$status" -eq 0 ]
	same "$output" absent
}

@test "the current directory is mounted and is the working directory" {
	as_user sh -c 'echo here > marker'
	run as_user burrow start c sh -c 'pwd; cat marker'
	[ "$status" -eq 0 ]
	same "$output" "$(printf '%s\nhere' "$TEST_TMP")"
}

@test "start --no-cwd leaves the current directory out and starts in home" {
	run as_user burrow start --no-cwd c sh -c "pwd; test -e $TEST_TMP && echo visible || echo hidden"
	[ "$status" -eq 0 ]
	same "$output" "$(printf '%s\nhidden' "$(user_home)")"
}

@test "without home or current directory the working directory is /" {
	run as_user env BURROW_MOUNT_HOME=no burrow start --no-cwd c pwd
	[ "$status" -eq 0 ]
	same "$output" /
}

@test "the current directory does not hide an image directory of the same path" {
	[ -e /etc/debian_version ]
	run as_user sh -c 'cd /etc && burrow start c sh -c "test -e /etc/debian_version && echo host || echo image"'
	[ "$status" -eq 0 ]
	same "$output" image
}

@test "start -w sets the working directory" {
	run as_user burrow start -w /etc c pwd
	[ "$status" -eq 0 ]
	same "$output" /etc
}

@test "start -w to a directory missing inside fails naming it" {
	run --separate-stderr as_user burrow start -w /no/such/dir c true
	[ "$status" -ne 0 ]
	one_error_line /no/such/dir
}

@test "start -m mounts a host directory at a new path" {
	as_user sh -c 'mkdir hostdir && echo content > hostdir/file'
	run as_user burrow start -m "$TEST_TMP/hostdir:/data" c cat /data/file
	[ "$status" -eq 0 ]
	same "$output" content
}

@test "start -m without a destination mounts at the same path" {
	as_user sh -c 'mkdir hostdir && echo content > hostdir/file'
	run as_user burrow start --no-cwd -m "$TEST_TMP/hostdir" c cat "$TEST_TMP/hostdir/file"
	[ "$status" -eq 0 ]
	same "$output" content
}

@test "start -m mounts are writable and files land on the host owned by the user" {
	as_user mkdir hostdir
	run as_user burrow start -m "$TEST_TMP/hostdir:/data" c sh -c 'echo written > /data/new'
	[ "$status" -eq 0 ]
	same "$(cat "$TEST_TMP/hostdir/new")" written
	same "$(stat -c %u:%g "$TEST_TMP/hostdir/new")" "$(user_uid):$(user_gid)"
}

@test "start -m with :rw mounts read-write" {
	as_user mkdir hostdir
	run as_user burrow start -m "$TEST_TMP/hostdir:/data:rw" c sh -c 'echo written > /data/new'
	[ "$status" -eq 0 ]
	same "$(cat "$TEST_TMP/hostdir/new")" written
}

@test "start -m with :ro mounts read-only" {
	as_user mkdir hostdir
	run --separate-stderr as_user burrow start -m "$TEST_TMP/hostdir:/data:ro" c touch /data/new
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Read-only file system"* ]]
	[ ! -e "$TEST_TMP/hostdir/new" ]
}

@test "start -m mounts a single file" {
	as_user sh -c 'echo settings > app.conf'
	run as_user burrow start -m "$TEST_TMP/app.conf:/etc/app.conf:ro" c cat /etc/app.conf
	[ "$status" -eq 0 ]
	same "$output" settings
}

@test "start -m with a missing source fails naming it" {
	run --separate-stderr as_user burrow start -m "$TEST_TMP/no-such-dir:/data" c true
	[ "$status" -ne 0 ]
	one_error_line "$TEST_TMP/no-such-dir" "does not exist"
}
