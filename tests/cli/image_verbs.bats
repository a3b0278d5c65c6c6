#!/usr/bin/env bats
# burrow tag, inspect, digest, login and logout, the short names images and rmi accept, and
# pull's progress on a terminal: run as the test user against the lab's real registries (one
# plain, one with htpasswd, one with Bearer tokens), started once for the file.

load helpers
load fixtures/expect
load fixtures/lab
bats_require_minimum_version 1.5.0


setup_file() {
	lab_setup_plain busybox:latest multi:latest multiarch:latest
	HTPASSWD=$(lab_registry "$LAB_DIR/htpasswd" htpasswd busybox:latest)
	TOKEN_REGISTRY=$(lab_registry "$LAB_DIR/token" token)
	export HTPASSWD TOKEN_REGISTRY
}

teardown_file() {
	lab_teardown
}

setup() { burrow_setup; }
teardown() { burrow_teardown; }

# burrow as the test user, reading and writing credentials of this test only.
ub() {
	as_user env XDG_CONFIG_HOME="$TEST_TMP/config" DOCKER_CONFIG="$TEST_TMP/docker" burrow "$@"
}

# CMD as the test user on a terminal (a pty from script), TERM=xterm; stdin passes on to it.
on_tty() {
	as_user env TERM=xterm XDG_CONFIG_HOME="$TEST_TMP/config" DOCKER_CONFIG="$TEST_TMP/docker" \
		script -qec "$*" /dev/null
}


credentials=config/burrow/.credentials

@test "tag gives an image a local name, images lists both, and rmi of one keeps the other" {
	ub pull -q "$PLAIN/busybox:latest"
	run --separate-stderr ub tag "$PLAIN/busybox" mybox
	same "$status" 0
	same "$output" localhost/mybox:latest
	run ub images
	same "$(cut -f1 <<<"$output")" "$PLAIN/busybox:latest
localhost/mybox:latest"
	same "$(cut -f2 <<<"$output" | uniq | wc -l)" 1
	ub rmi mybox
	run ub images
	same "$(cut -f1 <<<"$output")" "$PLAIN/busybox:latest"
	run ub inspect mybox
	same "$status" 1
}

@test "images and rmi take a registry reference without :latest as :latest" {
	ub pull -q "$PLAIN/busybox:latest"
	ub tag "$PLAIN/busybox" "$PLAIN/busybox:v2"
	run ub images "$PLAIN/busybox"
	same "$(cut -f1 <<<"$output")" "$PLAIN/busybox:latest
$PLAIN/busybox:v2"
	run ub images "$PLAIN/busybox:v2"
	same "$(cut -f1 <<<"$output")" "$PLAIN/busybox:v2"
	ub rmi "$PLAIN/busybox"
	run ub images
	same "$(cut -f1 <<<"$output")" "$PLAIN/busybox:v2"
}

@test "tag of an image that is not in the store fails naming the names it looked for" {
	run --separate-stderr ub tag nothere mybox
	same "$status" 1
	one_error_line "nothere" "burrow images"
	[ ! -e "$TEST_TMP/cache/oci/index.json" ] || ! grep -q mybox "$TEST_TMP/cache/oci/index.json"
}

@test "inspect prints the name, digest, manifest and config of multi:latest" {
	local digest
	digest=$(ub digest "$PLAIN/multi:latest")
	ub pull -q "$PLAIN/multi:latest"
	run --separate-stderr ub inspect "$PLAIN/multi"
	same "$status" 0
	same "$(json 'd["name"], d["digest"]' <<<"$output")" "('$PLAIN/multi:latest', '$digest')"
	same "$(json 'len(d["manifest"]["layers"]), d["manifest"]["config"]["digest"].startswith("sha256:")' <<<"$output")" \
		"(3, True)"
	same "$(json 'd["config"]["config"]["Env"]' <<<"$output")" \
		"['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hello from multi', 'EMPTY=']"
	same "$(json 'd["config"]["config"]["Entrypoint"], d["config"]["config"]["Cmd"]' <<<"$output")" \
		"(['/app/entry.sh'], ['default-arg'])"
}

@test "digest prints the digest skopeo reports for busybox:latest and fetches no layer" {
	local log_lines digest want
	log_lines=$(wc -l <"$LAB_DIR/plain/registry.log")
	digest=$(ub digest "$PLAIN/busybox:latest")
	[ -z "$(ls -A "$TEST_TMP/cache/layers/sha256" 2>/dev/null)" ]
	[ -z "$(ls -A "$TEST_TMP/cache/oci/blobs/sha256" 2>/dev/null)" ]
	run ! grep '"GET /v2/busybox/blobs/' <(tail -n +"$((log_lines + 1))" "$LAB_DIR/plain/registry.log")
	want=$(as_user skopeo inspect --tls-verify=false "docker://$PLAIN/busybox:latest" | json 'd["Digest"]')
	same "$digest" "$want"
}

@test "digest of multiarch:latest is the index's, and with --arch arm64 the arm64 manifest's" {
	local index
	index=$(curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' \
		"http://$PLAIN/v2/multiarch/manifests/latest")
	run ub digest "$PLAIN/multiarch:latest"
	same "$output" "sha256:$(printf '%s' "$index" | sha256sum | cut -d' ' -f1)"
	run ub digest --arch arm64 "$PLAIN/multiarch:latest"
	same "$output" "$(json 'd["manifests"][0]["digest"]' <<<"$index")"
	run ub digest --platform linux/arm/v7 "$PLAIN/multiarch:latest"
	same "$output" "$(json 'd["manifests"][1]["digest"]' <<<"$index")"
	run --separate-stderr ub digest --arch s390x "$PLAIN/multiarch:latest"
	same "$status" 1
	one_error_line "s390x" "arm64"
}

@test "login with a wrong password fails and writes nothing" {
	run --separate-stderr ub login -u alice --password-stdin "$HTPASSWD" <<<"wrong"
	same "$status" 1
	one_error_line "$HTPASSWD" "nothing saved" "wrong user name or password"
	[ ! -e "$TEST_TMP/config" ]
}

@test "login to a token registry with a wrong password fails and keeps the file as it was" {
	mkdir -p "$TEST_TMP/config/burrow"
	printf '# mine\nmachine example.org login bob password x\n' >"$TEST_TMP/$credentials"
	chown -R "$TEST_USER:" "$TEST_TMP/config"
	run --separate-stderr ub login -u alice --password-stdin "$TOKEN_REGISTRY" <<<"wrong"
	same "$status" 1
	one_error_line "nothing saved" "wrong user name or password"
	same "$(cat "$TEST_TMP/$credentials")" "# mine
machine example.org login bob password x"
}

@test "login --password-stdin checks with an htpasswd registry, saves a 0600 entry, and pull then works" {
	run --separate-stderr ub login -u alice --password-stdin "$HTPASSWD" <<<"wonderland"
	same "$status" 0
	[[ "$output" == *"Logged in to $HTPASSWD as alice: the registry accepted the password"* ]]
	same "$(stat -c '%a %U' "$TEST_TMP/$credentials")" "600 $TEST_USER"
	same "$(cat "$TEST_TMP/$credentials")" "machine $HTPASSWD login alice password wonderland"
	run --separate-stderr ub pull -q "$HTPASSWD/busybox:latest"
	same "$status" 0
	same "$output" "$HTPASSWD/busybox:latest"
}

@test "login to a token registry gets a token with the password and keeps other entries" {
	mkdir -p "$TEST_TMP/config/burrow"
	printf 'machine example.org login bob password x\n' >"$TEST_TMP/$credentials"
	chown -R "$TEST_USER:" "$TEST_TMP/config"
	run --separate-stderr ub login -u alice --password-stdin "$TOKEN_REGISTRY" <<<"wonderland"
	same "$status" 0
	same "$(cat "$TEST_TMP/$credentials")" "machine example.org login bob password x
machine $TOKEN_REGISTRY login alice password wonderland"
	same "$(tail -n 1 "$LAB_DIR/token/token/requests.log" | json 'd["status"], d["authorization"]')" \
		"(200, 'Basic $(printf alice:wonderland | base64)')"
}

@test "login asks for the password on a terminal without echoing it" {
	run on_tty "burrow login -u alice $HTPASSWD" < <(sleep 1 && printf 'wonderland\n')
	same "$status" 0
	[[ "$output" == "Password: "* ]]
	[[ "$output" != *wonderland* ]]
	same "$(cat "$TEST_TMP/$credentials")" "machine $HTPASSWD login alice password wonderland"
}

@test "login without a terminal and without --password-stdin is a usage error" {
	run --separate-stderr ub login -u alice "$HTPASSWD" </dev/null
	same "$status" 2
	[[ "$stderr" == *"--password-stdin"* ]]
}

@test "logout removes the entry, and a pull then fails with an auth error naming login" {
	ub login -u alice --password-stdin "$HTPASSWD" <<<"wonderland" >/dev/null
	run --separate-stderr ub logout "$HTPASSWD"
	same "$status" 0
	same "$(cat "$TEST_TMP/$credentials")" ""
	run --separate-stderr ub pull -q "$HTPASSWD/busybox:latest"
	same "$status" 1
	one_error_line "needs a login" "burrow login $HTPASSWD"
	run --separate-stderr ub logout "$HTPASSWD"
	same "$status" 1
	one_error_line "no credentials for $HTPASSWD"
}

@test "pull draws a line per layer with its size on a terminal, and nothing on stderr when piped" {
	run on_tty "burrow pull $PLAIN/multi:latest"
	same "$status" 0
	[[ "$output" == *"layer 1/3 sha256:"*"waiting"* ]]
	[[ "$output" == *$'\e[3A'* ]]
	[[ "$output" == *"layer 3/3 sha256:"*"done"* ]]
	[[ "$output" == *"$PLAIN/multi:latest"* ]]
	export BURROW_CACHE_PATH=$TEST_TMP/cache2
	run --separate-stderr ub pull "$PLAIN/multi:latest"
	same "$status" 0
	same "$output" "$PLAIN/multi:latest"
	same "$stderr" ""
}

@test "pull -q prints no progress on a terminal, and -v a plain line per layer when piped" {
	run on_tty "burrow pull -q $PLAIN/multi:latest"
	same "$status" 0
	same "$output" "$PLAIN/multi:latest"$'\r'
	export BURROW_CACHE_PATH=$TEST_TMP/cache2
	run --separate-stderr ub pull -v "$PLAIN/multi:latest"
	same "$status" 0
	same "$(grep -c '^layer sha256:[0-9a-f]* fetched and unpacked$' <<<"$stderr")" 3
	[[ "$stderr" != *$'\e'* ]]
}
