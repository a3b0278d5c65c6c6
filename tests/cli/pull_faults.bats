#!/usr/bin/env bats
# burrow pull through network faults (tests/lab/fault_proxy.py in front of a real registry):
# answers to retry, connections cut, stalled and truncated bodies, and redirects to another
# host, which must not get the registry's credentials. The store must never hold anything that
# did not verify.

load helpers
load fixtures/expect
load fixtures/lab
bats_require_minimum_version 1.5.0


setup_file() {
	lab_setup_plain busybox:latest badblob/test:latest
	lab_registry "$LAB_DIR/token" token busybox:latest >/dev/null
	PROXY=127.0.0.1:$("$lab/registry.sh" proxy "$LAB_DIR/plain" faults)
	TOKEN_PROXY=127.0.0.1:$("$lab/registry.sh" proxy "$LAB_DIR/token" faults)
	# Another host name than the proxy's, as a registry's storage redirect would name.
	BLOB_STORE=localhost:$("$lab/registry.sh" proxy "$LAB_DIR/token" store --blobs "$LAB_DIR/token/storage")
	LAYER=$(curl -sf "http://$PLAIN/v2/busybox/manifests/latest" \
		-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' | json 'd["layers"][0]["digest"]')
	LAYER_SIZE=$(curl -sf -o /dev/null -w '%{size_download}' "http://$PLAIN/v2/busybox/blobs/$LAYER")
	export PROXY TOKEN_PROXY BLOB_STORE LAYER LAYER_SIZE
}

teardown_file() {
	lab_teardown
}

setup() {
	burrow_setup
	fault '[]'
	: >"$LAB_DIR/plain/faults.requests.log"
	# Retries fast: backoff from 10 ms.
	export BURROW_RETRY_MS=10
}
teardown() { burrow_teardown; }


# Sets the rules of the plain registry's fault proxy.
fault() {
	curl -sf -X POST "http://$PROXY/_fault" -d "$1" >/dev/null
}

# One line per request LOG recorded whose path contains MATCH: method, status, fault, range,
# and whether an Authorization header came ("auth" or "-").
requests() {
	/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if sys.argv[2] in d["path"]:
        print(d["method"], d["status"], d["fault"], d["range"], "auth" if d["authorization"] else "-")' "$1" "$2"
}

# Fails unless the layer's requests were one cut by FAULT after 300000 bytes, then one for the
# rest with a Range from where the cut left it: a reset can lose bytes already sent (a TCP reset
# discards what the client had not read yet), so from at most 300000.
resumed_from_cut() {
	local log from
	log=$(requests "$LAB_DIR/plain/faults.requests.log" "$LAYER")
	same "$(head -n 1 <<<"$log")" "GET 200 $1 None -"
	same "$(wc -l <<<"$log")" 2
	[[ "$(tail -n 1 <<<"$log")" =~ ^"GET 206 None bytes="([0-9]+)"- -"$ ]] || { echo "$log" >&2 && return 1; }
	from=${BASH_REMATCH[1]}
	[ "$from" -gt 0 ] && [ "$from" -le 300000 ]
}

# Fails unless the store holds busybox whole: the image named, its layer blob verified, the
# layer dir's busybox binary the fixture's.
busybox_stored() {
	local cache=$BURROW_CACHE_PATH blob=$BURROW_CACHE_PATH/oci/blobs/sha256/${LAYER#sha256:} dirs
	[ -f "$blob" ] || { echo "no blob $LAYER" >&2 && return 1; }
	same "sha256:$(sha256sum <"$blob" | cut -d' ' -f1)" "$LAYER"
	mapfile -t dirs < <(ls "$cache/layers/sha256")
	same "${#dirs[@]}" 1
	cmp "$cache/layers/sha256/${dirs[0]}/bin/busybox" "$BUSYBOX_ROOTFS/bin/busybox"
	same "$(ls "$cache/tmp")" ""
}

# Fails unless every blob in the store is what its name says.
blobs_verify() {
	local blob
	for blob in "$BURROW_CACHE_PATH"/oci/blobs/sha256/*; do
		[ -e "$blob" ] || continue
		same "$(sha256sum <"$blob" | cut -d' ' -f1)" "$(basename "$blob")"
	done
}

@test "pull retries 429 answers with backoff and succeeds" {
	fault '{"mode": "status", "status": 429, "count": 2, "match": "/manifests/", "retry_after": null}'
	run --separate-stderr as_user burrow pull -q "$PROXY/busybox:latest"
	same "$status" 0
	same "$output" "$PROXY/busybox:latest"
	same "$(requests "$LAB_DIR/plain/faults.requests.log" /manifests/ | cut -d' ' -f1-2 | tr '\n' ' ')" \
		"GET 429 GET 429 GET 200 "
	busybox_stored
}

@test "pull waits as long as a 429's Retry-After asks" {
	local start
	fault '{"mode": "status", "status": 429, "count": 1, "match": "/manifests/", "retry_after": 1}'
	start=$(date +%s%N)
	run --separate-stderr as_user burrow pull -q "$PROXY/busybox:latest"
	same "$status" 0
	[ $(($(date +%s%N) - start)) -ge 1000000000 ]
}

@test "pull retries 503 answers on a blob and succeeds" {
	fault "{\"mode\": \"status\", \"status\": 503, \"count\": 3, \"match\": \"$LAYER\", \"retry_after\": null}"
	run --separate-stderr as_user burrow pull -q "$PROXY/busybox:latest"
	same "$status" 0
	same "$(requests "$LAB_DIR/plain/faults.requests.log" "$LAYER" | cut -d' ' -f1-2 | tr '\n' ' ')" \
		"GET 503 GET 503 GET 503 GET 200 "
	busybox_stored
}

@test "a connection reset mid-blob is resumed with a Range request and the layer is whole" {
	fault "{\"mode\": \"reset\", \"after\": 300000, \"match\": \"$LAYER\"}"
	run --separate-stderr as_user burrow pull -q "$PROXY/busybox:latest"
	same "$status" 0
	resumed_from_cut "reset"
	busybox_stored
}

@test "a stalled blob times out after BURROW_HTTP_TIMEOUT seconds and is resumed" {
	local start elapsed
	fault "{\"mode\": \"stall\", \"after\": 300000, \"seconds\": 60, \"match\": \"$LAYER\"}"
	start=$(date +%s%N)
	run --separate-stderr as_user env BURROW_HTTP_TIMEOUT=1 burrow pull -q "$PROXY/busybox:latest"
	elapsed=$((($(date +%s%N) - start) / 1000000))
	same "$status" 0
	[ "$elapsed" -ge 1000 ] && [ "$elapsed" -lt 10000 ] || { echo "took $elapsed ms" >&2 && return 1; }
	# The stalled request is logged when the proxy gives up on it, long after; the resumed
	# one is there already.
	same "$(requests "$LAB_DIR/plain/faults.requests.log" "$LAYER")" "GET 206 None bytes=300000- -"
	busybox_stored
}

@test "a truncated blob is resumed from where it stopped" {
	fault "{\"mode\": \"truncate\", \"after\": 300000, \"match\": \"$LAYER\"}"
	run --separate-stderr as_user burrow pull -q "$PROXY/busybox:latest"
	same "$status" 0
	resumed_from_cut "truncate"
	busybox_stored
}

@test "a blob truncated on every request fails the pull with one line and stores nothing unverified" {
	fault "{\"mode\": \"truncate\", \"after\": 1000, \"count\": 0, \"match\": \"$LAYER\"}"
	run --separate-stderr as_user burrow pull -q "$PROXY/busybox:latest"
	same "$status" 1
	one_error_line "$LAYER"
	same "$(requests "$LAB_DIR/plain/faults.requests.log" "$LAYER" | wc -l)" 6
	run as_user burrow images
	same "$output" ""
	[ ! -e "$BURROW_CACHE_PATH/oci/blobs/sha256/${LAYER#sha256:}" ]
	same "$(ls "$BURROW_CACHE_PATH/layers/sha256")" ""
	blobs_verify
}

@test "the next pull resumes the partial blob a failed pull kept" {
	fault "{\"mode\": \"truncate\", \"after\": 1000, \"count\": 0, \"match\": \"$LAYER\"}"
	run --separate-stderr as_user burrow pull -q "$PROXY/busybox:latest"
	same "$status" 1
	fault '[]'
	: >"$LAB_DIR/plain/faults.requests.log"
	run --separate-stderr as_user burrow pull -q "$PROXY/busybox:latest"
	same "$status" 0
	same "$(requests "$LAB_DIR/plain/faults.requests.log" "$LAYER")" "GET 206 None bytes=6000- -"
	busybox_stored
}

@test "a blob that does not match its digest is refused and nothing of it stays" {
	local bad
	bad=$(curl -sf "http://$PLAIN/v2/badblob/test/manifests/latest" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' | json 'd["layers"][0]["digest"]')
	run --separate-stderr as_user burrow pull -q "$PROXY/badblob/test:latest"
	same "$status" 1
	one_error_line "$bad"
	run as_user burrow images
	same "$output" ""
	[ ! -e "$BURROW_CACHE_PATH/oci/blobs/sha256/${bad#sha256:}" ]
	same "$(ls -A "$BURROW_CACHE_PATH/layers/sha256")" ""
	same "$(ls -A "$BURROW_CACHE_PATH/tmp")" ""
	blobs_verify
}

@test "a redirect to another host gets no Authorization header, and the pull from a token registry succeeds" {
	local store_log=$LAB_DIR/token/store.requests.log proxy_log=$LAB_DIR/token/faults.requests.log
	: >"$store_log"
	: >"$proxy_log"
	curl -sf -X POST "http://$TOKEN_PROXY/_fault" -d "{\"mode\": \"redirect\", \"to\": \"$BLOB_STORE\"}" >/dev/null
	printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$TOKEN_PROXY" "$(printf alice:wonderland | base64)" \
		>"$TEST_TMP/auth.json"
	chown "$TEST_USER:" "$TEST_TMP/auth.json"
	chmod 600 "$TEST_TMP/auth.json"
	run --separate-stderr as_user env REGISTRY_AUTH_FILE="$TEST_TMP/auth.json" burrow pull -q "$TOKEN_PROXY/busybox:latest"
	curl -sf -X POST "http://$TOKEN_PROXY/_fault" -d '[]' >/dev/null
	same "$status" 0
	# The registry got a token with every request after the first 401...
	same "$(requests "$proxy_log" /blobs/ | sort -u)" "GET 307 redirect None auth"
	same "$(requests "$proxy_log" /manifests/ | cut -d' ' -f2,5)" "401 -
200 auth"
	# ...and the blob store got both blobs, without it.
	same "$(requests "$store_log" /blobs/)" "GET 200 None None -
GET 200 None None -"
	busybox_stored
}
