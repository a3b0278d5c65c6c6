#!/usr/bin/env bats
# burrow pull, and containers made from pulled images, against Debian's docker-registry on
# 127.0.0.1 (tests/lab), as the unprivileged test user.

load helpers
load fixtures/expect
load fixtures/lab
bats_require_minimum_version 1.5.0


setup_file() {
	lab_setup_plain busybox:latest busybox:oci multi:latest \
		hardlinks:latest zstd:latest multiarch:latest badblob/test:latest \
		hostile/{absolute,bomb,device,dotdot,hardlink,hardlink-dotdot,longname,longpath,setuid,symlink,symlink-overwrite,symlink-parent,whiteout-dotdot,whiteout-escape,whiteout-symlink}:latest
	HTPASSWD=$(lab_registry "$LAB_DIR/htpasswd" htpasswd busybox:latest)
	TOKEN_REGISTRY=$(lab_registry "$LAB_DIR/token" token busybox:latest public/busybox:latest)
	export HTPASSWD TOKEN_REGISTRY
}

teardown_file() {
	lab_teardown
}

setup() { burrow_setup; }
teardown() {
	rm -f /tmp/burrow-escaped-* /tmp/burrow-lab-victim
	burrow_teardown
}

# The layer dirs in the user's cache, one a line.
layer_dirs() {
	find "$BURROW_CACHE_PATH/layers/sha256" -mindepth 1 -maxdepth 1 2>/dev/null | sort
}

# The single layer dir of the last layer pulled for IMAGE: the one holding PATH.
layer_with() {
	local dir
	for dir in $(layer_dirs); do
		if [ -e "$dir/$1" ] || [ -L "$dir/$1" ]; then
			echo "$dir"
			return 0
		fi
	done
	return 1
}

@test "pull stores an image that burrow images lists and skopeo and umoci read from the cache" {
	run --separate-stderr as_user burrow pull "$PLAIN/busybox:latest"
	[ "$status" -eq 0 ]
	same "$output" "$PLAIN/busybox:latest"
	run as_user burrow images
	[ "$status" -eq 0 ]
	[[ "$output" == "$PLAIN/busybox:latest"$'\t'sha256:* ]]
	# The registry served a Docker manifest: the name points at its OCI form.
	run skopeo inspect --raw "oci:$BURROW_CACHE_PATH/oci:$PLAIN/busybox:latest"
	[ "$status" -eq 0 ]
	[[ "$output" == *application/vnd.oci.image.layer.v1.tar+gzip* ]]
	[[ "$output" != *docker* ]]
	as_user burrow pull -q "$PLAIN/busybox:oci"
	run skopeo inspect --raw "oci:$BURROW_CACHE_PATH/oci:$PLAIN/busybox:oci"
	[ "$status" -eq 0 ]
	run umoci unpack --rootless --image "$BURROW_CACHE_PATH/oci:$PLAIN/busybox:latest" "$TEST_TMP/bundle"
	[ "$status" -eq 0 ]
	[ -x "$TEST_TMP/bundle/rootfs/bin/busybox" ]
	rm -rf "$TEST_TMP/bundle"
	[ -x "$(layer_with bin/busybox)/bin/busybox" ]
	# Everything in the cache is the user's own.
	[ -z "$(find "$BURROW_CACHE_PATH" ! -user "$TEST_USER" | head -n 1)" ]
}

@test "an OCI manifest and a Docker one of the same layer share one layer dir" {
	as_user burrow pull -q "$PLAIN/busybox:latest"
	as_user burrow pull -q "$PLAIN/busybox:oci"
	same "$(layer_dirs | wc -l)" 1
}

@test "a pull with everything cached fetches nothing and changes nothing" {
	as_user burrow pull -q "$PLAIN/multi:latest"
	before=$(find "$BURROW_CACHE_PATH" -printf '%p %s %T@\n' | sort | grep -v /locks/)
	run --separate-stderr as_user burrow pull -v "$PLAIN/multi:latest"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"0 layers fetched, 3 cached"* ]]
	same "$(find "$BURROW_CACHE_PATH" -printf '%p %s %T@\n' | sort | grep -v /locks/)" "$before"
}

@test "deletions become overlay whiteouts and an opaque directory is marked for overlayfs" {
	as_user burrow pull -q "$PLAIN/multi:latest"
	top=$(layer_with opaque/new)
	[ "$(stat -c '%F %t:%T' "$top/data/remove-me")" = "character special file 0:0" ]
	[ "$(stat -c '%F %t:%T' "$top/olddir")" = "character special file 0:0" ]
	run /usr/bin/python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.overlay.opaque").decode())' \
		"$top/opaque"
	same "$output" y
	[ ! -e "$top/opaque/.wh..wh..opq" ]
	[ ! -e "$top/data/.wh.remove-me" ]
}

@test "hard links in a layer stay one file" {
	as_user burrow pull -q "$PLAIN/hardlinks:latest"
	dir=$(layer_with links/target)
	same "$(stat -c %i "$dir/links/second")" "$(stat -c %i "$dir/links/target")"
	same "$(stat -c %i "$dir/links/sub/third")" "$(stat -c %i "$dir/links/target")"
	same "$(stat -c %h "$dir/links/target")" 3
	same "$(readlink "$dir/links/symlink")" target
}

@test "zstd layers are pulled and unpacked" {
	as_user burrow pull -q "$PLAIN/zstd:latest"
	same "$(layer_dirs | wc -l)" 2
	layer_with bin/busybox >/dev/null
}

@test "a multi-platform index gives the host's image, and --arch another one" {
	as_user burrow pull -q "$PLAIN/multiarch:latest"
	same "$(cat "$(layer_with arch)/arch")" amd64
	rm -rf "$BURROW_CACHE_PATH"
	run --separate-stderr as_user burrow pull --arch riscv64 "$PLAIN/multiarch:latest"
	[ "$status" -ne 0 ]
	one_error_line riscv64 arm64 amd64
	run as_user burrow images
	same "$output" ""
}

@test "a blob whose content does not match its digest is refused and nothing is stored" {
	run --separate-stderr as_user burrow pull "$PLAIN/badblob/test:latest"
	[ "$status" -eq 1 ]
	one_error_line "nothing was stored"
	run as_user burrow images
	same "$output" ""
	same "$(layer_dirs)" ""
	[ -z "$(find "$BURROW_CACHE_PATH/layers" "$BURROW_CACHE_PATH/tmp" -mindepth 2 2>/dev/null)" ]
}

@test "hostile layers are refused or contained: nothing appears or changes outside the cache" {
	echo original >/tmp/burrow-lab-victim
	chown "$TEST_USER:" /tmp/burrow-lab-victim
	for name in dotdot absolute symlink symlink-parent symlink-overwrite hardlink hardlink-dotdot \
		whiteout-dotdot whiteout-escape whiteout-symlink longpath longname; do
		run --separate-stderr as_user burrow pull "$PLAIN/hostile/$name:latest"
		echo "$name: status $status: $stderr"
		if [ "$status" -ne 0 ]; then
			one_error_line "layer sha256:"
		fi
	done
	same "$(cat /tmp/burrow-lab-victim)" original
	[ -z "$(find / -xdev -path "$TEST_TMP" -prune -o -name 'burrow-escaped-*' -print 2>/dev/null | head -n 1)" ]
	# Whatever was accepted stayed inside its layer dir.
	dir=$(layer_with tmp/burrow-escaped-absolute)
	same "$(cat "$dir/tmp/burrow-escaped-absolute")" "$(printf 'escaped: absolute')"
	run as_user burrow images
	same "$(echo "$output" | cut -f1 | sort | tr '\n' ' ')" \
		"$PLAIN/hostile/absolute:latest $PLAIN/hostile/symlink-overwrite:latest "
	dir=$(layer_with victim)
	[ ! -L "$dir/victim" ]
	same "$(cat "$dir/victim")" "overwritten through a symlink"
}

@test "device nodes are skipped with one notice" {
	run --separate-stderr as_user burrow pull "$PLAIN/hostile/device:latest"
	[ "$status" -eq 0 ]
	one_error_line "notice" "3 device nodes"
	dir=$(layer_with after-devices)
	[ -d "$dir/dev" ]
	same "$(find "$dir/dev" -mindepth 1)" ""
}

@test "a decompression bomb stops at BURROW_UNPACK_MAX_BYTES with a clear error" {
	run --separate-stderr as_user env BURROW_UNPACK_MAX_BYTES=50000000 burrow pull "$PLAIN/hostile/bomb:latest"
	[ "$status" -eq 1 ]
	one_error_line BURROW_UNPACK_MAX_BYTES=50000000
	run as_user burrow images
	same "$output" ""
	same "$(layer_dirs)" ""
}

@test "setuid bits are kept in layers yet grant nothing: no_new_privs holds inside" {
	as_user burrow pull -q "$PLAIN/hostile/setuid:latest"
	dir=$(layer_with bin/suid)
	same "$(stat -c %a "$dir/bin/suid")" 4755
	as_user burrow create --name c "$PLAIN/busybox:latest"
	# A setuid-root busybox whose name is an applet: run by the user, it still is the user.
	as_user burrow start --root --rw c sh -c 'mkdir -p /usr/local/bin && cp /bin/busybox /usr/local/bin/id &&
		chown 0:0 /usr/local/bin/id && chmod 4755 /usr/local/bin/id'
	same "$(as_user burrow start c stat -c %a /usr/local/bin/id)" 4755
	run as_user burrow start c /usr/local/bin/id -u
	[ "$status" -eq 0 ]
	same "$output" "$(id -u "$TEST_USER")"
}

@test "a private repository needs credentials: a clear error without, netrc credentials work" {
	run --separate-stderr as_user burrow pull "$HTPASSWD/busybox:latest"
	[ "$status" -eq 1 ]
	one_error_line "$HTPASSWD" login
	as_user sh -c "mkdir -p ~/.config/burrow && printf 'machine %s login alice password wonderland\n' '${HTPASSWD%:*}' >~/.config/burrow/.credentials && chmod 600 ~/.config/burrow/.credentials"
	run --separate-stderr as_user burrow pull "$HTPASSWD/busybox:latest"
	rm -f "$TEST_HOME/.config/burrow/.credentials"
	[ "$status" -eq 0 ]
	same "$output" "$HTPASSWD/busybox:latest"
}

@test "a token registry gives anonymous pulls of public repositories and alice's token for hers" {
	run --separate-stderr as_user burrow pull "$TOKEN_REGISTRY/public/busybox:latest"
	[ "$status" -eq 0 ]
	run --separate-stderr as_user burrow pull "$TOKEN_REGISTRY/busybox:latest"
	[ "$status" -eq 1 ]
	printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$TOKEN_REGISTRY" "$(printf alice:wonderland | base64)" \
		>"$TEST_TMP/auth.json"
	chown "$TEST_USER:" "$TEST_TMP/auth.json"
	run --separate-stderr as_user env REGISTRY_AUTH_FILE="$TEST_TMP/auth.json" burrow pull "$TOKEN_REGISTRY/busybox:latest"
	[ "$status" -eq 0 ]
	grep -q '"account": "alice"' "$LAB_DIR/token/token/requests.log" ||
		grep -q 'alice' "$LAB_DIR/token/token/requests.log"
}

@test "a container made from an image copies nothing and runs the image's programs" {
	as_user burrow pull -q "$PLAIN/busybox:latest"
	before=$(du -s "$BURROW_CACHE_PATH" | cut -f1)
	as_user burrow create --name box "$PLAIN/busybox:latest"
	[ -z "$(find "$BURROW_DATA_PATH/containers/box/rootfs" -mindepth 1)" ]
	same "$(du -s "$BURROW_CACHE_PATH" | cut -f1)" "$before"
	run as_user burrow start box busybox echo inside
	[ "$status" -eq 0 ]
	same "$output" inside
	run as_user burrow list
	same "$output" box
}

@test "a container from an image is read-only without --rw and keeps its changes with it" {
	as_user burrow create --name box "$PLAIN/multi:latest"
	run as_user burrow start box sh -c 'echo x >/etc/new'
	[ "$status" -ne 0 ]
	as_user burrow start --rw box sh -c 'echo kept >/etc/new && rm /etc/multi.conf'
	run as_user burrow start box sh -c 'cat /etc/new; ls /etc/multi.conf'
	[ "${lines[0]}" = kept ]
	[[ "$output" == *"No such file"* ]]
	# The layers themselves are untouched.
	same "$(cat "$(layer_with opaque/new)/etc/multi.conf")" layer=3
	as_user burrow remove box
	[ ! -e "$BURROW_DATA_PATH/containers/box" ]
}

@test "the merged image is what the program sees: deletions, opaque dirs, replacements" {
	as_user burrow create --name box "$PLAIN/multi:latest"
	run as_user burrow start box sh -c 'ls /data; ls /opaque; cat /etc/multi.conf; ls /olddir; cat /dir2file; ls /file2dir'
	same "$output" "$(printf 'keep\nnew\nlayer=3\nls: /olddir: No such file or directory\nnow-a-file\ninner')"
}

@test "the image's entrypoint, command and environment are the default" {
	as_user burrow create --name box "$PLAIN/multi:latest"
	run --separate-stderr as_user burrow start --no-cwd -w /app box
	[ "$status" -eq 0 ]
	same "$output" "entry: GREETING=hello from multi pwd=/app args=default-arg"
	run as_user burrow start box sh -c 'echo "$GREETING"'
	same "$output" "hello from multi"
}

@test "start IMAGE runs an image from the store; with --rw its changes vanish at exit" {
	as_user burrow pull -q "$PLAIN/busybox:latest"
	run as_user burrow start "$PLAIN/busybox:latest" sh -c '{ echo hi >/made; } 2>/dev/null || echo read-only'
	same "$output" read-only
	run as_user burrow start --rw "$PLAIN/busybox:latest" sh -c 'echo hi >/made && cat /made'
	same "$output" hi
	run as_user burrow start "$PLAIN/busybox:latest" ls /made
	[ "$status" -ne 0 ]
	same "$(as_user burrow list)" ""
}

@test "start and create of an image that is not in the store pull it first and say so" {
	run --separate-stderr as_user burrow start "$PLAIN/busybox:oci" busybox echo ran
	[ "$status" -eq 0 ]
	same "$output" ran
	[[ "$stderr" == "burrow: pulling $PLAIN/busybox:oci"* ]]
	run --separate-stderr as_user burrow create "$PLAIN/zstd:latest"
	[ "$status" -eq 0 ]
	run as_user burrow list
	same "$output" zstd
}

@test "start of a name that is no container, no image and no reference says what was tried" {
	run --separate-stderr as_user burrow start Bad:Name:x
	[ "$status" -eq 125 ]
	one_error_line "'Bad:Name:x' is no container" "no image in the store and no image reference" "upper case"
}

@test "start of a reference the registry does not have pulls, says so, and fails with the registry's answer" {
	run --separate-stderr as_user burrow start "$PLAIN/nosuch:latest"
	[ "$status" -eq 125 ]
	same "${stderr_lines[0]}" "burrow: pulling $PLAIN/nosuch:latest"
	[[ "${stderr_lines[1]}" == "burrow: "*"nosuch"* ]]
	same "${#stderr_lines[@]}" 2
}

@test "a container whose layers were removed from the cache says to pull again" {
	as_user burrow create --name box "$PLAIN/busybox:latest"
	rm -rf "$BURROW_CACHE_PATH/layers"
	run --separate-stderr as_user burrow start box true
	[ "$status" -eq 125 ]
	one_error_line "missing from the cache" "pull"
}
