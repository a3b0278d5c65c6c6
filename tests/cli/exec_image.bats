#!/usr/bin/env bats
# burrow exec and list --json with images started directly (start IMAGE, run): instances with no
# container, and the UTS and network namespaces run can give them.
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
load fixtures/lab
load fixtures/instances
bats_require_minimum_version 1.5.0

setup_file() {
	lab_setup_plain busybox:latest
}

teardown_file() {
	lab_teardown
}

setup() {
	burrow_setup
	as_user burrow pull -q "$PLAIN/busybox:latest" >/dev/null
}
teardown() {
	kill_background
	burrow_teardown
}

@test "list --json shows an image started directly as a running image" {
	background_instance start "$PLAIN/busybox:latest" sleep 30
	run --separate-stderr as_user burrow list --json
	[ "$status" -eq 0 ]
	same "$(json '[(x["name"], x["kind"], x["state"], x["source"], x["command"]) for x in d]' <<<"$output")" \
		"[('$PLAIN/busybox:latest', 'image', 'running', None, ['sleep', '30'])]"
}

@test "exec finds an image started directly by its name" {
	background_instance start --pid "$PLAIN/busybox:latest" sleep 30
	run as_user burrow exec "$PLAIN/busybox:latest" sh -c 'cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	[[ "$output" == "burrow start --pid $PLAIN/busybox:latest sleep 30"* ]]
}

@test "exec joins the UTS namespace of run --hostname" {
	background_instance run --hostname inside "$PLAIN/busybox:latest" sleep 30
	run as_user burrow exec "$INSTANCE_PID" hostname
	[ "$status" -eq 0 ]
	same "$output" inside
}

@test "exec joins the network namespace of run --network none" {
	background_instance run --network none "$PLAIN/busybox:latest" sleep 30
	run as_user burrow exec "$INSTANCE_PID" sh -c 'tail -n +3 /proc/self/net/dev | cut -d: -f1 | tr -d " "; readlink /proc/self/ns/net'
	[ "$status" -eq 0 ]
	same "${lines[0]}" lo
	same "${lines[1]}" "$(readlink "/proc/$INSTANCE_PID/ns/net")"
}
