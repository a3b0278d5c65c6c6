#!/usr/bin/env bats
# The start path against container escapes (docs/security.md): burrow's binary cannot be
# overwritten through /proc/PID/exe (CVE-2019-5736), no host descriptor or working directory
# leaks in (CVE-2024-21626), a symlink at a mount target cannot send a mount out of the root
# (CVE-2021-30465 class), /proc is mounted only on a real directory.
# shellcheck disable=SC2016 # $ in single quotes is expanded by the shell in the container

load helpers
load fixtures/expect
load fixtures/lab
load fixtures/instances
bats_require_minimum_version 1.5.0

setup() {
	burrow_setup
	as_user burrow create --name c "$BUSYBOX_ROOTFS"
	ROOTFS=$BURROW_DATA_PATH/containers/c/rootfs
	# Exists in the image only: a mount or mkdir through a symlink that escaped would show here.
	MARK=/var/tmp/burrow-security.$BATS_TEST_NUMBER.$$
	# A copy of burrow the test user owns: file permissions alone would let it be rewritten.
	mkdir -p "$TEST_TMP/bin" "$TEST_TMP/out"
	cp "$BURROW" "$TEST_TMP/bin/burrow"
	chown -R "$TEST_USER:" "$TEST_TMP"
	BURROW_SUM=$(sha256sum <"$TEST_TMP/bin/burrow")
	BURROW=$TEST_TMP/bin/burrow
}
teardown() {
	kill_background
	rm -rf "$MARK" "$MARK".*
	burrow_teardown
}

# try_exe.sh PID OUT: tries to read and write the exe of burrow process PID now, and leaves a
# setsid'd process holding /proc/PID/exe open that tries again once that process is gone (the
# binary is busy until then), writing what happened to OUT/late.
try_exe='
	p=$1 out=$2
	readlink /proc/$p/exe >/dev/null 2>&1 && echo "read /proc/$p/exe"
	(printf X 1<>/proc/$p/exe) 2>/dev/null && echo "wrote /proc/$p/exe"
	# Opened here, while PID is still burrow; the setsid process inherits it.
	if (exec 5</proc/$p/exe) 2>/dev/null && exec 5</proc/$p/exe; then
		setsid sh -c "
			while kill -0 $p 2>/dev/null; do sleep 0.05; done
			sleep 0.2
			(printf X 1<>/proc/self/fd/5) 2>/dev/null && echo wrote >$out/late || echo write-refused >$out/late
		" </dev/null >/dev/null 2>&1 &
	else
		echo open-refused >$out/late
	fi
	echo tried'

# try_exe.sh in $TEST_TMP/out, which the tests mount at /out.
write_try_exe() {
	printf '%s\n' "$try_exe" >"$TEST_TMP/out/try_exe.sh"
	chown "$TEST_USER:" "$TEST_TMP/out/try_exe.sh"
}

# Waits (5 s at most) for the background attempt's verdict and prints it.
late_verdict() {
	local i
	for i in $(seq 50); do
		[ -s "$TEST_TMP/out/late" ] && break
		sleep 0.1
	done
	cat "$TEST_TMP/out/late"
}

# The parent is in the host's user namespace, which already keeps a container out of it
# (commoncap's ptrace check); being non-dumpable is the second wall.
@test "the container cannot write burrow's binary through /proc/PPID/exe, during or after the start" {
	write_try_exe
	run as_user burrow start --root -m "$TEST_TMP/out:/out" c sh -c 'sh /out/try_exe.sh $PPID /out'
	[ "$status" -eq 0 ]
	same "$output" tried
	same "$(late_verdict)" open-refused
	same "$(sha256sum <"$BURROW")" "$BURROW_SUM"
}

# The init shares the container's user namespace, where the container's root has every
# capability: only being non-dumpable keeps /proc/1/exe closed.
@test "with --pid --root the container cannot open burrow's binary through /proc/1/exe of its init" {
	run as_user burrow start --root --pid c sh -c '
		readlink /proc/1/exe || echo no-read
		(exec 5</proc/1/exe) 2>/dev/null || echo no-open
		(printf X 1<>/proc/1/exe) 2>/dev/null || echo no-write'
	[ "$status" -eq 0 ]
	same "$output" "$(printf 'no-read\nno-open\nno-write')"
	same "$(sha256sum <"$BURROW")" "$BURROW_SUM"
}

# A hook runs as the container's root in its user namespace, a child of burrow's child before
# that child execs: it stands for any process of the container that finds the child then.
@test "the container's root cannot write burrow's binary through the child before it execs" {
	mkdir -p "$TEST_TMP/conf/hooks.d"
	write_try_exe
	printf '#!/bin/sh\nexec sh %s/try_exe.sh $PPID %s >%s/now </dev/null\n' \
		"$TEST_TMP/out" "$TEST_TMP/out" "$TEST_TMP/out" >"$TEST_TMP/conf/hooks.d/10-h"
	chmod 0755 "$TEST_TMP/conf/hooks.d/10-h"
	chown -R "$TEST_USER:" "$TEST_TMP/conf"
	run as_user env BURROW_CONFIG_PATH="$TEST_TMP/conf" burrow start --root c true
	[ "$status" -eq 0 ]
	same "$(cat "$TEST_TMP/out/now")" tried
	same "$(late_verdict)" open-refused
	same "$(sha256sum <"$BURROW")" "$BURROW_SUM"
}

@test "a program burrow exec started cannot write burrow's binary through /proc/PPID/exe" {
	background_instance start --root -m "$TEST_TMP/out:/out" c sleep 30
	write_try_exe
	run as_user burrow exec c sh -c 'sh /out/try_exe.sh $PPID /out'
	[ "$status" -eq 0 ]
	same "$output" tried
	same "$(late_verdict)" open-refused
	same "$(sha256sum <"$BURROW")" "$BURROW_SUM"
}

@test "exec into a --pid instance still joins it with its init non-dumpable" {
	background_instance start --pid c sleep 30
	run as_user burrow exec c sh -c 'readlink /proc/self/ns/pid; readlink /proc/1/exe || echo no-exe'
	[ "$status" -eq 0 ]
	same "${lines[0]}" "$(readlink "/proc/$INSTANCE_PID/ns/pid")"
	same "${lines[1]}" no-exe
}

@test "start lets only stdio into the container while burrow holds its own descriptors" {
	run as_user sh -c 'exec 7</dev/null 8<"$1"; burrow start c ls /proc/self/fd' sh "$TEST_TMP" 3>&-
	[ "$status" -eq 0 ]
	# 3 is ls's own directory handle.
	same "$(echo "$output" | tr '\n' ' ')" "0 1 2 3 "
}

@test "start of an image file lets only stdio in while burrow serves it" {
	as_user burrow export -o "$TEST_TMP/c.sqsh" c
	run --separate-stderr as_user sh -c 'exec 7</dev/null; burrow start "$1" ls /proc/self/fd' sh "$TEST_TMP/c.sqsh" 3>&-
	[ "$status" -eq 0 ]
	same "$(echo "$output" | tr '\n' ' ')" "0 1 2 3 "
}

@test "start --preserve-fds N passes the caller's descriptors 3 to 3+N-1 and closes the rest" {
	echo passed >"$TEST_TMP/out/f"
	run as_user sh -c 'exec 3</dev/null 4<"$1" 7</dev/null
		burrow start --preserve-fds 2 c sh -c "ls /proc/self/fd | tr \"\n\" \" \"; cat <&4"' sh "$TEST_TMP/out/f"
	[ "$status" -eq 0 ]
	# 5 is ls's own directory handle.
	same "$output" '0 1 2 3 4 5 passed'
}

@test "exec --preserve-fds N passes the caller's descriptors 3 to 3+N-1 and closes the rest" {
	background_instance start c sleep 30
	echo passed >"$TEST_TMP/out/f"
	run as_user sh -c 'exec 3<"$1" 7</dev/null
		burrow exec --preserve-fds 1 c sh -c "ls /proc/self/fd | tr \"\n\" \" \"; cat <&3"' sh "$TEST_TMP/out/f"
	[ "$status" -eq 0 ]
	same "$output" '0 1 2 3 4 passed'
}

@test "--preserve-fds naming a closed descriptor fails before anything starts" {
	run --separate-stderr as_user burrow start --preserve-fds 1 c echo started 3>&-
	[ "$status" -eq 2 ]
	same "$output" ""
	[[ "$stderr" == *"--preserve-fds 1: descriptor 3 is not open"* ]] || { echo "stderr: $stderr" >&2; false; }
}

@test "the working directory inside is reachable from the container's root" {
	run as_user burrow start -w /etc c sh -c 'readlink /proc/self/cwd; pwd -P'
	[ "$status" -eq 0 ]
	same "$output" "$(printf '/etc\n/etc')"
}

@test "start -w through /proc/self/fd/N is refused with a clear error" {
	run --separate-stderr as_user sh -c 'exec 3</tmp; burrow start -w /proc/self/fd/3 c pwd'
	[ "$status" -eq 125 ]
	same "$output" ""
	[[ "$stderr" == *"working directory /proc/self/fd/3: refused"*"magic link"* ]] ||
		{ echo "stderr: $stderr" >&2; false; }
}

@test "exec -w through /proc/self/fd/N is refused with a clear error" {
	background_instance start c sleep 30
	run --separate-stderr as_user sh -c 'exec 3</tmp; burrow exec -w /proc/self/fd/3 c pwd'
	[ "$status" -eq 125 ]
	same "$output" ""
	[[ "$stderr" == *"working directory /proc/self/fd/3: refused"* ]] ||
		{ echo "stderr: $stderr" >&2; false; }
}

# Nothing appeared on the host at $MARK.
host_untouched() {
	[ ! -e "$MARK" ] || { echo "$MARK appeared on the host:" >&2; ls -la "$MARK" >&2; false; }
}

# The directory $MARK inside the image, where the symlinks below lead.
mark_in_image() {
	mkdir -p "$ROOTFS$MARK"
	chown -R "$TEST_USER:" "$ROOTFS$MARK"
	echo inside >"$TEST_TMP/out/f"
}

@test "start -m onto an absolute symlink in the image mounts inside the root" {
	mark_in_image
	ln -s "$MARK" "$ROOTFS/etc/x"
	run as_user burrow start -m "$TEST_TMP/out:/etc/x" c sh -c "cat /etc/x/f; cat $MARK/f"
	[ "$status" -eq 0 ]
	same "$output" "$(printf 'inside\ninside')"
	host_untouched
}

@test "start -m onto a relative symlink climbing out of the image mounts inside the root" {
	mark_in_image
	ln -s "../../../../../../../../..$MARK" "$ROOTFS/etc/x"
	run as_user burrow start -m "$TEST_TMP/out:/etc/x" c cat "$MARK/f"
	[ "$status" -eq 0 ]
	same "$output" inside
	host_untouched
}

@test "start -m onto a chain of symlinks mounts inside the root" {
	mark_in_image
	ln -s /etc/y "$ROOTFS/etc/x"
	ln -s "../../..$MARK" "$ROOTFS/etc/y"
	run as_user burrow start -m "$TEST_TMP/out:/etc/x" c cat "$MARK/f"
	[ "$status" -eq 0 ]
	same "$output" inside
	host_untouched
}

@test "start -m under a symlinked parent directory mounts inside the root" {
	mark_in_image
	ln -s "$MARK" "$ROOTFS/opt"
	run as_user burrow start -m "$TEST_TMP/out:/opt/sub/dir" c cat "$MARK/sub/dir/f"
	[ "$status" -eq 0 ]
	same "$output" inside
	host_untouched
}

@test "start -m onto a dangling symlink fails naming the mount point and creates nothing outside" {
	ln -s "$MARK" "$ROOTFS/etc/x"
	run --separate-stderr as_user burrow start -m "$TEST_TMP/out:/etc/x" c true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"mount point /etc/x"*"symlink"* ]] || { echo "stderr: $stderr" >&2; false; }
	host_untouched
}

@test "start -m of a file onto a dangling symlink fails naming the mount point" {
	ln -s "$MARK" "$ROOTFS/etc/x"
	echo inside >"$TEST_TMP/out/f"
	run --separate-stderr as_user burrow start -m "$TEST_TMP/out/f:/etc/x" c true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"mount point /etc/x"*"symlink to nothing"* ]] || { echo "stderr: $stderr" >&2; false; }
	host_untouched
}

@test "a mounts.d tmpfs onto a symlink in the image mounts inside the root" {
	mark_in_image
	mkdir -p "$TEST_TMP/conf/mounts.d"
	echo "tmpfs /etc/x tmpfs x-create=dir,size=1m" >"$TEST_TMP/conf/mounts.d/t.fstab"
	chown -R "$TEST_USER:" "$TEST_TMP/conf"
	ln -s "$MARK" "$ROOTFS/etc/x"
	run as_user env BURROW_CONFIG_PATH="$TEST_TMP/conf" burrow start c stat -f -c %T "$MARK"
	[ "$status" -eq 0 ]
	same "$output" tmpfs
	host_untouched
}

@test "a mounts.d bind onto a symlink to a host directory leaves the host directory alone" {
	mark_in_image
	mkdir -p "$TEST_TMP/conf/mounts.d" "$MARK"
	echo host-file >"$MARK/kept"
	echo "$TEST_TMP/out /etc/x none bind,x-create=dir" >"$TEST_TMP/conf/mounts.d/b.fstab"
	chown -R "$TEST_USER:" "$TEST_TMP/conf" "$MARK"
	ln -s "$MARK" "$ROOTFS/etc/x"
	before=$(ls -la --time-style=full-iso "$MARK")
	run as_user env BURROW_CONFIG_PATH="$TEST_TMP/conf" burrow start c sh -c 'cat /etc/x/f; touch /etc/x/new'
	[ "$status" -eq 0 ]
	same "$output" inside
	same "$(ls -la --time-style=full-iso "$MARK")" "$before"
	[ -e "$TEST_TMP/out/new" ]
}

@test "an image whose /proc is a symlink fails to start, naming /proc" {
	rmdir "$ROOTFS/proc"
	ln -s /etc "$ROOTFS/proc"
	run --separate-stderr as_user burrow start c true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"mount point /proc in the container is a symlink"* ]] ||
		{ echo "stderr: $stderr" >&2; false; }
}

@test "an image whose /proc is a symlink fails to start with --pid too" {
	rmdir "$ROOTFS/proc"
	ln -s "$MARK" "$ROOTFS/proc"
	run --separate-stderr as_user burrow start --pid c true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"mount point /proc in the container is a symlink"* ]] ||
		{ echo "stderr: $stderr" >&2; false; }
	host_untouched
}

@test "an image whose /proc is a file fails to start, naming /proc" {
	rmdir "$ROOTFS/proc"
	touch "$ROOTFS/proc"
	run --separate-stderr as_user burrow start c true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"mount point /proc in the container is not a directory"* ]] ||
		{ echo "stderr: $stderr" >&2; false; }
}
