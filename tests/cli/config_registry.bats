#!/usr/bin/env bats
# Configuration that needs a registry: BURROW_INSECURE_REGISTRIES from a user's burrow.conf
# (a registry reached by a name that is not loopback needs it for plain http), and run --conf.
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
load fixtures/lab
bats_require_minimum_version 1.5.0

setup_file() {
	lab_setup_plain busybox:latest
}

teardown_file() {
	lab_teardown
}

setup() {
	burrow_setup
	# A non-loopback address of this host, in front of the loopback-only lab registry.
	ADDR=$(ip -4 -o addr show scope global | awk '{ sub("/.*", "", $4); print $4; exit }')
	[ -n "$ADDR" ] || skip "no non-loopback IPv4 address"
	coproc FORWARD { exec /usr/bin/python3 "$lab/forward.py" "$ADDR" "${PLAIN#*:}"; }
	read -r port <&"${FORWARD[0]}"
	REMOTE=$ADDR:$port
	mkdir -p "$TEST_TMP/config"
	export BURROW_CONFIG_PATH=$TEST_TMP/config BURROW_SYSCONF_PATH=$TEST_TMP/no-system
	# Keep a wrong https attempt from waiting long.
	export BURROW_HTTP_TIMEOUT=5 BURROW_RETRY_MS=10
}
teardown() {
	[ -z "${FORWARD_PID:-}" ] || kill "$FORWARD_PID"
	burrow_teardown
}

@test "a registry that is not loopback is refused plain http without configuration" {
	run --separate-stderr as_user burrow pull "docker://$REMOTE#busybox:latest"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"https://$REMOTE"* ]] || { echo "$stderr" >&2; false; }
}

@test "BURROW_INSECURE_REGISTRIES in the user's burrow.conf allows plain http to that registry" {
	printf 'INSECURE_REGISTRIES "other.example:5000, %s"\n' "$REMOTE" >"$TEST_TMP/config/burrow.conf"
	chown -R "$TEST_USER:" "$TEST_TMP/config"
	run --separate-stderr as_user burrow pull -q "docker://$REMOTE#busybox:latest"
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	run as_user burrow images
	[[ "$output" == *"$REMOTE/busybox"* ]] || { echo "$output" >&2; false; }
}

@test "run --conf gives its [environ] and [mounts] to that run only" {
	mkdir -p "$TEST_TMP/extra"
	echo extra >"$TEST_TMP/extra/f"
	printf '%s\n' "[environ]" "FROM_CONF=yes" "[mounts]" \
		"$TEST_TMP/extra /extra none ro,x-create=dir" >"$TEST_TMP/job.conf"
	chown -R "$TEST_USER:" "$TEST_TMP"
	run --separate-stderr as_user burrow run --conf "$TEST_TMP/job.conf" "$PLAIN/busybox:latest" \
		sh -c 'echo "$FROM_CONF"; cat /extra/f'
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	same "$output" "$(printf 'yes\nextra')"
	run as_user burrow run "$PLAIN/busybox:latest" sh -c 'echo "${FROM_CONF:-unset}"; test -e /extra || echo no-extra'
	same "$output" "$(printf 'unset\nno-extra')"
}
