#!/usr/bin/env bats
# burrow run's process and security flags (docker's --cap-*, --ulimit, --security-opt,
# --group-add, --oom-score-adj, --sysctl, --ipc, --device) as the unprivileged test user,
# checked from inside through /proc/self/status, ulimit and the files the program sees.

load helpers
load fixtures/expect
load fixtures/lab
bats_require_minimum_version 1.5.0

setup_file() {
	export LAB_DIR=$BATS_FILE_TMPDIR/lab
	PLAIN=$(lab_registry "$LAB_DIR/plain" plain busybox:latest)
	export PLAIN
	export IMG=$PLAIN/busybox:latest
	SHARED_CACHE=$(mktemp -d "${STAGE}/tmp/run-security-cache.XXXXXX")
	chown "$TEST_USER:" "$SHARED_CACHE"
	export SHARED_CACHE
	TEST_TMP=$SHARED_CACHE BURROW_CACHE_PATH=$SHARED_CACHE/cache as_user burrow pull -q "$IMG" >/dev/null
}

teardown_file() {
	lab_stop "$LAB_DIR/plain"
	rm -rf "$SHARED_CACHE"
}

setup() {
	burrow_setup
	export BURROW_CACHE_PATH=$SHARED_CACHE/cache
}
teardown() { burrow_teardown; }

# Fails unless the last run was refused as a usage error (status 2): one "burrow run: " line on
# stderr containing every argument.
usage_error() {
	local word
	[ "$status" -eq 2 ] || { echo "expected status 2, got $status" >&2 && return 1; }
	if [ "${#stderr_lines[@]}" -ne 1 ] || [[ "$stderr" != "burrow run: "* ]]; then
		printf 'expected one "burrow run: " line on stderr, got:\n%s\n' "$stderr" >&2
		return 1
	fi
	for word; do
		[[ "$stderr" == *"$word"* ]] || { printf 'expected %q in:\n%s\n' "$word" "$stderr" >&2 && return 1; }
	done
}

# The program's capability set line NAME (Eff, Bnd, Amb, Prm) from /proc/self/status.
cap_line() { grep "^Cap$1:" <<<"$output" | cut -f2; }

# Every capability this kernel knows, as /proc/self/status prints a set.
all_caps() { printf '%016x' $(((1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1)); }

@test "run --cap-drop ALL leaves the program no capability, bounding set included" {
	run --separate-stderr as_user burrow run --cap-drop ALL "$IMG" cat /proc/self/status
	[ "$status" -eq 0 ]
	same "$(cap_line Eff)" 0000000000000000
	same "$(cap_line Bnd)" 0000000000000000
}

@test "run --cap-drop ALL --cap-add NET_RAW gives the program CAP_NET_RAW alone" {
	run --separate-stderr as_user burrow run --cap-drop ALL --cap-add NET_RAW "$IMG" cat /proc/self/status
	[ "$status" -eq 0 ]
	same "$(cap_line Eff)" 0000000000002000
	same "$(cap_line Bnd)" 0000000000002000
	same "$(cap_line Amb)" 0000000000002000
}

@test "run --cap-drop CAP_CHOWN removes only that one from the bounding set" {
	run --separate-stderr as_user burrow run --cap-drop CAP_CHOWN "$IMG" cat /proc/self/status
	[ "$status" -eq 0 ]
	same "$(cap_line Bnd)" "$(printf '%016x' $((0x$(all_caps) & ~1)))"
}

@test "run without capability flags keeps the full bounding set and sets no_new_privs" {
	run --separate-stderr as_user burrow run "$IMG" cat /proc/self/status
	[ "$status" -eq 0 ]
	same "$(cap_line Bnd)" "$(all_caps)"
	same "$(grep '^NoNewPrivs:' <<<"$output" | cut -f2)" 1
}

@test "run --security-opt no-new-privileges=false leaves no_new_privs unset" {
	run --separate-stderr as_user burrow run --security-opt no-new-privileges=false "$IMG" cat /proc/self/status
	[ "$status" -eq 0 ]
	same "$(grep '^NoNewPrivs:' <<<"$output" | cut -f2)" 0
}

@test "run --ulimit nofile=512:1024 sets the soft and the hard limit" {
	run --separate-stderr as_user burrow run --ulimit nofile=512:1024 "$IMG" sh -c 'ulimit -Sn; ulimit -Hn'
	[ "$status" -eq 0 ]
	same "$output" "512
1024"
}

@test "run --ulimit stack=SOFT sets the stack limit ulimit -s reports in KiB" {
	run --separate-stderr as_user burrow run --ulimit stack=4194304 "$IMG" sh -c 'ulimit -Ss'
	[ "$status" -eq 0 ]
	same "$output" 4096
}

@test "run --ulimit above the hard limit fails naming the limit" {
	local hard
	hard=$(as_user sh -c 'ulimit -Hn')
	run --separate-stderr as_user burrow run --ulimit "nofile=64:$((hard + 1))" "$IMG" true
	[ "$status" -eq 125 ]
	one_error_line "rlimit nofile" "hard limit"
}

@test "run --ulimit with a bad value fails naming the flag" {
	run --separate-stderr as_user burrow run --ulimit nofile=many "$IMG" true
	usage_error "--ulimit 'nofile=many'"
}

@test "run --cap-add of an unknown capability fails naming it" {
	run --separate-stderr as_user burrow run --cap-add FLY "$IMG" true
	usage_error "--cap-add 'FLY'" "unknown capability"
}

@test "run --security-opt seccomp=FILE denying mkdir makes mkdir fail with EPERM" {
	cat >"$TEST_TMP/deny-mkdir.json" <<-'JSON'
		{"defaultAction": "SCMP_ACT_ALLOW",
		 "syscalls": [{"names": ["mkdir", "mkdirat", "no_such_call"], "action": "SCMP_ACT_ERRNO"}]}
	JSON
	run --separate-stderr as_user burrow run --security-opt seccomp="$TEST_TMP/deny-mkdir.json" "$IMG" \
		mkdir /tmp/x
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"Operation not permitted"* ]]
}

@test "run with a seccomp profile's errnoRet fails the call with that errno" {
	cat >"$TEST_TMP/eacces.json" <<-'JSON'
		{"defaultAction": "SCMP_ACT_ALLOW",
		 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
	JSON
	run --separate-stderr as_user burrow run --security-opt seccomp="$TEST_TMP/eacces.json" "$IMG" mkdir /tmp/x
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"Permission denied"* ]]
}

@test "run with a seccomp profile of an unknown action fails naming it" {
	echo '{"defaultAction": "SCMP_ACT_MAYBE"}' >"$TEST_TMP/bad.json"
	run --separate-stderr as_user burrow run --security-opt seccomp="$TEST_TMP/bad.json" "$IMG" true
	[ "$status" -eq 2 ]
	one_error_line "seccomp=" "SCMP_ACT_MAYBE"
}

@test "run --security-opt mask= hides a file and a directory" {
	mkdir -p "$TEST_TMP/data/dir"
	echo secret >"$TEST_TMP/data/file"
	echo inner >"$TEST_TMP/data/dir/inner"
	chown -R "$TEST_USER:" "$TEST_TMP/data"
	run --separate-stderr as_user burrow run -v "$TEST_TMP/data:/data" \
		--security-opt mask=/data/file:/data/dir:/data/missing "$IMG" sh -c 'cat /data/file; ls -A /data/dir; echo end'
	[ "$status" -eq 0 ]
	same "$output" end
}

@test "run --security-opt unmask= takes a path off the masked ones" {
	mkdir -p "$TEST_TMP/data"
	echo visible >"$TEST_TMP/data/file"
	chown -R "$TEST_USER:" "$TEST_TMP/data"
	run --separate-stderr as_user burrow run -v "$TEST_TMP/data:/data" --security-opt mask=/data/file \
		--security-opt unmask=/data/file "$IMG" cat /data/file
	[ "$status" -eq 0 ]
	same "$output" visible
}

@test "run --sysctl net.ipv4.ip_forward=1 with --network none sets it in the container's namespace" {
	run --separate-stderr as_user burrow run --network none --sysctl net.ipv4.ip_forward=1 "$IMG" \
		cat /proc/sys/net/ipv4/ip_forward
	[ "$status" -eq 0 ]
	same "$output" 1
}

@test "run --sysctl net.* without a network namespace of its own fails naming the key" {
	run --separate-stderr as_user burrow run --sysctl net.ipv4.ip_forward=1 "$IMG" true
	[ "$status" -eq 125 ]
	one_error_line "net.ipv4.ip_forward" "--network none"
}

@test "run --sysctl of a key no namespace scopes fails naming the key" {
	run --separate-stderr as_user burrow run --network none --sysctl vm.swappiness=10 "$IMG" true
	[ "$status" -eq 125 ]
	one_error_line "vm.swappiness" "not namespaced"
}

@test "run --ipc private gives the program an IPC namespace of its own" {
	run --separate-stderr as_user burrow run --ipc private "$IMG" readlink /proc/self/ns/ipc
	[ "$status" -eq 0 ]
	[[ "$output" == ipc:* ]]
	[ "$output" != "$(readlink /proc/self/ns/ipc)" ]
}

@test "run --group-add adds the group inside when the user has a subordinate range" {
	run --separate-stderr as_user burrow run --group-add 4242 "$IMG" id -G
	[ "$status" -eq 0 ]
	[[ " $output " == *" 4242 "* ]]
}

@test "run --group-add with a single-id map (-u) fails saying why" {
	run --separate-stderr as_user burrow run -u 0:0 --group-add 4242 "$IMG" id -G
	[ "$status" -eq 125 ]
	one_error_line "additional groups" "/etc/subgid"
}

@test "run --oom-score-adj raises the program's oom_score_adj" {
	run --separate-stderr as_user burrow run --oom-score-adj 500 "$IMG" cat /proc/self/oom_score_adj
	[ "$status" -eq 0 ]
	same "$output" 500
}

@test "run --oom-score-adj below the current value is refused naming it" {
	run --separate-stderr as_user burrow run --oom-score-adj -500 "$IMG" true
	[ "$status" -eq 125 ]
	one_error_line "oom_score_adj -500"
}

@test "run --device binds a host device node at the container's path" {
	run --separate-stderr as_user burrow run --device /dev/null:/dev/mynull "$IMG" \
		sh -c 'test -c /dev/mynull && echo hi >/dev/mynull && echo ok'
	[ "$status" -eq 0 ]
	same "$output" ok
}

@test "run --device of something that is not a device node fails naming the flag" {
	run --separate-stderr as_user burrow run --device /etc/passwd "$IMG" true
	usage_error "--device '/etc/passwd'" "not a device node"
}

@test "run --security-opt of an option burrow lacks fails naming it" {
	run --separate-stderr as_user burrow run --security-opt apparmor=unconfined "$IMG" true
	usage_error "--security-opt 'apparmor=unconfined'"
}
