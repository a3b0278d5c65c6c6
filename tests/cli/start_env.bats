#!/usr/bin/env bats
# burrow start: the program's environment (image defaults, host variables passed, -e).
# Not the identity files behind HOME and USER (start_identity.bats).
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
bats_require_minimum_version 1.5.0

setup() {
	burrow_setup
	as_user burrow create --name c "$BUSYBOX_ROOTFS"
}
teardown() { burrow_teardown; }

# Fails unless the environment printed by the last run has the line KEY=VALUE.
has_env() {
	grep -qxF "$1" <<<"$output" || { printf 'no %s in:\n%s\n' "$1" "$output" >&2; return 1; }
}

# Fails if the environment printed by the last run has a variable named KEY.
lacks_env() {
	if grep -q "^$1=" <<<"$output"; then
		printf 'unexpected %s in:\n%s\n' "$1" "$output" >&2
		return 1
	fi
}

@test "start gives the default PATH when the image sets none" {
	run as_user sh -c 'PATH=/opt/host-only/bin:$PATH exec burrow start c env'
	[ "$status" -eq 0 ]
	has_env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
}

@test "start sets HOME, USER and LOGNAME for the user" {
	run as_user burrow start c env
	[ "$status" -eq 0 ]
	has_env "HOME=$(user_home)"
	has_env "USER=$TEST_USER"
	has_env "LOGNAME=$TEST_USER"
}

@test "start --root sets HOME, USER and LOGNAME for root" {
	run as_user burrow start --root c env
	[ "$status" -eq 0 ]
	has_env HOME=/root
	has_env USER=root
	has_env LOGNAME=root
}

@test "start passes the terminal, locale, time zone and job launcher variables" {
	run as_user env TERM=xterm-test LANG=C.UTF-8 LC_TIME=POSIX LC_ALL=C TZ=Europe/Paris \
		SLURM_JOB_ID=4242 PMI_RANK=3 PMIX_RANK=5 burrow start c env
	[ "$status" -eq 0 ]
	has_env TERM=xterm-test
	has_env LANG=C.UTF-8
	has_env LC_TIME=POSIX
	has_env LC_ALL=C
	has_env TZ=Europe/Paris
	has_env SLURM_JOB_ID=4242
	has_env PMI_RANK=3
	has_env PMIX_RANK=5
}

@test "start does not pass other host variables" {
	run as_user env FOO=bar EDITOR=vi burrow start c env
	[ "$status" -eq 0 ]
	has_env "USER=$TEST_USER"
	lacks_env FOO
	lacks_env EDITOR
}

@test "start lets no BURROW_ variable into the container" {
	run as_user env BURROW_FOO=1 BURROW_MOUNT_HOME=yes burrow start c env
	[ "$status" -eq 0 ]
	has_env "USER=$TEST_USER"
	lacks_env 'BURROW_[A-Z_]*'
}

@test "start -e KEY=VALUE sets a variable, over the host's" {
	run as_user env TERM=xterm burrow start -e TERM=dumb -e NEW=with=equals c env
	[ "$status" -eq 0 ]
	has_env TERM=dumb
	same "$(grep -c "^TERM=" <<<"$output")" 1
	has_env NEW=with=equals
}

@test "start -e KEY copies the variable from the host" {
	run as_user env MYVAR=from-host burrow start -e MYVAR c env
	[ "$status" -eq 0 ]
	has_env MYVAR=from-host
}

@test "start -e can override HOME" {
	run as_user burrow start -e HOME=/elsewhere c env
	[ "$status" -eq 0 ]
	has_env HOME=/elsewhere
}
