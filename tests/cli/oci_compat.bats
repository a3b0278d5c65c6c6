#!/usr/bin/env bats
# The same bundle gives the same observable result under Debian's runc and under
# `burrow oci run`, both rootless as the test user: stdout, exit code, ids and the mounts
# seen inside. The bundles are the rows of fixtures/oci_compat.bash; where burrow differs on
# purpose, the row says why and what burrow gives instead.
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container
# shellcheck disable=SC2154 # filter, command, differs, burrow_*: set by compat_row

load helpers
load fixtures/expect
load fixtures/oci_compat
bats_require_minimum_version 1.5.0

setup_file() {
	command -v runc >/dev/null || skip "runc is not installed (scripts/install-deps test)"
}

setup() {
	burrow_setup
	BUNDLE=$TEST_TMP/bundle
	as_user mkdir -p "$BUNDLE" "$TEST_TMP/host"
	as_user runc spec --rootless --bundle "$BUNDLE"
	as_user cp -a "$BUSYBOX_ROOTFS" "$BUNDLE/rootfs"
	as_user sh -c 'echo from-host >host/file'
	# The probes: mount points with ro or rw (sources and ids differ from run to run), ids.
	as_user sh -c 'cat >"$1" && chmod 0755 "$1"' sh "$BUNDLE/rootfs/usr/bin/mounts" <<-'EOF'
		#!/bin/sh
		awk '{ split($6, o, ","); print $5, o[1] }' /proc/self/mountinfo | sort
	EOF
	as_user sh -c 'cat >"$1" && chmod 0755 "$1"' sh "$BUNDLE/rootfs/usr/bin/ids" <<-'EOF'
		#!/bin/sh
		echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"
	EOF
	as_user sh -c 'cd bundle/rootfs && echo secret >etc/secret && mkdir secrets && echo secret >secrets/key'
}
teardown() {
	burrow_teardown
}

# Runs the bundle under RUNTIME (runc or burrow) as the test user: "exit N", then stdout.
compat_result() {
	local -a runtime=(runc)
	[ "$1" = runc ] || runtime=("$BURROW" oci)
	local out rc=0
	out=$(as_user timeout 30 "${runtime[@]}" --root "$TEST_TMP/$1-state" run --bundle "$BUNDLE" compat \
		</dev/null 2>"$TEST_TMP/$1.stderr") || rc=$?
	printf 'exit %s\n%s\n' "$rc" "$out"
}

# Builds row NAME's bundle, runs it under both runtimes and fails, showing both results and
# burrow's stderr, unless burrow gives runc's result (or the row's declared one).
compare() {
	compat_row "$1"
	local config
	config=$(jq -S --arg host "$TEST_TMP/host" --arg command "$command" \
		'.process.terminal = false | (if $command != "" then .process.args = ["sh", "-c", $command] else . end) |
		'"$filter" "$BUNDLE/config.json")
	as_user sh -c 'cat >"$1"' sh "$BUNDLE/config.json" <<<"$config"
	local runc_result burrow_result expected
	runc_result=$(compat_result runc)
	burrow_result=$(compat_result burrow)
	expected=$runc_result
	if [ -n "$burrow_sed" ]; then
		expected=$(sed "$burrow_sed" <<<"$runc_result")
	elif [ -n "$differs" ]; then
		expected=$burrow_expected
	fi
	[ "$burrow_result" = "$expected" ] && return 0
	local against=runc
	[ -z "$differs" ] || against="the row's expectation ($differs)"
	printf 'row %s: burrow differs from %s\n' "$1" "$against" >&2
	printf -- '--- runc:\n%s\n--- burrow:\n%s\n--- burrow stderr:\n%s\n' "$runc_result" "$burrow_result" \
		"$(cat "$TEST_TMP/burrow.stderr")" >&2
	[ -z "$differs" ] || printf -- '--- expected of burrow:\n%s\n' "$expected" >&2
	return 1
}

@test "every row of the table has its test" {
	local row
	for row in $(compat_rows); do
		grep -q "^	compare $row\$" "$BATS_TEST_FILENAME" || { echo "no test runs row $row" >&2; return 1; }
	done
}

@test "process.args and the exit code" {
	compare args-exit
}

@test "process.args without a shell, found on PATH" {
	compare args-path
}

@test "process.env" {
	compare env
}

@test "process.cwd" {
	compare cwd
}

@test "process.user uid and gid" {
	compare user
}

@test "root.readonly true" {
	compare root-readonly
}

@test "root.readonly false" {
	compare root-writable
}

@test "a read-only bind mount" {
	compare bind-ro
}

@test "a read-write bind mount" {
	compare bind-rw
}

@test "a tmpfs mount with mode and size" {
	compare tmpfs
}

@test "hostname in a UTS namespace" {
	compare hostname
}

@test "linux.maskedPaths hide files and directories" {
	compare masked-paths
}

@test "linux.readonlyPaths" {
	compare readonly-paths
}

@test "process.user.umask" {
	compare umask
}

@test "process.oomScoreAdj" {
	compare oom-score-adj
}

@test "process.rlimits" {
	compare rlimits
}

@test "process.noNewPrivileges true" {
	compare no-new-privileges
}

@test "process.noNewPrivileges false" {
	compare new-privileges
}

@test "process.capabilities" {
	compare capabilities
}

@test "a process killed by a signal exits with 128 + the signal" {
	compare signal
}

@test "the mounts runc spec --rootless asks for" {
	compare mounts
}

@test "the cgroup hierarchies under /sys/fs/cgroup" {
	compare cgroup-mounts
}
