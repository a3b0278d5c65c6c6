#!/usr/bin/env bats
# The image store's guarantees (docs/store.md) with real pulls from a real registry: pulls at
# once share the work, a pull killed at any point leaves nothing half-made visible and the next
# pull completes its work, a full disk registers nothing; burrow gc frees what nothing uses and
# burrow fsck finds (and --repair removes) what is damaged.

load helpers
load fixtures/expect
load fixtures/lab
bats_require_minimum_version 1.5.0


setup_file() {
	export LAB_DIR=$BATS_FILE_TMPDIR/lab
	REGISTRY=$(lab_registry "$LAB_DIR" plain busybox:latest multi:latest zstd:latest)
	PROXY=127.0.0.1:$("$lab/registry.sh" proxy "$LAB_DIR" faults)
	LAYER=$(manifest busybox latest | json 'd["layers"][0]["digest"]')
	MULTI_LAYERS=$(manifest multi latest | json '" ".join(l["digest"] for l in d["layers"])')
	# A reference store, pulled without faults, that every store must end up equal to.
	REFERENCE=$(mktemp -d "$STAGE/tmp/reference.XXXXXX")
	chown "$TEST_USER:" "$REFERENCE"
	TEST_TMP=$REFERENCE BURROW_CACHE_PATH=$REFERENCE/cache as_user burrow pull -q "$REGISTRY/multi:latest" >/dev/null
	export REGISTRY PROXY LAYER MULTI_LAYERS REFERENCE
}

teardown_file() {
	lab_stop "$LAB_DIR"
	rm -rf "$REFERENCE"
}

setup() {
	burrow_setup
	fault '[]'
	: >"$LAB_DIR/faults.requests.log"
	export BURROW_RETRY_MS=10
}

teardown() {
	if [ -n "${TEST_TMP:-}" ] && mountpoint -q "$TEST_TMP/full"; then
		umount "$TEST_TMP/full"
	fi
	burrow_teardown
}


manifest() {
	curl -sf "http://127.0.0.1:$(cat "$LAB_DIR/port")/v2/$1/manifests/$2" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
}

fault() {
	curl -sf -X POST "http://$PROXY/_fault" -d "$1" >/dev/null
}

# Ranges the proxy saw for blob DIGEST, one a line.
ranges() {
	/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if sys.argv[2] in d["path"]:
        print(d["range"])' "$LAB_DIR/faults.requests.log" "$1"
}

# Starts `burrow ARGS...` as the user in the background; its pid (burrow's own) in $TEST_TMP/pid.
start_burrow() {
	rm -f "$TEST_TMP/pid"
	as_user sh -c 'echo $$ >"$0"; exec "$@"' "$TEST_TMP/pid" burrow "$@" \
		>"$TEST_TMP/bg.out" 2>&1 3>&- &
	wait_for_file "$TEST_TMP/pid"
}

# Waits up to 10 s until the partial blob of DIGEST holds BYTES bytes.
wait_partial() {
	local file=$BURROW_CACHE_PATH/tmp/sha256-${1#sha256:}.partial
	for _ in $(seq 200); do
		[ "$(stat -c %s "$file" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	echo "no partial of $2 bytes at $file ($(stat -c %s "$file" 2>&1))" >&2
	return 1
}

kill_burrow() {
	local pid
	pid=$(cat "$TEST_TMP/pid")
	kill -KILL "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.02; done
}

# Pulls busybox through the proxy, stalls its layer after 300000 bytes, and kill -9s the pull
# there: mid-download and mid-unpack.
kill_during_stalled_blob() {
	fault "{\"mode\": \"stall\", \"after\": 300000, \"seconds\": 30, \"match\": \"$LAYER\"}"
	start_burrow pull -q "$PROXY/busybox:latest"
	wait_partial "$LAYER" 300000
	kill_burrow
	fault '[]'
}

# What a layer dir holds: type, mode, size, name, link target of each entry, and the sha256
# of each file (whiteouts are device nodes, which diff -r cannot compare).
tree_listing() {
	(cd "$1" && find . -printf '%y %m %s %p %l\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

# Fails unless every blob is what its name says and every layer dir equals the reference's.
store_sound() {
	local blob dir
	for blob in "$BURROW_CACHE_PATH"/oci/blobs/sha256/*; do
		[ -e "$blob" ] || continue
		same "$(sha256sum <"$blob" | cut -d' ' -f1)" "$(basename "$blob")"
	done
	for dir in "$BURROW_CACHE_PATH"/layers/sha256/*; do
		[ -e "$dir" ] || continue
		if [ -d "$REFERENCE/cache/layers/sha256/$(basename "$dir")" ]; then
			diff <(tree_listing "$dir") <(tree_listing "$REFERENCE/cache/layers/sha256/$(basename "$dir")")
		fi
	done
}

count() { ls -A "$1" | wc -l; }

@test "three pulls of one image at once all succeed and store one copy of each blob and layer dir" {
	local i
	# The first layer request stalls a second, so the pulls overlap.
	fault "{\"mode\": \"stall\", \"after\": 1000, \"seconds\": 1, \"match\": \"${MULTI_LAYERS%% *}\"}"
	for i in 1 2 3; do
		as_user burrow pull -q "$PROXY/multi:latest" >"$TEST_TMP/out$i" 2>&1 3>&- &
	done
	for i in 1 2 3; do
		wait -n || { cat "$TEST_TMP"/out* >&2 && return 1; }
	done
	same "$(cat "$TEST_TMP"/out* | sort -u)" "$PROXY/multi:latest"
	same "$(count "$BURROW_CACHE_PATH/oci/blobs/sha256")" 5
	same "$(count "$BURROW_CACHE_PATH/layers/sha256")" 3
	same "$(count "$BURROW_CACHE_PATH/tmp")" 0
	run as_user burrow images
	same "${#lines[@]}" 1
	store_sound
}

@test "two images that share a layer, pulled at once, unpack it once" {
	as_user burrow pull -q "$REGISTRY/busybox:latest" >"$TEST_TMP/out1" 2>&1 3>&- &
	as_user burrow pull -q "$REGISTRY/zstd:latest" >"$TEST_TMP/out2" 2>&1 3>&- &
	wait -n && wait -n || { cat "$TEST_TMP"/out* >&2 && return 1; }
	# busybox's gzip layer and zstd's recompression of it have one diff_id; zstd adds a marker.
	same "$(count "$BURROW_CACHE_PATH/layers/sha256")" 2
	same "$(count "$BURROW_CACHE_PATH/oci/blobs/sha256")" 7
	store_sound
}

@test "kill -9 of a pull mid-blob leaves no layer dir, no blob of it and no image visible" {
	kill_during_stalled_blob
	[ ! -e "$BURROW_CACHE_PATH/oci/blobs/sha256/${LAYER#sha256:}" ]
	same "$(count "$BURROW_CACHE_PATH/layers/sha256")" 0
	run as_user burrow images
	same "$output" ""
	store_sound
}

@test "the next pull resumes the partial blob of a killed pull with a Range request and completes" {
	kill_during_stalled_blob
	: >"$LAB_DIR/faults.requests.log"
	run --separate-stderr as_user burrow pull -q "$PROXY/busybox:latest"
	same "$status" 0
	same "$(ranges "$LAYER")" "bytes=300000-"
	same "$(count "$BURROW_CACHE_PATH/tmp")" 0
	same "$(count "$BURROW_CACHE_PATH/layers/sha256")" 1
	cmp "$BURROW_CACHE_PATH/layers/sha256/$(ls "$BURROW_CACHE_PATH/layers/sha256")/bin/busybox" \
		"$BUSYBOX_ROOTFS/bin/busybox"
	store_sound
}

@test "a partial blob that is not a prefix of the blob is fetched again from nothing" {
	as_user mkdir -p "$BURROW_CACHE_PATH/tmp"
	as_user sh -c 'head -c 5000 /dev/urandom >"$0"' "$BURROW_CACHE_PATH/tmp/sha256-${LAYER#sha256:}.partial"
	run --separate-stderr as_user burrow pull -q "$PROXY/busybox:latest"
	same "$status" 0
	# The unpacker may refuse the replayed bytes before the resumed request is answered (the
	# proxy logs no request cut short), so only the last request is certain: from nothing.
	same "$(ranges "$LAYER" | tail -n 1)" None
	same "$(count "$BURROW_CACHE_PATH/tmp")" 0
	store_sound
}

@test "kill -9 at each layer of a pull leaves a store that the next pull completes" {
	local layer size
	export BURROW_MAX_CONNECTIONS=1
	# One layer at a time: killed while layer 1, then 2, then 3 is half fetched and unpacked.
	for layer in $MULTI_LAYERS; do
		size=$(curl -sf -o /dev/null -w '%{size_download}' "http://$REGISTRY/v2/multi/blobs/$layer")
		fault "{\"mode\": \"stall\", \"after\": $((size / 2)), \"seconds\": 30, \"match\": \"$layer\"}"
		start_burrow pull -q "$PROXY/multi:latest"
		wait_partial "$layer" $((size / 2))
		kill_burrow
		run as_user burrow images
		same "$output" ""
		store_sound
	done
	fault '[]'
	run --separate-stderr as_user burrow pull -q "$PROXY/multi:latest"
	same "$status" 0
	same "$(count "$BURROW_CACHE_PATH/layers/sha256")" 3
	same "$(count "$BURROW_CACHE_PATH/tmp")" 0
	store_sound
	run as_user burrow fsck
	same "$status" 0
}

@test "a full disk fails the pull with one line and registers nothing" {
	local blob
	# Room for the layer's blob, not for what it unpacks to.
	mkdir "$TEST_TMP/full"
	mount -t tmpfs -o size=1500k,mode=0755 burrow-full "$TEST_TMP/full"
	chown "$TEST_USER:" "$TEST_TMP/full"
	run --separate-stderr as_user env BURROW_CACHE_PATH="$TEST_TMP/full" burrow pull -q "$REGISTRY/busybox:latest"
	same "$status" 1
	one_error_line "No space left on device" "BURROW_CACHE_PATH"
	run as_user env BURROW_CACHE_PATH="$TEST_TMP/full" burrow images
	same "$output" ""
	same "$(count "$TEST_TMP/full/layers/sha256")" 0
	same "$(count "$TEST_TMP/full/tmp")" 0
	for blob in "$TEST_TMP"/full/oci/blobs/sha256/*; do
		[ -e "$blob" ] || continue
		same "$(sha256sum <"$blob" | cut -d' ' -f1)" "$(basename "$blob")"
	done
}

@test "gc removes the blobs and layer dirs only an untagged image used and prints what it freed" {
	local bytes=0 digest
	as_user burrow pull -q "$REGISTRY/busybox:latest" >/dev/null
	as_user burrow pull -q "$REGISTRY/multi:latest" >/dev/null
	as_user burrow rmi "$REGISTRY/multi:latest"
	run --separate-stderr as_user burrow gc
	same "$status" 0
	# multi's manifest, config and its two layers of its own; busybox's layer is shared.
	same "$(grep -c '^removed blob ' <<<"$output")" 4
	same "$(grep -c '^removed layer dir ' <<<"$output")" 2
	for digest in ${MULTI_LAYERS#* }; do
		[[ "$output" == *"removed blob $digest ("* ]]
		bytes=$((bytes + $(stat -c %s "$REFERENCE/cache/oci/blobs/sha256/${digest#sha256:}")))
	done
	[[ "${lines[-1]}" == "freed 4 blobs, 2 layer dirs, 0 temporaries: "*" bytes)" ]]
	[ "$(sed 's/.*(\([0-9]*\) bytes)$/\1/' <<<"${lines[-1]}")" -gt "$bytes" ]
	same "$(count "$BURROW_CACHE_PATH/layers/sha256")" 1
	run as_user burrow fsck
	same "$status" 0
	run as_user burrow gc
	same "$output" "freed 0 blobs, 0 layer dirs, 0 temporaries: 0 B (0 bytes)"
}

@test "gc --dry-run says what it would free and removes nothing" {
	as_user burrow pull -q "$REGISTRY/multi:latest" >/dev/null
	as_user burrow rmi "$REGISTRY/multi:latest"
	run --separate-stderr as_user burrow gc --dry-run
	same "$status" 0
	same "$(grep -c '^would remove ' <<<"$output")" 8
	[[ "${lines[-1]}" == "would free 5 blobs, 3 layer dirs, 0 temporaries: "* ]]
	same "$(count "$BURROW_CACHE_PATH/oci/blobs/sha256")" 5
	same "$(count "$BURROW_CACHE_PATH/layers/sha256")" 3
}

@test "gc keeps the layer dirs a container lists in its layers file" {
	local diff_ids
	as_user burrow pull -q "$REGISTRY/multi:latest" >/dev/null
	diff_ids=$(json '"\n".join(d["rootfs"]["diff_ids"])' \
		<"$BURROW_CACHE_PATH/oci/blobs/sha256/$(manifest multi latest | json 'd["config"]["digest"][7:]')")
	as_user mkdir -p "$BURROW_DATA_PATH/containers/box"
	as_user sh -c 'cat >"$0"' "$BURROW_DATA_PATH/containers/box/layers" <<<"$diff_ids"
	as_user burrow rmi "$REGISTRY/multi:latest"
	run --separate-stderr as_user burrow gc
	same "$status" 0
	[[ "${lines[-1]}" == "freed 5 blobs, 0 layer dirs, 0 temporaries: "* ]]
	same "$(count "$BURROW_CACHE_PATH/layers/sha256")" 3
}

@test "gc removes what a killed pull left in tmp" {
	kill_during_stalled_blob
	run --separate-stderr as_user burrow gc
	same "$status" 0
	[[ "$output" == *"removed temporary tmp/sha256-${LAYER#sha256:}.partial (293.0 KiB)"* ]]
	[[ "$output" == *"removed temporary tmp/layer-"* ]]
	# The config was stored before the kill; no name points at it.
	[[ "${lines[-1]}" == "freed 1 blob, 0 layer dirs, 2 temporaries: "* ]]
	same "$(count "$BURROW_CACHE_PATH/tmp")" 0
}

@test "gc waits for a running pull and leaves what it fetches alone" {
	fault "{\"mode\": \"stall\", \"after\": 300000, \"seconds\": 2, \"match\": \"$LAYER\"}"
	start_burrow pull -q "$PROXY/busybox:latest"
	wait_partial "$LAYER" 300000
	run --separate-stderr as_user burrow gc
	same "$status" 0
	[[ "$stderr" == "burrow gc: waiting for another burrow (a pull) to finish with "* ]]
	same "$output" "freed 0 blobs, 0 layer dirs, 0 temporaries: 0 B (0 bytes)"
	wait
	same "$(cat "$TEST_TMP/bg.out")" "$PROXY/busybox:latest"
	run as_user burrow fsck
	same "$status" 0
}

@test "fsck finds a corrupt blob, names it and the image, and exits 1" {
	local blob=$BURROW_CACHE_PATH/oci/blobs/sha256/${LAYER#sha256:}
	as_user burrow pull -q "$REGISTRY/busybox:latest" >/dev/null
	chmod u+w "$blob"
	printf X | dd of="$blob" bs=1 seek=1000 conv=notrunc status=none
	run --separate-stderr as_user burrow fsck
	same "$status" 1
	[[ "${lines[0]}" == "problem: blob $LAYER is corrupt: its content has digest sha256:"* ]]
	same "${lines[1]}" "problem: image $REGISTRY/busybox:latest: layer $LAYER is corrupt"
	same "${lines[-1]}" "3 blobs checked, 2 problems"
	[ -e "$blob" ]
}

@test "fsck --repair removes a corrupt blob and names the image, and a pull makes it whole" {
	local blob=$BURROW_CACHE_PATH/oci/blobs/sha256/${LAYER#sha256:}
	as_user burrow pull -q "$REGISTRY/busybox:latest" >/dev/null
	chmod u+w "$blob"
	printf X | dd of="$blob" bs=1 seek=1000 conv=notrunc status=none
	run --separate-stderr as_user burrow fsck --repair
	same "$status" 1
	[[ "$output" == *"repaired: removed corrupt blob $LAYER"* ]]
	[[ "$output" == *"broken: image $REGISTRY/busybox:latest: pull it again"* ]]
	[ ! -e "$blob" ]
	run --separate-stderr as_user burrow pull -q "$REGISTRY/busybox:latest"
	same "$status" 0
	run as_user burrow fsck
	same "$output" "3 blobs checked, 0 problems"
	same "$status" 0
}

@test "fsck reports a missing layer dir and the next pull unpacks it again" {
	as_user burrow pull -q "$REGISTRY/busybox:latest" >/dev/null
	rm -rf "$BURROW_CACHE_PATH"/layers/sha256/*
	run --separate-stderr as_user burrow fsck
	same "$status" 1
	[[ "${lines[0]}" == "problem: image $REGISTRY/busybox:latest: the layer dir of sha256:"*" is missing" ]]
	: >"$LAB_DIR/faults.requests.log"
	run --separate-stderr as_user burrow pull -q "$PROXY/busybox:latest"
	same "$status" 0
	# From the blob in the store: the registry is asked for the manifest only.
	same "$(ranges "$LAYER")" ""
	run as_user burrow fsck
	same "$status" 0
	store_sound
}
