#!/usr/bin/env bats
# The test lab itself (tests/lab: registries, token server, fault proxy, fixture images), checked
# with curl and skopeo only, so a broken lab shows here and not as a burrow failure elsewhere.
#
# Whether burrow keeps credentials from a redirect target is burrow's test to make; here curl
# only proves that the blob store records what reaches it.

load helpers
load fixtures/expect
load fixtures/lab
bats_require_minimum_version 1.5.0


setup_file() {
	export LAB_DIR=$BATS_FILE_TMPDIR/lab
	"$lab/registry.sh" start "$LAB_DIR/plain" >/dev/null
	"$lab/registry.sh" start "$LAB_DIR/htpasswd" --htpasswd >/dev/null
	"$lab/registry.sh" start "$LAB_DIR/token" --token >/dev/null
	"$lab/images.sh" "$LAB_DIR/plain" "$(cat "$LAB_DIR/plain/port")"
	BURROW_LAB_CREDS=alice:wonderland "$lab/images.sh" "$LAB_DIR/htpasswd" \
		"$(cat "$LAB_DIR/htpasswd/port")" busybox:latest
	BURROW_LAB_CREDS=alice:wonderland "$lab/images.sh" "$LAB_DIR/token" \
		"$(cat "$LAB_DIR/token/port")" busybox:latest public/busybox:latest
	PLAIN=127.0.0.1:$(cat "$LAB_DIR/plain/port")
	HTPASSWD=127.0.0.1:$(cat "$LAB_DIR/htpasswd/port")
	TOKEN_REGISTRY=127.0.0.1:$(cat "$LAB_DIR/token/port")
	TOKEN_SERVER=127.0.0.1:$(cat "$LAB_DIR/token/token/port")
	PROXY=127.0.0.1:$("$lab/registry.sh" proxy "$LAB_DIR/plain" faults)
	# Another host name than the proxy's: what a registry's storage redirect looks like.
	STORE=localhost:$("$lab/registry.sh" proxy "$LAB_DIR/plain" store --blobs "$LAB_DIR/plain/storage")
	LAYER=$(curl -sf "http://$PLAIN/v2/busybox/manifests/oci" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' | json 'd["layers"][0]["digest"]')
	export PLAIN HTPASSWD TOKEN_REGISTRY TOKEN_SERVER PROXY STORE LAYER
}

teardown_file() {
	local name
	for name in plain htpasswd token; do
		"$lab/registry.sh" stop "$LAB_DIR/$name"
	done
}

setup() {
	burrow_setup
	fault '[]'
}
teardown() { burrow_teardown; }


# Sets the fault proxy's rules.
fault() {
	curl -sf -X POST "http://$PROXY/_fault" -d "$1" >/dev/null
}

# The last JSON line of LOG, field FIELD.
last_logged() {
	tail -n 1 "$1" | json "d[\"$2\"]"
}

# One line per entry of layer INDEX (default 0) of IMAGE on the plain registry: type, octal
# mode, name, link target.
layer_entries() {
	local repo=${1%:*} tag=${1##*:} digest
	digest=$(curl -sf "http://$PLAIN/v2/$repo/manifests/$tag" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' | json "d['layers'][${2:-0}]['digest']")
	curl -sf "http://$PLAIN/v2/$repo/blobs/$digest" | /usr/bin/python3 -c '
import sys, tarfile
for m in tarfile.open(fileobj=sys.stdin.buffer, mode="r|*"):
    print(m.type.decode(), "%o" % m.mode, m.name, m.linkname)'
}

@test "the plain registry answers /v2/ to the test user" {
	run as_user curl -s -o /dev/null -w '%{http_code}' "http://$PLAIN/v2/"
	same "$output" 200
}

@test "images.sh pushed every fixture image and lists them" {
	run cat "$LAB_DIR/plain/images.txt"
	same "${#lines[@]}" 24
	same "$(sort "$LAB_DIR/plain/images.txt" | tr '\n' ' ')" "$(printf '%s\n' badblob/test:latest \
		busybox:latest busybox:oci hardlinks:latest hostile/{absolute,bomb,device,dotdot,flood,hardlink,hardlink-dotdot,longname,longpath,setuid,symlink,symlink-overwrite,symlink-parent,whiteout-dotdot,whiteout-escape,whiteout-symlink}:latest \
		multi:latest multiarch:latest public/busybox:latest zstd:latest | sort | tr '\n' ' ')"
}

@test "the test user can inspect every fixture image with skopeo" {
	local image images
	mapfile -t images <"$LAB_DIR/plain/images.txt"
	for image in "${images[@]}"; do
		run as_user skopeo inspect --tls-verify=false "docker://$PLAIN/$image"
		[ "$status" -eq 0 ] || { echo "$image: $output" >&2 && return 1; }
		same "$(json 'd["Os"]' <<<"$output")" linux
	done
}

@test "busybox:latest is a Docker schema 2 image and busybox:oci an OCI one with the same layer" {
	run as_user skopeo inspect --tls-verify=false --raw "docker://$PLAIN/busybox:latest"
	same "$(json 'd["mediaType"], d["layers"][0]["digest"]' <<<"$output")" \
		"('application/vnd.docker.distribution.manifest.v2+json', '$LAYER')"
	run as_user skopeo inspect --tls-verify=false --raw "docker://$PLAIN/busybox:oci"
	same "$(json 'd["config"]["mediaType"], len(d["layers"])' <<<"$output")" \
		"('application/vnd.oci.image.config.v1+json', 1)"
}

@test "multi has Env, Entrypoint, Cmd and WorkingDir in its config" {
	run as_user skopeo inspect --tls-verify=false --config "docker://$PLAIN/multi:latest"
	[ "$status" -eq 0 ]
	same "$(json 'd["config"]' <<<"$output")" "{'Env': ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hello from multi', 'EMPTY='], 'Entrypoint': ['/app/entry.sh'], 'Cmd': ['default-arg'], 'WorkingDir': '/app'}"
	same "$(json 'len(d["rootfs"]["diff_ids"])' <<<"$output")" 3
}

@test "multi's last layer deletes a file and a directory and makes a directory opaque" {
	local digest
	digest=$(curl -sf "http://$PLAIN/v2/multi/manifests/latest" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' | json 'd["layers"][2]["digest"]')
	run bash -c "curl -sf 'http://$PLAIN/v2/multi/blobs/$digest' | tar -tzf - | tr '\n' ' '"
	same "$output" "./ ./.wh.olddir ./data/ ./data/.wh.remove-me ./dir2file ./etc/ ./etc/multi.conf ./file2dir/ ./file2dir/inner ./opaque/ ./opaque/.wh..wh..opq ./opaque/new "
}

@test "hardlinks' layer holds three names for one file" {
	run layer_entries hardlinks:latest 1
	same "$output" "5 755 links 
0 644 links/second 
5 755 links/sub 
1 644 links/sub/third links/second
2 777 links/symlink target
1 644 links/target links/second"
}

@test "the multiarch index lists arm64, arm/v7, amd64 and unknown/unknown in that order" {
	run as_user curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' \
		"http://$PLAIN/v2/multiarch/manifests/latest"
	[ "$status" -eq 0 ]
	same "$(json '[(m["platform"]["architecture"], m["platform"].get("variant")) for m in d["manifests"]]' <<<"$output")" \
		"[('arm64', None), ('arm', 'v7'), ('amd64', None), ('unknown', None)]"
	same "$(json 'd["mediaType"]' <<<"$output")" application/vnd.oci.image.index.v1+json
}

@test "zstd:latest has tar+zstd layers, the first one the busybox layer recompressed" {
	local manifest config digest
	manifest=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$PLAIN/v2/zstd/manifests/latest")
	same "$(json '[l["mediaType"] for l in d["layers"]]' <<<"$manifest")" \
		"['application/vnd.oci.image.layer.v1.tar+zstd', 'application/vnd.oci.image.layer.v1.tar+zstd']"
	config=$(curl -sf "http://$PLAIN/v2/zstd/blobs/$(json 'd["config"]["digest"]' <<<"$manifest")")
	digest=$(json 'd["layers"][0]["digest"]' <<<"$manifest")
	run bash -c "curl -sf 'http://$PLAIN/v2/zstd/blobs/$digest' | zstd -dc | sha256sum"
	same "sha256:${output%% *}" "$(json 'd["rootfs"]["diff_ids"][0]' <<<"$config")"
	run bash -c "curl -sf 'http://$PLAIN/v2/busybox/blobs/$LAYER' | gzip -dc | sha256sum"
	same "sha256:${output%% *}" "$(json 'd["rootfs"]["diff_ids"][0]' <<<"$config")"
}

@test "each hostile image carries the attack it is named after" {
	local name want
	while IFS='|' read -r name want; do
		run layer_entries "hostile/$name:latest" </dev/null
		[ "$status" -eq 0 ] || { echo "$name: $output" >&2 && return 1; }
		[[ "$output" == *"$want"* ]] || { printf '%s: no "%s" in\n%s\n' "$name" "$want" "$output" >&2 && return 1; }
	done <<-'EOF'
		dotdot|0 644 ../../../../../../../../../../../../../../../../tmp/burrow-escaped-dotdot
		absolute|0 644 /tmp/burrow-escaped-absolute
		symlink|2 777 evil /tmp
		symlink-parent|2 777 a/b ../../../../../../../../../../../../../../../../tmp
		symlink-overwrite|2 777 victim /tmp/burrow-lab-victim
		hardlink|1 644 victim /tmp/burrow-lab-victim
		hardlink-dotdot|1 644 victim ../../../../../../../../../../../../../../../../tmp/burrow-lab-victim
		whiteout-dotdot|0 644 .wh..
		whiteout-escape|0 644 ../../../../../../../../../../../../../../../../tmp/.wh.burrow-lab-victim
		whiteout-symlink|0 644 evil/.wh.burrow-lab-victim
		device|3 666 dev/null
		device|4 660 dev/sda
		setuid|0 4755 bin/suid
	EOF
	run layer_entries hostile/longpath:latest
	same "$(awk '{ print $1, $2, length($3) }' <<<"$output")" "0 644 5029"
	run layer_entries hostile/longname:latest
	same "$(awk '{ print $1, $2, length($3) }' <<<"$output")" "0 644 300"
}

@test "hostile/flood holds 200,000 files and hostile/bomb 1 GiB of zeros in 1 MB" {
	local digest size
	digest=$(curl -sf "http://$PLAIN/v2/hostile/flood/manifests/latest" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' | json 'd["layers"][0]["digest"]')
	run bash -c "curl -sf 'http://$PLAIN/v2/hostile/flood/blobs/$digest' | tar -tzf - | grep -c '/f[0-9]*\$'"
	same "$output" 200000
	digest=$(curl -sf "http://$PLAIN/v2/hostile/bomb/manifests/latest" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' | json 'd["layers"][0]["digest"]')
	curl -sf -o "$TEST_TMP/bomb.gz" "http://$PLAIN/v2/hostile/bomb/blobs/$digest"
	size=$(stat -c %s "$TEST_TMP/bomb.gz")
	[ "$size" -lt 2000000 ]
	# The gzip trailer's ISIZE: the unpacked size modulo 2^32.
	same "$(tail -c 4 "$TEST_TMP/bomb.gz" | od -An -tu4 | tr -d ' ')" $((1073741824 + 512 + 1024))
}

@test "badblob's layer is served, the right size and a valid gzip'd tar, but not what its digest says" {
	local manifest digest
	manifest=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$PLAIN/v2/badblob/test/manifests/latest")
	digest=$(json 'd["layers"][0]["digest"]' <<<"$manifest")
	as_user curl -sf -o blob "http://$PLAIN/v2/badblob/test/blobs/$digest"
	same "$(stat -c %s "$TEST_TMP/blob")" "$(json 'd["layers"][0]["size"]' <<<"$manifest")"
	[ "sha256:$(sha256sum <"$TEST_TMP/blob" | cut -d' ' -f1)" != "$digest" ]
	same "$(tar -tzf "$TEST_TMP/blob")" badblob
}

@test "the htpasswd registry refuses anonymous requests and a wrong password, and accepts alice" {
	run as_user curl -s -D - -o /dev/null "http://$HTPASSWD/v2/"
	[[ "$output" == "HTTP/1.1 401"* ]]
	[[ "$output" == *'Www-Authenticate: Basic realm="burrow-lab"'* ]]
	run as_user curl -s -o /dev/null -w '%{http_code}' -u alice:wrong "http://$HTPASSWD/v2/"
	same "$output" 401
	run as_user curl -s -o /dev/null -w '%{http_code}' -u alice:wonderland "http://$HTPASSWD/v2/"
	same "$output" 200
	run as_user skopeo inspect --tls-verify=false "docker://$HTPASSWD/busybox:latest"
	[ "$status" -ne 0 ]
	run as_user skopeo inspect --tls-verify=false --creds alice:wonderland "docker://$HTPASSWD/busybox:latest"
	[ "$status" -eq 0 ]
}

@test "the token registry challenges with Bearer, and a token for alice opens it" {
	local token
	run as_user curl -s -D - -o /dev/null "http://$TOKEN_REGISTRY/v2/busybox/manifests/latest"
	[[ "$output" == "HTTP/1.1 401"* ]]
	[[ "$output" == *"Www-Authenticate: Bearer realm=\"http://$TOKEN_SERVER/token\",service=\"burrow-test-registry\",scope=\"repository:busybox:pull\""* ]]
	run as_user curl -sf -u alice:wonderland \
		"http://$TOKEN_SERVER/token?service=burrow-test-registry&scope=repository:busybox:pull"
	[ "$status" -eq 0 ]
	same "$(json 'd["token"] == d["access_token"], d["expires_in"], len(d["issued_at"])' <<<"$output")" "(True, 300, 20)"
	token=$(json 'd["token"]' <<<"$output")
	run as_user curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
		-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$TOKEN_REGISTRY/v2/busybox/manifests/latest"
	same "$output" 200
	# The token is for pull only: pushing is refused.
	run as_user curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
		"http://$TOKEN_REGISTRY/v2/busybox/blobs/uploads/"
	same "$output" 401
	run as_user skopeo inspect --tls-verify=false --creds alice:wonderland "docker://$TOKEN_REGISTRY/busybox:latest"
	[ "$status" -eq 0 ]
}

@test "the token server refuses a wrong password with 401 and logs the attempt" {
	run as_user curl -s -o /dev/null -w '%{http_code}' -u alice:wrong \
		"http://$TOKEN_SERVER/token?service=burrow-test-registry&scope=repository:busybox:pull"
	same "$output" 401
	same "$(last_logged "$LAB_DIR/token/token/requests.log" status)" 401
	same "$(last_logged "$LAB_DIR/token/token/requests.log" authorization)" "Basic $(printf alice:wrong | base64)"
	run as_user skopeo inspect --tls-verify=false --creds alice:wrong "docker://$TOKEN_REGISTRY/busybox:latest"
	[ "$status" -ne 0 ]
	[[ "$output" == *"bad credentials"* ]]
}

@test "anonymous users get pull on public/ only, and never push" {
	local token
	run as_user curl -sf "http://$TOKEN_SERVER/token?service=burrow-test-registry&scope=repository:public/busybox:pull,push&scope=repository:busybox:pull"
	[ "$status" -eq 0 ]
	same "$(last_logged "$LAB_DIR/token/token/requests.log" granted)" \
		"[{'type': 'repository', 'name': 'public/busybox', 'actions': ['pull']}]"
	token=$(json 'd["token"]' <<<"$output")
	run as_user curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$TOKEN_REGISTRY/v2/public/busybox/manifests/latest"
	same "$output" 200
	run as_user curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
		"http://$TOKEN_REGISTRY/v2/busybox/manifests/latest"
	same "$output" 401
	run as_user skopeo inspect --tls-verify=false "docker://$TOKEN_REGISTRY/public/busybox:latest"
	[ "$status" -eq 0 ]
}

@test "the fault proxy passes a blob through unchanged when no fault is set" {
	run as_user curl -s -o blob -w '%{http_code}' "http://$PROXY/v2/busybox/blobs/$LAYER"
	same "$output" 200
	same "sha256:$(sha256sum <"$TEST_TMP/blob" | cut -d' ' -f1)" "$LAYER"
	same "$(last_logged "$LAB_DIR/plain/faults.requests.log" fault)" None
}

@test "the fault proxy answers 429 with Retry-After for the first N requests, then passes" {
	fault '{"mode": "status", "status": 429, "count": 2, "retry_after": 3}'
	for _ in 1 2 3; do
		as_user curl -s -o /dev/null -w '%{http_code} %header{retry-after}\n' "http://$PROXY/v2/busybox/manifests/latest"
	done >"$TEST_TMP/codes"
	same "$(cat "$TEST_TMP/codes")" "429 3
429 3
200 "
}

@test "the fault proxy answers 503 for the first N requests matching a path, then passes" {
	fault '{"mode": "status", "status": 503, "count": 1, "match": "/manifests/"}'
	run as_user curl -s -o /dev/null -w '%{http_code}' "http://$PROXY/v2/"
	same "$output" 200
	run as_user curl -s -o /dev/null -w '%{http_code}' "http://$PROXY/v2/busybox/manifests/latest"
	same "$output" 503
	run as_user curl -s -o /dev/null -w '%{http_code}' "http://$PROXY/v2/busybox/manifests/latest"
	same "$output" 200
}

@test "the fault proxy resets the connection after K bytes of a blob" {
	fault '{"mode": "reset", "after": 100000}'
	run as_user curl -s -o blob -w '%{http_code} %{size_download}' "http://$PROXY/v2/busybox/blobs/$LAYER"
	same "$status" 56
	same "$output" "200 100000"
	run as_user curl -s -o blob -w '%{http_code} %{size_download}' "http://$PROXY/v2/busybox/blobs/$LAYER"
	same "$status" 0
}

@test "the fault proxy truncates a blob: a clean close before Content-Length is reached" {
	fault '{"mode": "truncate", "after": 4096}'
	run as_user curl -s -o blob -w '%{http_code} %{size_download}' "http://$PROXY/v2/busybox/blobs/$LAYER"
	same "$status" 18
	same "$output" "200 4096"
	same "$(last_logged "$LAB_DIR/plain/faults.requests.log" fault)" truncate
}

@test "the fault proxy stalls mid-blob, then sends the rest" {
	local start
	fault '{"mode": "stall", "after": 1000, "seconds": 2, "count": 2}'
	run as_user curl -s -o blob --max-time 1 -w '%{size_download}' "http://$PROXY/v2/busybox/blobs/$LAYER"
	same "$status" 28
	same "$output" 1000
	start=$(date +%s%N)
	run as_user curl -s -o blob "http://$PROXY/v2/busybox/blobs/$LAYER"
	same "$status" 0
	[ $(($(date +%s%N) - start)) -ge 2000000000 ]
	same "sha256:$(sha256sum <"$TEST_TMP/blob" | cut -d' ' -f1)" "$LAYER"
}

@test "the fault proxy passes Range requests on, and a reset blob can be resumed" {
	local size
	fault '{"mode": "reset", "after": 300000}'
	run as_user curl -s -o part1 -w '%{size_download}' "http://$PROXY/v2/busybox/blobs/$LAYER"
	same "$output" 300000
	run as_user curl -s -o part2 -D headers -w '%{http_code}' -H 'Range: bytes=300000-' \
		"http://$PROXY/v2/busybox/blobs/$LAYER"
	same "$output" 206
	size=$(curl -sf -o /dev/null -w '%{size_download}' "http://$PLAIN/v2/busybox/blobs/$LAYER")
	grep -qi "^Content-Range: bytes 300000-$((size - 1))/$size" "$TEST_TMP/headers"
	same "$(last_logged "$LAB_DIR/plain/faults.requests.log" range)" "bytes=300000-"
	same "sha256:$(cat "$TEST_TMP/part1" "$TEST_TMP/part2" | sha256sum | cut -d' ' -f1)" "$LAYER"
}

@test "the fault proxy redirects blob GETs to the blob store, which records the Authorization it gets" {
	fault "{\"mode\": \"redirect\", \"to\": \"$STORE\"}"
	run as_user curl -s -D - -o /dev/null -u alice:wonderland "http://$PROXY/v2/busybox/blobs/$LAYER"
	[[ "$output" == "HTTP/1.1 307"* ]]
	[[ "$output" == *"Location: http://$STORE/v2/busybox/blobs/$LAYER"* ]]
	# curl drops the credentials when the host changes...
	run as_user curl -s -L -o blob -w '%{http_code} %{num_redirects}' -u alice:wonderland \
		"http://$PROXY/v2/busybox/blobs/$LAYER"
	same "$output" "200 1"
	same "sha256:$(sha256sum <"$TEST_TMP/blob" | cut -d' ' -f1)" "$LAYER"
	same "$(last_logged "$LAB_DIR/plain/faults.requests.log" authorization)" "Basic $(printf alice:wonderland | base64)"
	same "$(last_logged "$LAB_DIR/plain/store.requests.log" authorization)" None
	same "$(last_logged "$LAB_DIR/plain/store.requests.log" host)" "$STORE"
	# ...unless told to trust the new host: then the store sees them, so the check above can fail.
	run as_user curl -s -L --location-trusted -o blob -u alice:wonderland "http://$PROXY/v2/busybox/blobs/$LAYER"
	same "$(last_logged "$LAB_DIR/plain/store.requests.log" authorization)" "Basic $(printf alice:wonderland | base64)"
}

@test "the blob store serves ranges and answers 404 for anything but a stored blob" {
	run as_user curl -s -o part -w '%{http_code} %{size_download}' -H 'Range: bytes=10-19' "http://$STORE/v2/busybox/blobs/$LAYER"
	same "$output" "206 10"
	same "$(od -An -tx1 "$TEST_TMP/part")" "$(curl -sf "http://$PLAIN/v2/busybox/blobs/$LAYER" | head -c 20 | tail -c 10 | od -An -tx1)"
	run as_user curl -s -o /dev/null -w '%{http_code}' "http://$STORE/v2/busybox/manifests/latest"
	same "$output" 404
	run as_user curl -s -o /dev/null -w '%{http_code}' "http://$STORE/v2/busybox/blobs/sha256:$(printf '0%.0s' $(seq 64))"
	same "$output" 404
}

@test "the fault proxy's control file sets faults, and a bad rule is refused" {
	echo '{"mode": "status", "status": 500, "count": 1}' >"$LAB_DIR/plain/faults.fault"
	run as_user curl -s -o /dev/null -w '%{http_code}' "http://$PROXY/v2/"
	same "$output" 500
	run as_user curl -s -o /dev/null -w '%{http_code}' "http://$PROXY/v2/"
	same "$output" 200
	rm "$LAB_DIR/plain/faults.fault"
	run curl -s -w ' %{http_code}' -X POST "http://$PROXY/_fault" -d '{"mode": "explode"}'
	[[ "$output" == *"mode one of"*" 400" ]]
	run curl -s -w ' %{http_code}' -X POST "http://$PROXY/_fault" -d '{"mode": "redirect"}'
	[[ "$output" == *'needs "to"'*" 400" ]]
}

@test "registry.sh stop ends every process start and proxy began, and start refuses a used directory" {
	local dir=$BATS_TEST_TMPDIR/throwaway port pgids pgid
	port=$("$lab/registry.sh" start "$dir" --token)
	"$lab/registry.sh" proxy "$dir" p >/dev/null
	pgids=$(cat "$dir"/*.pid)
	same "$(wc -w <<<"$pgids")" 3
	run "$lab/registry.sh" start "$dir"
	same "$status" 1
	same "$output" "registry.sh: $dir already has a registry: registry.sh stop $dir first"
	"$lab/registry.sh" stop "$dir"
	for pgid in $pgids; do
		if ps -eo pgid=,stat= | awk -v g="$pgid" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'; then
			echo "process group $pgid outlived registry.sh stop" >&2
			return 1
		fi
	done
	run curl -s "http://127.0.0.1:$port/v2/"
	same "$status" 7
	[ ! -e "$dir/registry.pid" ]
}
