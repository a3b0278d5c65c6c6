#!/usr/bin/env bats
# burrow start and create from an image file (.sqsh): read in place over FUSE, served by burrow
# itself in its threads, nothing left behind; the fallback that unpacks where FUSE is unusable.
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
load fixtures/lab
bats_require_minimum_version 1.5.0

setup_file() {
	lab_setup_plain busybox:latest multi:latest
	FILES=$(mktemp -d "${STAGE}/tmp/start-file.XXXXXX")
	chown "$TEST_USER:" "$FILES"
	chmod 0755 "$FILES"
	export FILES
	local cache=$FILES/cache
	TEST_TMP=$FILES BURROW_CACHE_PATH=$cache as_user burrow pull -q "$PLAIN/busybox:latest" >/dev/null
	# An owner and an xattr on one file of the layer, as import.bats does (uid 1000, gid 100).
	local layer
	for layer in "$cache"/layers/sha256/*; do
		[ -e "$layer/bin/busybox" ] && break
	done
	echo marked >"$layer/etc/marked"
	chown "$TEST_USER:" "$layer/etc/marked"
	as_user setfattr -n user.rootlesscontainers -v 0x08e8071064 "$layer/etc/marked"
	as_user setfattr -n user.note -v kept "$layer/etc/marked"
	TEST_TMP=$FILES BURROW_CACHE_PATH=$cache as_user burrow import -o busybox.sqsh \
		"$PLAIN/busybox:latest" >/dev/null
	TEST_TMP=$FILES BURROW_CACHE_PATH=$cache as_user burrow import -o multi.sqsh \
		"$PLAIN/multi:latest" >/dev/null
	# Many files of random bytes (whole blocks, tails in fragments, a sparse one) for readers.
	local tree=$FILES/tree
	cp -a "$BUSYBOX_ROOTFS" "$tree"
	mkdir -p "$tree/data"
	local i
	for i in $(seq 1 24); do
		head -c $((i * 100000 + 777)) /dev/urandom >"$tree/data/f$i"
	done
	truncate -s 5M "$tree/data/sparse"
	echo end >>"$tree/data/sparse"
	mksquashfs "$tree" "$FILES/data.sqsh" -all-root -quiet -noappend >/dev/null
	unsquashfs -q -d "$FILES/data-ref" "$FILES/data.sqsh" data >/dev/null
	(cd "$FILES/data-ref/data" && sha256sum -- * | sort -k2) >"$FILES/data.sha256"
	chown -R "$TEST_USER:" "$FILES"
	chmod 0644 "$FILES"/*.sqsh
}

teardown_file() {
	lab_teardown
	rm -rf "$FILES"
}

setup() {
	burrow_setup
	FUSE_MODE=$(stat -c %a /dev/fuse)
	# Clusters usually have 0666; this machine has 0600.
	chmod 0666 /dev/fuse
}
teardown() {
	chmod "$FUSE_MODE" /dev/fuse
	burrow_teardown
}

# as_user with a /dev/fuse that opens but is no FUSE device (/dev/null bound over it, in a
# mount namespace of its own): the fuse mount itself is refused after the open succeeded.
as_user_fuse_refused() {
	export -f as_user
	unshare -m --propagation private bash -c 'mount --bind /dev/null /dev/fuse && as_user "$@"' \
		as_user_fuse_refused "$@"
}

# PID's direct children, one pid a line.
children() {
	cat "/proc/$1/task/"*/children 2>/dev/null | tr ' ' '\n' | sed '/^$/d'
}

@test "start FILE runs a command on the image's files, read-only, without unpacking" {
	run --separate-stderr as_user burrow start "$FILES/busybox.sqsh" sh -c \
		'busybox | head -1 | cut -d" " -f1; readlink /bin/sh; stat -c "%A" /bin/busybox; touch /new'
	[ "$status" -eq 1 ]
	same "$output" "$(printf 'BusyBox\n/bin/busybox\n-rwxr-xr-x')"
	[[ "$stderr" == *"Read-only file system"* ]]
	[ ! -e "$BURROW_CACHE_PATH/imagefiles" ]
}

@test "start --root FILE shows the image's owners and xattrs" {
	# The host's getfattr, run by the host's dynamic loader: busybox has none.
	run as_user burrow start --root -m /usr:/host/usr:ro "$FILES/busybox.sqsh" sh -c '
		stat -c "%u:%g %a" /bin/busybox /etc/marked
		lib=/host/usr/lib/x86_64-linux-gnu
		$lib/ld-linux-x86-64.so.2 --library-path $lib /host/usr/bin/getfattr --absolute-names \
			-n user.note /etc/marked'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "0:0 755" ]]
	[[ "${lines[1]}" == "1000:100 644" ]]
	[[ "$output" == *'user.note="kept"'* ]]
}

@test "start FILE honours the image config's Entrypoint, Cmd, Env and WorkingDir" {
	run --separate-stderr as_user burrow start --no-cwd "$FILES/multi.sqsh"
	[ "$status" -eq 0 ]
	same "$output" "entry: GREETING=hello from multi pwd=/app args=default-arg"
	run --separate-stderr as_user burrow start --no-cwd "$FILES/multi.sqsh" sh -c 'echo "$GREETING"'
	same "$output" "hello from multi"
}

@test "start --rw FILE writes to a throw-away layer" {
	run as_user burrow start --rw "$FILES/busybox.sqsh" sh -c 'echo x > /etc/new && cat /etc/new'
	[ "$status" -eq 0 ]
	same "$output" x
	run as_user burrow start "$FILES/busybox.sqsh" sh -c 'test -e /etc/new && echo kept || echo gone'
	same "$output" gone
}

@test "create FILE makes a container over the file that keeps --rw changes" {
	run as_user burrow create "$FILES/multi.sqsh"
	[ "$status" -eq 0 ]
	same "$(cat "$BURROW_DATA_PATH/containers/multi/image-file")" "$FILES/multi.sqsh"
	as_user burrow create --name c "$FILES/busybox.sqsh"
	as_user burrow start --rw c sh -c 'echo changed > /etc/motd'
	run as_user burrow start c cat /etc/motd
	[ "$status" -eq 0 ]
	same "$output" changed
	[ -f "$BURROW_DATA_PATH/containers/c/upper/etc/motd" ]
	run as_user burrow start --no-cwd multi
	same "$output" "entry: GREETING=hello from multi pwd=/app args=default-arg"
}

@test "while FILE runs only burrow and the program exist, and the host sees no fuse mount" {
	as_user burrow start "$FILES/busybox.sqsh" sh -c 'echo $PPID > burrow.pid; exec sleep 30' &
	job=$!
	wait_for_file "$TEST_TMP/burrow.pid"
	burrow_pid=$(cat "$TEST_TMP/burrow.pid")
	sleep 0.3
	same "$(cat "/proc/$burrow_pid/comm")" burrow
	run children "$burrow_pid"
	[ "${#lines[@]}" -eq 1 ]
	same "$(cat "/proc/${lines[0]}/comm")" sleep
	! pgrep -u "$TEST_USER" squashfuse
	! grep -q fuse /proc/self/mountinfo
	! grep -q fuse "/proc/$burrow_pid/mountinfo"
	# The container's own mount namespace has it.
	grep -q fuse "/proc/${lines[0]}/mountinfo"
	kill -TERM "$burrow_pid"
	status=0
	wait "$job" || status=$?
	[ "$status" -eq 143 ]
}

@test "kill -9 of burrow serving FILE leaves no process of the container and no mount" {
	as_user burrow start "$FILES/busybox.sqsh" sh -c 'echo $$ > program.pid; echo $PPID > burrow.pid; exec sleep 30' &
	job=$!
	wait_for_file "$TEST_TMP/burrow.pid"
	wait_for_file "$TEST_TMP/program.pid"
	program=$(cat "$TEST_TMP/program.pid")
	kill -KILL "$(cat "$TEST_TMP/burrow.pid")"
	wait "$job" || true
	for _ in $(seq 50); do
		[ -e "/proc/$program" ] || break
		sleep 0.1
	done
	[ ! -e "/proc/$program" ]
	! pgrep -u "$TEST_USER" -f busybox.sqsh
	! grep -q fuse /proc/self/mountinfo
}

@test "8 parallel readers get unsquashfs's bytes from several FUSE server threads" {
	as_user burrow start "$FILES/data.sqsh" sh -c 'echo $PPID > burrow.pid
		here=$(pwd)
		cd /data
		for r in 1 2 3 4 5 6 7 8; do
			(for f in *; do sha256sum "$f"; done > /tmp/sums.$r) &
		done
		wait
		for r in 2 3 4 5 6 7 8; do cmp /tmp/sums.1 /tmp/sums.$r || exit 9; done
		sort -k2 /tmp/sums.1 > "$here/sums"' &
	job=$!
	wait_for_file "$TEST_TMP/burrow.pid"
	burrow_pid=$(cat "$TEST_TMP/burrow.pid")
	most=0
	while [ -d "/proc/$burrow_pid/task" ]; do
		n=$(find "/proc/$burrow_pid/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
		[ "$n" -gt "$most" ] && most=$n
		sleep 0.02
	done
	wait "$job"
	same "$(cat "$TEST_TMP/sums")" "$(cat "$FILES/data.sha256")"
	# The main thread, the loop's and at least two workers.
	echo "threads seen: $most"
	[ "$most" -ge 4 ]
}

@test "a truncated image file gives one error line naming the file" {
	head -c 200000 "$FILES/busybox.sqsh" >"$TEST_TMP/cut.sqsh"
	chown "$TEST_USER:" "$TEST_TMP/cut.sqsh"
	run --separate-stderr as_user burrow start cut.sqsh true
	[ "$status" -eq 125 ]
	one_error_line cut.sqsh truncated
	run --separate-stderr as_user burrow create cut.sqsh
	[ "$status" -eq 1 ]
	one_error_line cut.sqsh truncated
	[ ! -e "$BURROW_DATA_PATH/containers/cut" ]
}

@test "a corrupt image file gives EIO to the program, never a crash" {
	# Compressible files, so garbled blocks fail to decompress (squashfs has no checksums:
	# garbage in a block stored uncompressed is read as it is).
	local tree=$TEST_TMP/tree
	cp -a "$BUSYBOX_ROOTFS" "$tree"
	mkdir "$tree/data"
	for i in $(seq 1 8); do seq 1 400000 >"$tree/data/f$i"; done
	mksquashfs "$tree" "$TEST_TMP/bad.sqsh" -all-root -quiet -noappend >/dev/null
	local size
	size=$(stat -c %s "$TEST_TMP/bad.sqsh")
	# Garble 64 KiB past busybox's blocks (written first), before the tables (last).
	dd if=/dev/urandom of="$TEST_TMP/bad.sqsh" bs=1 seek=$((size * 3 / 4)) count=65536 conv=notrunc \
		status=none
	chown "$TEST_USER:" "$TEST_TMP/bad.sqsh"
	run as_user burrow start bad.sqsh sh -c 'cat /data/* > /dev/null; echo "cat=$?"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Input/output error"* ]]
	[[ "$output" == *"cat=1"* ]]
}

@test "where FUSE is unusable the file is unpacked once into the cache, and burrow says so" {
	chmod 0600 /dev/fuse
	run --separate-stderr as_user burrow start "$FILES/busybox.sqsh" sh -c 'readlink /bin/sh; touch /x'
	[ "$status" -eq 1 ]
	same "$output" /bin/busybox
	[[ "$stderr" == *"FUSE is unusable (/dev/fuse is not readable and writable by you); unpacked it once into"* ]]
	run as_user getfattr --absolute-names -n user.note "$BURROW_CACHE_PATH"/imagefiles/*/tree/etc/marked
	[[ "$output" == *'user.note="kept"'* ]]
	first=$(stat -c %i "$BURROW_CACHE_PATH"/imagefiles/*/tree/bin/busybox)
	chmod 0666 /dev/fuse
	run --separate-stderr as_user env BURROW_FUSE=no burrow start "$FILES/busybox.sqsh" true
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"(BURROW_FUSE=no)"* ]]
	same "$(stat -c %i "$BURROW_CACHE_PATH"/imagefiles/*/tree/bin/busybox)" "$first"
}

@test "check says whether image files will be served over FUSE or unpacked, and why" {
	run as_user burrow check
	[[ "$output" == *"OK    /dev/fuse: usable by $TEST_USER: image files (.sqsh) are served by burrow over FUSE"* ]]
	run as_user env BURROW_FUSE=no burrow check
	[[ "$output" == *"WARN  /dev/fuse: BURROW_FUSE=no: image files (.sqsh) will be unpacked once"* ]]
	chmod 0600 /dev/fuse
	run as_user burrow check
	[[ "$output" == *"WARN  /dev/fuse: not readable and writable by $TEST_USER (mode 0600): image files (.sqsh) will be unpacked once"* ]]
}

@test "run FILE and run --name N FILE read the file in place too" {
	run --separate-stderr as_user burrow run "$FILES/multi.sqsh"
	[ "$status" -eq 0 ]
	same "$output" "entry: GREETING=hello from multi pwd=/app args=default-arg"
	run --separate-stderr as_user burrow run --name r "$FILES/multi.sqsh" one
	[ "$status" -eq 0 ]
	same "$output" "entry: GREETING=hello from multi pwd=/app args=one"
	same "$(cat "$BURROW_DATA_PATH/containers/r/image-file")" "$FILES/multi.sqsh"
}

@test "a fuse mount refused after /dev/fuse opened falls back to unpacking, saying so on one line" {
	run --separate-stderr as_user_fuse_refused burrow start "$FILES/busybox.sqsh" sh -c 'readlink /bin/sh; touch /x'
	[ "$status" -eq 1 ]
	same "$output" /bin/busybox
	[ "${#stderr_lines[@]}" -eq 2 ]
	[[ "${stderr_lines[0]}" == "burrow: $FILES/busybox.sqsh: FUSE is unusable (mount fuse (see 'burrow check'): Invalid argument); unpacked it once into $BURROW_CACHE_PATH/imagefiles/"*/tree ]]
	[[ "${stderr_lines[1]}" == *"Read-only file system"* ]]
	run as_user_fuse_refused burrow run --rm --name c "$FILES/multi.sqsh" one
	[ "$status" -eq 0 ]
	[[ "$output" == *"entry: GREETING=hello from multi pwd=/app args=one"* ]]
}

@test "hard links in the file stay hard links in the unpacked tree" {
	local tree=$TEST_TMP/links
	cp -a "$BUSYBOX_ROOTFS" "$tree"
	mkdir -p "$tree/a/b"
	echo same >"$tree/a/one"
	ln "$tree/a/one" "$tree/a/b/two"
	ln "$tree/a/one" "$tree/three"
	mksquashfs "$tree" "$TEST_TMP/links.sqsh" -all-root -quiet -noappend >/dev/null
	chown "$TEST_USER:" "$TEST_TMP/links.sqsh"
	run --separate-stderr as_user env BURROW_FUSE=no burrow start "$TEST_TMP/links.sqsh" \
		stat -c '%h %i %n' /a/one /a/b/two /three
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	local ino
	ino=$(echo "${lines[0]}" | cut -d' ' -f2)
	same "$output" "$(printf '3 %s /a/one\n3 %s /a/b/two\n3 %s /three' "$ino" "$ino" "$ino")"
}

@test "a program reached through links, a script, or a link loop starts as exec would have it" {
	# The server decodes the program ahead, found in the image as execvp would find it: links
	# (relative, absolute, through ..), a script's interpreter; a loop must only fail the exec.
	local tree=$TEST_TMP/programs
	cp -a "$BUSYBOX_ROOTFS" "$tree"
	mkdir -p "$tree/usr/local/bin" "$tree/opt/chain"
	ln -s ../../../opt/chain/echo "$tree/usr/local/bin/echo"
	ln -s /bin/../bin/echo "$tree/opt/chain/echo"
	printf '#!/bin/sh\necho "script says $1"\n' >"$tree/usr/local/bin/hello"
	chmod 0755 "$tree/usr/local/bin/hello"
	ln -s loop "$tree/usr/local/bin/loop"
	mksquashfs "$tree" "$TEST_TMP/programs.sqsh" -all-root -quiet -noappend >/dev/null
	chown "$TEST_USER:" "$TEST_TMP/programs.sqsh"
	run --separate-stderr as_user burrow start programs.sqsh echo through links
	[ "$status" -eq 0 ]
	same "$output" "through links"
	run --separate-stderr as_user burrow start programs.sqsh hello there
	[ "$status" -eq 0 ]
	same "$output" "script says there"
	run --separate-stderr as_user timeout 20 burrow start programs.sqsh loop
	[ "$status" -eq 126 ]
	[[ "$stderr" == *"loop"*"symbolic links"* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
}

# Unpack a copy of busybox.sqsh named NAME (in TEST_TMP) and print its tree's key dir.
unpacked_copy() {
	cp "$FILES/busybox.sqsh" "$TEST_TMP/$1"
	chown "$TEST_USER:" "$TEST_TMP/$1"
	as_user env BURROW_FUSE=no burrow start "$TEST_TMP/$1" true 2>/dev/null
	grep -lx "$TEST_TMP/$1" "$BURROW_CACHE_PATH"/imagefiles/*/source | xargs dirname
}

@test "gc removes unpacked trees whose file is gone or changed, and keeps the others" {
	local kept gone changed
	kept=$(unpacked_copy kept.sqsh)
	gone=$(unpacked_copy gone.sqsh)
	changed=$(unpacked_copy changed.sqsh)
	rm "$TEST_TMP/gone.sqsh"
	echo more >>"$TEST_TMP/changed.sqsh"
	run as_user burrow gc
	[ "$status" -eq 0 ]
	[[ "$output" == *"removed unpacked image file $gone ("* ]]
	[[ "$output" == *"removed unpacked image file $changed ("* ]]
	[[ "$output" != *"$kept"* ]]
	[[ "$output" == *", 2 unpacked image files: "* ]]
	[ -d "$kept/tree/bin" ]
	[ ! -e "$gone" ]
	[ ! -e "$changed" ]
}

@test "gc --dry-run lists a stale unpacked tree and removes nothing" {
	local gone
	gone=$(unpacked_copy gone.sqsh)
	rm "$TEST_TMP/gone.sqsh"
	run as_user burrow gc --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"would remove unpacked image file $gone ("* ]]
	[[ "$output" == *"would free "*", 1 unpacked image file: "* ]]
	[ -d "$gone/tree/bin" ]
}

@test "gc leaves the unpacked tree of a running start, even when its file is gone" {
	cp "$FILES/busybox.sqsh" "$TEST_TMP/running.sqsh"
	chown "$TEST_USER:" "$TEST_TMP/running.sqsh"
	as_user mkdir "$TEST_TMP/ctl"
	as_user env BURROW_FUSE=no burrow start -m "$TEST_TMP/ctl:/ctl" "$TEST_TMP/running.sqsh" \
		sh -c 'while [ ! -e /ctl/stop ]; do sleep 0.1; done' 3>&- >/dev/null 2>&1 &
	local pid=$! i
	for i in $(seq 1 100); do
		[ -n "$(ls "$BURROW_CACHE_PATH"/imagefiles/*/source 2>/dev/null)" ] && break
		sleep 0.1
	done
	local dir
	dir=$(dirname "$BURROW_CACHE_PATH"/imagefiles/*/source)
	rm "$TEST_TMP/running.sqsh"
	run as_user burrow gc
	[ "$status" -eq 0 ]
	[[ "$output" != *"$dir"* ]]
	[ -d "$dir/tree/bin" ]
	touch "$TEST_TMP/ctl/stop"
	wait "$pid"
	run as_user burrow gc
	[[ "$output" == *"removed unpacked image file $dir ("* ]]
	[ ! -e "$dir" ]
}

@test "gc sweeps what a killed unpack left and leaves an unpack still being written" {
	local files=$BURROW_CACHE_PATH/imagefiles
	as_user mkdir -p "$files/.tmp-999999-1-2-3-4.0/tree/etc" "$files/.tmp-999998-1-2-3-4.0/tree"
	as_user flock "$files/.tmp-999998-1-2-3-4.0" sleep 30 3>&- &
	local holder=$!
	sleep 0.3
	run as_user burrow gc
	[ "$status" -eq 0 ]
	[[ "$output" == *"removed temporary $files/.tmp-999999-1-2-3-4.0 ("* ]]
	[ ! -e "$files/.tmp-999999-1-2-3-4.0" ]
	[ -d "$files/.tmp-999998-1-2-3-4.0/tree" ]
	kill "$holder"
	wait "$holder" || true
}
