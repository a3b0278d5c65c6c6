#!/usr/bin/env bats
# burrow start: the process model (parentage, no_new_privs, stdin, signals, tty, namespaces,
# --pid reaping). Exit statuses of plain runs are in start.bats.
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
bats_require_minimum_version 1.5.0

setup() {
	burrow_setup
	as_user burrow create --name c "$BUSYBOX_ROOTFS"
}
teardown() { burrow_teardown; }

# The program for the signal tests: records its parent's pid (burrow's) in burrow.pid, then
# waits up to 10 s; on signal SIG it writes "got SIG" to trapped and exits with CODE.
trapping_program() {
	echo "trap 'echo got $1 > trapped; exit $2' $1; echo \$PPID > burrow.pid; i=0; while [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done; exit 9"
}

# Starts burrow in the background with the trapping program, sends SIG to burrow's pid and
# checks that the program caught it and burrow exited with the program's CODE.
signal_reaches_program() {
	local sig=$1 code=$2 job rc=0
	# Background jobs start with INT and QUIT ignored; give burrow the default dispositions a
	# foreground command would have.
	as_user env --default-signal=INT,QUIT,TERM burrow start c sh -c "$(trapping_program "$sig" "$code")" 3>&- &
	job=$!
	wait_for_file "$TEST_TMP/burrow.pid"
	same "$(cat "/proc/$(cat "$TEST_TMP/burrow.pid")/comm")" burrow
	kill "-$sig" "$(cat "$TEST_TMP/burrow.pid")"
	wait "$job" || rc=$?
	same "$rc" "$code"
	same "$(cat "$TEST_TMP/trapped")" "got $sig"
}

@test "start runs the program as a direct child of burrow" {
	run as_user burrow start c sh -c 'cat /proc/$PPID/comm'
	[ "$status" -eq 0 ]
	same "$output" burrow
}

@test "start sets no_new_privs on the program" {
	run as_user burrow start c grep NoNewPrivs /proc/self/status
	[ "$status" -eq 0 ]
	same "$output" "$(printf 'NoNewPrivs:\t1')"
}

@test "start passes stdin to the program" {
	run as_user sh -c 'printf "hi\nthere\n" | burrow start c cat'
	[ "$status" -eq 0 ]
	same "$output" "$(printf 'hi\nthere')"
}

@test "SIGTERM sent to burrow reaches the program" {
	signal_reaches_program TERM 42
}

@test "SIGINT sent to burrow reaches the program" {
	signal_reaches_program INT 43
}

@test "killing burrow with SIGKILL kills the program" {
	as_user burrow start c sh -c 'echo $$ > program.pid; echo $PPID > burrow.pid; exec sleep 30' 3>&- &
	job=$!
	wait_for_file "$TEST_TMP/burrow.pid"
	wait_for_file "$TEST_TMP/program.pid"
	program=$(cat "$TEST_TMP/program.pid")
	same "$(cat "/proc/$program/comm")" sleep
	kill -KILL "$(cat "$TEST_TMP/burrow.pid")"
	wait "$job" || true
	for _ in $(seq 50); do
		if [ ! -e "/proc/$program" ] || grep -q '^State:.*Z' "/proc/$program/status" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "the program outlived burrow" >&2
	false
}

@test "start gives the program the user's terminal" {
	run as_user script -qec "burrow start c sh -c 'tty; test -t 0 && test -t 1 && echo interactive'" /dev/null </dev/null
	[ "$status" -eq 0 ]
	out=${output//$'\r'/}
	[[ "$(head -n1 <<<"$out")" =~ ^/dev/pts/[0-9]+$ ]] || { echo "got: $out" >&2; false; }
	same "$(tail -n +2 <<<"$out")" interactive
}

@test "start runs in a new user and mount namespace" {
	host=$(as_user sh -c 'readlink /proc/self/ns/user /proc/self/ns/mnt')
	run as_user burrow start c sh -c 'readlink /proc/self/ns/user; readlink /proc/self/ns/mnt'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(head -n1 <<<"$host")" ]
	[ "${lines[1]}" != "$(tail -n1 <<<"$host")" ]
}

@test "start shares the host's network and PID namespaces" {
	host=$(as_user readlink /proc/self/ns/net /proc/self/ns/pid)
	run as_user burrow start c sh -c 'readlink /proc/self/ns/net; readlink /proc/self/ns/pid'
	[ "$status" -eq 0 ]
	same "$output" "$host"
}

@test "start --pid gives a new PID namespace where the program is PID 2" {
	host=$(as_user readlink /proc/self/ns/pid)
	run as_user burrow start --pid c sh -c 'echo $$; readlink /proc/self/ns/pid'
	[ "$status" -eq 0 ]
	same "${lines[0]}" 2
	[ "${lines[1]}" != "$host" ]
}

@test "start --pid reaps orphans so no zombie is left" {
	run as_user burrow start --pid c sh -c '(sleep 0.2 &); sleep 1; cat /proc/[0-9]*/stat'
	[ "$status" -eq 0 ]
	if grep -E '^[0-9]+ \([^)]*\) Z' <<<"$output"; then
		echo "zombies left" >&2
		false
	fi
	if grep -F '(sleep)' <<<"$output"; then
		echo "the orphan is still there" >&2
		false
	fi
}

@test "start --pid passes the program's exit status through" {
	run as_user burrow start --pid c sh -c 'exit 5'
	[ "$status" -eq 5 ]
	run as_user burrow start --pid c sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
}
