#!/usr/bin/env bats
# Root acting on a user's OCI container, as Slurm's RunTimeQuery/Kill/Delete do with
# --root=/tmp/burrow-oci-%u: the state directory is the user's to write, so burrow checks its
# ownership, follows no symlink and signals only the container's own process. Each test has
# the user tamper with the state and checks that root refuses and its own process survives.

load helpers
load fixtures/expect
load fixtures/oci
bats_require_minimum_version 1.5.0

setup() {
	burrow_setup
	make_bundle
	set_args sleep 100
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c running
	ROOT_SLEEP=
}

teardown() {
	[ -z "$ROOT_SLEEP" ] || kill "$ROOT_SLEEP" 2>/dev/null || true
	oci delete -f c >/dev/null 2>&1 || true
	burrow_teardown
}

# burrow oci as root, on the user's state root.
root_oci() { "$BURROW" oci --root "$(oci_root)" "$@"; }

# A process of root's own that a trick aims at.
start_root_sleep() {
	sleep 1000 &
	ROOT_SLEEP=$!
}

# Rewrite c's state.json as the user would (jq filter $1).
tamper_state() {
	local f
	f="$(oci_root)/c/state.json"
	as_user sh -c "cat '$f' > '$TEST_TMP/s.json'"
	jq -c "$1" "$TEST_TMP/s.json" >"$TEST_TMP/s2.json"
	chown "$TEST_USER:" "$TEST_TMP/s2.json"
	as_user sh -c "cat '$TEST_TMP/s2.json' > '$f'"
}

start_time_of() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }

@test "root can kill and delete a user's container when nothing was tampered with" {
	root_oci kill c KILL
	wait_status c stopped
	root_oci delete c
	[ ! -e "$(oci_root)/c" ]
}

@test "root refuses to kill a process of root's that the user's state points at" {
	start_root_sleep
	tamper_state ".pid = $ROOT_SLEEP | .start_time = $(start_time_of "$ROOT_SLEEP")"
	run --separate-stderr root_oci kill c KILL
	[ "$status" -eq 1 ]
	one_error_line "process $ROOT_SLEEP runs as uid 0" "refusing to signal it"
	kill -0 "$ROOT_SLEEP"
}

@test "root refuses delete --force of a container whose state points at root's process" {
	start_root_sleep
	tamper_state ".pid = $ROOT_SLEEP | .start_time = $(start_time_of "$ROOT_SLEEP")"
	run --separate-stderr root_oci delete --force c
	[ "$status" -eq 1 ]
	one_error_line "refusing to signal it"
	kill -0 "$ROOT_SLEEP"
}

@test "root refuses a pid whose start time is not the recorded one" {
	start_root_sleep
	tamper_state ".pid = $ROOT_SLEEP"
	run --separate-stderr root_oci kill c KILL
	[ "$status" -eq 1 ]
	kill -0 "$ROOT_SLEEP"
}

@test "root refuses a state record that names another owner" {
	tamper_state '.owner = 0'
	run --separate-stderr root_oci kill c KILL
	[ "$status" -eq 1 ]
	one_error_line "names another owner"
}

@test "root refuses a container state directory that is a symlink" {
	mkdir "$TEST_TMP/rootdir"
	echo keep >"$TEST_TMP/rootdir/state.json"
	as_user ln -s "$TEST_TMP/rootdir" "$(oci_root)/evil"
	run --separate-stderr root_oci delete --force evil
	[ "$status" -eq 1 ]
	one_error_line "symlink" "refusing"
	same "$(cat "$TEST_TMP/rootdir/state.json")" keep
	run --separate-stderr root_oci state evil
	[ "$status" -eq 1 ]
}

@test "root refuses a state file that is a symlink" {
	as_user sh -c "mv '$(oci_root)/c/state.json' '$TEST_TMP/real.json' && ln -s '$TEST_TMP/real.json' '$(oci_root)/c/state.json'"
	run --separate-stderr root_oci kill c KILL
	[ "$status" -eq 1 ]
	one_error_line "a symlink?"
}

@test "root refuses a group-writable container state directory" {
	as_user chmod g+w "$(oci_root)/c"
	run --separate-stderr root_oci kill c KILL
	[ "$status" -eq 1 ]
	one_error_line "group or world writable" "refusing"
}

@test "root refuses a group-writable state root" {
	as_user chmod g+w "$(oci_root)"
	run --separate-stderr root_oci state c
	[ "$status" -eq 1 ]
	one_error_line "group or world writable"
}

@test "root's delete removes a symlink planted in the state directory, not its target" {
	echo precious >"$TEST_TMP/root-file"
	as_user ln -s "$TEST_TMP/root-file" "$(oci_root)/c/link"
	root_oci delete --force c
	[ ! -e "$(oci_root)/c" ]
	same "$(cat "$TEST_TMP/root-file")" precious
}

@test "root's delete does not run the user's poststop hooks" {
	root_oci kill c KILL
	wait_status c stopped
	edit_config ".hooks = {\"poststop\": [{\"path\": \"/bin/touch\", \"args\": [\"touch\", \"$TEST_TMP/hook-ran\"]}]}"
	root_oci delete c
	[ ! -e "$TEST_TMP/hook-ran" ]
}
