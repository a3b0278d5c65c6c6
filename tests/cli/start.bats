#!/usr/bin/env bats
# burrow start: running a program, the read-only root, exit statuses and errors.
# Identity, environment, mounts and the process model have their own start_*.bats files.
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
bats_require_minimum_version 1.5.0

setup() {
	burrow_setup
	as_user burrow create --name c "$BUSYBOX_ROOTFS"
}
teardown() { burrow_teardown; }

@test "start runs a command in the container and passes its output through" {
	run --separate-stderr as_user burrow start c sh -c 'echo out; echo err >&2; test -x /bin/busybox && echo in-image'
	[ "$status" -eq 0 ]
	same "$output" "$(printf 'out\nin-image')"
	same "$stderr" err
}

@test "start runs the program in the container's root, not the host's" {
	run as_user burrow start c sh -c 'test -e /etc/debian_version && echo host || echo container'
	[ -e /etc/debian_version ]
	same "$output" container
}

@test "start exits with the program's exit status" {
	run as_user burrow start c sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run as_user burrow start c true
	[ "$status" -eq 0 ]
}

@test "start exits with 128+N when the program dies of signal N" {
	run as_user burrow start c sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	run as_user burrow start c sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
}

@test "start without a command runs a login shell reading stdin" {
	run as_user sh -c "echo 'echo \$0; exit 3' | burrow start c"
	[ "$status" -eq 3 ]
	[[ "$output" =~ ^-?(/bin/)?sh$ ]] || { echo "shell named '$output'" >&2; false; }
}

@test "start keeps the root filesystem read-only" {
	run --separate-stderr as_user burrow start c touch /newfile
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Read-only file system"* ]]
	[ ! -e "$(rootfs_of c)/newfile" ]
}

@test "start --rw writes into the container and the change persists" {
	run as_user burrow start --rw c sh -c 'echo kept > /state'
	[ "$status" -eq 0 ]
	run as_user burrow start c cat /state
	[ "$status" -eq 0 ]
	same "$output" kept
	same "$(stat -c %u "$(rootfs_of c)/state")" "$(user_uid)"
}

@test "start of an unknown container tries it as an image and fails naming it" {
	# Docker Hub is unreachable from the test machine, or refuses the name: either way no image.
	run --separate-stderr as_user env BURROW_RETRY_MS=1 burrow start no-such-container true
	[ "$status" -eq 125 ]
	same "${stderr_lines[0]}" "burrow: pulling no-such-container"
	[[ "${stderr_lines[1]}" == "burrow: 'no-such-container' is no container (see 'burrow list'): "* ]]
	same "${#stderr_lines[@]}" 2
	same "$output" ""
}

@test "start of a command missing in the container exits 127 naming it" {
	run -127 --separate-stderr as_user burrow start c no-such-command arg
	[ "$status" -eq 127 ]
	one_error_line no-such-command
}

@test "start of a file that is not executable exits 126 naming it" {
	as_user sh -c 'printf "#!/bin/sh\necho ran\n" > not-executable.sh; chmod 0644 not-executable.sh'
	run -126 --separate-stderr as_user burrow start c ./not-executable.sh
	[ "$status" -eq 126 ]
	one_error_line not-executable.sh
	same "$output" ""
}

@test "start leaves nothing mounted on the host, whether it succeeds or fails" {
	as_user mkdir "$TEST_TMP/hostdir"
	as_user burrow start c true
	as_user burrow start --root --rw --pid -m "$TEST_TMP/hostdir:/data" c true
	run -127 as_user burrow start c no-such-command
	run as_user burrow start -m "$TEST_TMP/missing:/data" c true
	run as_user burrow start -w /no/such/dir c true
	run as_user burrow start c sh -c 'kill -KILL $$'
	run grep -F "$TEST_TMP" /proc/self/mountinfo
	same "$output" ""
	run grep -F "$BURROW_DATA_PATH" /proc/1/mountinfo
	same "$output" ""
}
