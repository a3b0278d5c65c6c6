#!/usr/bin/env bats
# burrow oci: runc's verbs and the container lifecycle, as the unprivileged test user with a
# busybox bundle.

load helpers
load fixtures/expect
load fixtures/oci
bats_require_minimum_version 1.5.0

setup() {
	burrow_setup
	make_bundle
}

teardown() {
	# A container left running by a failed test must not outlive it.
	local id
	for id in $(oci list -q 2>/dev/null); do oci delete -f "$id" >/dev/null 2>&1 || true; done
	burrow_teardown
}

@test "spec writes a config.json that burrow's own loader runs" {
	set_args sh -c 'echo from-spec'
	run --separate-stderr oci_run
	[ "$status" -eq 0 ]
	same "$output" "from-spec"
}

@test "spec refuses to overwrite an existing config.json" {
	cd "$TEST_TMP/bundle"
	run --separate-stderr as_user burrow oci spec --rootless -b "$TEST_TMP/bundle"
	[ "$status" -eq 1 ]
	one_error_line "config.json" "exists"
}

@test "run returns the program's exit status" {
	set_args sh -c 'exit 7'
	run oci_run
	[ "$status" -eq 7 ]
}

@test "run returns 128+N when the program dies of signal N" {
	set_args sh -c 'kill -TERM $$'
	run oci_run
	[ "$status" -eq 143 ]
}

@test "run forwards TERM to the program and returns its status" {
	set_args sh -c 'trap "echo got-term; exit 9" TERM; echo ready; sleep 100 & wait'
	oci_run >"$TEST_TMP/out" 2>&1 &
	local bg=$!
	wait_for_file "$TEST_TMP/out"
	pkill -TERM -u "$(user_uid)" -f "burrow oci --root $(oci_root) run" -o
	local rc=0
	wait "$bg" || rc=$?
	[ "$rc" -eq 9 ]
	same "$(cat "$TEST_TMP/out")" "ready
got-term"
}

@test "run passes stdin and stdout through" {
	set_args cat
	feed() { echo through | oci_run; }
	run feed
	[ "$status" -eq 0 ]
	same "$output" "through"
}

@test "run works from the bundle directory as Slurm calls it" {
	set_args sh -c 'echo slurm-form'
	run --separate-stderr as_user sh -c "cd '$TEST_TMP/bundle' && burrow oci --root=$(oci_root) run c -b '$TEST_TMP/bundle'"
	[ "$status" -eq 0 ]
	same "$output" "slurm-form"
}

@test "run removes the container when its program ends" {
	set_args true
	oci_run
	run oci list -q
	same "$output" ""
}

@test "burrow runs as the OCI runtime when invoked as burrow-runc" {
	ln -s "$BURROW" "$TEST_TMP/burrow-runc"
	set_args sh -c 'echo as-runc'
	run --separate-stderr as_user "$TEST_TMP/burrow-runc" --root "$(oci_root)" run -b "$TEST_TMP/bundle" c
	[ "$status" -eq 0 ]
	same "$output" "as-runc"
}

@test "create leaves the container created until start from another process runs it" {
	set_args sh -c 'echo started > /tmp/marker; echo out; sleep 100'
	edit_config '.root.readonly = false | .mounts |= map(select(.destination != "/tmp"))'
	oci create -b "$TEST_TMP/bundle" c >"$TEST_TMP/out" 2>&1
	same "$(oci state c | jq -r .status)" created
	[ ! -s "$TEST_TMP/out" ]
	oci start c
	wait_status c running
	wait_for_file "$TEST_TMP/out"
	same "$(cat "$TEST_TMP/out")" out
}

@test "state reports id, pid, bundle, rootfs, owner and annotations" {
	set_args sleep 100
	edit_config '.annotations = {"org.example.key": "value"}'
	oci create -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	run --separate-stderr oci state c
	[ "$status" -eq 0 ]
	same "$(jq -r '[.ociVersion, .id, .status, .bundle, .rootfs, .owner, .annotations."org.example.key"] | join(" ")' <<<"$output")" \
		"1.0.2 c created $TEST_TMP/bundle $TEST_TMP/bundle/rootfs $(user_uid) value"
	local pid
	pid=$(jq -r .pid <<<"$output")
	[ "$pid" -gt 0 ]
	[ "$(stat -c %u "/proc/$pid")" = "$(user_uid)" ]
	[ -n "$(jq -r .created <<<"$output")" ]
}

@test "kill stops a running container and state then says stopped" {
	set_args sleep 100
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c running
	oci kill c KILL
	wait_status c stopped
	same "$(oci state c | jq -r .pid)" 0
}

@test "kill takes signal names, SIG names and numbers" {
	set_args sleep 100
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c running
	oci kill c SIGUSR1
	wait_status c stopped
	oci delete c
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c running
	oci kill c 9
	wait_status c stopped
}

@test "kill --all signals the container's descendants too" {
	set_args sh -c 'sleep 100 & sleep 100 & wait'
	edit_config '.linux.namespaces |= map(select(.type != "pid"))'
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c running
	local i pids
	for i in $(seq 50); do
		pids=$(oci ps --format json c | jq -r '.[]')
		[ "$(wc -w <<<"$pids")" -ge 3 ] && break
		sleep 0.1
	done
	oci kill --all c KILL
	wait_status c stopped
	sleep 0.2
	for pid in $pids; do
		[ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
	done
}

@test "kill refuses an unknown signal" {
	set_args sleep 100
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	run --separate-stderr oci kill c NOSUCH
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unknown signal 'NOSUCH'"* ]]
}

@test "kill of a stopped container is an error that says so" {
	set_args true
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c stopped
	run --separate-stderr oci kill c KILL
	[ "$status" -eq 1 ]
	one_error_line "container c is stopped"
}

@test "delete removes a stopped container and its state directory" {
	set_args true
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c stopped
	oci delete c
	[ ! -e "$(oci_root)/c" ]
	run --separate-stderr oci state c
	[ "$status" -eq 1 ]
	one_error_line "container c does not exist"
}

@test "delete refuses a running container without --force and kills it with it" {
	set_args sleep 100
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c running
	local pid
	pid=$(oci state c | jq -r .pid)
	run --separate-stderr oci delete c
	[ "$status" -eq 1 ]
	one_error_line "is running"
	oci delete --force c
	[ ! -e "$(oci_root)/c" ]
	sleep 0.2
	[ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
}

@test "run --detach returns at once and writes the pid file" {
	set_args sleep 100
	oci run -d --pid-file "$TEST_TMP/pid" -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	same "$(cat "$TEST_TMP/pid")" "$(oci state c | jq -r .pid)"
	same "$(oci state c | jq -r .status)" running
}

@test "create --pid-file names the container's process" {
	set_args sleep 100
	oci create --pid-file "$TEST_TMP/pid" -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	[ "$(cat "$TEST_TMP/pid")" -gt 0 ]
	same "$(cat "$TEST_TMP/pid")" "$(oci state c | jq -r .pid)"
}

@test "create of an ID that exists is refused" {
	set_args sleep 100
	oci create -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	run --separate-stderr oci create -b "$TEST_TMP/bundle" c
	[ "$status" -eq 1 ]
	one_error_line "container c already exists"
}

@test "an ID with a slash or .. is refused" {
	run --separate-stderr oci run -b "$TEST_TMP/bundle" ../x
	[ "$status" -eq 1 ]
	one_error_line "container ID '../x' is not valid"
	run --separate-stderr oci state ..
	[ "$status" -eq 1 ]
	one_error_line "container ID '..' is not valid"
}

@test "verbs on an unknown ID say it does not exist" {
	local verb
	for verb in state start kill delete ps; do
		run --separate-stderr oci "$verb" nosuch
		[ "$status" -eq 1 ]
		one_error_line "container nosuch does not exist"
	done
}

@test "start of a running container is refused" {
	set_args sleep 100
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	run --separate-stderr oci start c
	[ "$status" -eq 1 ]
	one_error_line "container c is running, not created"
}

@test "the state directory is private to the user" {
	set_args sleep 100
	oci create -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	same "$(stat -c '%a %U' "$(oci_root)" "$(oci_root)/c" "$(oci_root)/c/state.json" | tr '\n' ' ')" \
		"700 $TEST_USER 700 $TEST_USER 600 $TEST_USER "
}

@test "list shows containers as a table, as JSON and quietly" {
	set_args sleep 100
	oci create -b "$TEST_TMP/bundle" a >/dev/null 2>&1
	oci run -d -b "$TEST_TMP/bundle" b >/dev/null 2>&1
	run --separate-stderr oci list -q
	same "$(sort <<<"$output" | tr '\n' ' ')" "a b "
	run --separate-stderr oci list --format json
	same "$(jq -r 'sort_by(.id) | map(.id + "=" + .status) | join(" ")' <<<"$output")" "a=created b=running"
	run --separate-stderr oci list
	[[ "${lines[0]}" == "ID "*"STATUS"* ]]
	[[ "$output" == *"b "*"running"* ]]
}

@test "list of an empty state root is empty" {
	run --separate-stderr oci list --format json
	[ "$status" -eq 0 ]
	same "$output" "[]"
}

@test "ps lists the container's processes" {
	set_args sh -c 'sleep 100 & wait'
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c running
	local i pid sleepers=0
	for i in $(seq 50); do
		run --separate-stderr oci ps --format json c
		[ "$(jq length <<<"$output")" -ge 3 ] && break
		sleep 0.1
	done
	same "$(jq -r '.[0]' <<<"$output")" "$(oci state c | jq -r .pid)"
	for pid in $(jq -r '.[]' <<<"$output"); do
		[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 100 " ] && sleepers=$((sleepers + 1))
	done
	same "$sleepers" 1
}

@test "exec runs a program in the running container" {
	set_args sh -c 'echo inside > /dev/shm/f; sleep 100'
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c running
	sleep 0.3
	run --separate-stderr oci exec c cat /dev/shm/f
	[ "$status" -eq 0 ]
	same "$output" inside
}

@test "exec -p takes the process from a process.json" {
	set_args sleep 100
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c running
	echo '{"args": ["sh", "-c", "echo $X; pwd"], "env": ["X=from-json"], "cwd": "/etc"}' >"$TEST_TMP/process.json"
	chown "$TEST_USER:" "$TEST_TMP/process.json"
	run --separate-stderr oci exec -p "$TEST_TMP/process.json" c
	[ "$status" -eq 0 ]
	same "$output" "from-json
/etc"
}

@test "exec returns the program's exit status" {
	set_args sleep 100
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c running
	run oci exec c sh -c 'exit 5'
	[ "$status" -eq 5 ]
}

@test "exec --tty gives the program a pty whose master goes to --console-socket" {
	set_args sleep 100
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c running
	console_socket "$TEST_TMP/term.out"
	run --separate-stderr oci exec --tty --console-socket "$TEST_TMP/console.sock" c sh -c 'tty; echo term-ok'
	[ "$status" -eq 0 ]
	wait "$CONSOLE_PID"
	[[ "$(tr -d '\r' <"$TEST_TMP/term.out")" == /dev/pts/*$'\n'term-ok ]]
}

@test "exec -p with process.terminal true sizes the pty from consoleSize" {
	set_args sleep 100
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c running
	echo '{"terminal": true, "consoleSize": {"height": 30, "width": 100}, "args": ["stty", "size"]}' >"$TEST_TMP/process.json"
	chown "$TEST_USER:" "$TEST_TMP/process.json"
	console_socket "$TEST_TMP/term.out"
	run --separate-stderr oci exec --console-socket "$TEST_TMP/console.sock" -p "$TEST_TMP/process.json" c
	[ "$status" -eq 0 ]
	wait "$CONSOLE_PID"
	same "$(tr -d '\r' <"$TEST_TMP/term.out")" "30 100"
}

@test "exec --tty without --console-socket is refused with the fix" {
	set_args sleep 100
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c running
	run --separate-stderr oci exec --tty c true
	[ "$status" -ne 0 ]
	same "${#stderr_lines[@]}" 1
	[[ "$stderr" == "burrow oci exec: --tty needs --console-socket SOCKET"* ]]
}

@test "exec --detach returns while the program runs on, and --pid-file names it" {
	set_args sleep 100
	oci run -d -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	wait_status c running
	oci exec -d --pid-file "$TEST_TMP/exec.pid" c \
		sh -c 'while [ ! -e /dev/shm/go ]; do sleep 0.1; done; echo after >/dev/shm/done' \
		</dev/null >/dev/null 2>&1 &
	local exec_pid=$! i
	for i in $(seq 100); do
		kill -0 "$exec_pid" 2>/dev/null || break
		sleep 0.1
	done
	# Still waiting for its program: let that end, and fail.
	if kill -0 "$exec_pid" 2>/dev/null; then
		oci exec c touch /dev/shm/go
		false
	fi
	wait "$exec_pid"
	local pid
	pid=$(cat "$TEST_TMP/exec.pid")
	kill -0 "$pid"
	oci exec c touch /dev/shm/go
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	run --separate-stderr oci exec c cat /dev/shm/done
	same "$output" after
}

@test "features reports what burrow supports as JSON" {
	run --separate-stderr oci features
	[ "$status" -eq 0 ]
	jq -e '.ociVersionMax and (.hooks | index("createRuntime")) and (.linux.namespaces | index("user"))' <<<"$output"
}

@test "run --preserve-fds passes descriptors 3 and up to the program, and only those" {
	set_args sh -c 'cat <&3; cat <&4 2>/dev/null || echo no-4'
	echo preserved >"$TEST_TMP/in"
	chown "$TEST_USER:" "$TEST_TMP/in"
	run --separate-stderr as_user sh -c "exec 3<'$TEST_TMP/in' 4<'$TEST_TMP/in'; burrow oci --root '$(oci_root)' run --preserve-fds 1 -b '$TEST_TMP/bundle' c"
	[ "$status" -eq 0 ]
	same "$output" "preserved
no-4"
}

@test "global options runc callers pass are accepted" {
	set_args true
	run --separate-stderr as_user burrow oci --root "$(oci_root)" --debug --rootless=true --systemd-cgroup \
		--log "$TEST_TMP/log" --log-format json run -b "$TEST_TMP/bundle" c
	[ "$status" -eq 0 ]
}

@test "--log appends errors as JSON with --log-format json" {
	run --separate-stderr as_user burrow oci --root "$(oci_root)" --log "$TEST_TMP/log" --log-format json state nosuch
	[ "$status" -eq 1 ]
	jq -e '.level == "error" and (.msg | contains("nosuch"))' "$TEST_TMP/log"
}

@test "a failing start leaves no container behind" {
	set_args /no/such/program
	run -127 --separate-stderr oci_run
	[[ "$stderr" == *"/no/such/program"* ]]
	run oci list -q
	same "$output" ""
}

@test "a create that fails says why and leaves no container behind" {
	set_args true
	edit_config '.root.path = "missing"'
	run --separate-stderr oci create -b "$TEST_TMP/bundle" c
	[ "$status" -eq 1 ]
	one_error_line "missing"
	run oci list -q
	same "$output" ""
	[ ! -e "$(oci_root)/c" ]
}

@test "the monitor records a created container's exit status (127: program missing)" {
	set_args /no/such/program
	oci create -b "$TEST_TMP/bundle" c >/dev/null 2>&1
	oci start c
	wait_status c stopped
	for i in $(seq 50); do
		[ "$(jq .exited "$(oci_root)/c/state.json")" = true ] && break
		sleep 0.1
	done
	same "$(jq .exit_status "$(oci_root)/c/state.json")" 127
	oci delete c
}
