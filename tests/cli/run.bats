#!/usr/bin/env bats
# burrow run, docker's one-shot: the image's config (Entrypoint, Cmd, Env, WorkingDir), the
# docker flags it takes and the ones it refuses, as the unprivileged test user against the
# lab's registry. The images are pulled once for the file into a cache every test shares.

load helpers
load fixtures/expect
load fixtures/lab
bats_require_minimum_version 1.5.0


setup_file() {
	export LAB_DIR=$BATS_FILE_TMPDIR/lab
	PLAIN=$(lab_registry "$LAB_DIR/plain" plain busybox:latest multi:latest)
	export PLAIN
	# Busybox with a numeric USER, and with a named one (images.sh has none with USER).
	local layout=$BATS_FILE_TMPDIR/user-oci
	umoci init --layout "$layout"
	umoci new --image "$layout:numeric"
	umoci raw add-layer --image "$layout:numeric" "$BUSYBOX_TAR"
	umoci config --image "$layout:numeric" --config.user 4321:4322 --config.cmd id
	umoci config --image "$layout:numeric" --config.user nobody --tag named
	skopeo copy --quiet --dest-tls-verify=false "oci:$layout:numeric" "docker://$PLAIN/user:numeric"
	skopeo copy --quiet --dest-tls-verify=false "oci:$layout:named" "docker://$PLAIN/user:named"
	SHARED_CACHE=$(mktemp -d "${STAGE}/tmp/run-cache.XXXXXX")
	chown "$TEST_USER:" "$SHARED_CACHE"
	export SHARED_CACHE
	TEST_TMP=$SHARED_CACHE BURROW_CACHE_PATH=$SHARED_CACHE/cache as_user burrow pull -q "$PLAIN/multi:latest" >/dev/null
	TEST_TMP=$SHARED_CACHE BURROW_CACHE_PATH=$SHARED_CACHE/cache as_user burrow pull -q "$PLAIN/busybox:latest" >/dev/null
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

@test "run of an image prints its entrypoint with its default argument in its WorkingDir" {
	run --separate-stderr as_user burrow run "$PLAIN/multi:latest"
	[ "$status" -eq 0 ]
	same "$output" "entry: GREETING=hello from multi pwd=/app args=default-arg"
}

@test "run with arguments replaces the image's Cmd and keeps its Entrypoint" {
	run --separate-stderr as_user burrow run "$PLAIN/multi:latest" one two
	[ "$status" -eq 0 ]
	same "$output" "entry: GREETING=hello from multi pwd=/app args=one two"
}

@test "run --entrypoint replaces the Entrypoint and the Cmd, and '' clears it" {
	run --separate-stderr as_user burrow run --entrypoint /bin/echo "$PLAIN/multi:latest" hi
	[ "$status" -eq 0 ]
	same "$output" hi
	run --separate-stderr as_user burrow run --entrypoint '' "$PLAIN/multi:latest" sh -c 'echo "$GREETING"'
	same "$output" "hello from multi"
}

@test "start with a command replaces Entrypoint and Cmd, as Enroot does" {
	run --separate-stderr as_user burrow start "$PLAIN/multi:latest" echo plain
	[ "$status" -eq 0 ]
	same "$output" plain
}

@test "start of an image starts in its WorkingDir when the current directory is not bound" {
	run --separate-stderr as_user burrow start --no-cwd "$PLAIN/multi:latest" pwd
	[ "$status" -eq 0 ]
	same "$output" /app
}

@test "run -e and --env-file set variables, -e last" {
	printf '# a comment\n\nFROM_FILE=file value\nBOTH=file\n' >"$TEST_TMP/env"
	chown "$TEST_USER:" "$TEST_TMP/env"
	run --separate-stderr as_user burrow run --env-file "$TEST_TMP/env" -e BOTH=flag -e ONE=1 \
		"$PLAIN/busybox:latest" sh -c 'echo "$FROM_FILE/$BOTH/$ONE"'
	[ "$status" -eq 0 ]
	same "$output" "file value/flag/1"
}

@test "run -w makes the working directory when the image lacks it" {
	run --separate-stderr as_user burrow run -w /new/dir "$PLAIN/busybox:latest" pwd
	[ "$status" -eq 0 ]
	same "$output" /new/dir
}

@test "run -v binds a host directory, read-only with :ro" {
	mkdir "$TEST_TMP/vol" && echo data >"$TEST_TMP/vol/f" && chown -R "$TEST_USER:" "$TEST_TMP/vol"
	run --separate-stderr as_user burrow run -v "$TEST_TMP/vol:/vol" "$PLAIN/busybox:latest" \
		sh -c 'cat /vol/f && echo more >/vol/g'
	[ "$status" -eq 0 ]
	same "$output" data
	same "$(cat "$TEST_TMP/vol/g")" more
	run --separate-stderr as_user burrow run -v "$TEST_TMP/vol:/vol:ro" "$PLAIN/busybox:latest" \
		sh -c 'echo x >/vol/h'
	[ "$status" -ne 0 ]
	[ ! -e "$TEST_TMP/vol/h" ]
}

@test "run --mount type=bind,...,readonly binds read-only" {
	mkdir "$TEST_TMP/vol" && echo data >"$TEST_TMP/vol/f" && chown -R "$TEST_USER:" "$TEST_TMP/vol"
	run --separate-stderr as_user burrow run --mount "type=bind,src=$TEST_TMP/vol,dst=/m,readonly" \
		"$PLAIN/busybox:latest" sh -c 'cat /m/f; echo x >/m/g'
	[ "$status" -ne 0 ]
	same "${lines[0]}" data
	[ ! -e "$TEST_TMP/vol/g" ]
}

@test "run's writes vanish at exit" {
	run as_user burrow run "$PLAIN/busybox:latest" sh -c 'echo hi >/made && cat /made'
	same "$output" hi
	run as_user burrow run "$PLAIN/busybox:latest" ls /made
	[ "$status" -ne 0 ]
	same "$(as_user burrow list)" ""
}

@test "run --name keeps the root as a container that start sees, and --rm removes it" {
	as_user burrow run --name kept "$PLAIN/busybox:latest" sh -c 'echo hi >/made'
	same "$(as_user burrow list)" kept
	run as_user burrow start kept cat /made
	same "$output" hi
	run --separate-stderr as_user burrow run --name kept "$PLAIN/busybox:latest" true
	[ "$status" -eq 125 ]
	one_error_line "kept" "already exists"
	as_user burrow run --rm --name gone "$PLAIN/busybox:latest" true
	same "$(as_user burrow list)" kept
}

@test "run --read-only makes the root read-only" {
	run as_user burrow run --read-only "$PLAIN/busybox:latest" sh -c 'echo x >/made'
	[ "$status" -ne 0 ]
}

@test "run --tmpfs mounts a fresh tmpfs, writable even with --read-only" {
	run --separate-stderr as_user burrow run --read-only --tmpfs /scratch "$PLAIN/busybox:latest" \
		sh -c 'echo x >/scratch/f && cat /scratch/f && grep " /scratch " /proc/self/mounts | cut -d" " -f3'
	[ "$status" -eq 0 ]
	same "$output" "$(printf 'x\ntmpfs')"
}

@test "run --hostname sets the host name inside only" {
	run --separate-stderr as_user burrow run --hostname inside "$PLAIN/busybox:latest" hostname
	[ "$status" -eq 0 ]
	same "$output" inside
	[ "$(hostname)" != inside ]
}

@test "run --network none has only lo, up" {
	run --separate-stderr as_user burrow run --network none "$PLAIN/busybox:latest" \
		sh -c 'sed -n "3,\$p" /proc/net/dev | cut -d: -f1 | tr -d " "; busybox ip -o link | cut -d" " -f2,3'
	[ "$status" -eq 0 ]
	same "$output" "$(printf 'lo\nlo: <LOOPBACK,UP,LOWER_UP>')"
}

@test "run -u 1234:1234 is uid and gid 1234 inside" {
	run --separate-stderr as_user burrow run -u 1234:1234 "$PLAIN/busybox:latest" sh -c 'id -u; id -g'
	[ "$status" -eq 0 ]
	same "$output" "$(printf '1234\n1234')"
}

@test "run -u 1234:1234 names the user with that uid in /etc/passwd" {
	run --separate-stderr as_user burrow run -u 1234:1234 "$PLAIN/busybox:latest" sh -c 'id -un; echo "$HOME"'
	[ "$status" -eq 0 ]
	same "$output" "$(printf '%s\n%s' "$TEST_USER" "$TEST_HOME")"
}

@test "run of an image with a numeric USER is that uid inside, and -u wins over it" {
	run --separate-stderr as_user burrow run "$PLAIN/user:numeric" sh -c 'id -u; id -g'
	[ "$status" -eq 0 ]
	same "$output" "$(printf '4321\n4322')"
	run --separate-stderr as_user burrow run -u 77 "$PLAIN/user:numeric" id -u
	same "$output" 77
}

@test "run of an image with a named USER says so in one line and runs as the user" {
	run --separate-stderr as_user burrow run "$PLAIN/user:named" id -u
	[ "$status" -eq 0 ]
	same "$output" "$(user_uid)"
	[[ "${stderr_lines[-1]}" == "burrow: the image's USER 'nobody' is no numeric id; running as you"* ]]
}

@test "start ignores the image's USER: you run as yourself" {
	run --separate-stderr as_user burrow start "$PLAIN/user:numeric" id -u
	[ "$status" -eq 0 ]
	same "${lines[-1]}" "$(user_uid)"
}

@test "run refuses a docker option it does not have, naming it" {
	run --separate-stderr as_user burrow run -p 8080:80 "$PLAIN/busybox:latest" true
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"'-p'"* ]]
	same "${#stderr_lines[@]}" 1
	run --separate-stderr as_user burrow run --gpus all "$PLAIN/busybox:latest" true
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"'--gpus'"* ]]
	run --separate-stderr as_user burrow run --privileged "$PLAIN/busybox:latest" true
	[[ "$stderr" == *"'--privileged'"* ]]
	run --separate-stderr as_user burrow run --cpus 2 "$PLAIN/busybox:latest" true
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"'--cpus'"* ]]
}

@test "run passes the program's exit status through" {
	run as_user burrow run "$PLAIN/busybox:latest" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run -127 as_user burrow run "$PLAIN/busybox:latest" /no/such
	[ "$status" -eq 127 ]
}

@test "run pulls an image missing from the store and says so" {
	export BURROW_CACHE_PATH=$TEST_TMP/cache
	run --separate-stderr as_user burrow run "$PLAIN/busybox:latest" echo ran
	[ "$status" -eq 0 ]
	same "$output" ran
	[[ "$stderr" == "burrow: pulling $PLAIN/busybox:latest"* ]]
}
