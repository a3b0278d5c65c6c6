#!/usr/bin/env bats
# The harness itself: as_user really is the unprivileged test user, so no rootless behaviour is
# ever tested as root.

load helpers
load fixtures/expect

setup() { burrow_setup; }
teardown() { burrow_teardown; }

@test "as_user runs as the unprivileged test user with no capabilities" {
	run as_user sh -c 'id -u; id -g; grep -E "^Cap(Eff|Prm|Inh|Amb):" /proc/self/status'
	[ "$status" -eq 0 ]
	same "${lines[0]}" "$(id -u "$TEST_USER")"
	same "${lines[1]}" "$(id -g "$TEST_USER")"
	[ "${lines[0]}" -ne 0 ]
	[ "$(grep -c '0000000000000000' <<<"$output")" -eq 4 ]
}

@test "as_user has the test user's supplementary group and a subordinate range" {
	run as_user id -Gn
	[[ " $output " == *" burrowgrp "* ]]
	grep -q "^$TEST_USER:" /etc/subuid
	grep -q "^$TEST_USER:" /etc/subgid
}

@test "as_user starts in the per-test directory with a clean environment" {
	export UNRELATED_HOST_VARIABLE=1
	run as_user sh -c 'pwd; env | cut -d= -f1 | sort | tr "\n" " "'
	same "${lines[0]}" "$TEST_TMP"
	[[ "${lines[1]}" != *UNRELATED_HOST_VARIABLE* ]]
	[[ "${lines[1]}" == *BURROW_DATA_PATH* ]]
	same "$(stat -c %U "$TEST_TMP")" "$TEST_USER"
}

@test "the staged burrow is the one on the test user's PATH" {
	run as_user sh -c 'command -v burrow'
	same "$output" "$BURROW"
}
