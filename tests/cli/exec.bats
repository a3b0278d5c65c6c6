#!/usr/bin/env bats
# burrow exec: joining a running instance's namespaces, root, working directory and environment;
# instance records (written, removed, pruned, never trusted); list --fancy and --json.
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
load fixtures/lab
load fixtures/instances
bats_require_minimum_version 1.5.0

setup() {
	burrow_setup
	as_user burrow create --name c "$BUSYBOX_ROOTFS"
}
teardown() {
	kill_background
	burrow_teardown
}

# A record as burrow writes it, for the process PID with START_TIME, named NAME.
fake_record() {
	local pid=$1 start_time=$2 name=$3
	mkdir -p "$BURROW_RUNTIME_PATH/instances"
	printf '{"pid":%d,"start_time":%s,"name":"%s","container":true,"argv":["sleep"],"burrow_pid":1,"namespaces":%d,"started":1}' \
		"$pid" "$start_time" "$name" $((0x10000000 | 0x00020000)) >"$BURROW_RUNTIME_PATH/instances/$pid.json"
	chown -R "$TEST_USER:" "$BURROW_RUNTIME_PATH"
}

start_time_of() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat"; }

@test "exec sees the container's files" {
	as_user burrow start --rw c sh -c 'echo inside > /marker'
	background_instance start c sleep 30
	run --separate-stderr as_user burrow exec c cat /marker
	[ "$status" -eq 0 ]
	same "$output" inside
	same "$stderr" ""
}

@test "exec joins the instance's mount and user namespaces" {
	background_instance start c sleep 30
	run as_user burrow exec c sh -c 'readlink /proc/self/ns/mnt; readlink /proc/self/ns/user'
	[ "$status" -eq 0 ]
	same "$output" "$(readlink "/proc/$INSTANCE_PID/ns/mnt")
$(readlink "/proc/$INSTANCE_PID/ns/user")"
}

@test "exec into a --pid instance runs in its PID namespace" {
	background_instance start --pid c sleep 30
	run as_user burrow exec c sh -c 'readlink /proc/self/ns/pid; cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	same "${lines[0]}" "$(readlink "/proc/$INSTANCE_PID/ns/pid")"
	[[ "${lines[1]}" == "burrow start --pid c sleep 30"* ]]
}

@test "exec starts in the instance's working directory" {
	background_instance start -w /etc c sleep 30
	run as_user burrow exec c pwd
	[ "$status" -eq 0 ]
	same "$output" /etc
}

@test "exec starts at / when the instance's working directory was removed" {
	background_instance start c sh -c 'mkdir /tmp/w && cd /tmp/w && rmdir /tmp/w && exec sleep 30'
	run --separate-stderr as_user burrow exec c pwd
	[ "$status" -eq 0 ]
	same "$output" /
	same "$stderr" ""
}

@test "exec takes the program's environment in a --pid instance" {
	background_instance start --pid -e FOO=program c sleep 30
	run as_user burrow exec c sh -c 'echo "$FOO"'
	[ "$status" -eq 0 ]
	same "$output" program
}

@test "exec -w sets the working directory" {
	background_instance start -w /etc c sleep 30
	run as_user burrow exec -w /bin c pwd
	[ "$status" -eq 0 ]
	same "$output" /bin
}

@test "exec takes the instance's environment, -e overrides it" {
	background_instance start -e FOO=from-start -e BAR=kept c sleep 30
	run as_user burrow exec -e FOO=from-exec c sh -c 'echo "$FOO $BAR"'
	[ "$status" -eq 0 ]
	same "$output" "from-exec kept"
}

@test "exec of a --root instance is root inside" {
	background_instance start --root c sleep 30
	run as_user burrow exec c id -u
	[ "$status" -eq 0 ]
	same "$output" 0
}

@test "exec by PID joins that instance" {
	as_user burrow start --rw c sh -c 'echo yes > /by-pid'
	background_instance start c sleep 30
	run as_user burrow exec "$INSTANCE_PID" cat /by-pid
	[ "$status" -eq 0 ]
	same "$output" yes
}

@test "exec passes the program's exit status through" {
	background_instance start c sleep 30
	run as_user burrow exec c sh -c 'exit 42'
	same "$status" 42
}

@test "exec exits with 128+N when the program dies of signal N" {
	background_instance start c sleep 30
	run as_user burrow exec c sh -c 'kill -TERM $$'
	same "$status" 143
}

@test "SIGTERM sent to burrow exec reaches the program" {
	background_instance start c sleep 30
	# The program starts in the instance's working directory, this test's (bound in).
	as_user env --default-signal=TERM burrow exec c sh -c 'trap "echo got TERM > trapped; exit 7" TERM; echo $PPID > exec.pid; while :; do sleep 0.1; done' 3>&- &
	local job=$! rc=0
	wait_for_file "$TEST_TMP/exec.pid"
	same "$(cat "/proc/$(cat "$TEST_TMP/exec.pid")/comm")" burrow
	kill -TERM "$(cat "$TEST_TMP/exec.pid")"
	wait "$job" || rc=$?
	same "$rc" 7
	same "$(cat "$TEST_TMP/trapped")" "got TERM"
}

@test "exec of a missing command exits 127" {
	background_instance start c sleep 30
	run -127 --separate-stderr as_user burrow exec c no-such-command
	one_error_line "no-such-command"
}

@test "exec lets no host descriptor into the container" {
	background_instance start c sleep 30
	run as_user sh -c 'exec 7</dev/null; burrow exec c ls /proc/self/fd'
	[ "$status" -eq 0 ]
	same "$(echo "$output" | tr '\n' ' ')" "0 1 2 3 "
}

@test "exec into a stopped container fails with one line" {
	run --separate-stderr as_user burrow exec c true
	same "$status" 125
	one_error_line "no running instance of c"
}

@test "exec into an unknown name fails with one line" {
	run --separate-stderr as_user burrow exec nothing true
	same "$status" 125
	one_error_line "nothing" "list --fancy"
}

@test "the instance record disappears when the program exits" {
	as_user burrow start c sleep 1 3>&- &
	local job=$! i
	for i in $(seq 50); do
		[ -n "$(ls "$BURROW_RUNTIME_PATH/instances" 2>/dev/null)" ] && break
		sleep 0.1
	done
	[ -n "$(ls "$BURROW_RUNTIME_PATH/instances")" ]
	wait "$job"
	same "$(ls "$BURROW_RUNTIME_PATH/instances")" ""
}

@test "the record is removed when the program dies of a signal" {
	background_instance start c sleep 30
	kill -KILL "$INSTANCE_PID"
	wait "$JOB" || true
	same "$(ls "$BURROW_RUNTIME_PATH/instances")" ""
}

@test "a record left by kill -9 of burrow is pruned and never joined" {
	background_instance start c sleep 30
	kill -9 "$BURROW_PID"
	wait "$JOB" || true
	# The program dies of its parent-death signal; only its record is left.
	while [ -e "/proc/$INSTANCE_PID" ]; do sleep 0.1; done
	[ -e "$BURROW_RUNTIME_PATH/instances/$INSTANCE_PID.json" ]
	run --separate-stderr as_user burrow exec "$INSTANCE_PID" true
	same "$status" 125
	one_error_line "$INSTANCE_PID"
	[ ! -e "$BURROW_RUNTIME_PATH/instances/$INSTANCE_PID.json" ]
	run as_user burrow list --json
	same "$(json '[x["state"] for x in d]' <<<"$output")" "['stopped']"
}

@test "a record whose pid now belongs to another process is refused" {
	as_user sh -c 'echo $$ > sleep.pid; exec sleep 30' &
	BACKGROUND="$!"
	wait_for_file "$TEST_TMP/sleep.pid"
	local pid
	pid=$(cat "$TEST_TMP/sleep.pid")
	BACKGROUND="$BACKGROUND $pid"
	fake_record "$pid" $(($(start_time_of "$pid") + 1)) c
	run --separate-stderr as_user burrow exec "$pid" true
	same "$status" 125
	one_error_line "no running burrow instance has PID $pid"
	[ ! -e "$BURROW_RUNTIME_PATH/instances/$pid.json" ]
}

@test "exec refuses another user's process" {
	sleep 30 &
	BACKGROUND="$!"
	fake_record "$BACKGROUND" "$(start_time_of "$BACKGROUND")" c
	run --separate-stderr as_user burrow exec c true
	same "$status" 125
	one_error_line "$BACKGROUND" "another user"
}

@test "records in a directory of another user's are not trusted" {
	mkdir -p "$BURROW_RUNTIME_PATH/instances"
	chown "$TEST_USER:" "$BURROW_RUNTIME_PATH"
	chmod 0777 "$BURROW_RUNTIME_PATH/instances"
	run --separate-stderr as_user burrow list --json
	[ "$status" -eq 1 ]
	one_error_line "instances belongs to another user" BURROW_RUNTIME_PATH
	run --separate-stderr as_user burrow start c true
	same "$status" 125
	one_error_line "instances belongs to another user"
}

@test "list --json shows running and stopped containers" {
	as_user burrow create --name idle "$BUSYBOX_ROOTFS"
	background_instance start --pid c sleep 30
	run --separate-stderr as_user burrow list --json
	[ "$status" -eq 0 ]
	same "$(json '[(x["name"], x["kind"], x["state"], x["source"]) for x in d]' <<<"$output")" \
		"[('c', 'container', 'running', 'directory'), ('idle', 'container', 'stopped', 'directory')]"
	same "$(json 'd[0]["pid"], d[0]["command"], d[0]["namespaces"]' <<<"$output")" \
		"($INSTANCE_PID, ['sleep', '30'], ['user', 'mount', 'pid'])"
	same "$(json 'd[1]["pid"], d[1]["command"], d[1]["started"]' <<<"$output")" "(None, None, None)"
	local started
	started=$(json 'd[0]["started"]' <<<"$output")
	[ $(($(date +%s) - started)) -lt 60 ]
}

@test "list --fancy shows a table of containers and instances" {
	as_user burrow create --name idle "$BUSYBOX_ROOTFS"
	background_instance start c sleep 30
	run --separate-stderr as_user burrow list --fancy
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "NAME"*"PID"*"STATE/COMMAND"*"STARTED"*"SOURCE" ]]
	[[ "${lines[1]}" =~ ^c\ +$INSTANCE_PID\ +sleep\ 30\ +[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}\ +directory$ ]]
	[[ "${lines[2]}" =~ ^idle\ +-\ +stopped\ +-\ +directory$ ]]
	same "${#lines[@]}" 3
}

@test "plain list still prints names only while an instance runs" {
	background_instance start c sleep 30
	run --separate-stderr as_user burrow list
	[ "$status" -eq 0 ]
	same "$output" c
}
