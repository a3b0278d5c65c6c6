#!/usr/bin/env bats
# burrow import: an image as one squashfs file, written from the cached layers by the
# unprivileged test user, read back with unsquashfs, the kernel's format as squashfuse serves it.

load helpers
load fixtures/expect
load fixtures/lab
bats_require_minimum_version 1.5.0


setup_file() {
	lab_setup_plain busybox:latest multi:latest hardlinks:latest multiarch:latest
}

teardown_file() {
	lab_teardown
}

setup() { burrow_setup; }
teardown() {
	if [ -n "${MOUNTED:-}" ]; then
		fusermount3 -u "$MOUNTED" 2>/dev/null || umount -l "$MOUNTED" 2>/dev/null || true
	fi
	burrow_teardown
}

# The listing of FILE as unsquashfs -lln gives it: "MODE OWNER PATH", one a line.
listing() {
	unsquashfs -lln "$1" | awk '$1 ~ /^[-dlcbps]/ {print $1, $2, $6}'
}

# The layer dir of the user's cache holding PATH.
layer_with() {
	local dir
	for dir in "$BURROW_CACHE_PATH"/layers/sha256/*; do
		if [ -e "$dir/$1" ]; then
			echo "$dir"
			return 0
		fi
	done
	return 1
}

@test "import writes IMAGE+TAG.sqsh in the current directory that unsquashfs lists with modes and owners" {
	run --separate-stderr as_user burrow import "$PLAIN/busybox:latest"
	[ "$status" -eq 0 ]
	same "$output" "busybox+latest.sqsh"
	[ -f "$TEST_TMP/busybox+latest.sqsh" ]
	run listing "$TEST_TMP/busybox+latest.sqsh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"-rwxr-xr-x 0/0 squashfs-root/bin/busybox"* ]]
	[[ "$output" == *"lrwxrwxrwx 0/0 squashfs-root/bin/sh"* ]]
	[[ "$output" == *"drwxrwxrwt 0/0 squashfs-root/tmp"* ]]
	[[ "$output" == *"drwxr-xr-x 0/0 squashfs-root/etc"* ]]
	# The file is the user's, readable as umask allows.
	same "$(stat -c '%U %a' "$TEST_TMP/busybox+latest.sqsh")" "$TEST_USER 644"
}

@test "import gives each file the owner recorded in user.rootlesscontainers and keeps other xattrs" {
	as_user burrow pull -q "$PLAIN/busybox:latest" >/dev/null
	local layer
	layer=$(layer_with bin/busybox)
	# umoci's record of uid 1000, gid 100, as pull writes it for a tar header owner.
	as_user setfattr -n user.rootlesscontainers -v 0x08e8071064 "$layer/etc/passwd"
	as_user setfattr -n user.note -v kept "$layer/etc/passwd"
	as_user burrow import -o img.sqsh "$PLAIN/busybox:latest" >/dev/null
	run listing "$TEST_TMP/img.sqsh"
	[[ "$output" == *"-rw-r--r-- 1000/100 squashfs-root/etc/passwd"* ]]
	[[ "$output" == *"-rw-r--r-- 0/0 squashfs-root/etc/group"* ]]
	unsquashfs -d "$TEST_TMP/out" "$TEST_TMP/img.sqsh" etc/passwd >/dev/null
	run getfattr -d -m - "$TEST_TMP/out/etc/passwd"
	[[ "$output" == *'user.note="kept"'* ]]
	[[ "$output" != *rootlesscontainers* ]]
}

@test "import applies whiteouts, opaque directories and replacements of multi:latest" {
	as_user burrow import -o multi.sqsh "$PLAIN/multi:latest" >/dev/null
	run listing "$TEST_TMP/multi.sqsh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"squashfs-root/data/keep"* ]]
	[[ "$output" != *"squashfs-root/data/remove-me"* ]]
	[[ "$output" != *"squashfs-root/olddir"* ]]
	[[ "$output" == *"squashfs-root/opaque/new"* ]]
	[[ "$output" != *"squashfs-root/opaque/old1"* ]]
	[[ "$output" != *"squashfs-root/opaque/lowerdir"* ]]
	[[ "$output" == *"-rw-r--r-- 0/0 squashfs-root/dir2file"* ]]
	[[ "$output" != *"squashfs-root/dir2file/"* ]]
	[[ "$output" == *"drwxr-xr-x 0/0 squashfs-root/file2dir"* ]]
	[[ "$output" == *"squashfs-root/file2dir/inner"* ]]
	# No overlay bookkeeping leaks into the image.
	[[ "$output" != *"c--------- "* ]]
	unsquashfs -d "$TEST_TMP/out" "$TEST_TMP/multi.sqsh" >/dev/null
	same "$(cat "$TEST_TMP/out/etc/multi.conf")" "layer=3"
	same "$(cat "$TEST_TMP/out/dir2file")" "now-a-file"
	run getfattr -R -d -m - "$TEST_TMP/out"
	[[ "$output" != *overlay* ]]
}

@test "import keeps hard links as one inode with its link count" {
	as_user burrow import -o links.sqsh "$PLAIN/hardlinks:latest" >/dev/null
	unsquashfs -d "$TEST_TMP/out" "$TEST_TMP/links.sqsh" >/dev/null
	local a b c
	a=$(stat -c '%i %h' "$TEST_TMP/out/links/target")
	b=$(stat -c '%i %h' "$TEST_TMP/out/links/second")
	c=$(stat -c '%i %h' "$TEST_TMP/out/links/sub/third")
	same "$a" "$b"
	same "$a" "$c"
	same "${a#* }" 3
	same "$(readlink "$TEST_TMP/out/links/symlink")" target
}

@test "import refuses to overwrite an existing file without -f and replaces it with -f" {
	echo precious >"$TEST_TMP/busybox+latest.sqsh"
	chown "$TEST_USER:" "$TEST_TMP/busybox+latest.sqsh"
	run --separate-stderr as_user burrow import "$PLAIN/busybox:latest"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"busybox+latest.sqsh exists; use -f"* ]]
	same "$(cat "$TEST_TMP/busybox+latest.sqsh")" precious
	run --separate-stderr as_user burrow import -f "$PLAIN/busybox:latest"
	[ "$status" -eq 0 ]
	unsquashfs -l "$TEST_TMP/busybox+latest.sqsh" >/dev/null
	same "$(find "$TEST_TMP" -maxdepth 1 -name '.busybox*')" ""
}

@test "import leaves no file behind when writing fails" {
	as_user burrow pull -q "$PLAIN/busybox:latest" >/dev/null
	local layer
	layer=$(layer_with bin/busybox)
	# A layer file the user can neither read nor make readable.
	chown root: "$layer/etc/passwd"
	chmod 0600 "$layer/etc/passwd"
	run --separate-stderr as_user burrow import "$PLAIN/busybox:latest"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"etc/passwd"* ]]
	same "$(find "$TEST_TMP" -maxdepth 1 -name '*.sqsh*')" ""
	same "$(find "$TEST_TMP" -maxdepth 1 -name '.busybox*')" ""
}

@test "import -o writes where it is told, in another directory too" {
	as_user mkdir "$TEST_TMP/images"
	run --separate-stderr as_user burrow import -o "$TEST_TMP/images/box.sqsh" "$PLAIN/busybox:latest"
	[ "$status" -eq 0 ]
	same "$output" "$TEST_TMP/images/box.sqsh"
	same "$(ls -A "$TEST_TMP/images")" box.sqsh
	same "$(find "$TEST_TMP" -maxdepth 1 -name '*.sqsh')" ""
}

@test "import -a pulls the architecture asked for from a multi-platform image" {
	run --separate-stderr as_user burrow import -a arm64 "$PLAIN/multiarch:latest"
	[ "$status" -eq 0 ]
	same "$output" "multiarch+latest.sqsh"
	unsquashfs -d "$TEST_TMP/out" "$TEST_TMP/multiarch+latest.sqsh" arch >/dev/null
	same "$(cat "$TEST_TMP/out/arch")" arm64
}

@test "SOURCE_DATE_EPOCH makes two imports byte-identical" {
	as_user env SOURCE_DATE_EPOCH=1700000000 burrow import -o one.sqsh "$PLAIN/multi:latest" >/dev/null
	sleep 1
	as_user env SOURCE_DATE_EPOCH=1700000000 burrow import -o two.sqsh "$PLAIN/multi:latest" >/dev/null
	cmp "$TEST_TMP/one.sqsh" "$TEST_TMP/two.sqsh"
	run unsquashfs -s "$TEST_TMP/one.sqsh"
	[[ "$output" == *"Tue Nov 14 22:13:20 2023"* ]]
}

@test "each compression gives a file that squashfs readers read" {
	local c
	for c in zstd gzip xz lz4; do
		as_user burrow import --compression "$c" -o "$c.sqsh" "$PLAIN/busybox:latest" >/dev/null
		run unsquashfs -s "$TEST_TMP/$c.sqsh"
		[[ "$output" == *"Compression $c"* ]]
		# unsquashfs 4.5 fails on the lz4 metadata of libsquashfs (gensquashfs's too); the
		# kernel and squashfuse read it, tested below.
		[ "$c" = lz4 ] && continue
		unsquashfs -d "$TEST_TMP/out-$c" "$TEST_TMP/$c.sqsh" >/dev/null
		cmp "$TEST_TMP/out-$c/bin/busybox" "$BUSYBOX_ROOTFS/bin/busybox"
	done
	run --separate-stderr as_user burrow import --compression lzo "$PLAIN/busybox:latest"
	[ "$status" -eq 2 ]
}

@test "squashfuse mounts an imported file and its files read right, lz4 too" {
	local c
	for c in zstd lz4; do
		as_user burrow import --compression "$c" -o "$c.sqsh" "$PLAIN/multi:latest" >/dev/null
		mkdir "$TEST_TMP/mnt-$c"
		MOUNTED=$TEST_TMP/mnt-$c
		squashfuse "$TEST_TMP/$c.sqsh" "$MOUNTED"
		same "$(cat "$MOUNTED/etc/multi.conf")" "layer=3"
		cmp "$MOUNTED/bin/busybox" "$BUSYBOX_ROOTFS/bin/busybox"
		fusermount3 -u "$MOUNTED"
		MOUNTED=
	done
}

@test "the image config travels inside as /.burrow/config.json" {
	as_user burrow import -o multi.sqsh "$PLAIN/multi:latest" >/dev/null
	unsquashfs -d "$TEST_TMP/out" "$TEST_TMP/multi.sqsh" .burrow/config.json >/dev/null
	local config=$TEST_TMP/out/.burrow/config.json
	run python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))["config"]
print(c["Entrypoint"][0], c["Cmd"][0], c["WorkingDir"], *c["Env"], sep="\n")' "$config"
	[ "$status" -eq 0 ]
	same "${lines[0]}" /app/entry.sh
	same "${lines[1]}" default-arg
	same "${lines[2]}" /app
	[[ "$output" == *"GREETING=hello from multi"* ]]
	# The config blob as stored: its digest is the image's config digest.
	run as_user burrow inspect "$PLAIN/multi:latest"
	[[ "$output" == *"sha256:$(sha256sum "$config" | cut -d' ' -f1)"* ]]
}
